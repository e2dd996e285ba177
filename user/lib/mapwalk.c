// SPDX-License-Identifier: GPL-2.0
/* mapwalk.c - see mapwalk.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <bpf/bpf.h>

#include "mapwalk.h"

#define BATCH 256

/* Hand one batch to fn. */
static int deliver(const char *keys, const char *values, __u32 n, size_t key_size,
		   size_t value_size, mapwalk_fn fn, void *ctx)
{
	for (__u32 i = 0; i < n; i++) {
		int err = fn(keys + i * key_size, values + i * value_size, ctx);

		if (err)
			return err;
	}
	return 0;
}

int mapwalk(int fd, size_t key_size, size_t value_size, mapwalk_fn fn, void *ctx)
{
	__u32 batch = BATCH, n, token; /* the hash maps' batch token is a bucket index */
	char *keys = NULL, *values = NULL;
	bool first = true, last = false;
	int err = 0;

	while (!err && !last) {
		if (!keys && (!(keys = malloc(batch * key_size)) ||
			      !(values = malloc(batch * value_size)))) {
			err = -ENOMEM;
			break;
		}
		n = batch;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, values, &n,
					   NULL) ? -errno : 0;
		if (err == -ENOSPC && n == 0) {
			/* one bucket holds more than a batch: retry it with room for more */
			batch *= 4;
			free(keys), free(values);
			keys = values = NULL;
			err = 0;
			continue;
		}
		last = err == -ENOENT;
		if (last)
			err = 0;
		first = false;
		if (!err)
			err = deliver(keys, values, n, key_size, value_size, fn, ctx);
	}
	free(keys);
	free(values);
	return err;
}
