// SPDX-License-Identifier: Apache-2.0
// Shared by the socket load generator and the echo server: the probe header every
// generated payload starts with, and small helpers for time and address parsing.
#ifndef QKB_WIRE_H
#define QKB_WIRE_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QKB_MAGIC 0x514b4231u /* "QKB1": marks our probes so stray datagrams are not counted */

/* Embedded at the start of every payload; echoed back untouched by the server. */
struct qkb_probe {
	uint32_t magic;
	uint32_t thread;
	uint64_t seq;
	uint64_t tx_ns; /* CLOCK_MONOTONIC at send: round-trip time = receive time - tx_ns */
};

static inline uint64_t qkb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Parses "a.b.c.d:port"; returns 0 or -1 with a message on stderr. */
static inline int qkb_parse_addr(const char *text, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	size_t len;

	if (!colon || colon == text || (len = (size_t)(colon - text)) >= sizeof(host)) {
		fprintf(stderr, "bad address '%s': expected a.b.c.d:port\n", text);
		return -1;
	}
	memcpy(host, text, len);
	host[len] = '\0';
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &out->sin_addr) != 1 || out->sin_port == 0) {
		fprintf(stderr, "bad address '%s': expected a.b.c.d:port\n", text);
		return -1;
	}
	return 0;
}

#endif
