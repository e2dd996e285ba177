/* SPDX-License-Identifier: GPL-2.0 */
/*
 * timewait.h - the namespace's TIME-WAIT sockets on protected ports, for the
 * "timewait" map: attach and set put them there, since no conns entry
 * stands for them and their 4-tuples' SYNs must reach the kernel.
 */
#pragma once

#include "shakeoff.h"

/* Note every TIME-WAIT socket of /proc/net/tcp and tcp6 whose local port is
 * protected in the map fd (one already there stays). Returns how many
 * notes are new, for so_config.tw_cli_added; -1 after one sentence. */
int timewait_scan(int map_fd, const struct so_ports *ports);
