/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bound.h - keep a value's range in the code where the verifier can see it.
 *
 * clang drops bounds it can prove and merges range checks, and older
 * verifiers do not recover what it dropped. Two cases broke xdp_shakeoff on
 * Linux 6.12 (the 6.18 verifier still followed them):
 *  - a mask after a byte swap: clang knows bpf_ntohs() fits in 16 bits and
 *    folds (p >> 6) & 1023 into p >> 6; 6.12's verifier does not track the
 *    swap's range, so the map index looked unbounded;
 *  - a range test: n < 20 || n > 64 becomes one unsigned test of n - 20 in a
 *    scratch register, and 6.12 does not carry that range back to n, so
 *    bpf_xdp_load_bytes(..., n) looked like a zero-sized read.
 *  - a length tested against 0: to clang, x >= 1 on an unsigned x is
 *    x != 0, from which 6.1's verifier learns no lower bound, so a
 *    drop sample's bpf_xdp_load_bytes(..., len) looked like a zero-sized
 *    read.
 * The pattern: make clang forget what it knows (opaque(): an empty asm that
 * may change the register), then state the bound, which the verifier then
 * reads off the instructions as written. Use these for every index or length
 * whose bound matters to the verifier; test_load checks the result on each
 * kernel (make vmtest) with clang 14 and 19.
 */
#pragma once

#include <stdbool.h>

/* opaque(x): from here on clang knows nothing about x (no instruction). */
#define opaque(x) asm volatile("" : "+r"(x))

/* masked(x, m): x & m, with the AND kept even where clang proves it useless. */
#define masked(x, m)                        \
	({                                  \
		__typeof__(x) __mx = (x);   \
		opaque(__mx);               \
		__mx & (m);                 \
	})

/* within(x, lo, hi): lo <= x && x <= hi, as two tests of the register of x
 * itself, so that the verifier knows both bounds of x afterwards. x must be
 * an lvalue (a local variable). */
#define within(x, lo, hi)                   \
	({                                  \
		bool __in = (x) <= (hi);    \
		opaque(x);                  \
		__in && (x) >= (lo);        \
	})

/* sized(x, n): x, for an x known to be in [1, n] (n a power of two), in a
 * form whose range [1, n] the verifier reads off the instructions:
 * ((x - 1) & (n - 1)) + 1. For the size of a helper's read or write, which
 * must not be 0 (see above: within(x, 1, n) does not keep that bound). */
#define sized(x, n) (masked((x) - 1, (n) - 1) + 1)
