/*
 * Baseline "load and attach a fresh XDP program per fault" (the Go pakostii
 * design), in-process with libbpf: per sample, apply = open + load (verifier)
 * + attach to <ifname>; heal = detach + close (unload). Run it inside the
 * namespace that holds <ifname> (`ip netns exec`): the interface index is
 * resolved in the calling thread's namespace.
 *
 * Prints JSON {"apply_us":[...],"heal_us":[...]}.
 *
 * usage: xdp_load_attach <bpf-object> <ifname> <samples>
 */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_clock.h"

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
  if (level == LIBBPF_WARN) return vfprintf(stderr, fmt, args);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: xdp_load_attach <bpf-object> <ifname> <samples>\n");
    return 2;
  }
  libbpf_set_print(silent);
  int ifindex = (int)if_nametoindex(argv[2]);
  int samples = atoi(argv[3]);
  if (ifindex == 0) {
    perror("xdp_load_attach: if_nametoindex");
    return 1;
  }
  double *apply = calloc((size_t)samples, sizeof(double));
  double *heal = calloc((size_t)samples, sizeof(double));
  if (!apply || !heal) return 1;

  for (int i = 0; i < samples; i++) {
    uint64_t t0 = now_ns();
    struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
    if (!obj || libbpf_get_error(obj)) {
      fprintf(stderr, "xdp_load_attach: cannot open %s\n", argv[1]);
      return 1;
    }
    if (bpf_object__load(obj) != 0) {
      fprintf(stderr, "xdp_load_attach: load of %s failed\n", argv[1]);
      return 1;
    }
    struct bpf_program *prog = bpf_object__next_program(obj, NULL);
    if (!prog || bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_SKB_MODE, NULL) != 0) {
      fprintf(stderr, "xdp_load_attach: attach to %s failed\n", argv[2]);
      bpf_object__close(obj);
      return 1;
    }
    uint64_t t1 = now_ns();
    bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
    bpf_object__close(obj);
    uint64_t t2 = now_ns();
    apply[i] = (double)(t1 - t0) / 1000.0;
    heal[i] = (double)(t2 - t1) / 1000.0;
  }

  printf("{\"apply_us\":[");
  for (int i = 0; i < samples; i++) printf("%s%.1f", i ? "," : "", apply[i]);
  printf("],\"heal_us\":[");
  for (int i = 0; i < samples; i++) printf("%s%.1f", i ? "," : "", heal[i]);
  printf("]}\n");
  return 0;
}
