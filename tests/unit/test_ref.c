// SPDX-License-Identifier: GPL-2.0
/*
 * test_ref.c - the references the other groups trust: SipHash-2-4 against
 * the paper's test vector, the packet builder's checksums against a frame
 * whose checksums were computed by hand, and the division by 10^6 that the
 * cookies' clock does without dividing.
 */
#include <string.h>

#include "cases.h"
#include "harness.h"

/* SipHash paper, appendix A: key 00..0f, message 00..0e. */
static void siphash_vector(void)
{
	__u8 key[16], msg[15];

	for (int i = 0; i < 16; i++)
		key[i] = i;
	for (int i = 0; i < 15; i++)
		msg[i] = i;
	check_hex(ref_siphash(key, msg, sizeof(msg)), 0xa129ca6149be45e5ULL,
		  "SipHash-2-4(00..0f, 00..0e)");
}

/* The key words of the map read as the paper's byte key. */
static void siphash_key_words(void)
{
	const __u64 words[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	__u8 key[16], want[16];

	for (int i = 0; i < 16; i++)
		want[i] = i;
	ref_key_bytes(words, key);
	check_bytes(key, want, 16, "so_secret key words as bytes");
}

/* An IPv4 header (UDP, 198.18.0.1 -> 198.18.0.2) whose checksum was summed
 * by hand: 4500+0073+0000+4000+4011+c612+0001+c612+0002 = 0x251ab, folded
 * 0x51ad, complemented 0xae52. */
static void ip_checksum_vector(void)
{
	const __u8 hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			       0x00, 0x00, 198, 18, 0x00, 0x01, 198, 18, 0x00, 0x02 };

	check_hex(csum_fold(csum_partial(hdr, sizeof(hdr), 0)), 0xae52,
		  "IPv4 header checksum summed by hand");
}

/* so_u32_div_1e6 (include/shakeoff.h) is exact for every 32-bit n: where a
 * multiply-and-shift goes wrong it does so just below a multiple of the
 * divisor, so every multiple and its predecessor are checked, and the top. */
static void ms_division(void)
{
	for (__u64 k = 0; k * 1000000 <= 0xffffffffULL; k++) {
		__u32 n = k * 1000000;

		if (!check_u64(so_u32_div_1e6(n), k, "so_u32_div_1e6(k * 10^6)"))
			return;
		if (k && !check_u64(so_u32_div_1e6(n - 1), k - 1, "so_u32_div_1e6(k * 10^6 - 1)"))
			return;
	}
	check_u64(so_u32_div_1e6(0xffffffffu), 0xffffffffu / 1000000, "so_u32_div_1e6(2^32 - 1)");
}

void test_ref(void)
{
	static const struct fn_case cases[] = {
		{ "ref_siphash_paper_vector", siphash_vector },
		{ "ref_siphash_key_words", siphash_key_words },
		{ "ref_ip_checksum_vector", ip_checksum_vector },
		{ "ref_ms_division_exact", ms_division },
	};

	RUN_TABLE(cases, run_fn_case);
}
