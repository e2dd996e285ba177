/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mptcp.h - the protected ports whose listener is MPTCP (RFC 8684), for
 * the "kports" map: the kfunc cannot give an MPTCP listener a request
 * socket (it refuses with -EINVAL and the kernel resets the client), so
 * SYNs to those ports go to the kernel, whose own SYN cookies support
 * MPTCP. attach and set look (sock_diag), like the TIME-WAIT notes.
 */
#pragma once

#include "shakeoff.h"

/* The ports of protected whose listener (IPv4 or IPv6) is MPTCP, into a
 * cleared out; returns how many, or -1 after one sentence. A kernel
 * without MPTCP or its diag interface has none: 0. */
int mptcp_listen_ports(const struct so_ports *protected, struct so_ports *out);
