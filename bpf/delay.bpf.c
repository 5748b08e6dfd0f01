// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The delay line's entry (layout: pakostii_delay.h). Attached in generic mode to
 * the bridge-side veth of every node that is the source of a delay fault: frames
 * leaving that node enter the veth here, before the bridge. A frame whose
 * (source, destination) cell is set goes to the AF_XDP socket of this veth,
 * where the addon's delay line holds it until its due time and then transmits
 * it on the destination's bridge-side veth. Every other frame (other pairs, ARP,
 * non-IPv4, unknown addresses) passes to the bridge untouched: the fast path.
 * If the socket is missing, bpf_redirect_map falls back to XDP_PASS, so a frame
 * is never lost to a half-built delay line. A redirected frame carries its
 * arrival time as metadata (pk_delay_meta).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pakostii_delay.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the addon before load, from maxNodes. */
const volatile __u32 max_nodes = 1;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32);     /* IPv4, network byte order */
  __type(value, __u32);   /* node index */
  __uint(max_entries, 1); /* set before load */
} pk_delay_nodes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, __u64);   /* profile id of the pair, 0 = not delayed */
  __uint(max_entries, 1); /* max_nodes * max_nodes, set before load */
} pk_delay_pairs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32);     /* ifindex of a bridge-side veth */
  __type(value, __u32);   /* its slot in pk_delay_xsks */
  __uint(max_entries, 1); /* max_nodes, set before load */
} pk_delay_links SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 1); /* max_nodes, set before load */
} pk_delay_xsks SEC(".maps");

static __always_inline __u32 node_of(__u32 addr)
{
  __u32 *index = bpf_map_lookup_elem(&pk_delay_nodes, &addr);
  return index && *index < max_nodes ? *index : max_nodes;
}

SEC("xdp")
int pakostii_delay(struct xdp_md *ctx)
{
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;

  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
    return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->version != 4)
    return XDP_PASS;
  __u32 src = node_of(ip->saddr);
  __u32 dst = node_of(ip->daddr);
  if (src >= max_nodes || dst >= max_nodes)
    return XDP_PASS;
  __u32 cell = src * max_nodes + dst;
  __u64 *profile = bpf_map_lookup_elem(&pk_delay_pairs, &cell);
  if (!profile || *profile == 0)
    return XDP_PASS;
  __u32 ifindex = ctx->ingress_ifindex;
  __u32 *slot = bpf_map_lookup_elem(&pk_delay_links, &ifindex);
  if (!slot)
    return XDP_PASS;
  /* Stamped when there is room for the metadata; an unstamped frame is timed from when the line
   * reads it. */
  if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct pk_delay_meta)) == 0) {
    struct pk_delay_meta *meta = (void *)(long)ctx->data_meta;
    if ((void *)(meta + 1) <= (void *)(long)ctx->data) {
      meta->pad = 0;
      meta->magic = PK_DELAY_META_MAGIC;
      meta->arrival_ns = bpf_ktime_get_ns();
    }
  }
  return bpf_redirect_map(&pk_delay_xsks, *slot, XDP_PASS);
}
