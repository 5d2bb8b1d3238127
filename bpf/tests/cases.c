// SPDX-License-Identifier: Apache-2.0
/* The BPF_PROG_RUN cases for bpf/xdp_redirect.bpf.c, one row each: name, note, frame, outcome. */
#include "cases.h"

#include <netinet/in.h>
#include <string.h>

#define LISTEN	      7777
#define QCMP	      7600
#define SESSION_FIRST 61000
#define SESSION_LAST  65535

#define V4 .l3 = L3_IPV4, .payload_len = 16
#define V6 .l3 = L3_IPV6, .payload_len = 16

#define V6_EXT(t) .has_v6_ext = true, .v6_ext = (t)

#define PASS(r)		   .outcome = OUT_PASS, .reason = QK_PASS_##r, .match = NO_MATCH
#define PASS_MATCHED(r, m) .outcome = OUT_PASS, .reason = QK_PASS_##r, .match = QK_MATCH_##m
#define DROP(r, m)	   .outcome = OUT_DROP, .reason = QK_DROP_##r, .match = QK_MATCH_##m
#define REDIRECT(m)	   .outcome = OUT_REDIRECT, .match = QK_MATCH_##m

/* The tables keep one case per line: the tests count and read them. */
/* clang-format off */
const struct xdp_case xdp_cases[] = {
	/* Ports */
	{ "v4-listen", "UDP to the listening port", CFG_DEFAULT, { V4, .dst_port = LISTEN }, 0, REDIRECT(LISTEN) },
	{ "v4-qcmp", "UDP to the QCMP port", CFG_DEFAULT, { V4, .dst_port = QCMP }, 0, REDIRECT(QCMP) },
	{ "v4-session-first", "first port of the session range (inclusive)", CFG_DEFAULT, { V4, .dst_port = SESSION_FIRST }, 0, REDIRECT(SESSION) },
	{ "v4-session-last", "last port of the session range (inclusive)", CFG_DEFAULT, { V4, .dst_port = SESSION_LAST }, 0, REDIRECT(SESSION) },
	{ "v4-below-sessions", "one below the session range is not ours", CFG_DEFAULT, { V4, .dst_port = SESSION_FIRST - 1 }, 0, PASS(OTHER_PORT) },
	{ "v4-dns", "UDP to another port (DNS) goes to the kernel", CFG_DEFAULT, { V4, .dst_port = 53 }, 0, PASS(OTHER_PORT) },
	{ "v4-empty-payload", "a UDP header with no payload is still a packet", CFG_DEFAULT, { .l3 = L3_IPV4, .dst_port = LISTEN }, 0, REDIRECT(LISTEN) },
	{ "v4-dont-fragment", "DF alone is not a fragment", CFG_DEFAULT, { V4, .dst_port = LISTEN, .v4_frag = 0x4000 }, 0, REDIRECT(LISTEN) },
	/* IPv4 options: IHL is honoured */
	{ "v4-options", "IHL 8: 12 bytes of options before UDP", CFG_DEFAULT, { V4, .dst_port = LISTEN, .v4_opt_words = 3 }, 0, REDIRECT(LISTEN) },
	{ "v4-options-max", "IHL 15: the longest IPv4 header", CFG_DEFAULT, { V4, .dst_port = QCMP, .v4_opt_words = 10 }, 0, REDIRECT(QCMP) },
	{ "v4-options-other-port", "options, then a port that is not ours", CFG_DEFAULT, { V4, .dst_port = 5000, .v4_opt_words = 2 }, 0, PASS(OTHER_PORT) },
	/* VLAN */
	/* VLAN: tagged frames go to the kernel untouched (its VLAN devices and the proxy's sockets
	 * serve them); a redirect would have them answered untagged or forwarded with a stale tag. */
	{ "vlan-8021q", "one 802.1Q tag", CFG_DEFAULT, { V4, .l2 = L2_8021Q, .dst_port = LISTEN }, 0, PASS(VLAN) },
	{ "vlan-8021ad", "one 802.1ad tag", CFG_DEFAULT, { V4, .l2 = L2_8021AD, .dst_port = LISTEN }, 0, PASS(VLAN) },
	{ "vlan-8021q-v6", "802.1Q tag, IPv6 inside", CFG_DEFAULT, { V6, .l2 = L2_8021Q, .dst_port = SESSION_FIRST + 5 }, 0, PASS(VLAN) },
	{ "vlan-qinq", "two tags", CFG_DEFAULT, { V4, .l2 = L2_QINQ, .dst_port = LISTEN }, 0, PASS(VLAN) },
	{ "vlan-arp", "ARP inside a VLAN tag", CFG_DEFAULT, { .l2 = L2_8021Q, .l3 = L3_ARP }, 0, PASS(VLAN) },
	/* IPv6 */
	{ "v6-listen", "IPv6 UDP to the listening port", CFG_DEFAULT, { V6, .dst_port = LISTEN }, 0, REDIRECT(LISTEN) },
	{ "v6-qcmp", "IPv6 UDP to the QCMP port", CFG_DEFAULT, { V6, .dst_port = QCMP }, 0, REDIRECT(QCMP) },
	{ "v6-other-port", "IPv6 UDP to another port", CFG_DEFAULT, { V6, .dst_port = 443 }, 0, PASS(OTHER_PORT) },
	{ "v6-dst-opts", "destination options header before UDP: not walked", CFG_DEFAULT, { V6, .dst_port = LISTEN, V6_EXT(IPPROTO_DSTOPTS) }, 0, PASS(IPV6_EXT_HDR) },
	{ "v6-fragment-hdr", "IPv6 fragment header", CFG_DEFAULT, { V6, .dst_port = LISTEN, V6_EXT(IPPROTO_FRAGMENT) }, 0, PASS(IPV6_EXT_HDR) },
	{ "v6-hop-by-hop", "hop-by-hop options (e.g. MLD)", CFG_DEFAULT, { V6, .dst_port = LISTEN, V6_EXT(IPPROTO_HOPOPTS) }, 0, PASS(IPV6_EXT_HDR) },
	{ "v6-icmp", "ICMPv6 echo (also NDP) goes to the kernel", CFG_DEFAULT, { V6, .ip_proto = IPPROTO_ICMPV6 }, 0, PASS(NOT_UDP) },
	{ "v6-tcp", "IPv6 TCP to the listening port number", CFG_DEFAULT, { V6, .ip_proto = IPPROTO_TCP, .dst_port = LISTEN }, 0, PASS(NOT_UDP) },
	/* Fragments and other protocols */
	{ "v4-first-fragment", "MF set: the rest of the datagram is elsewhere", CFG_DEFAULT, { V4, .dst_port = LISTEN, .v4_frag = 0x2000 }, 0, PASS(IPV4_FRAGMENT) },
	{ "v4-later-fragment", "non-zero offset: bytes at the UDP position are payload", CFG_DEFAULT, { V4, .dst_port = LISTEN, .v4_frag = 185 }, 0, PASS(IPV4_FRAGMENT) },
	{ "v4-tcp-listen-port", "TCP to the listening port number (QCMP's TCP twin lives here too)", CFG_DEFAULT, { V4, .ip_proto = IPPROTO_TCP, .dst_port = LISTEN }, 0, PASS(NOT_UDP) },
	{ "v4-ssh", "TCP SYN to port 22", CFG_DEFAULT, { V4, .ip_proto = IPPROTO_TCP, .dst_port = 22 }, 0, PASS(NOT_UDP) },
	{ "v4-icmp", "ICMP echo request", CFG_DEFAULT, { V4, .ip_proto = IPPROTO_ICMP }, 0, PASS(NOT_UDP) },
	{ "arp", "ARP request", CFG_DEFAULT, { .l3 = L3_ARP }, 0, PASS(NOT_IP) },
	/* Malformed headers: the kernel decides, we report a parse error */
	{ "v4-bad-version", "ethertype IPv4, version field 5", CFG_DEFAULT, { V4, .dst_port = LISTEN, .ip_version = 5 }, 0, PASS(MALFORMED), .event_offset = 14 },
	{ "v4-ihl-too-small", "IHL 4 is shorter than the fixed header", CFG_DEFAULT, { V4, .dst_port = LISTEN, .v4_ihl = 4 }, 0, PASS(MALFORMED), .event_offset = 14 },
	{ "v6-bad-version", "ethertype IPv6, version field 4", CFG_DEFAULT, { V6, .dst_port = LISTEN, .ip_version = 4 }, 0, PASS(MALFORMED), .event_offset = 14 },
	/* Bad UDP length: only our own traffic is dropped */
	{ "v4-udp-len-short", "UDP length 7 < header", CFG_DEFAULT, { V4, .dst_port = LISTEN, .udp_len_delta = -17 }, 0, DROP(MALFORMED, LISTEN), .event_offset = 34 },
	{ "v4-udp-len-long", "UDP length past the IP payload", CFG_DEFAULT, { V4, .dst_port = QCMP, .udp_len_delta = 1 }, 0, DROP(MALFORMED, QCMP), .event_offset = 34 },
	{ "v6-udp-len-long", "IPv6: UDP length past the payload length", CFG_DEFAULT, { V6, .dst_port = SESSION_FIRST, .udp_len_delta = 9 }, 0, DROP(MALFORMED, SESSION), .event_offset = 54 },
	{ "v4-udp-len-short-other", "a bad UDP length to another port is the kernel's business", CFG_DEFAULT, { V4, .dst_port = 53, .udp_len_delta = -17 }, 0, PASS(OTHER_PORT) },
	{ "v4-udp-len-trailer", "UDP shorter than the IP payload is legal (trailing bytes)", CFG_DEFAULT, { V4, .dst_port = LISTEN, .udp_len_delta = -4 }, 0, REDIRECT(LISTEN) },
	/* Local addresses */
	{ "v4-local-addr", "destination is a local address", CFG_LOCAL_ADDRS, { V4, .dst_port = LISTEN }, 0, REDIRECT(LISTEN) },
	{ "v4-wrong-addr", "proxy port, but another host's address", CFG_LOCAL_ADDRS, { V4, .dst_port = LISTEN, .dst_ip = "10.99.0.7" }, 0, PASS_MATCHED(NOT_LOCAL_ADDR, LISTEN) },
	{ "v6-local-addr", "IPv6 destination is a local address", CFG_LOCAL_ADDRS, { V6, .dst_port = QCMP }, 0, REDIRECT(QCMP) },
	{ "v6-wrong-addr", "IPv6 address differing from a local one in its last byte", CFG_LOCAL_ADDRS, { V6, .dst_port = QCMP, .dst_ip = "fd00:99::7" }, 0, PASS_MATCHED(NOT_LOCAL_ADDR, QCMP) },
	{ "v4-mapped-not-v4", "v4 bytes in a v6 key must not match the v4 entry", CFG_LOCAL_ADDRS, { V6, .dst_port = LISTEN, .dst_ip = "::ffff:10.99.0.1" }, 0, PASS_MATCHED(NOT_LOCAL_ADDR, LISTEN) },
	{ "no-addr-filter", "without the flag any destination address matches", CFG_DEFAULT, { V4, .dst_port = LISTEN, .dst_ip = "10.99.0.7" }, 0, REDIRECT(LISTEN) },
	/* Config changes without reload */
	{ "disabled", "flags without QK_CFG_F_ENABLED: everything passes", CFG_DISABLED, { V4, .dst_port = LISTEN }, 0, PASS(DISABLED) },
	{ "moved-new-port", "listen port changed to 9000 in the map", CFG_MOVED, { V4, .dst_port = 9000 }, 0, REDIRECT(LISTEN) },
	{ "moved-old-port", "the old listen port is no longer ours", CFG_MOVED, { V4, .dst_port = LISTEN }, 0, PASS(OTHER_PORT) },
	{ "moved-no-qcmp", "qcmp port 0 means no QCMP port", CFG_MOVED, { V4, .dst_port = QCMP }, 0, PASS(OTHER_PORT) },
	{ "moved-port-zero", "port 0 never matches a disabled (0) port", CFG_MOVED, { V4, .dst_port = 0 }, 0, PASS(OTHER_PORT) },
	{ "moved-no-sessions", "session range start 0 means no range", CFG_MOVED, { V4, .dst_port = SESSION_FIRST }, 0, PASS(OTHER_PORT) },
	/* Truncated at named header boundaries (truncation_sweeps cover every other length) */
	{ "cut-eth-only", "ethertype IPv4, no IP header", CFG_DEFAULT, { V4, .dst_port = LISTEN }, 14, PASS(TRUNCATED), .event_offset = 14 },
	{ "cut-vlan-tag", "802.1Q ethertype, tag cut after 2 bytes: passed as tagged, never read", CFG_DEFAULT, { V4, .l2 = L2_8021Q, .dst_port = LISTEN }, 16, PASS(VLAN) },
	{ "cut-v4-header", "IPv4 fixed header one byte short", CFG_DEFAULT, { V4, .dst_port = LISTEN }, 14 + 19, PASS(TRUNCATED), .event_offset = 14 },
	{ "cut-v4-options", "IHL 8, frame ends inside the options", CFG_DEFAULT, { V4, .dst_port = LISTEN, .v4_opt_words = 3 }, 14 + 24, PASS(TRUNCATED), .event_offset = 14 },
	{ "cut-udp-header", "UDP header cut after the ports: IPv4 total length catches it", CFG_DEFAULT, { V4, .dst_port = LISTEN }, 14 + 20 + 4, PASS(TRUNCATED), .event_offset = 14 },
	{ "cut-payload", "complete headers, payload shorter than IP total length", CFG_DEFAULT, { V4, .dst_port = LISTEN }, 14 + 20 + 8 + 3, PASS(TRUNCATED), .event_offset = 14 },
	{ "cut-v6-header", "IPv6 header one byte short", CFG_DEFAULT, { V6, .dst_port = LISTEN }, 14 + 39, PASS(TRUNCATED), .event_offset = 14 },
	{ "cut-v6-udp", "IPv6, UDP header cut: payload length catches it", CFG_DEFAULT, { V6, .dst_port = LISTEN }, 14 + 40 + 6, PASS(TRUNCATED), .event_offset = 14 },
	{ "cut-tcp", "truncated TCP is still reported as truncated", CFG_DEFAULT, { V4, .ip_proto = IPPROTO_TCP, .dst_port = 22 }, 14 + 20 + 10, PASS(TRUNCATED), .event_offset = 14 },
};

const size_t xdp_cases_count = sizeof(xdp_cases) / sizeof(xdp_cases[0]);

const struct truncation_sweep truncation_sweeps[] = {
	{ "sweep-v4", { V4, .dst_port = LISTEN } },
	{ "sweep-v4-options", { V4, .dst_port = QCMP, .v4_opt_words = 4 } },
	{ "sweep-v6", { V6, .dst_port = SESSION_LAST } },
	{ "sweep-v6-other-port", { V6, .dst_port = 1234 } },
};
/* clang-format on */

const size_t truncation_sweeps_count = sizeof(truncation_sweeps) / sizeof(truncation_sweeps[0]);

const char *const case_local_addrs[] = {FRAME_DEFAULT_DST_V4, FRAME_DEFAULT_DST_V6};
const size_t case_local_addrs_count = sizeof(case_local_addrs) / sizeof(case_local_addrs[0]);

void case_config__value(enum case_config config, struct qk_xdp_config *out)
{
	memset(out, 0, sizeof(*out));
	out->listen_port = LISTEN;
	out->qcmp_port = QCMP;
	out->session_port_start = SESSION_FIRST;
	out->session_port_end = SESSION_LAST;
	out->flags = QK_CFG_F_ENABLED;
	switch (config) {
	case CFG_DISABLED:
		out->flags = 0;
		break;
	case CFG_LOCAL_ADDRS:
		out->flags |= QK_CFG_F_MATCH_LOCAL_ADDR;
		break;
	case CFG_MOVED:
		out->listen_port = 9000;
		out->qcmp_port = 0;
		out->session_port_start = 0;
		out->session_port_end = 0;
		break;
	default:
		break;
	}
}
