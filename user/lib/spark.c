// SPDX-License-Identifier: GPL-2.0
/* spark.c - see spark.h. */
#include <string.h>
#include <unistd.h>

#include "spark.h"

/* U+2581 LOWER ONE EIGHTH BLOCK .. U+2588 FULL BLOCK, in UTF-8. */
static const char *const blocks[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
				       "\u2585", "\u2586", "\u2587", "\u2588" };

bool spark_wanted(void)
{
	return isatty(STDOUT_FILENO);
}

void spark_push(struct spark *s, double v)
{
	s->v[s->next] = v > 0 ? v : 0;
	s->next = (s->next + 1) % SPARK_LEN;
	if (s->n < SPARK_LEN)
		s->n++;
}

/* 0 for nothing, 7 for the maximum, a visible step for anything above 0. */
static int level(double v, double max)
{
	double x;
	int l;

	if (v <= 0 || max <= 0)
		return 0;
	x = v / max * 7;
	l = (int)x + ((double)(int)x < x); /* rounded up, without libm */
	return l < 1 ? 1 : l > 7 ? 7 : l;
}

const char *spark_render(const struct spark *s, char *out)
{
	unsigned int first = (s->next + SPARK_LEN - s->n) % SPARK_LEN;
	double max = 0;
	char *p = out;

	for (unsigned int i = 0; i < s->n; i++)
		if (s->v[(first + i) % SPARK_LEN] > max)
			max = s->v[(first + i) % SPARK_LEN];
	for (unsigned int i = s->n; i < SPARK_LEN; i++)
		*p++ = ' ';
	for (unsigned int i = 0; i < s->n; i++) {
		const char *b = blocks[level(s->v[(first + i) % SPARK_LEN], max)];

		memcpy(p, b, strlen(b));
		p += strlen(b);
	}
	*p = '\0';
	return out;
}
