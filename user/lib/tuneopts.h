/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tuneopts.h - the options that `attach` sets and `set` changes live: ports,
 * MSS, window scale, TTL, SYN-ACK budget, arming mode, table timeouts.
 *
 * Both commands embed a struct tune_args and declare these options with
 * TUNE_OPTS, so the names, the ranges and the help are written once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "shakeoff.h"
#include "netdefaults.h"

#define TIME_WAIT_MAX (24 * 3600)          /* s */
#define IDLE_TIMEOUT_MAX (18 * 3600)       /* s: the idle wheel spans 19.5 h */
#define THRESHOLD_MAX 1000000000
/* --synack-rate, --signed-rate, --synopt-rate: per second, 10^8, far above
 * what a host's CPUs answer (make bench: millions a core), so that any real
 * budget fits and the GCRA's interval (CPUs * 10^9 / rate ns) stays at
 * 10 ns or more a CPU */
#define RATE_MAX 100000000
#define SIGNED_RATE_DEFAULT 1000 /* signed SYNs per second to the kernel */
#define TUNE_STR_(x) #x
#define TUNE_STR(x) TUNE_STR_(x)

struct tune_args {
	struct so_ports ports; /* all zero: not given (an empty list is refused) */
	struct opt_uint mss4, mss6, wscale, ttl, synack_rate, signed_rate, threshold, time_wait,
		idle_timeout;
	int arm; /* enum so_arm, -1: not given */
	const char *speak_first; /* a port list, or "none"; NULL: not given */
};

extern const char *const arm_names[]; /* indexed by enum so_arm */
extern const char *const complete_names[]; /* indexed by enum so_complete (attach.c) */

/* The option table entries of struct tune_args member m of type T. */
#define TUNE_OPTS(T, m, ports_required)                                                      \
	{ .name = "ports", .short_name = 'p', .help = "protected ports, e.g. 80,443,8000-8100",   \
	  .type = OPT_PORTS, .required = ports_required, .offset = offsetof(T, m.ports) },      \
	{ .name = "mss4", .help = "MSS of IPv4 SYN-ACKs (default: MTU - 40)", .type = OPT_UINT,  \
	  .min = MSS4_MIN, .max = MSS4_MAX, .offset = offsetof(T, m.mss4) },                     \
	{ .name = "mss6", .help = "MSS of IPv6 SYN-ACKs (default: MTU - 60)", .type = OPT_UINT,  \
	  .min = MSS6_MIN, .max = MSS6_MAX, .offset = offsetof(T, m.mss6) },                     \
	{ .name = "wscale", .help = "our window scale (default: what the kernel would pick)",    \
	  .type = OPT_UINT, .min = 0, .max = WSCALE_MAX, .offset = offsetof(T, m.wscale) },     \
	{ .name = "ttl", .help = "TTL/hop limit of SYN-ACKs (default: net.ipv4.ip_default_ttl)", \
	  .type = OPT_UINT, .min = 1, .max = 255, .offset = offsetof(T, m.ttl) },                \
	{ .name = "synack-rate",                                                                 \
	  .help = "at most N SYN-ACKs per second, shared by the online CPUs (default: 0, no "    \
		  "limit)",                                                                      \
	  .type = OPT_UINT, .min = 0, .max = RATE_MAX, .offset = offsetof(T, m.synack_rate) },  \
	{ .name = "signed-rate",                                                                 \
	  .help = "at most N SYNs per second signed with TCP-MD5 or TCP-AO go to the kernel, "   \
		  "shared by the online CPUs; the allow list's sources skip this (default: "     \
		  TUNE_STR(SIGNED_RATE_DEFAULT) "; 0: only the allow list's)",                   \
	  .type = OPT_UINT, .min = 0, .max = RATE_MAX, .offset = offsetof(T, m.signed_rate) },  \
	{ .name = "arm", .short_name = 'a',                                                      \
	  .help = "answer SYNs always (default), only count what would happen (monitor), or "    \
		  "only while the SYN rate is above --threshold (auto)",                         \
	  .type = OPT_ENUM, .choices = arm_names, .offset = offsetof(T, m.arm) },                \
	{ .name = "threshold", .metavar = "N",                                                   \
	  .help = "--arm auto, --speak-first: SYNs per second to protected ports above which "   \
		  "XDP answers",                                                                 \
	  .type = OPT_UINT, .min = 1, .max = THRESHOLD_MAX, .offset = offsetof(T, m.threshold) },\
	{ .name = "speak-first", .metavar = "LIST",                                              \
	  .help = "protected ports whose servers speak first (SMTP, MySQL, FTP...): the kernel " \
		  "answers their SYNs while the SYN rate is below --threshold, so that its "     \
		  "SYN-ACK retransmission covers a lost final ACK; \"none\" clears the list",     \
	  .type = OPT_STRING, .offset = offsetof(T, m.speak_first) },                            \
	{ .name = "time-wait", .metavar = "S",                                                   \
	  .help = "seconds a closed connection stays in the table (default: "               \
		  TUNE_STR(SO_TIME_WAIT_DEFAULT_S) ")",                \
	  .type = OPT_UINT, .min = 0, .max = TIME_WAIT_MAX, .offset = offsetof(T, m.time_wait) },\
	{ .name = "idle-timeout", .metavar = "S",                                                \
	  .help = "seconds after which an idle connection leaves the table (default: "      \
		  TUNE_STR(SO_IDLE_TIMEOUT_DEFAULT_S) ")",     \
	  .type = OPT_UINT, .min = 1, .max = IDLE_TIMEOUT_MAX,                                   \
	  .offset = offsetof(T, m.idle_timeout) }

/*
 * Apply the given options to cfg. attach: cfg is new (defaults for what was
 * not given, MSS/wscale/TTL from the system through netdefaults_plan); set: cfg
 * is the live one and only what was given changes. 0, or RC_USAGE/RC_FAIL
 * after one sentence.
 */
int tune_apply(const struct tune_args *t, const char *ifname, bool attach, struct so_config *cfg);

/* The --speak-first ports: 1 when given (out filled; "none" is all zero),
 * 0 when not, -1 after one sentence. */
int tune_speak_first(const struct tune_args *t, struct so_ports *out);

/* Were ports given? Has a port list any port? */
bool tune_has_ports(const struct tune_args *t);
bool tune_has_port_bits(const struct so_ports *ports);

/* "arm auto (threshold 5000 SYN/s)" and the like, for messages. */
void tune_describe_arm(const struct so_config *cfg, char *buf, size_t len);
