// SPDX-License-Identifier: Apache-2.0
// Echo server for the benchmark: T threads, each with its own SO_REUSEPORT socket,
// recvmmsg a batch and sendmmsg it straight back to each sender. Runs until SIGINT/
// SIGTERM or --duration seconds (bounded so a lost harness never leaves it running),
// then prints {"received":N,"echoed":M} on stdout.
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

#define BATCH	 64
#define MAX_WIRE 2048

static volatile sig_atomic_t stop;
static struct sockaddr_in bind_addr;
static double max_secs = 300;

struct echo_worker {
	pthread_t tid;
	int fd;
	uint64_t received, echoed;
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_socket(void)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000}; /* wake up to check `stop` */
	int one = 1, bufsz = 4 << 20, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (bind(fd, (struct sockaddr *)&bind_addr, sizeof(bind_addr))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void *echo_main(void *arg)
{
	static __thread uint8_t bufs[BATCH][MAX_WIRE];
	static __thread struct sockaddr_in peers[BATCH];
	struct echo_worker *w = arg;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t deadline = qkb_now_ns() + (uint64_t)(max_secs * 1e9);

	while (!stop && qkb_now_ns() < deadline) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = MAX_WIRE};
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i],
				.msg_namelen = sizeof(peers[i]),
				.msg_iov = &iov[i],
				.msg_iovlen = 1};
		}
		int n = recvmmsg(w->fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		w->received += (uint64_t)n;
		for (int i = 0; i < n; i++)
			iov[i].iov_len = msgs[i].msg_len;
		int sent = sendmmsg(w->fd, msgs, (unsigned)n, 0);
		if (sent > 0)
			w->echoed += (uint64_t)sent;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{"bind", 1, 0, 'b'},
		{"threads", 1, 0, 't'},
		{"duration", 1, 0, 'D'},
		{0, 0, 0, 0},
	};
	unsigned threads = 1;
	uint64_t received = 0, echoed = 0;
	int c, have_bind = 0;

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (c == 'b' && !qkb_parse_addr(optarg, &bind_addr))
			have_bind = 1;
		else if (c == 't')
			threads = (unsigned)atoi(optarg);
		else if (c == 'D')
			max_secs = atof(optarg);
		else
			have_bind = -1;
	}
	if (have_bind != 1 || threads < 1 || threads > 64 || max_secs <= 0) {
		fprintf(stderr, "usage: udpecho --bind IP:PORT [--threads T] [--duration MAX_S]\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct echo_worker *ws = calloc(threads, sizeof(*ws));
	if (!ws)
		return 1;
	for (unsigned t = 0; t < threads; t++) {
		ws[t].fd = open_socket();
		if (ws[t].fd < 0) {
			fprintf(stderr, "udpecho: bind %s:%u: %s\n", inet_ntoa(bind_addr.sin_addr),
				ntohs(bind_addr.sin_port), strerror(-ws[t].fd));
			return 1;
		}
	}
	for (unsigned t = 0; t < threads; t++)
		pthread_create(&ws[t].tid, NULL, echo_main, &ws[t]);
	fprintf(stderr, "udpecho: ready\n");
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(ws[t].tid, NULL);
		received += ws[t].received;
		echoed += ws[t].echoed;
	}
	printf("{\"received\":%lu,\"echoed\":%lu}\n", received, echoed);
	return 0;
}
