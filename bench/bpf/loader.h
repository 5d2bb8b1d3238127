// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the benchmark BPF loaders: open and load an object that sits
// beside the executable, look up maps, read MACs and parse addresses.
#ifndef QKB_LOADER_H
#define QKB_LOADER_H

#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <stdint.h>

/* Loads bench/bin/<name>.bpf.o (found next to /proc/self/exe); returns 0 or -errno. */
int loader__open(const char *name, struct bpf_object **obj);
int loader__map_fd(struct bpf_object *obj, const char *map);
int loader__prog_fd(struct bpf_object *obj, const char *prog);
/* Interface index and MAC of a local interface; -errno when it does not exist. */
int loader__if(const char *ifname, uint8_t mac[6]);
int loader__parse_mac(const char *text, uint8_t mac[6]);
int loader__parse_ipport(const char *text, struct in_addr *ip, uint16_t *port_be);
/* XDP attach flags for "native" or "generic"; -EINVAL for anything else. */
int loader__xdp_mode(const char *mode);
uint64_t loader__percpu_sum_u64(int map_fd, unsigned words, unsigned word);
/* SIGTERM/SIGINT end a loader's blocking read of stdin as EOF does (no SA_RESTART), so it
 * detaches its programs on the way out instead of leaving them attached. */
void loader__stop_on_signals(void);

#endif
