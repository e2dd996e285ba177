// SPDX-License-Identifier: GPL-2.0
/*
 * test_unit - shakeoff's BPF programs under BPF_PROG_RUN.
 *
 *   test_unit [-t SUBSTRING] [-x NAME]... [-v] [--write-corpus DIR]
 *
 * Prints one line per case (ok / FAIL / skip) and exits 0 whatever the cases
 * did; non-zero only if the harness cannot run (no root, no BPF object).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cases.h"
#include "env.h"
#include "harness.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: test_unit [-t SUBSTRING] [-x NAME]... [-v] [--write-corpus DIR] [--cost]\n"
		     "  -t S  run only the cases whose name contains S\n"
		     "  -x N  skip the case named N (up to 8 times; tests/run.sh passes\n"
		     "        TEST_UNIT_EXCLUDE, which make vmtest sets for what TCG is too slow for)\n"
		     "  -v    print every mismatch and hex dumps of the packets (stderr)\n"
		     "  --write-corpus DIR\n"
		     "        also write every frame the cases run through XDP or TC into DIR,\n"
		     "        one file each (a mode byte 0, then the frame): the fuzzer's seeds\n"
		     "  --cost  instead of the tests, measure what the key ring costs a forged\n"
		     "        ACK (ns in the program, BPF_PROG_RUN's timing) and print a table\n");
}

/* A group about completion mode kfunc alone: without its object (env_kfunc)
 * one line says why it is skipped, named after the group. */
static void kfunc_group(const char *name, void (*run)(void), const char *why)
{
	if (env_kfunc)
		run();
	else if (case_begin(name))
		case_skip("%s; this object runs completion mode kernel", why);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "write-corpus", required_argument, NULL, 'W' },
		{ "cost", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool cost = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "t:x:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			cost = true;
			break;
		case 'W':
			corpus_dir = optarg;
			break;
		case 't':
			harness.filter = optarg;
			break;
		case 'x':
			if (harness.n_exclude == 8) {
				fprintf(stderr, "test_unit: at most 8 -x\n");
				return 2;
			}
			harness.exclude[harness.n_exclude++] = optarg;
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
	if (!cost)
		test_keyfile(); /* needs neither root nor BPF */
	opt = env_setup();
	if (opt)
		return opt > 0 ? 0 : 1;
	if (cost) {
		if (env_kfunc)
			measure_cost();
		else
			printf("# --cost measures shakeoff's own key ring, which kernel mode does not use\n");
		env_teardown();
		return 0;
	}
	test_ref();
	kfunc_group("syn", test_syn, "every case is a SYN answered with shakeoff's own cookie");
	test_drop();
	test_ack(); /* in kernel mode: its cases with real sockets and TIME-WAIT */
	test_tc();
	test_track();
	kfunc_group("hostile", test_hostile, "the cases are encapsulated handshakes, the SYN-ACK "
		    "budget and forged ACKs, all of them shakeoff's own cookies");
	kfunc_group("arm", test_arm, "the cases tell SYNs answered with shakeoff's own cookies "
		    "from SYNs passed to the kernel");
	test_events();
	test_kcookie();
	test_tally();
	env_teardown();
	return 0;
}
