// SPDX-License-Identifier: GPL-2.0
/* netdefaults.c - see netdefaults.h. */
#include <string.h>

#include "log.h"
#include "sys.h"
#include "netdefaults.h"

static int read_one(const char *name, long *val)
{
	int n = sysctl_read(name, val, 1);

	if (n < 0) {
		pr_err("cannot read /proc/sys/%s: %s", name, strerror(-n));
		return -1;
	}
	return 0;
}

/* With syncookies off, the kernel resets what the kfunc hands it. */
static int check_syncookies(void)
{
	long v;

	if (read_one("net/ipv4/tcp_syncookies", &v))
		return -1;
	if (v == 0) {
		pr_err("net.ipv4.tcp_syncookies is 0 in this network namespace: the kernel would "
		       "reset every offloaded connection; set it to 1");
		return -1;
	}
	return 0;
}

/* The kfunc refuses options the namespace switched off: never offer them. */
static int read_options(struct so_config *cfg)
{
	static const struct { const char *sysctl; __u32 bit; } opts[] = {
		{ "net/ipv4/tcp_timestamps", SO_OPT_TIMESTAMPS },
		{ "net/ipv4/tcp_sack", SO_OPT_SACK },
		{ "net/ipv4/tcp_window_scaling", SO_OPT_WSCALE },
		/* not 0: the listener answers ECN-setup SYNs (cookie_ecn_ok too) */
		{ "net/ipv4/tcp_ecn", SO_OPT_ECN },
	};
	long v;

	cfg->options = 0;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (read_one(opts[i].sysctl, &v))
			return -1;
		if (v)
			cfg->options |= opts[i].bit;
	}
	return 0;
}

static unsigned long clamp(long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* What an MTU holds besides the MSS: the IP header and the TCP header, both
 * without options (RFC 9293, 3.7.1: the MSS counts neither). */
#define IP4_TCP_HDRS (20 + 20)
#define IP6_TCP_HDRS (40 + 20)

static int plan_mss(const struct netdefaults_req *req, struct so_config *cfg)
{
	unsigned int mtu = 0;
	int err = 0;

	if (!req->mss4.set || !req->mss6.set)
		err = iface_mtu(req->ifname, &mtu);
	if (err) {
		pr_err("cannot read the MTU of %s: %s", req->ifname, strerror(-err));
		return -1;
	}
	cfg->mss4 = req->mss4.set ? req->mss4.val : clamp((long)mtu - IP4_TCP_HDRS, MSS4_MIN, MSS4_MAX);
	cfg->mss6 = req->mss6.set ? req->mss6.val : clamp((long)mtu - IP6_TCP_HDRS, MSS6_MIN, MSS6_MAX);
	return 0;
}

/* As the kernel picks rcv_wscale (tcp_select_initial_window): from the
 * largest receive buffer a socket may get. Should net.core.rmem_max not be
 * readable in this namespace, tcp_rmem alone counts. */
static int default_wscale(unsigned long *wscale)
{
	long rmem[3], rmem_max = 0, space;
	int log2 = 0;

	if (sysctl_read("net/ipv4/tcp_rmem", rmem, 3) != 3) {
		pr_err("cannot read /proc/sys/net/ipv4/tcp_rmem");
		return -1;
	}
	sysctl_read("net/core/rmem_max", &rmem_max, 1);
	space = rmem[2] > rmem_max ? rmem[2] : rmem_max;
	while (space >>= 1)
		log2++;
	*wscale = clamp(log2 - 15, 0, WSCALE_MAX);
	return 0;
}

static int plan_wscale_ttl(const struct netdefaults_req *req, struct so_config *cfg)
{
	unsigned long wscale = req->wscale.val;
	long ttl = req->ttl.val;

	if (!req->wscale.set && default_wscale(&wscale))
		return -1;
	if (!req->ttl.set && read_one("net/ipv4/ip_default_ttl", &ttl))
		return -1;
	cfg->wscale = wscale;
	cfg->ttl = clamp(ttl, 1, 255);
	return 0;
}

int netdefaults_options(struct so_config *cfg)
{
	return check_syncookies() || read_options(cfg) ? -1 : 0;
}

int netdefaults_plan(const struct netdefaults_req *req, struct so_config *cfg)
{
	if (check_syncookies() || read_options(cfg) || plan_mss(req, cfg) ||
	    plan_wscale_ttl(req, cfg))
		return -1;
	return 0;
}

/*
 * Completion mode kernel: bpf_tcp_gen_syncookie makes a listener's cookie
 * only with tcp_syncookies=2 (or a full SYN queue: tcp_get_syncookie_mss).
 * With tcp_timestamps=1 the kernel subtracts a secret per-connection offset
 * (secure_tcp_ts_off) from the TSecr before it decodes a cookie's options
 * from it, which garbles them, and adds it to every later TSval, which
 * clients drop as PAWS failures; 2 is timestamps without the offset (0, no
 * options but MSS, is refused too).
 */
static int check_kernel_sysctls(void)
{
	static const struct { const char *name, *why; } need[] = {
		{ "net/ipv4/tcp_syncookies", "the kernel makes a listener's cookies for XDP only then" },
		{ "net/ipv4/tcp_timestamps", "timestamps without per-connection offsets" },
	};
	long v;

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (read_one(need[i].name, &v))
			return -1;
		if (v != 2) {
			pr_err("net.ipv4.%s is %ld in this network namespace: --complete kernel needs 2 "
			       "(%s); set it to 2", need[i].name + strlen("net/ipv4/"), v, need[i].why);
			return -1;
		}
	}
	return 0;
}

/* tcp_full_space() of a listener without SO_RCVBUF: tcp_rmem[1], less the
 * overhead share, which is half with the defaults (tcp_adv_win_scale 1
 * before 6.6, the default scaling ratio of 50% since). */
int netdefaults_kernel_mode(__u32 *rcv_space)
{
	long rmem[3];

	if (check_kernel_sysctls())
		return -1;
	if (sysctl_read("net/ipv4/tcp_rmem", rmem, 3) != 3) {
		pr_err("cannot read /proc/sys/net/ipv4/tcp_rmem");
		return -1;
	}
	*rcv_space = rmem[1] / 2;
	return 0;
}

bool netdefaults_is_veth(const char *ifname)
{
	char driver[64];

	return iface_driver(ifname, driver, sizeof(driver)) == 0 && !strcmp(driver, "veth");
}
