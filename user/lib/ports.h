/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ports.h - the --ports syntax ("80,443,8000-8100") and the port bitmap of
 * map "ports" (struct so_ports: bit p of bits[p >> 6] = port p, host order).
 */
#pragma once

#include <stdbool.h>

#include "shakeoff.h"

#define PORT_MAX 65535 /* a TCP port is 16 bits; port 0 is never a service */

/* Parse a list into a cleared bitmap; on bad input, say which item and return -1. */
int ports_parse(const char *list, struct so_ports *ports);
/* The same, naming option --OPT in the message. */
int ports_parse_opt(const char *opt, const char *list, struct so_ports *ports);

bool ports_has(const struct so_ports *ports, unsigned int port);

/* The canonical list: sorted, ranges merged ("80,443,8000-8100"). Free it. */
char *ports_format(const struct so_ports *ports);
