// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The one XDP program of a run. Attached to eth0 of every node namespace and of
 * the runner's namespace; every packet is judged once, at its destination's
 * ingress, against drop[src][dst] and loss[src][dst] (layout: pakostii_shared.h).
 * Faults are data: userspace never reloads this program, it only writes maps.
 *
 * What is judged: IPv4 (addresses from the IP header) against drop and loss;
 * ARP for IPv4 over Ethernet (sender/target protocol address) against *full*
 * cuts only, so an isolated node cannot even resolve its neighbours. Everything
 * else passes untouched: other ethertypes (IPv6, LLDP, VLAN-tagged frames) and
 * malformed frames (shorter than the headers we need). Passing malformed frames
 * is deliberate: the kernel stack discards them anyway, and guessing addresses
 * from a truncated header could drop a frame on the wrong policy.
 *
 * Why ARP is dropped only when the pair is cut both ways (and never by loss):
 * resolution is a round trip, so judging it per direction would turn a one-way
 * cut A -> B into a two-way one as soon as B's neighbour entry for A expires.
 * Consequence of judging it at all (documented in the README): a resolution a
 * node started during a cut can run out of probes just after heal() and fail
 * the first connection to that peer with EHOSTUNREACH, as on a real partitioned
 * L2 network; the next attempt resolves again.
 * Addresses of no node ("outside") are never judged.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pakostii_shared.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the addon before load (bpf_object rodata), from maxNodes. */
const volatile __u32 max_nodes = 1;
const volatile __u32 row_words = 1;
const volatile __u32 buffer_words = PK_BUFFER_WORDS(1);

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32);   /* IPv4, network byte order */
  __type(value, __u32); /* node index */
  __uint(max_entries, 1);
} pk_node_index SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1); /* 2 * buffer_words, set before load */
} pk_policy SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, __u64); /* low u32 active buffer, high u32 sequence */
  __uint(max_entries, 1);
} pk_ctl SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32); /* destination node index, max_nodes = outside */
  __type(value, struct pk_counter);
  __uint(max_entries, 2); /* max_nodes + 1, set before load */
} pk_counters SEC(".maps");

/* From linux/if_arp.h, whose includes drag in libc headers the BPF target lacks. */
#define ARPHRD_ETHER 1

struct arp_ipv4 {
  __be16 htype;
  __be16 ptype;
  __u8 hlen;
  __u8 plen;
  __be16 op;
  __u8 sha[ETH_ALEN];
  __be32 spa;
  __u8 tha[ETH_ALEN];
  __be32 tpa;
} __attribute__((packed));

/*
 * FRAME_OTHER: not ours to judge (a runt, IPv4 with a bad header, ARP for
 * another protocol): the stack discards these anyway, so they pass.
 * FRAME_FOREIGN: another network protocol (IPv6, …). The run's network is
 * IPv4 only and the matrix knows nodes by IPv4 address, so such a frame could
 * not be judged and would walk through every partition (IPv6 link-local
 * addresses exist on every eth0): it is always dropped.
 */
enum frame_kind { FRAME_OTHER = 0, FRAME_IPV4 = 1, FRAME_ARP = 2, FRAME_FOREIGN = 3 };

#define READ_ONCE_U64(p) (*(volatile __u64 *)(p))
#define READ_ONCE_U32(p) (*(volatile __u32 *)(p))
/* Keeps the compiler from moving policy loads across the sequence reads (x86 keeps load order
 * itself). */
#define compiler_barrier() asm volatile("" ::: "memory")

/* Source and destination IPv4 of the frame and its kind (see enum frame_kind). */
static __always_inline int parse_addresses(struct xdp_md *ctx, __u32 *src, __u32 *dst)
{
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;

  if ((void *)(eth + 1) > end)
    return 0;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
      return 0;
    *src = ip->saddr;
    *dst = ip->daddr;
    return FRAME_IPV4;
  }
  if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
    struct arp_ipv4 *arp = (void *)(eth + 1);
    if ((void *)(arp + 1) > end)
      return 0;
    if (arp->htype != bpf_htons(ARPHRD_ETHER) || arp->ptype != bpf_htons(ETH_P_IP) ||
        arp->hlen != ETH_ALEN || arp->plen != 4)
      return 0;
    *src = arp->spa;
    *dst = arp->tpa;
    return FRAME_ARP;
  }
  return FRAME_FOREIGN;
}

static __always_inline __u32 node_of(__u32 addr)
{
  __u32 *index = bpf_map_lookup_elem(&pk_node_index, &addr);
  if (!index || *index >= max_nodes)
    return PK_OUTSIDE(max_nodes);
  return *index;
}

static __always_inline __u64 *policy_word(__u32 index)
{
  return bpf_map_lookup_elem(&pk_policy, &index);
}

/* The drop-matrix bit src -> dst of the buffer starting at `base`. */
static __always_inline int cut_in_buffer(__u32 base, __u32 src, __u32 dst)
{
  __u64 *word = policy_word(base + PK_HEADER_WORDS + src * row_words + dst / 64);
  return word && (*word >> (dst % 64)) & 1;
}

/* Verdict of buffer `buffer` for src -> dst (both < max_nodes): 1 = drop. ARP: full cuts only. */
static __always_inline int judge_in_buffer(__u32 buffer, __u32 src, __u32 dst, int kind)
{
  __u32 base = buffer * buffer_words;
  if (kind == FRAME_ARP)
    return cut_in_buffer(base, src, dst) && cut_in_buffer(base, dst, src);
  if (cut_in_buffer(base, src, dst))
    return 1;

  __u64 *header = policy_word(base);
  if (!header || !((__u32)*header & PK_FLAG_HAS_LOSS))
    return 0;
  __u32 cell = src * max_nodes + dst;
  __u32 *pair = (__u32 *)policy_word(base + PK_HEADER_WORDS + max_nodes * row_words + cell / 2);
  if (!pair)
    return 0;
  __u32 threshold = pair[cell & 1];
  return threshold != 0 && (threshold == PK_LOSS_ALL || bpf_get_prandom_u32() < threshold);
}

/*
 * Seqlock reader. The writer (FaultEngine.commit) bumps the sequence to odd,
 * fills the inactive buffer, flips the active index, bumps the sequence to even.
 * The buffer we read can only be rewritten by the commit after the next one, which
 * starts at sequence >= start + 2; so a verdict taken while the sequence moved by at
 * most 1 came from a buffer nobody was writing. Otherwise judge again (bounded).
 */
static __always_inline int judge(__u32 src, __u32 dst, int kind)
{
  __u32 zero = 0;
  __u64 *ctl = bpf_map_lookup_elem(&pk_ctl, &zero);
  int drop = 0;

  if (!ctl)
    return 0;
  for (int attempt = 0; attempt < PK_SEQ_RETRIES; attempt++) {
    __u64 start = READ_ONCE_U64(ctl);
    compiler_barrier();
    drop = judge_in_buffer((__u32)start & 1, src, dst, kind);
    compiler_barrier();
    __u32 seq_now = READ_ONCE_U32((__u32 *)ctl + PK_CTL_SEQ);
    if (seq_now - (__u32)(start >> 32) <= 1)
      break;
  }
  return drop;
}

static __always_inline void count(__u32 dst, int dropped)
{
  struct pk_counter *counter = bpf_map_lookup_elem(&pk_counters, &dst);
  if (!counter)
    return;
  if (dropped)
    counter->dropped++;
  else
    counter->passed++;
}

SEC("xdp")
int pakostii_xdp(struct xdp_md *ctx)
{
  __u32 src_addr, dst_addr;
  int kind = parse_addresses(ctx, &src_addr, &dst_addr);

  if (kind == FRAME_OTHER)
    return XDP_PASS;
  if (kind == FRAME_FOREIGN)
    return XDP_DROP;

  __u32 src = node_of(src_addr);
  __u32 dst = node_of(dst_addr);
  int drop = 0;

  if (src < max_nodes && dst < max_nodes)
    drop = judge(src, dst, kind);
  count(dst, drop);
  return drop ? XDP_DROP : XDP_PASS;
}
