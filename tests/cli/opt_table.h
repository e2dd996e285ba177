/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opt_table.h - one option table with an entry of every option type, for
 * test_options.c (the command line) and test_config.c (--config files),
 * and a one-line description of the arguments it filled in.
 */
#pragma once

#include <stdbool.h>

#include "options.h"
#include "shakeoff.h"

struct t_args {
	const char *ifname;
	bool flag;
	int count;
	const char *str;
	struct opt_uint num;
	int choice; /* -1: not given */
	double secs;
	struct so_ports ports;
	const char *fixed;
	const char *config;
};

extern const struct opt t_opts[];

/* Clear args to the defaults a command would start from. */
void t_args_reset(struct t_args *a);

/* "if=eth0 flag=1 count=2 str=x num=10 choice=b secs=0.5 ports=80,443 fixed=-",
 * unset values as "-"; static buffer. */
const char *t_args_describe(const struct t_args *a);

/* Run opts_parse over the NULL-terminated words (after the command name
 * "t"), stderr captured: the result and, in *err (freed by the caller),
 * what it said. */
enum opt_result t_parse(struct t_args *a, const char *const *words, char **err);
