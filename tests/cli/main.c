// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - test_cli: the CLI's library (user/lib) on tables of input and
 * expected result, as any user: no root, no namespace, no BPF. tests/run.sh
 * runs it first; it exits 1 if a check failed.
 */
#include <stdlib.h>

#include "check.h"

int main(void)
{
	atexit(tmp_cleanup);
	test_ports();
	test_options();
	test_tuneopts();
	test_config();
	test_json();
	test_secret();
	test_endpoint();
	test_ifname();
	return checks_failed ? 1 : 0;
}
