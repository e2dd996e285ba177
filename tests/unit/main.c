// SPDX-License-Identifier: GPL-2.0
/*
 * test_unit - shakeoff's BPF programs under BPF_PROG_RUN.
 *
 *   test_unit [-t SUBSTRING] [-v]
 *
 * Prints one line per case (ok / FAIL / skip) and exits 0 whatever the cases
 * did; non-zero only if the harness cannot run (no root, no BPF object).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cases.h"
#include "env.h"
#include "harness.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: test_unit [-t SUBSTRING] [-v]\n"
		     "  -t S  run only the cases whose name contains S\n"
		     "  -v    print every mismatch and hex dumps of the packets (stderr)\n");
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "t:vh")) != -1) {
		switch (opt) {
		case 't':
			harness.filter = optarg;
			break;
		case 'v':
			harness.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env_setup())
		return 1;
	test_ref();
	test_syn();
	test_drop();
	test_ack();
	test_tc();
	test_track();
	test_tally();
	env_teardown();
	return 0;
}
