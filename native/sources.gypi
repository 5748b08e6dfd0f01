# THE list of the addon's C++ sources, shared by binding.gyp (gyp `includes`)
# and CMakeLists.txt (which parses the quoted *.cc names below). Paths are
# relative to this directory. test/native/build.test.ts checks that both build
# systems see the same list and that every native/*.cc is in it.
{
  'sources': [
    'addon.cc',
    'binding.cc',
    'bpf_engine.cc',
    'delay_engine.cc',
    'delay_line.cc',
    'errors.cc',
    'ethtool.cc',
    'links.cc',
    'netem.cc',
    'netlink.cc',
    'node_link.cc',
    'netns.cc',
    'netns_thread.cc',
    'qdisc.cc',
    'relay.cc',
    'relay_pipe.cc',
    'relay_reactor.cc',
    'shape.cc',
    'sockets.cc',
    'timer.cc',
    'xattr.cc',
    'xdp.cc',
    'xdp_attach.cc',
    'xdp_test_run.cc',
    'xsk_socket.cc',
  ],
}
