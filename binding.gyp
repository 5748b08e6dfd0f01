# node-gyp build of the native addon (the CMake equivalent is CMakeLists.txt;
# both take their sources from native/sources.gypi).
{
  'variables': {
    'multiarch%': '<!(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)',
  },
  'targets': [
    {
      # Vendored static libbpf/libelf + BPF objects + skeleton headers, before any compile.
      'target_name': 'prepare_native',
      'type': 'none',
      'actions': [
        {
          'action_name': 'prepare_native',
          'inputs': [
            'scripts/prepare-native.sh',
            'scripts/vendor-libbpf.sh',
            '<!@(ls bpf/*.c bpf/*.h 2>/dev/null)',
          ],
          'outputs': ['build/gen/.prepared'],
          'action': ['bash', 'scripts/prepare-native.sh'],
          'message': 'Preparing native build (vendored libbpf, BPF skeletons)',
        },
      ],
    },
    {
      'target_name': 'pakostii',
      'dependencies': ['prepare_native'],
      'includes': ['native/sources.gypi'],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        'vendor/libbpf/include',
        'vendor/elfutils/include',
        'build/gen',
        'bpf',
      ],
      'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags!': ['-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
      'cflags_cc': ['-std=gnu++17', '-fexceptions', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers'],
      # Static, PIC builds of libbpf/libelf (scripts/vendor-libbpf.sh) and zlib;
      # --exclude-libs keeps their symbols out of the addon's dynamic symbol table.
      'libraries': [
        '<(module_root_dir)/vendor/libbpf/lib/libbpf.a',
        '<(module_root_dir)/vendor/elfutils/lib/libelf_pic.a',
        '/usr/lib/<(multiarch)/libz.a',
      ],
      'ldflags': ['-Wl,--exclude-libs,ALL'],
    },
  ],
}
