/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a tiny JSON writer: compact output on one line, commas placed by
 * the writer, strings escaped (control characters, quotes, backslashes;
 * invalid UTF-8 becomes U+FFFD so the output always parses).
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct json {
	FILE *f;
	bool need_comma; /* a value was written at this level: the next one needs ',' */
};

void json_init(struct json *j, FILE *f);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* Inside an object: the key of the value written next. */
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
void json_uint(struct json *j, unsigned long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
void json_double(struct json *j, double v); /* finite; two decimals */

/* Key and value in one call. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_uint(struct json *j, const char *key, unsigned long long v);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_null(struct json *j, const char *key);
void json_kv_double(struct json *j, const char *key, double v);
