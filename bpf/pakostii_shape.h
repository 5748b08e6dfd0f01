/*
 * Layout shared by the traffic-class classifier (bpf/shape.bpf.c), the addon
 * (native/shape.cc) and the TypeScript shaper (lib/native/shape-engine.ts).
 *
 * Node indexes are the fault engine's (0 = the runner, 1..N-1 the nodes); an
 * address the classifier does not know is never shaped.
 *
 * Class map (BPF_F_MMAPABLE ARRAY of u64, N*N elements), one cell per ordered
 * pair src*N + dst: 0 = not shaped, else the minor number of the HTB class on
 * dst's host-side veth that the pair's packets go through (major is always
 * PK_SHAPE_MAJOR). JS writes cells directly: applying or healing a bandwidth
 * fault is a few stores into shared memory, no syscall.
 */
#ifndef PAKOSTII_SHAPE_H
#define PAKOSTII_SHAPE_H

#define PK_SHAPE_PROG_NAME "pakostii_shape"

/* Handle of the run's root HTB qdisc on a host-side veth: 1: (classes are 1:minor). */
#define PK_SHAPE_MAJOR 1u
#define PK_SHAPE_HANDLE (PK_SHAPE_MAJOR << 16)

/* Largest minor a class may use (tc minors are 16 bits; 0 means "not shaped"). */
#define PK_SHAPE_MAX_MINOR 0xffffu

#endif /* PAKOSTII_SHAPE_H */
