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
	STRUCT_END();
	STRUCT_BEGIN(qk_local_addr_key);
	FIELD(qk_local_addr_key, family);
	FIELD(qk_local_addr_key, _pad);
	FIELD(qk_local_addr_key, addr);
	STRUCT_END();
	STRUCT_BEGIN(qk_local_addr_value);
	FIELD(qk_local_addr_value, flags);
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

int main(void)
{
	printf("{");
	print_structs();
	print_numbers();
	print_names();
	print_samples();
	printf("}\n");
	return 0;
}
