// SPDX-License-Identifier: Apache-2.0
/* Real-socket ends of the forwarder test, bounded in count and time:
 *   udp_peer echo ADDR PORT DURATION_MS        echo every datagram back
 *   udp_peer ping ADDR PORT COUNT TIMEOUT_MS   one message at a time, retried
 *   udp_peer burst ADDR PORT COUNT TIMEOUT_MS  COUNT messages at once
 * ping and burst use a connected socket, so the kernel accepts replies only
 * from ADDR:PORT, and compare each reply with what was sent. They print
 * "sent=N replies=M" and exit 0 only when every message came back. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <signal.h>

#define RETRIES	 10
#define RETRY_MS 200
#define MSG_MAX	 128

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int make_socket(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	int big = 4 << 20, fd;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)port);
		*len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*in6);
	} else {
		fprintf(stderr, "not an address: %s\n", addr);
		return -1;
	}
	fd = socket(ss->ss_family, SOCK_DGRAM, 0);
	if (fd >= 0) { /* bursts must not be lost to a small default buffer */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	}
	return fd;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int echo(int fd, int duration_ms)
{
	long long end = ms_now() + duration_ms;
	char buf[2048];
	long n_echoed = 0;

	signal(SIGTERM, on_signal); /* report the count when the test ends us */
	while (!stop && ms_now() < end) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n >= 0 && sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) == n)
			n_echoed++;
	}
	printf("echoed=%ld\n", n_echoed);
	return 0;
}

/* Waits up to ms for replies; marks each expected one seen. */
static int collect(int fd, int ms, char *seen, int count, int *replies)
{
	long long end = ms_now() + ms;
	char buf[MSG_MAX];

	while (*replies < count && ms_now() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		unsigned idx;
		ssize_t n;

		if (poll(&p, 1, (int)(end - ms_now()) + 1) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return fprintf(stderr, "recv: %s\n", strerror(errno)), -1;
		buf[n] = 0;
		if (sscanf(buf, "qk-%u-", &idx) == 1 && idx < (unsigned)count && !seen[idx])
			seen[idx] = 1, (*replies)++;
	}
	return 0;
}

static int send_msg(int fd, int i)
{
	char msg[MSG_MAX];
	int len = snprintf(msg, sizeof(msg), "qk-%d-payload-%08x", i, (unsigned)(i * 2654435761u));

	return send(fd, msg, (size_t)len, 0) == len ? 0 : -1;
}

static int ping(int fd, int count, int timeout_ms, int burst)
{
	char *seen = calloc((size_t)count, 1);
	long long end = ms_now() + timeout_ms;
	int replies = 0, sent = 0;

	for (int i = 0; burst && i < count; i++)
		sent += send_msg(fd, i) == 0;
	if (burst)
		collect(fd, timeout_ms, seen, count, &replies);
	for (int i = 0; !burst && i < count && ms_now() < end; i++) {
		for (int t = 0; t < RETRIES && !seen[i] && ms_now() < end; t++) {
			sent += send_msg(fd, i) == 0;
			collect(fd, RETRY_MS, seen, i + 1, &replies);
		}
	}
	printf("sent=%d replies=%d\n", sent, replies);
	free(seen);
	return replies == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (argc != 6 && !(argc == 5 && !strcmp(argv[1], "echo"))) {
		fprintf(stderr, "usage: %s echo|ping|burst ADDR PORT [COUNT] MS\n", argv[0]);
		return 2;
	}
	fd = make_socket(argv[2], atoi(argv[3]), &ss, &len);
	if (fd < 0)
		return 2;
	if (!strcmp(argv[1], "echo")) {
		if (bind(fd, (struct sockaddr *)&ss, len) < 0)
			return fprintf(stderr, "bind %s: %s\n", argv[2], strerror(errno)), 2;
		return echo(fd, atoi(argv[4]));
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		return fprintf(stderr, "connect %s: %s\n", argv[2], strerror(errno)), 2;
	return ping(fd, atoi(argv[4]), atoi(argv[5]), !strcmp(argv[1], "burst"));
}
