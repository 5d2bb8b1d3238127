// SPDX-License-Identifier: Apache-2.0
/* rtnetlink requests: route lookup, neighbour lookup and the neighbour
 * resolution trigger; plus the interface MAC. Each request is one
 * synchronous round trip on a private socket. */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_BUF 8192

struct nl_req {
	struct nlmsghdr hdr;
	union {
		struct rtmsg rt;
		struct ndmsg nd;
	};
	char attrs[64];
};

typedef int (*nl_reply_fn)(const struct nlmsghdr *msg, void *ctx);

static int family_af(__u8 family)
{
	return family == QK_INET4 ? AF_INET : AF_INET6;
}

static int addr_len(__u8 family)
{
	return family == QK_INET4 ? 4 : 16;
}

static void add_attr(struct nl_req *req, __u16 type, const void *data, __u16 len)
{
	struct rtattr *rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->hdr.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (__u16)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->hdr.nlmsg_len = NLMSG_ALIGN(req->hdr.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

int qk_nl__open(struct qk_nl *nl)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};

	nl->seq = 1;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return -errno;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	return 0;
}

void qk_nl__close(struct qk_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Sends req and feeds replies with our sequence number to fn until an ack,
 * an error or a reply that fn accepted (fn returns 1). */
static int nl_transact(struct qk_nl *nl, struct nl_req *req, nl_reply_fn fn, void *ctx)
{
	char buf[NL_BUF] __attribute__((aligned(4)));
	__u32 seq = ++nl->seq;
	ssize_t n;

	req->hdr.nlmsg_seq = seq;
	if (send(nl->fd, req, req->hdr.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (__u32)n);
			h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue; /* a late answer to an earlier, abandoned request */
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE)
				return -ENOENT;
			if (fn && fn(h, ctx))
				return 0;
		}
	}
}

static int route_reply(const struct nlmsghdr *h, void *ctx)
{
	struct qk_route *r = ctx;
	const struct rtmsg *rtm = NLMSG_DATA(h);
	int len = (int)RTM_PAYLOAD(h), alen = addr_len(r->family);

	if (h->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if (rtm->rtm_type == RTN_LOCAL)
		r->oif = -EADDRNOTAVAIL;
	else if (rtm->rtm_type != RTN_UNICAST)
		r->oif = -ENETUNREACH; /* unreachable, blackhole or prohibit route */
	for (const struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_OIF && r->oif == 0)
			memcpy(&r->oif, RTA_DATA(a), sizeof(int));
		else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == (unsigned)alen)
			r->has_gateway = 1, memcpy(r->gateway, RTA_DATA(a), alen);
		else if (a->rta_type == RTA_PREFSRC && RTA_PAYLOAD(a) == (unsigned)alen)
			r->has_prefsrc = 1, memcpy(r->prefsrc, RTA_DATA(a), alen);
	}
	return 1;
}

int qk_route__lookup(struct qk_nl *nl, __u8 family, const __u8 *dst, struct qk_route *out)
{
	struct nl_req req = {0};
	int err;

	req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.hdr.nlmsg_type = RTM_GETROUTE;
	req.hdr.nlmsg_flags = NLM_F_REQUEST;
	req.rt.rtm_family = (__u8)family_af(family);
	req.rt.rtm_dst_len = (__u8)(addr_len(family) * 8);
	add_attr(&req, RTA_DST, dst, (__u16)addr_len(family));
	memset(out, 0, sizeof(*out));
	out->family = family;
	err = nl_transact(nl, &req, route_reply, out);
	if (err)
		return err;
	if (out->oif < 0)
		return out->oif;
	return out->oif ? 0 : -ENETUNREACH;
}

struct neigh_ctx {
	__u8 *mac;
	int state;
	int has_mac;
};

static int neigh_reply(const struct nlmsghdr *h, void *ctx)
{
	struct neigh_ctx *nc = ctx;
	const struct ndmsg *ndm = NLMSG_DATA(h);
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm)));

	if (h->nlmsg_type != RTM_NEWNEIGH)
		return 0;
	nc->state = ndm->ndm_state;
	for (const struct rtattr *a =
			(const struct rtattr *)((const char *)ndm + NLMSG_ALIGN(sizeof(*ndm)));
		RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == QK_ETH_ALEN)
			nc->has_mac = 1, memcpy(nc->mac, RTA_DATA(a), QK_ETH_ALEN);
	return 1;
}

int qk_neigh__lookup(
	struct qk_nl *nl, __u8 family, int ifindex, const __u8 *addr, __u8 mac[QK_ETH_ALEN])
{
	struct neigh_ctx nc = {.mac = mac};
	struct nl_req req = {0};
	int err;

	req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	req.hdr.nlmsg_type = RTM_GETNEIGH;
	req.hdr.nlmsg_flags = NLM_F_REQUEST;
	req.nd.ndm_family = (__u8)family_af(family);
	req.nd.ndm_ifindex = ifindex;
	add_attr(&req, NDA_DST, addr, (__u16)addr_len(family));
	err = nl_transact(nl, &req, neigh_reply, &nc);
	if (err)
		return err;
	if (nc.state & (NUD_INCOMPLETE | NUD_NONE) || !nc.state)
		return -EAGAIN;
	if (nc.state & NUD_FAILED)
		return -EHOSTUNREACH;
	return nc.has_mac ? 0 : -EAGAIN;
}

int qk_neigh__trigger(struct qk_nl *nl, __u8 family, int ifindex, const __u8 *addr)
{
	struct nl_req req = {0};

	req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	req.hdr.nlmsg_type = RTM_NEWNEIGH;
	req.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	req.nd.ndm_family = (__u8)family_af(family);
	req.nd.ndm_ifindex = ifindex;
	req.nd.ndm_state = NUD_NONE;
	req.nd.ndm_flags = NTF_USE; /* "use it": the kernel starts resolution */
	add_attr(&req, NDA_DST, addr, (__u16)addr_len(family));
	return nl_transact(nl, &req, NULL, NULL);
}

int qk_link__mac(int ifindex, __u8 mac[QK_ETH_ALEN])
{
	struct ifreq ifr = {0};
	int fd, err = 0;

	if (!if_indextoname((unsigned)ifindex, ifr.ifr_name))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, QK_ETH_ALEN);
	close(fd);
	return err;
}
