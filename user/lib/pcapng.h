/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapng.h - a pcapng writer (the format of tcpdump, Wireshark and
 * libpcap 1.1+; draft-ietf-opsawg-pcapng): a section header, one Ethernet
 * interface with nanosecond timestamps, and Enhanced Packet Blocks, each
 * with an opt_comment (the reason shakeoff dropped it).
 */
#pragma once

#include <stdio.h>

#include <linux/types.h>

/* Write the section header and the interface description. 0 or -errno. */
int pcapng_begin(FILE *f, const char *ifname, __u32 snaplen);

/* One packet: its first caplen bytes of len, at ns since the epoch. */
int pcapng_packet(FILE *f, unsigned long long ns, const void *data, __u32 caplen, __u32 len,
		  const char *comment);
