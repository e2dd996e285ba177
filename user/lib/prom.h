/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom.h - the Prometheus text exposition format (version 0.0.4) of the
 * attachments' figures, for `stats --prometheus` and `exporter`.
 */
#pragma once

#include <stdio.h>

/* The figures of ifname's attachment, or of every attachment of this
 * network namespace (ifname NULL). 0, or -1 after one sentence. */
int prom_write(FILE *f, const char *ifname);
