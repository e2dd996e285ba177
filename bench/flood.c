// SPDX-License-Identifier: GPL-2.0
/*
 * flood.c - the benchmark's traffic generator.
 *
 *   flood -i IFACE -m DMAC -d ADDR -p PORT [--ack|--md5] [-t SECS] [-r PPS] [-b N]
 *
 * Sends SYNs (or, with --ack, third ACKs with forged cookies; with --md5,
 * SYNs with a fake TCP-MD5 signature) from random
 * sources in 198.18.128.0/17 to ADDR:PORT, with sendmmsg() on an AF_PACKET
 * socket that bypasses the qdisc, in batches of N (default 64) prebuilt
 * frames; each frame gets a new source, ISN and checksums before each send
 * (frame.h). At full rate by default; -r paces whole batches to a fixed
 * offered rate. On veth a full receiver slows the sender rather than
 * dropping, so "sent" is what the receiver let through.
 *
 * The forged ACKs carry a TSecr that passes a timestamp-cookie age check:
 * the current CLOCK_TAI in ms (the clock shakeoff's cookies use; an attacker
 * learns it from one SYN-ACK) with random option bits. So every forged ACK
 * costs the receiver a full MAC, the worst case.
 *
 * Prints one JSON object on stdout. Exit status: 0, 1 (error), 2 (usage).
 */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_packet.h>

#include "frame.h"

#define BATCH_MAX 64
#define SLACK_NS 5000000ull /* a paced sender that fell this far behind forgets the debt */

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = sig;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ull, .tv_nsec = t % 1000000000ull };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !exiting)
		;
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "Usage: flood -i IFACE -m DMAC -d ADDR -p PORT [--ack|--md5] [-t SECS] [-r PPS] [-b N]\n"
		   "  -i, --iface IFACE   send on IFACE (AF_PACKET, qdisc bypassed)\n"
		   "  -m, --dmac MAC      destination MAC (the server's interface)\n"
		   "  -d, --dst ADDR      destination IPv4 address\n"
		   "  -p, --port PORT     destination TCP port\n"
		   "  -a, --ack           ACKs with forged cookies instead of SYNs\n"
		   "  -5, --md5           SYNs with a fake TCP-MD5 option (RFC 2385)\n"
		   "  -t, --secs SECS     how long (default 3)\n"
		   "  -r, --rate PPS      offered rate, paced (default 0: as fast as possible)\n"
		   "  -b, --batch N       frames per sendmmsg(), 1..64 (default 64)\n");
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' }, { "dmac", required_argument, NULL, 'm' },
		{ "dst", required_argument, NULL, 'd' },   { "port", required_argument, NULL, 'p' },
		{ "ack", no_argument, NULL, 'a' },         { "secs", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },  { "batch", required_argument, NULL, 'b' },
		{ "md5", no_argument, NULL, '5' },         { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct frame frames[BATCH_MAX];
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	const char *ifname = NULL, *dst = NULL, *dmac_s = NULL;
	unsigned long port = 0, batch = BATCH_MAX;
	double secs = 3, rate = 0;
	bool ack = false, md5 = false;
	uint8_t smac[ETH_ALEN], dmac[ETH_ALEN];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = {};
	struct in_addr daddr;
	uint64_t rng, t0, t_end, t_pace, now, attempted = 0, sent = 0, failed = 0, calls = 0;
	uint64_t paced = 0;
	int fd, one = 1, c, last_errno = 0;

	while ((c = getopt_long(argc, argv, "i:m:d:p:a5t:r:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'm': dmac_s = optarg; break;
		case 'd': dst = optarg; break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 'a': ack = true; break;
		case '5': md5 = true; break;
		case 't': secs = atof(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 'h': return usage(stdout, 0);
		default: return usage(stderr, 2);
		}
	}
	if (!ifname || !dst || !dmac_s || port == 0 || port > 65535 || secs <= 0 || rate < 0 ||
	    batch < 1 || batch > BATCH_MAX || optind != argc)
		return usage(stderr, 2);
	if (inet_pton(AF_INET, dst, &daddr) != 1 ||
	    sscanf(dmac_s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
		   &dmac[3], &dmac[4], &dmac[5]) != 6) {
		fprintf(stderr, "flood: bad address or MAC\n");
		return 2;
	}

	/* Protocol 0: a send-only socket, no copy of every frame on the wire
	 * comes back to it. The kernel takes the protocol from the frame. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "flood: AF_PACKET socket: %s\n", strerror(errno));
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex || ioctl(fd, SIOCGIFHWADDR, &ifr) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		fprintf(stderr, "flood: cannot send on %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);

	if (getrandom(&rng, sizeof(rng), 0) != sizeof(rng))
		rng = now_ns(CLOCK_REALTIME);
	memset(msgs, 0, sizeof(msgs));
	for (unsigned long i = 0; i < batch; i++) {
		frame_init(&frames[i], ack, smac, dmac, daddr.s_addr, htons((uint16_t)port));
		if (md5 && !ack)
			frame_sign_md5(&frames[i]);
		iov[i].iov_base = frames[i].b;
		iov[i].iov_len = frames[i].len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_ns(CLOCK_MONOTONIC);
	t_end = t0 + (uint64_t)(secs * 1e9);
	t_pace = t0;
	while (!exiting) {
		uint32_t tsecr = 0;
		int n;

		now = now_ns(CLOCK_MONOTONIC);
		if (now >= t_end)
			break;
		if (rate > 0) {
			uint64_t due = t_pace + (uint64_t)(paced * 1e9 / rate);

			if (due > now) {
				if (due >= t_end)
					break;
				sleep_until(due);
			} else if (now - due > SLACK_NS) {
				t_pace += now - due; /* held up by the receiver: no burst after */
			}
			paced += batch;
		}
		if (ack)
			tsecr = (uint32_t)(now_ns(CLOCK_TAI) / 1000000) & ~0x3ffu;
		for (unsigned long i = 0; i < batch; i++)
			frame_vary(&frames[i], &rng,
				   ack ? tsecr | (uint32_t)(rnd_next(&rng) & 0x3ff) : 0);
		n = sendmmsg(fd, msgs, batch, 0);
		calls++;
		attempted += batch;
		if (n < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "flood: send on %s: %s\n", ifname, strerror(errno));
				return 1;
			}
			last_errno = errno;
			failed += batch;
			continue;
		}
		sent += n;
		failed += batch - n;
	}
	now = now_ns(CLOCK_MONOTONIC);
	printf("{\"kind\":\"%s\",\"secs\":%.6f,\"rate\":%.0f,\"batch\":%lu,\"calls\":%llu,"
	       "\"attempted\":%llu,\"sent\":%llu,\"failed\":%llu,\"pps\":%.0f,\"last_error\":\"%s\"}\n",
	       ack ? "ack" : md5 ? "md5" : "syn", (now - t0) / 1e9, rate, batch, (unsigned long long)calls,
	       (unsigned long long)attempted, (unsigned long long)sent,
	       (unsigned long long)failed, sent / ((now - t0) / 1e9),
	       last_errno ? strerror(last_errno) : "");
	close(fd);
	if (exiting) {
		/* Die of the signal after all, so that a shell running us knows
		 * that Ctrl-C was meant for it too. */
		signal(exiting, SIG_DFL);
		raise(exiting);
	}
	return 0;
}
