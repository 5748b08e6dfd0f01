/*
 * Layout shared by the XDP fault program (bpf/fault.bpf.c), the addon
 * (native/xdp.cc) and the TypeScript PolicyMatrix (lib/native/policy-matrix.ts).
 * Change a number here and the other two must follow: the TS side mirrors the
 * policy layout word for word so that commit() is a plain copy.
 *
 * Node indexes: 0 is the runner's namespace, 1..N-1 the nodes (N = maxNodes).
 * An address the program does not know maps to PK_OUTSIDE(N) = N: such packets
 * are never judged by the policy (they pass) and are counted under index N.
 *
 * Policy map (BPF_F_MMAPABLE ARRAY of u64, 2 buffers of PK_BUFFER_WORDS(N)
 * words each; buffer b starts at element b * PK_BUFFER_WORDS(N)):
 *   word 0                 header: low u32 = flags (PK_FLAG_HAS_LOSS), high u32 unused
 *   words 1 .. N*S         drop bitmap, row = src, bit = dst (S = PK_ROW_WORDS(N))
 *   next ceil(N*N/2) words loss thresholds, one u32 per cell (src*N + dst),
 *                          two cells per word, little endian (cell even = low half)
 * A threshold t drops a packet when bpf_get_prandom_u32() < t; 0 = no loss and
 * PK_LOSS_ALL (0xffffffff) = drop all (a u32 cannot hold 2^32).
 *
 * Control map (BPF_F_MMAPABLE ARRAY, one u64 element), a seqlock over the two
 * buffers (see fault.bpf.c for the reader and fault-engine.ts for the writer):
 *   low u32  = active buffer (0/1)
 *   high u32 = sequence, odd while the writer is filling the inactive buffer
 */
#ifndef PAKOSTII_SHARED_H
#define PAKOSTII_SHARED_H

#include <linux/types.h>

#define PK_PROG_NAME "pakostii_xdp"

#define PK_FLAG_HAS_LOSS 1u
#define PK_LOSS_ALL 0xffffffffu

/* Largest run the engine accepts; keeps every index computation in u32 and the policy map < 64 MiB. */
#define PK_MAX_NODES 4096u

#define PK_ROW_WORDS(n) (((n) + 63u) / 64u)
#define PK_BITMAP_WORDS(n) ((n) * PK_ROW_WORDS(n))
#define PK_LOSS_WORDS(n) (((n) * (n) + 1u) / 2u)
#define PK_HEADER_WORDS 1u
#define PK_BUFFER_WORDS(n) (PK_HEADER_WORDS + PK_BITMAP_WORDS(n) + PK_LOSS_WORDS(n))
#define PK_OUTSIDE(n) (n)

/* Entries of the address maps, sized from maxNodes before load. */
#define PK_NODE_ADDRESS_SLOTS(n) ((n) * 4u + 16u)

/* Offsets of the control word, in u32 units (for the JS Int32Array view). */
#define PK_CTL_ACTIVE 0
#define PK_CTL_SEQ 1

/* How often the program re-reads the policy when a commit overlapped it. */
#define PK_SEQ_RETRIES 4

/* Per node index (the packet's destination), per CPU. */
struct pk_counter {
  __u64 passed;
  __u64 dropped;
};

#endif /* PAKOSTII_SHARED_H */
