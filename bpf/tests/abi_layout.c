// SPDX-License-Identifier: Apache-2.0
/*
 * Prints, as JSON, what the C compiler makes of bpf/lib/abi.h and
 * bpf/lib/map_names.h: struct sizes and field offsets, constants, counter
 * indices, names, plus sample encodings. bpf/abi.test.ts compares this with
 * bpf/abi.ts so the TypeScript mirror cannot drift from the headers.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "map_names.h"

#define FIELD(type, name)                                                                          \
	printf("%s\"%s\":{\"offset\":%zu,\"size\":%zu}", first++ ? "," : "", #name,                \
		offsetof(struct type, name), sizeof(((struct type *)0)->name))
#define STRUCT_BEGIN(type)                                                                         \
	do {                                                                                       \
		int first = 0;                                                                     \
		printf("%s\"" #type "\":{\"size\":%zu,\"fields\":{", n_structs++ ? "," : "",       \
			sizeof(struct type));
#define STRUCT_END()                                                                               \
	printf("}}");                                                                              \
	}                                                                                          \
	while (0)
#define NUMBER(name)	    printf("%s\"" #name "\":%lld", n++ ? "," : "", (long long)(name))
#define MAP_NAME(id, ident) printf("%s\"%s\"", n++ ? "," : "", QK_NAME(ident));

static void print_hex(const char *key, const void *data, size_t len, int comma)
{
	const unsigned char *bytes = data;

	printf("%s\"%s\":\"", comma ? "," : "", key);
	for (size_t i = 0; i < len; i++)
		printf("%02x", bytes[i]);
	printf("\"");
}

static void print_structs(void)
{
	int n_structs = 0;

	printf("\"structs\":{");
	STRUCT_BEGIN(qk_xdp_config);
	FIELD(qk_xdp_config, listen_port);
	FIELD(qk_xdp_config, qcmp_port);
	FIELD(qk_xdp_config, session_port_start);
	FIELD(qk_xdp_config, session_port_end);
	FIELD(qk_xdp_config, flags);
	FIELD(qk_xdp_config, max_frame_len);
	FIELD(qk_xdp_config, xsk_ifindex);
	FIELD(qk_xdp_config, local_addrs_gen);
	STRUCT_END();
	STRUCT_BEGIN(qk_local_addr_key);
	FIELD(qk_local_addr_key, family);
	FIELD(qk_local_addr_key, _pad);
	FIELD(qk_local_addr_key, addr);
	STRUCT_END();
	STRUCT_BEGIN(qk_local_addr_value);
	FIELD(qk_local_addr_value, flags);
	STRUCT_END();
	STRUCT_BEGIN(qk_local_hit);
	FIELD(qk_local_hit, gen);
	FIELD(qk_local_hit, key);
	STRUCT_END();
	STRUCT_BEGIN(qk_counter);
	FIELD(qk_counter, packets);
	FIELD(qk_counter, bytes);
	STRUCT_END();
	STRUCT_BEGIN(qk_xdp_event);
	FIELD(qk_xdp_event, timestamp_ns);
	FIELD(qk_xdp_event, kind);
	FIELD(qk_xdp_event, reason);
	FIELD(qk_xdp_event, ifindex);
	FIELD(qk_xdp_event, rx_queue);
	FIELD(qk_xdp_event, frame_len);
	FIELD(qk_xdp_event, offset);
	FIELD(qk_xdp_event, eth_proto);
	STRUCT_END();
	printf("}");
}

static void print_numbers(void)
{
	int n = 0;

	printf(",\"constants\":{");
	NUMBER(QK_CFG_F_ENABLED);
	NUMBER(QK_CFG_F_MATCH_LOCAL_ADDR);
	NUMBER(QK_CONFIG_KEY);
	NUMBER(QK_ADDR_V4);
	NUMBER(QK_ADDR_V6);
	NUMBER(QK_LOCAL_ADDRS_MAX);
	NUMBER(QK_XSKS_MAX);
	NUMBER(QK_EVENTS_BYTES);
	printf("},\"counters\":{");
	n = 0;
	NUMBER(QK_CNT_REDIRECT);
	NUMBER(QK_CNT_PASS);
	NUMBER(QK_CNT_DROP);
	NUMBER(QK_CNT_EVENTS_LOST);
	NUMBER(QK_CNT_TX);
	NUMBER(QK_CNT_FORWARD);
	NUMBER(QK_CNT_MATCH_BASE);
	NUMBER(QK_CNT_PASS_BASE);
	NUMBER(QK_CNT_DROP_BASE);
	NUMBER(QK_CNT_DROP_SLOTS);
	NUMBER(QK_CNT__MAX);
	printf("},\"pass_reasons\":{");
	n = 0;
	NUMBER(QK_PASS_DISABLED);
	NUMBER(QK_PASS_NOT_IP);
	NUMBER(QK_PASS_VLAN);
	NUMBER(QK_PASS_TRUNCATED);
	NUMBER(QK_PASS_MALFORMED);
	NUMBER(QK_PASS_IPV4_FRAGMENT);
	NUMBER(QK_PASS_IPV6_EXT_HDR);
	NUMBER(QK_PASS_NOT_UDP);
	NUMBER(QK_PASS_OTHER_PORT);
	NUMBER(QK_PASS_NOT_LOCAL_ADDR);
	NUMBER(QK_PASS_NO_XSK);
	NUMBER(QK_PASS_OVERSIZE);
	NUMBER(QK_PASS_FORWARD_IFACE);
	NUMBER(QK_PASS__MAX);
	printf("},\"match_kinds\":{");
	n = 0;
	NUMBER(QK_MATCH_LISTEN);
	NUMBER(QK_MATCH_QCMP);
	NUMBER(QK_MATCH_SESSION);
	NUMBER(QK_MATCH__MAX);
	printf("},\"event_kinds\":{");
	n = 0;
	NUMBER(QK_EVENT_DROP);
	NUMBER(QK_EVENT_PARSE_ERROR);
	printf("},\"drop_reasons\":{");
	n = 0;
	NUMBER(QK_DROP_MALFORMED);
	NUMBER(QK_DROP__MAX);
	printf("}");
}

static void print_names(void)
{
	int n = 0;

	printf(",\"maps\":[");
	QK_XDP_MAPS(MAP_NAME)
	printf("],\"programs\":[\"%s\",\"%s\"],\"objects\":[\"%s\",\"%s\"]",
		QK_NAME(QK_PROG_XDP_REDIRECT), QK_NAME(QK_PROG_XDP_PASS), QK_OBJ_XDP_REDIRECT,
		QK_OBJ_XDP_PASS);
}

static void print_fast_structs(void)
{
	int n_structs = 0;

	printf(",\"fast_structs\":{");
	STRUCT_BEGIN(qk_fast_ctl);
	FIELD(qk_fast_ctl, bank);
	FIELD(qk_fast_ctl, flags);
	FIELD(qk_fast_ctl, generation);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_bank);
	FIELD(qk_fast_bank, endpoint_count);
	FIELD(qk_fast_bank, flags);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_step);
	FIELD(qk_fast_step, kind);
	FIELD(qk_fast_step, op);
	FIELD(qk_fast_step, flags);
	FIELD(qk_fast_step, len);
	FIELD(qk_fast_step, key);
	FIELD(qk_fast_step, key2);
	FIELD(qk_fast_step, next);
	FIELD(qk_fast_step, count);
	FIELD(qk_fast_step, arg);
	FIELD(qk_fast_step, slot);
	FIELD(qk_fast_step, _pad);
	FIELD(qk_fast_step, value);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_endpoint);
	FIELD(qk_fast_endpoint, family);
	FIELD(qk_fast_endpoint, _pad);
	FIELD(qk_fast_endpoint, port);
	FIELD(qk_fast_endpoint, addr);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_token_key);
	FIELD(qk_fast_token_key, bank);
	FIELD(qk_fast_token_key, len);
	FIELD(qk_fast_token_key, _pad);
	FIELD(qk_fast_token_key, bytes);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_token_value);
	FIELD(qk_fast_token_value, n);
	FIELD(qk_fast_token_value, _pad);
	FIELD(qk_fast_token_value, idx);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_cidr);
	FIELD(qk_fast_cidr, family);
	FIELD(qk_fast_cidr, prefix);
	FIELD(qk_fast_cidr, ip);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_port_range);
	FIELD(qk_fast_port_range, min);
	FIELD(qk_fast_port_range, _pad);
	FIELD(qk_fast_port_range, end);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_fw_rule);
	FIELD(qk_fast_fw_rule, allow);
	FIELD(qk_fast_fw_rule, n_sources);
	FIELD(qk_fast_fw_rule, n_ports);
	FIELD(qk_fast_fw_rule, _pad);
	FIELD(qk_fast_fw_rule, sources);
	FIELD(qk_fast_fw_rule, ports);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_flow_key);
	FIELD(qk_fast_flow_key, dir);
	FIELD(qk_fast_flow_key, family);
	FIELD(qk_fast_flow_key, port_a);
	FIELD(qk_fast_flow_key, port_b);
	FIELD(qk_fast_flow_key, _pad);
	FIELD(qk_fast_flow_key, addr_a);
	FIELD(qk_fast_flow_key, addr_b);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_flow);
	FIELD(qk_fast_flow, src_addr);
	FIELD(qk_fast_flow, dst_addr);
	FIELD(qk_fast_flow, src_port);
	FIELD(qk_fast_flow, dst_port);
	FIELD(qk_fast_flow, family);
	FIELD(qk_fast_flow, _pad);
	FIELD(qk_fast_flow, eth_src);
	FIELD(qk_fast_flow, eth_dst);
	FIELD(qk_fast_flow, ifindex);
	FIELD(qk_fast_flow, last_seen_ns);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_meta);
	FIELD(qk_fast_meta, tag);
	FIELD(qk_fast_meta, len);
	FIELD(qk_fast_meta, bytes);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_state);
	FIELD(qk_fast_state, dir);
	FIELD(qk_fast_state, family);
	FIELD(qk_fast_state, src_port);
	FIELD(qk_fast_state, src_addr);
	FIELD(qk_fast_state, payload_len);
	FIELD(qk_fast_state, cut_front);
	FIELD(qk_fast_state, cut_back);
	FIELD(qk_fast_state, pre_len);
	FIELD(qk_fast_state, post_len);
	FIELD(qk_fast_state, pc);
	FIELD(qk_fast_state, steps);
	FIELD(qk_fast_state, verdict);
	FIELD(qk_fast_state, reason);
	FIELD(qk_fast_state, endpoint_count);
	FIELD(qk_fast_state, n_dests);
	FIELD(qk_fast_state, all_dests);
	FIELD(qk_fast_state, windows);
	FIELD(qk_fast_state, dests);
	FIELD(qk_fast_state, meta);
	FIELD(qk_fast_state, head);
	FIELD(qk_fast_state, tail);
	FIELD(qk_fast_state, pre);
	FIELD(qk_fast_state, post);
	FIELD(qk_fast_state, bank);
	FIELD(qk_fast_state, _pad2);
	FIELD(qk_fast_state, seq);
	FIELD(qk_fast_state, hdr);
	FIELD(qk_fast_state, flow_key);
	FIELD(qk_fast_state, pending_cells);
	FIELD(qk_fast_state, n_pending);
	FIELD(qk_fast_state, _pad3);
	STRUCT_END();
	STRUCT_BEGIN(qk_fast_seed);
	FIELD(qk_fast_seed, meta);
	STRUCT_END();
	printf("}");
}

static void print_fast_constants(void)
{
	int n = 0;

	printf(",\"fast_constants\":{");
	n = 0;
	NUMBER(QK_FAST_BANKS);
	NUMBER(QK_FAST_DIRS);
	NUMBER(QK_FAST_STEPS);
	NUMBER(QK_FAST_VALUE_MAX);
	NUMBER(QK_FAST_KEYS);
	NUMBER(QK_FAST_DESTS);
	NUMBER(QK_FAST_ENDPOINTS);
	NUMBER(QK_FAST_TOKENS);
	NUMBER(QK_FAST_FW_RULES);
	NUMBER(QK_FAST_FW_CIDRS);
	NUMBER(QK_FAST_FW_PORTS);
	NUMBER(QK_FAST_SESSIONS);
	NUMBER(QK_FAST_WINDOW);
	NUMBER(QK_FAST_CELLS);
	NUMBER(QK_FAST_IFACES);
	NUMBER(QK_FAST_PENDING_CELLS);
	NUMBER(QK_FAST_DIR_READ);
	NUMBER(QK_FAST_DIR_WRITE);
	NUMBER(QK_FAST_F_ENABLED);
	NUMBER(QK_FAST_F_SEED);
	NUMBER(QK_FAST_F_TRACE);
	NUMBER(QK_FAST_BANK_F_PAYLOAD);
	NUMBER(QK_STEP_CAPTURE_PREFIX);
	NUMBER(QK_STEP_CAPTURE_SUFFIX);
	NUMBER(QK_STEP_F_REMOVE);
	printf("}");
}

static void print_fast_enums(void)
{
	int n = 0;

	printf(",\"step_kinds\":{");
	n = 0;
	NUMBER(QK_STEP_END);
	NUMBER(QK_STEP_PASS);
	NUMBER(QK_STEP_DROP);
	NUMBER(QK_STEP_CAPTURE);
	NUMBER(QK_STEP_TOKEN_ROUTER);
	NUMBER(QK_STEP_FIREWALL);
	NUMBER(QK_STEP_MATCH);
	NUMBER(QK_STEP_BRANCH);
	NUMBER(QK_STEP_JUMP);
	NUMBER(QK_STEP_LOAD_BALANCER);
	NUMBER(QK_STEP_CONCATENATE);
	NUMBER(QK_STEP__MAX);
	printf("}");
	printf(",\"lb_policies\":{");
	n = 0;
	NUMBER(QK_LB_ROUND_ROBIN);
	NUMBER(QK_LB_RANDOM);
	NUMBER(QK_LB_HASH);
	printf("}");
	printf(",\"concat_sides\":{");
	n = 0;
	NUMBER(QK_CONCAT_APPEND);
	NUMBER(QK_CONCAT_PREPEND);
	printf("}");
	printf(",\"meta_tags\":{");
	n = 0;
	NUMBER(QK_META_ABSENT);
	NUMBER(QK_META_BOOL);
	NUMBER(QK_META_STRING);
	NUMBER(QK_META_BYTES);
	printf("}");
	printf(",\"handoffs\":{");
	n = 0;
	NUMBER(QK_HANDOFF_NONE);
	NUMBER(QK_HANDOFF_NO_SESSION);
	NUMBER(QK_HANDOFF_FAN_OUT);
	NUMBER(QK_HANDOFF_WINDOW);
	NUMBER(QK_HANDOFF_TOKEN_MANY);
	NUMBER(QK_HANDOFF_NEXT_HOP);
	NUMBER(QK_HANDOFF_CHECKSUM);
	NUMBER(QK_HANDOFF_IP_OPTIONS);
	NUMBER(QK_HANDOFF_CHAIN);
	NUMBER(QK_HANDOFF_LB_IPV6_HASH);
	NUMBER(QK_HANDOFF_TOO_BIG);
	NUMBER(QK_HANDOFF_CONCAT);
	NUMBER(QK_HANDOFF__MAX);
	printf("}");
	printf(",\"verdicts\":{");
	n = 0;
	NUMBER(QK_FAST_RUNNING);
	NUMBER(QK_FAST_FORWARD);
	NUMBER(QK_FAST_DROP);
	NUMBER(QK_FAST_HANDOFF);
	printf("}");
	printf(",\"fast_counters\":{");
	n = 0;
	NUMBER(QK_CNT_FAST_BASE);
	NUMBER(QK_CNT_FAST_TX_READ);
	NUMBER(QK_CNT_FAST_TX_WRITE);
	NUMBER(QK_CNT_FAST_RX_READ);
	NUMBER(QK_CNT_FAST_RX_WRITE);
	NUMBER(QK_CNT_FAST_HANDOFF_BASE);
	NUMBER(QK_CNT_FAST_DROP_BASE);
	NUMBER(QK_CNT_FAST__MAX);
	printf("}");
}

/* Fixed sample values, encoded by the compiler's layout, for the TS codec to match. */
static void print_samples(void)
{
	struct qk_xdp_config config;
	struct qk_local_addr_key v4, v6;

	memset(&config, 0, sizeof(config));
	config.listen_port = 7777;
	config.qcmp_port = 7600;
	config.session_port_start = 61000;
	config.session_port_end = 65535;
	config.flags = QK_CFG_F_ENABLED | QK_CFG_F_MATCH_LOCAL_ADDR;
	config.xsk_ifindex = 3;
	config.local_addrs_gen = 7;
	memset(&v4, 0, sizeof(v4));
	v4.family = QK_ADDR_V4;
	inet_pton(AF_INET, "10.1.2.3", v4.addr);
	memset(&v6, 0, sizeof(v6));
	v6.family = QK_ADDR_V6;
	inet_pton(AF_INET6, "fd00:1::a:0:10.1.2.3", v6.addr);
	printf(",\"samples\":{");
	print_hex("config", &config, sizeof(config), 0);
	print_hex("addr_v4", &v4, sizeof(v4), 1);
	print_hex("addr_v6", &v6, sizeof(v6), 1);
	printf("}");
}

/* One of each fast-path entry, for kernel-wire.ts to encode (or decode) byte for byte alike. */
static void print_fast_step_sample(void)
{
	struct qk_fast_step step;
	struct qk_fast_ctl ctl;
	struct qk_fast_bank bank;

	memset(&step, 0, sizeof(step));
	step.kind = QK_STEP_BRANCH;
	step.op = QK_META_STRING;
	step.flags = QK_STEP_F_REMOVE;
	step.len = 3;
	step.key = 1;
	step.key2 = 2;
	step.next = 17;
	step.count = 4;
	step.arg = 0x01020304;
	step.slot = 9;
	memcpy(step.value, "abc", 3);
	memset(&ctl, 0, sizeof(ctl));
	ctl.bank = 1;
	ctl.flags = QK_FAST_F_ENABLED | QK_FAST_F_TRACE;
	ctl.generation = 0x1122334455ull;
	memset(&bank, 0, sizeof(bank));
	bank.endpoint_count = 3;
	print_hex("step", &step, sizeof(step), 0);
	print_hex("ctl", &ctl, sizeof(ctl), 1);
	print_hex("bank", &bank, sizeof(bank), 1);
}

static void print_fast_table_samples(void)
{
	struct qk_fast_endpoint ep4, ep6;
	struct qk_fast_token_key token_key;
	struct qk_fast_token_value token_value;
	int i;

	memset(&ep4, 0, sizeof(ep4));
	ep4.family = QK_ADDR_V4;
	ep4.port = 7777;
	inet_pton(AF_INET, "10.1.2.3", ep4.addr);
	memset(&ep6, 0, sizeof(ep6));
	ep6.family = QK_ADDR_V6;
	ep6.port = 26000;
	inet_pton(AF_INET6, "fd00::1", ep6.addr);
	memset(&token_key, 0, sizeof(token_key));
	token_key.bank = 1;
	token_key.len = 3;
	memcpy(token_key.bytes, "xyz", 3);
	memset(&token_value, 0, sizeof(token_value));
	token_value.n = 10;
	for (i = 0; i < QK_FAST_DESTS; i++)
		token_value.idx[i] = (__u16)(2 * i + 1);
	print_hex("endpoint_v4", &ep4, sizeof(ep4), 1);
	print_hex("endpoint_v6", &ep6, sizeof(ep6), 1);
	print_hex("token_key", &token_key, sizeof(token_key), 1);
	print_hex("token_value", &token_value, sizeof(token_value), 1);
}

static void print_fast_rule_sample(void)
{
	struct qk_fast_fw_rule rule;

	memset(&rule, 0, sizeof(rule));
	rule.allow = 1;
	rule.n_sources = 2;
	rule.n_ports = 2;
	rule.sources[0].family = 4;
	rule.sources[0].prefix = 8;
	inet_pton(AF_INET, "10.0.0.0", rule.sources[0].ip);
	rule.sources[1].family = 6;
	rule.sources[1].prefix = 16;
	inet_pton(AF_INET6, "fd00::", rule.sources[1].ip);
	rule.ports[0].min = 7000;
	rule.ports[0].end = 7001;
	rule.ports[1].min = 0;
	rule.ports[1].end = 65536;
	print_hex("fw_rule", &rule, sizeof(rule), 1);
}

static void print_fast_flow_samples(void)
{
	struct qk_fast_flow_key flow_key;
	struct qk_fast_flow flow;

	memset(&flow_key, 0, sizeof(flow_key));
	flow_key.dir = QK_FAST_DIR_READ;
	flow_key.family = QK_ADDR_V4;
	flow_key.port_a = 40000;
	flow_key.port_b = 7777;
	inet_pton(AF_INET, "192.0.2.1", flow_key.addr_a);
	inet_pton(AF_INET, "10.1.2.3", flow_key.addr_b);
	memset(&flow, 0, sizeof(flow));
	inet_pton(AF_INET, "10.0.0.9", flow.src_addr);
	inet_pton(AF_INET, "10.1.2.3", flow.dst_addr);
	flow.src_port = 61000;
	flow.dst_port = 7777;
	flow.family = QK_ADDR_V4;
	memcpy(flow.eth_src, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(flow.eth_dst, "\x02\x00\x00\x00\x00\x02", 6);
	flow.ifindex = 3;
	flow.last_seen_ns = 0x0102030405060708ull;
	print_hex("flow_key", &flow_key, sizeof(flow_key), 1);
	print_hex("flow", &flow, sizeof(flow), 1);
}

static void print_fast_state_sample(void)
{
	static struct qk_fast_state state;
	int i;

	memset(&state, 0, sizeof(state));
	state.dir = QK_FAST_DIR_WRITE;
	state.family = QK_ADDR_V6;
	state.src_port = 7777;
	inet_pton(AF_INET6, "fd00::2", state.src_addr);
	state.payload_len = 70;
	state.cut_front = 1;
	state.cut_back = 2;
	state.pre_len = 2;
	memcpy(state.pre, "PR", 2);
	state.post_len = 3;
	memcpy(state.post, "POS", 3);
	state.pc = 5;
	state.steps = 6;
	state.verdict = QK_FAST_HANDOFF;
	state.reason = QK_HANDOFF_TOKEN_MANY;
	state.endpoint_count = 12;
	state.n_dests = 2;
	state.dests[0] = 4;
	state.dests[1] = 11;
	for (i = 0; i < QK_FAST_KEYS; i++)
		state.meta[i].tag = QK_META_ABSENT;
	state.meta[1].tag = QK_META_BYTES;
	state.meta[1].len = 4;
	memcpy(state.meta[1].bytes, "tokn", 4);
	state.meta[2].tag = QK_META_BOOL;
	state.meta[2].len = 1;
	state.meta[2].bytes[0] = 1;
	for (i = 0; i < QK_FAST_WINDOW; i++) {
		state.head[i] = (__u8)i;
		state.tail[i] = (__u8)(6 + i);
	}
	state.bank = 1;
	state.seq = 42;
	print_hex("state", &state, sizeof(state), 1);
}

static void print_fast_samples(void)
{
	printf(",\"fast_samples\":{");
	print_fast_step_sample();
	print_fast_table_samples();
	print_fast_rule_sample();
	print_fast_flow_samples();
	print_fast_state_sample();
	printf("}");
}

int main(void)
{
	printf("{");
	print_structs();
	print_numbers();
	print_names();
	print_fast_structs();
	print_fast_constants();
	print_fast_enums();
	print_samples();
	print_fast_samples();
	printf("}\n");
	return 0;
}
