/*
 * Layout shared by the delay line's XDP program (bpf/delay.bpf.c), the addon's
 * delay line (native/delay_line.cc) and the TypeScript side
 * (lib/native/delay-line.ts).
 *
 * Node indexes are the fault engine's (0 = the runner, 1..N-1 the nodes).
 *
 * Pair map (BPF_F_MMAPABLE ARRAY of u64, N*N elements), one cell per ordered
 * pair src*N + dst: 0 = not delayed (the frame stays on the fast path), else the
 * id of the delay profile (delay, jitter, duplication, reordering) the delay
 * line applies to the pair's frames. JS writes cells directly: applying or
 * healing a delay is a store into shared memory, no syscall. The program only
 * asks "is the cell non-zero"; the delay line reads the profile id itself.
 *
 * Link map (HASH ifindex -> slot) names the AF_XDP socket of each host-side
 * veth that carries delayed frames; the slot is the node index of the veth's
 * node, which is also its key in the XSKMAP.
 */
#ifndef PAKOSTII_DELAY_H
#define PAKOSTII_DELAY_H

#include <linux/types.h>

#define PK_DELAY_PROG_NAME "pakostii_delay"

/*
 * What the program puts in front of each frame it redirects (XDP metadata,
 * which the kernel copies into the AF_XDP buffer right before the frame): the
 * time the frame entered the veth (CLOCK_MONOTONIC), so the line counts a
 * frame's delay from its arrival rather than from when its thread got to it.
 * The magic tells a stamped frame from stale bytes (the line clears it).
 */
#define PK_DELAY_META_MAGIC 0x706b646cu
struct pk_delay_meta {
  __u32 pad;
  __u32 magic;
  __u64 arrival_ns;
};

/* Largest profile id (one per delay fault); 0 means "not delayed". */
#define PK_DELAY_MAX_PROFILE 0xffffu

#endif /* PAKOSTII_DELAY_H */
