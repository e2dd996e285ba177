// SPDX-License-Identifier: GPL-2.0
/* cases.c - what the groups' tables share (cases.h). */
#include "cases.h"

int build_frame(const struct pkt_spec *s, struct frame *f)
{
	char row[320];

	if (pkt_build(s, f) == 0)
		return 0;
	spec_describe(s, row, sizeof(row));
	case_fail("the fixture does not build: %s; the row: %s", pkt_build_error(), row);
	return -1;
}

void run_fn_case(const struct fn_case *c)
{
	c->fn();
}
