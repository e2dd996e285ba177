// SPDX-License-Identifier: GPL-2.0
/* mptcp.c - see mptcp.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "log.h"
#include "mptcp.h"
#include "ports.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#define TCP_LISTEN 10 /* include/net/tcp_states.h */

/* A dump request of one family's MPTCP listeners. The protocol (262) does
 * not fit sdiag_protocol: it goes in INET_DIAG_REQ_PROTOCOL, as ss -M
 * sends it. */
struct diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
	struct nlattr proto_attr;
	__u32 proto;
};

static int dump_family(int fd, int family, const struct so_ports *protected,
		       struct so_ports *out)
{
	struct diag_req req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.r = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = 1u << TCP_LISTEN },
		.proto_attr = { .nla_len = NLA_HDRLEN + sizeof(__u32),
				.nla_type = INET_DIAG_REQ_PROTOCOL },
		.proto = IPPROTO_MPTCP,
	};
	static __u8 buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int n = 0;

	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		for (; NLMSG_OK(h, (__u32)len); h = NLMSG_NEXT(h, len)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			unsigned int port;

			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : n;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			port = ntohs(m->id.idiag_sport);
			if (ports_has(protected, port) && !ports_has(out, port)) {
				out->bits[port >> 6] |= 1ull << (port & 63);
				n++;
			}
		}
	}
}

int mptcp_listen_ports(const struct so_ports *protected, struct so_ports *out)
{
	int fd, n4, n6;

	memset(out, 0, sizeof(*out));
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		pr_err("cannot open a sock_diag socket to look for MPTCP listeners: %s",
		       strerror(errno));
		return -1;
	}
	n4 = dump_family(fd, AF_INET, protected, out);
	n6 = n4 < 0 ? n4 : dump_family(fd, AF_INET6, protected, out);
	close(fd);
	/* no MPTCP, or no mptcp_diag: no MPTCP listener either */
	if (n4 == -ENOENT || n4 == -EOPNOTSUPP || n4 == -EINVAL || n4 == -EPROTONOSUPPORT) {
		pr_debug("no MPTCP listeners to look for: %s", strerror(-n4));
		return 0;
	}
	if (n4 < 0 || n6 < 0) {
		pr_err("cannot list the MPTCP listeners (sock_diag): %s",
		       strerror(-(n4 < 0 ? n4 : n6)));
		return -1;
	}
	return n4 + n6;
}
