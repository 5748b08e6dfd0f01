// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The smallest XDP program: passes everything. Used by the exec-`ip`
 * baselines when the real fault program has not been built; loading a
 * trivial program is a lower bound on the cost of loading a real one, so
 * ratios computed with it are conservative.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
  return XDP_PASS;
}
