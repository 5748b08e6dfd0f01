/*
 * Baseline "one raw map update from C": the floor of any map-based toggle.
 * Creates a 1-element BPF ARRAY map through the bpf() syscall (no libbpf, so
 * nothing but the syscall is timed) and times BPF_MAP_UPDATE_ELEM in a loop.
 * Prints JSON: per-op nanoseconds of each batch, the caller takes the median.
 *
 * usage: map_update <batches> <updates-per-batch>
 */
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

static long sys_bpf(int cmd, union bpf_attr *attr)
{
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv)
{
  int batches = argc > 1 ? atoi(argv[1]) : 5;
  long per_batch = argc > 2 ? atol(argv[2]) : 100000;
  union bpf_attr attr;

  memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = sizeof(uint32_t);
  attr.value_size = sizeof(uint64_t);
  attr.max_entries = 1;
  int map_fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
  if (map_fd < 0) {
    perror("map_update: BPF_MAP_CREATE");
    return 1;
  }

  printf("{\"ns_per_op\":[");
  for (int b = 0; b < batches; b++) {
    uint32_t key = 0;
    uint64_t value = 0;
    uint64_t start = now_ns();
    for (long i = 0; i < per_batch; i++) {
      value = (uint64_t)i;
      memset(&attr, 0, sizeof(attr));
      attr.map_fd = (uint32_t)map_fd;
      attr.key = (uint64_t)(uintptr_t)&key;
      attr.value = (uint64_t)(uintptr_t)&value;
      attr.flags = BPF_ANY;
      if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) != 0) {
        perror("map_update: BPF_MAP_UPDATE_ELEM");
        return 1;
      }
    }
    uint64_t elapsed = now_ns() - start;
    printf("%s%.1f", b ? "," : "", (double)elapsed / (double)per_batch);
  }
  printf("]}\n");
  close(map_fd);
  return 0;
}
