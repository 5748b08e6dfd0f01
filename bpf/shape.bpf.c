// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The run's traffic-class classifier (cls_bpf, direct action), attached under
 * the root HTB qdisc of every host-side veth that leads to a shaped node. Frames
 * leave a host-side veth toward its node, so the egress qdisc there sees every
 * packet *to* that node; the classifier looks the IPv4 source and destination up
 * and sends the pair's packets into the HTB class the class map names
 * (layout: pakostii_shape.h). Unshaped pairs, non-IPv4 frames and unknown
 * addresses get TC_ACT_UNSPEC: HTB then finds no class and sends them through
 * its direct queue, unlimited. Faults are data: userspace only writes the map.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pakostii_shape.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the addon before load, from maxNodes. */
const volatile __u32 max_nodes = 1;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32);   /* IPv4, network byte order */
  __type(value, __u32); /* node index */
  __uint(max_entries, 1); /* set before load */
} pk_shape_nodes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, __u64); /* minor of the pair's class, 0 = not shaped (u64: array slots are 8 bytes anyway) */
  __uint(max_entries, 1); /* max_nodes * max_nodes, set before load */
} pk_shape_class SEC(".maps");

static __always_inline __u32 node_of(__u32 addr)
{
  __u32 *index = bpf_map_lookup_elem(&pk_shape_nodes, &addr);
  return index && *index < max_nodes ? *index : max_nodes;
}

SEC("tc")
int pakostii_shape(struct __sk_buff *skb)
{
  __u32 addrs[2]; /* saddr, daddr: adjacent in the IPv4 header */

  if (skb->protocol != bpf_htons(ETH_P_IP))
    return TC_ACT_UNSPEC;
  if (bpf_skb_load_bytes(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, saddr), addrs, sizeof(addrs)) < 0)
    return TC_ACT_UNSPEC;
  __u32 src = node_of(addrs[0]);
  __u32 dst = node_of(addrs[1]);
  if (src >= max_nodes || dst >= max_nodes)
    return TC_ACT_UNSPEC;
  __u32 cell = src * max_nodes + dst;
  __u64 *minor = bpf_map_lookup_elem(&pk_shape_class, &cell);
  if (!minor || *minor == 0 || *minor > PK_SHAPE_MAX_MINOR)
    return TC_ACT_UNSPEC;
  /* cls_bpf ORs this minor into the filter's classid, whose major is PK_SHAPE_MAJOR. */
  skb->tc_classid = (__u32)*minor;
  return TC_ACT_OK;
}
