/* SPDX-License-Identifier: GPL-2.0 */
/*
 * features.h - does the running kernel have what shakeoff needs? Probed in
 * the kernel's BTF, never inferred from a version number.
 */
#pragma once

/* 0, or -1 after one sentence naming what is missing. */
int features_check(void);
