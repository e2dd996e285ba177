/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spark.h - rates as a small terminal graph: the last SPARK_LEN values of a
 * series as Unicode blocks (U+2581..U+2588), for `stats --watch` and `top`
 * when their output is a terminal.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SPARK_LEN 16
/* A rendered graph: SPARK_LEN columns of up to 3 bytes (UTF-8), and NUL. */
#define SPARK_BUF (SPARK_LEN * 3 + 1)

struct spark {
	double v[SPARK_LEN];
	unsigned int n;    /* values held, up to SPARK_LEN */
	unsigned int next; /* where the next value goes */
};

/* Whether to draw at all: stdout is a terminal (pipes and files stay plain). */
bool spark_wanted(void);

void spark_push(struct spark *s, double v);

/* The history, oldest first, scaled to its largest value: 0 is the lowest
 * block, the largest the full one; padded with spaces on the left to
 * SPARK_LEN columns. Returns out (SPARK_BUF bytes). */
const char *spark_render(const struct spark *s, char *out);
