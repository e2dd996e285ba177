/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netdefaults.h - the values of struct so_config that come from the network
 * namespace and the interface: the TCP sysctls, MSS, window scale, TTL.
 */
#pragma once

#include <stdbool.h>

#include "options.h"
#include "shakeoff.h"

/* Valid ranges (the kernel's own limits; IPv6 never below 1280 - 60). */
#define MSS4_MIN 536
#define MSS4_MAX 65495
#define MSS6_MIN 1220
#define MSS6_MAX 65475
#define WSCALE_MAX 14

/* What the user gave; the rest gets defaults. */
struct netdefaults_req {
	const char *ifname;
	struct opt_uint mss4, mss6, wscale, ttl;
};

/*
 * Check net.ipv4.tcp_syncookies and fill cfg->options (the TCP options the
 * namespace allows), mss4, mss6, wscale and ttl. 0, or -1 after saying why.
 */
int netdefaults_plan(const struct netdefaults_req *req, struct so_config *cfg);

/* Only the sysctl part of netdefaults_plan(): check tcp_syncookies, fill
 * cfg->options. 0, or -1 after saying why. */
int netdefaults_options(struct so_config *cfg);

/* Completion mode kernel: the sysctls it needs (tcp_syncookies=2,
 * tcp_timestamps=2), and the listener's receive space the kernel sizes
 * its SYN-ACK window from. 0, or -1 after saying why. */
int netdefaults_kernel_mode(__u32 *rcv_space);

/* Is the interface a veth (ethtool driver name)? */
bool netdefaults_is_veth(const char *ifname);
