// SPDX-License-Identifier: Apache-2.0
// Socket load generator: N sessions (one bound UDP socket per client source address),
// T threads, flat-out or fixed rate, a bounded duration, round-trip times taken from
// the timestamp embedded in each payload. Prints one JSON object on stdout.
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hist.h"
#include "wire.h"

#define MAX_IPS	     8
#define PORTS_PER_IP 50000u /* session k uses port 10000 + k % 50000 on source IP k / 50000 */
#define FIRST_PORT   10000u
#define BURST	     32
#define MAX_WIRE     2048

struct opts {
	struct sockaddr_in dst;
	struct in_addr src[MAX_IPS];
	unsigned nsrc, sessions, threads, payload, drain_ms;
	unsigned
		window; /* flat out only: at most this many probes in flight per thread (0 = open loop) */
	double rate, duration;
	int embark; /* append a 3-byte token and a 1-byte version (the Embark chain's format) */
	char token[3];
	uint8_t version;
};

struct worker {
	pthread_t tid;
	const struct opts *o;
	unsigned id, nfds;
	int *fds, epfd;
	uint64_t sent, received, send_errors;
	uint64_t written_off,
		last_rx_ns; /* closed loop: probes presumed lost, time of last reply */
	struct hist *hist;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: udpgen --dst IP:PORT --src IP[,IP..] [--sessions N] [--threads T]\n"
		"  [--rate PPS (0 = flat out)] [--duration S] [--payload BYTES]\n"
		"  [--format none|embark] [--token XYZ] [--version-byte N] [--drain-ms MS]\n"
		"  [--window N (flat out: closed loop, N probes in flight per thread)]\n");
	exit(2);
}

static void parse_src(struct opts *o, char *list)
{
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		if (o->nsrc == MAX_IPS || inet_pton(AF_INET, tok, &o->src[o->nsrc]) != 1) {
			fprintf(stderr, "bad --src entry '%s' (at most %d IPv4 addresses)\n", tok,
				MAX_IPS);
			exit(2);
		}
		o->nsrc++;
	}
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{"dst", 1, 0, 'd'},
		{"src", 1, 0, 's'},
		{"sessions", 1, 0, 'n'},
		{"threads", 1, 0, 't'},
		{"rate", 1, 0, 'r'},
		{"duration", 1, 0, 'D'},
		{"payload", 1, 0, 'p'},
		{"format", 1, 0, 'f'},
		{"token", 1, 0, 'k'},
		{"version-byte", 1, 0, 'v'},
		{"drain-ms", 1, 0, 'w'},
		{"window", 1, 0, 'W'},
		{0, 0, 0, 0},
	};
	int c, have_dst = 0;

	*o = (struct opts){.sessions = 1,
		.threads = 1,
		.payload = 64,
		.drain_ms = 200,
		.duration = 1.0,
		.token = {'a', 'b', 'c'},
		.version = 1};
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (qkb_parse_addr(optarg, &o->dst))
				exit(2);
			have_dst = 1;
			break;
		case 's':
			parse_src(o, optarg);
			break;
		case 'n':
			o->sessions = (unsigned)atoi(optarg);
			break;
		case 't':
			o->threads = (unsigned)atoi(optarg);
			break;
		case 'r':
			o->rate = atof(optarg);
			break;
		case 'D':
			o->duration = atof(optarg);
			break;
		case 'p':
			o->payload = (unsigned)atoi(optarg);
			break;
		case 'f':
			o->embark = !strcmp(optarg, "embark");
			if (!o->embark && strcmp(optarg, "none"))
				usage();
			break;
		case 'k':
			if (strlen(optarg) != 3)
				usage();
			memcpy(o->token, optarg, 3);
			break;
		case 'v':
			o->version = (uint8_t)atoi(optarg);
			break;
		case 'w':
			o->drain_ms = (unsigned)atoi(optarg);
			break;
		case 'W':
			o->window = (unsigned)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!have_dst || !o->nsrc || !o->sessions || !o->threads || o->duration <= 0 ||
		o->duration > 600 || o->payload < sizeof(struct qkb_probe) ||
		o->payload + 4 > MAX_WIRE)
		usage();
	if ((o->sessions + PORTS_PER_IP - 1) / PORTS_PER_IP > o->nsrc) {
		fprintf(stderr, "%u sessions need %u source IPs, got %u\n", o->sessions,
			(o->sessions + PORTS_PER_IP - 1) / PORTS_PER_IP, o->nsrc);
		exit(2);
	}
}

/* One connected, non-blocking socket per session, bound to that session's address. */
static int open_session(const struct opts *o, unsigned k)
{
	struct sockaddr_in src = {.sin_family = AF_INET,
		.sin_addr = o->src[k / PORTS_PER_IP],
		.sin_port = htons((uint16_t)(FIRST_PORT + k % PORTS_PER_IP))};
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
		connect(fd, (struct sockaddr *)&o->dst, sizeof(o->dst))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static size_t fill_probe(struct worker *w, uint8_t *buf)
{
	struct qkb_probe p = {
		.magic = QKB_MAGIC, .thread = w->id, .seq = w->sent, .tx_ns = qkb_now_ns()};
	size_t len = w->o->payload;

	memcpy(buf, &p, sizeof(p));
	if (w->o->embark) {
		memcpy(buf + len, w->o->token, 3);
		buf[len + 3] = w->o->version;
		len += 4;
	}
	return len;
}

/* Sends up to n probes on one socket; EAGAIN/ENOBUFS (full queues) are not errors. */
static void send_burst(struct worker *w, int fd, unsigned n)
{
	static __thread uint8_t bufs[BURST][MAX_WIRE];
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	int r;

	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = fill_probe(w, bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		w->sent++;
	}
	r = sendmmsg(fd, msgs, n, 0);
	if (r < 0)
		r = 0;
	if ((unsigned)r < n) {
		w->sent -= n - (unsigned)r;
		if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED)
			w->send_errors++;
	}
}

static void drain_socket(struct worker *w, int fd)
{
	static __thread uint8_t bufs[BURST][MAX_WIRE];
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	int r;

	do {
		for (unsigned i = 0; i < BURST; i++) {
			iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = MAX_WIRE};
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = recvmmsg(fd, msgs, BURST, MSG_DONTWAIT, NULL);
		uint64_t now = qkb_now_ns();
		for (int i = 0; i < r; i++) {
			struct qkb_probe p;

			if (msgs[i].msg_len < sizeof(p))
				continue;
			memcpy(&p, bufs[i], sizeof(p));
			if (p.magic != QKB_MAGIC || p.tx_ns > now)
				continue;
			w->received++;
			w->last_rx_ns = now;
			hist__add(w->hist, now - p.tx_ns);
		}
	} while (r == BURST);
}

static void poll_replies(struct worker *w, uint64_t timeout_ns)
{
	struct epoll_event ev[64];
	struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000ull),
		.tv_nsec = (long)(timeout_ns % 1000000000ull)};
	int n = epoll_pwait2(w->epfd, ev, 64, &ts, NULL);

	for (int i = 0; i < n; i++)
		drain_socket(w, ev[i].data.fd);
}

/* Closed loop: send only while fewer than --window probes are unanswered. When no
 * reply came for 50 ms the outstanding ones are written off as lost. */
static int window_open(struct worker *w, uint64_t now)
{
	uint64_t inflight = w->sent - w->received - w->written_off;

	if (inflight < w->o->window)
		return 1;
	if (now - w->last_rx_ns > 50000000ull) {
		w->written_off += inflight;
		w->last_rx_ns = now;
		return 1;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	uint64_t start = qkb_now_ns(), end = start + (uint64_t)(o->duration * 1e9);
	uint64_t interval = o->rate > 0 ? (uint64_t)(1e9 * o->threads / o->rate) : 0, next = start;
	unsigned cur = 0, burst = w->nfds >= 64 ? 1 : BURST;

	if (o->window && burst > o->window)
		burst = o->window;
	w->last_rx_ns = start;

	for (uint64_t now = start; now < end; now = qkb_now_ns()) {
		if (!interval) {
			if (o->window && !window_open(w, now)) {
				poll_replies(w, 1000000);
				continue;
			}
			send_burst(w, w->fds[cur], burst);
			cur = (cur + 1) % w->nfds;
			poll_replies(w, 0);
			continue;
		}
		if (now >= next) {
			uint64_t due = (now - next) / interval + 1;

			due = due > BURST ? BURST : due;
			for (uint64_t i = 0; i < due; i++, cur = (cur + 1) % w->nfds)
				send_burst(w, w->fds[cur], 1);
			next += due * interval;
			if (next + 64 * interval < now)
				next = now; /* fell far behind: do not burst to catch up */
		}
		poll_replies(w, next > now ? next - now : 0);
	}
	for (uint64_t now = qkb_now_ns(), stop = now + o->drain_ms * 1000000ull; now < stop;
		now = qkb_now_ns())
		poll_replies(w, stop - now);
	return NULL;
}

static int setup_workers(const struct opts *o, struct worker *ws, int *fds)
{
	for (unsigned t = 0; t < o->threads; t++) {
		struct worker *w = &ws[t];

		*w = (struct worker){.o = o,
			.id = t,
			.epfd = epoll_create1(EPOLL_CLOEXEC),
			.hist = calloc(1, sizeof(struct hist)),
			.fds = calloc(o->sessions / o->threads + 1, sizeof(int))};
		if (w->epfd < 0 || !w->hist || !w->fds)
			return -ENOMEM;
		for (unsigned k = t % o->sessions; k < o->sessions; k += o->threads) {
			struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[k]};

			w->fds[w->nfds++] = fds[k];
			if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fds[k], &ev))
				return -errno;
		}
	}
	return 0;
}

static void report(const struct opts *o, struct worker *ws, double secs)
{
	struct hist *all = calloc(1, sizeof(*all));
	uint64_t sent = 0, received = 0, errors = 0;

	if (!all)
		exit(1);
	for (unsigned t = 0; t < o->threads; t++) {
		sent += ws[t].sent;
		received += ws[t].received;
		errors += ws[t].send_errors;
		hist__merge(all, ws[t].hist);
	}
	printf("{\"sent\":%lu,\"received\":%lu,\"send_errors\":%lu,\"duration_s\":%.4f,"
	       "\"tx_pps\":%.1f,\"rx_pps\":%.1f,\"rtt_us\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,"
	       "\"samples\":%lu}}\n",
		sent, received, errors, secs, sent / secs, received / secs,
		hist__quantile_us(all, 0.5), hist__quantile_us(all, 0.99),
		hist__quantile_us(all, 0.999), all->total);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct worker *ws;
	int *fds;
	uint64_t t0;

	parse_opts(&o, argc, argv);
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < o.sessions + 64u) {
		rl.rlim_cur = rl.rlim_max; /* raising the hard limit needs CAP_SYS_RESOURCE */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc(o.sessions, sizeof(int));
	ws = calloc(o.threads, sizeof(*ws));
	if (!fds || !ws)
		return 1;
	for (unsigned k = 0; k < o.sessions; k++) {
		fds[k] = open_session(&o, k);
		if (fds[k] < 0) {
			fprintf(stderr, "session %u: socket/bind/connect: %s\n", k,
				strerror(-fds[k]));
			return 1;
		}
	}
	if (setup_workers(&o, ws, fds)) {
		fprintf(stderr, "worker setup failed: %s\n", strerror(errno));
		return 1;
	}
	t0 = qkb_now_ns();
	for (unsigned t = 0; t < o.threads; t++)
		pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]);
	for (unsigned t = 0; t < o.threads; t++)
		pthread_join(ws[t].tid, NULL);
	report(&o, ws, (double)(qkb_now_ns() - t0 - o.drain_ms * 1000000ull) / 1e9);
	return 0;
}
