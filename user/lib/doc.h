/* SPDX-License-Identifier: GPL-2.0 */
/*
 * doc.h - the manual page (roff) and the README's command-line section
 * (Markdown), generated from the command and option tables.
 */
#pragma once

#include <stdio.h>

#include "cli.h"

void doc_man(FILE *f, const struct cmd *const *cmds, size_t n, const struct opt *global);
void doc_markdown(FILE *f, const struct cmd *const *cmds, size_t n, const struct opt *global);
