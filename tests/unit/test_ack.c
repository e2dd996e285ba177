// SPDX-License-Identifier: GPL-2.0
#include "cases.h"
void test_ack(void) {}
