/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stop.h - how the commands that run until told to stop (stats --watch, top,
 * events, exporter) learn that SIGINT or SIGTERM came: the handler only sets
 * stop_requested. It is installed without SA_RESTART, so the sleep, poll or
 * sigsuspend the command waits in returns with EINTR and its loop sees the
 * flag at once.
 */
#pragma once

#include <signal.h>

/* volatile sig_atomic_t: written by the signal handler, read by the loop. */
extern volatile sig_atomic_t stop_requested;

/* SIGINT and SIGTERM set stop_requested. */
void stop_on_signals(void);
