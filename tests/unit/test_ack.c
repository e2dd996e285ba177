// SPDX-License-Identifier: GPL-2.0
/*
 * test_ack.c - the ACK path. A SYN goes through XDP, its SYN-ACK gives the
 * cookie, and the ACK built from it (or from a cookie made by the reference in
 * ref.c, for times the test cannot wait for) must either pass with shakeoff's
 * metadata in front (struct so_meta, checked field by field) and count
 * ack_cookie_valid, or be dropped as ack_cookie_invalid.
 *
 * BPF_PROG_RUN returns an XDP frame from data_meta on: data_out holds the
 * metadata and then the frame, and ctx_out.data is the metadata's length.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "cases.h"
#include "harness.h"
#include "keyfile.h"

/* Fixture rows leave their trailing fields zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* mss, wscale_ok, snd_wscale (client's), rcv_wscale (ours), sack_ok, tstamp_ok */
#define VALID(mss, wok, snd, rcv, sack, ts) true, { mss, wok, snd, rcv, sack, ts }
/* ... and ecn_ok */
#define VALID_ECN(mss, wok, snd, rcv, sack, ts) true, { mss, wok, snd, rcv, sack, ts, 1 }
#define INVALID false, { 0 }

enum ack_how {
	A_THIRD,      /* the third ACK of the handshake */
	A_DATA,       /* the first data segment instead (third ACK lost) */
	A_NO_TS_ECHO, /* the third ACK without the timestamp option */
	A_FORGED,     /* an ack number no SYN-ACK carried */
	A_OTHER_KEY,  /* the secret replaced by another key before the ACK */
	A_REKEY,      /* rekeyed before the ACK: gen 1, ring [new, old retiring .arg s] */
	A_REKEY_FIRST, /* rekeyed before the SYN (grace 60 s): the new key signs */
	A_RING_BA,    /* the ring [B, A] before the ACK (issued under A): a rotation's step 2 */
	A_RING_AB,    /* the ring [A, B] before the ACK: a rotation's step 1 */
	A_RING_B,     /* the ring [B] before the ACK: A dropped (step 3) */
	A_RING_FULL,  /* SO_KEYS_MAX keys before the ACK, A last */
	A_RING_SAME_ID, /* the ring [C, A], C of A's key id: both tried */
	A_RING_OTHERS, /* SO_KEYS_MAX keys before the ACK, none of them A */
	A_TAMPER,     /* the cookie returned with .arg XORed into the TSecr (TS mode) or ISN */
	A_REF_TS,     /* no SYN: a reference TS-mode cookie issued .arg ms ago */
	A_REF_NOTS,   /* no SYN: a reference non-TS cookie of .arg periods ago */
	A_RESYN,      /* another SYN of the 4-tuple (ISN + 1000) before the ACK of the first */
	A_SLOT_TAKEN, /* the cookie's synopts slot overwritten by another port's entry */
};

struct ack_case {
	const char *name;
	struct pkt_spec syn;  /* the SYN the cookie answers */
	enum ack_how how;
	bool valid;           /* XDP_PASS + ack_cookie_valid, or XDP_DROP + ack_cookie_invalid */
	struct meta_exp meta; /* the metadata when valid */
	/* where the ACK differs from the handshake's 4-tuple and sequence */
	const char *saddr, *daddr;
	__u16 sport, dport;
	__s32 seq_delta;
	__s32 arg;
	bool other_key;       /* valid under a key not first in the ring: ack_cookie_other_key */
};

#define KEY_OTHER { 0x1111111111111111ULL, 0x2222222222222222ULL }
#define KEY_NEW { 0x3333333333333333ULL, 0x4444444444444444ULL }

static const struct ack_case ack_cases[] = {
	/* the third ACK decodes into the right attributes */
	{ "ack4_third_linux",       V4(LINUX(1460, 9)),                A_THIRD, VALID(1460, 1, 9, 7, 1, 1) },
	{ "ack6_third_linux",       V6(LINUX(1440, 9)),                A_THIRD, VALID(1440, 1, 9, 7, 1, 1) },
	{ "ack4_third_no_opts",     V4(),                              A_THIRD, VALID(536, 0, 0, 0, 0, 0) },
	{ "ack4_third_mss_only",    V4(.opts = O_MSS, .mss = 1400),    A_THIRD, VALID(1400, 0, 0, 0, 0, 0) },
	{ "ack6_third_mss_only",    V6(.opts = O_MSS, .mss = 1400),    A_THIRD, VALID(1400, 0, 0, 0, 0, 0) },
	{ "ack4_third_ts_only",     V4(.opts = O_TS),                  A_THIRD, VALID(536, 0, 0, 0, 0, 1) },
	{ "ack4_third_sack_ts",     V4(.opts = O_MSS | O_SACK | O_TS, .mss = 1460), A_THIRD, VALID(1460, 0, 0, 0, 1, 1) },
	{ "ack4_third_ts_ws0",      V4(.opts = O_MSS | O_TS | O_WS, .mss = 1460), A_THIRD, VALID(1460, 1, 0, 7, 0, 1) },
	{ "ack4_third_mss_1399",    V4(LINUX(1399, 7)),                A_THIRD, VALID(1360, 1, 7, 7, 1, 1) },
	{ "ack4_third_mss_500",     V4(.opts = O_MSS, .mss = 500),     A_THIRD, VALID(536, 0, 0, 0, 0, 0) },
	{ "ack4_third_mss_65535",   V4(LINUX(65535, 7)),               A_THIRD, VALID(8960, 1, 7, 7, 1, 1) },
	{ "ack6_third_mss_1000",    V6(LINUX(1000, 7)),                A_THIRD, VALID(1220, 1, 7, 7, 1, 1) },
	{ "ack6_third_mss_9000_no_ts", V6(.opts = O_MSS, .mss = 9000), A_THIRD, VALID(8940, 0, 0, 0, 0, 0) },
	{ "ack4_third_ws15",        V4(LINUX(1460, 15)),               A_THIRD, VALID(1460, 1, 14, 7, 1, 1) },
	{ "ack4_third_port_8050",   V4(LINUX(1460, 7), .dport = 8050), A_THIRD, VALID(1460, 1, 7, 7, 1, 1) },
	{ "ack4_third_ip_options",  V4(LINUX(1460, 7), .ipopt_len = 8), A_THIRD, VALID(1460, 1, 7, 7, 1, 1) },
	/* an ECN-setup SYN with timestamps: ecn_ok; without, not */
	{ "ack4_third_ecn",         V4(LINUX(1460, 9), .flags = F_SYN | F_ECE | F_CWR), A_THIRD, VALID_ECN(1460, 1, 9, 7, 1, 1) },
	{ "ack6_third_ecn",         V6(LINUX(1440, 9), .flags = F_SYN | F_ECE | F_CWR), A_THIRD, VALID_ECN(1440, 1, 9, 7, 1, 1) },
	{ "ack4_data_ecn",          V4(LINUX(1460, 9), .flags = F_SYN | F_ECE | F_CWR), A_DATA, VALID_ECN(1460, 1, 9, 7, 1, 1) },
	{ "ack4_third_ecn_no_ts",   V4(.opts = O_MSS, .mss = 1400, .flags = F_SYN | F_ECE | F_CWR), A_THIRD, VALID(1400, 0, 0, 0, 0, 0) },
	{ "ack4_third_ece_only",    V4(LINUX(1460, 9), .flags = F_SYN | F_ECE), A_THIRD, VALID(1460, 1, 9, 7, 1, 1) },
	/* without timestamps: SACK and window scale from synopts, MSS only
	 * when the entry is gone or another SYN's */
	{ "ack4_third_sack_ws_no_ts", V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .wscale = 9), A_THIRD, VALID(1460, 1, 9, 7, 1, 0) },
	{ "ack6_third_sack_ws_no_ts", V6(.opts = O_MSS | O_SACK | O_WS, .mss = 1440, .wscale = 9), A_THIRD, VALID(1440, 1, 9, 7, 1, 0) },
	{ "ack4_third_ws_no_ts",    V4(.opts = O_MSS | O_WS, .mss = 1460, .wscale = 0), A_THIRD, VALID(1460, 1, 0, 7, 0, 0) },
	{ "ack4_data_sack_no_ts",   V4(.opts = O_MSS | O_SACK, .mss = 1460), A_DATA, VALID(1460, 0, 0, 0, 1, 0) },
	{ "ack4_rekey_sack_ws_no_ts", V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .wscale = 9), A_REKEY, VALID(1460, 1, 9, 7, 1, 0), .arg = 60, .other_key = true },
	{ "ack4_no_memory_no_ts",   V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .wscale = 9), A_REF_NOTS, VALID(1460, 0, 0, 0, 0, 0), .arg = 0 },
	{ "ack4_own_memory_after_resyn_no_ts", V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .wscale = 9), A_RESYN, VALID(1460, 1, 9, 7, 1, 0) },
	{ "ack4_slot_taken_no_ts",  V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .wscale = 9), A_SLOT_TAKEN, VALID(1460, 0, 0, 0, 0, 0) },
	{ "ack4_other_sport_sack_no_ts", V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .wscale = 9), A_THIRD, INVALID, .sport = 40001 },
	/* the first data segment completes too */
	{ "ack4_data_first_segment", V4(LINUX(1460, 9)),               A_DATA, VALID(1460, 1, 9, 7, 1, 1) },
	{ "ack6_data_first_segment", V6(LINUX(1440, 9)),               A_DATA, VALID(1440, 1, 9, 7, 1, 1) },
	{ "ack4_data_no_ts",        V4(.opts = O_MSS, .mss = 1460),    A_DATA, VALID(1460, 0, 0, 0, 0, 0) },
	/* not our cookie */
	{ "ack4_ts_cookie_no_echo", V4(LINUX(1460, 7)),                A_NO_TS_ECHO, INVALID },
	{ "ack4_forged",            V4(LINUX(1460, 7)),                A_FORGED, INVALID },
	{ "ack4_forged_no_ts",      V4(.opts = O_MSS, .mss = 1460),    A_FORGED, INVALID },
	{ "ack6_forged",            V6(LINUX(1440, 7)),                A_FORGED, INVALID },
	{ "ack4_other_secret",      V4(LINUX(1460, 7)),                A_OTHER_KEY, INVALID },
	{ "ack4_other_secret_no_ts", V4(.opts = O_MSS, .mss = 1460),   A_OTHER_KEY, INVALID },
	{ "ack6_other_secret",      V6(LINUX(1440, 7)),                A_OTHER_KEY, INVALID },
	{ "ack4_tsecr_mss_tampered", V4(LINUX(1460, 7)),               A_TAMPER, INVALID, .arg = 1 << 0 },
	{ "ack4_tsecr_ws_tampered", V4(LINUX(1460, 7)),                A_TAMPER, INVALID, .arg = 1 << 3 },
	{ "ack4_tsecr_sack_tampered", V4(LINUX(1460, 7)),              A_TAMPER, INVALID, .arg = 1 << 7 },
	{ "ack4_tsecr_ecn_tampered", V4(LINUX(1460, 7)),               A_TAMPER, INVALID, .arg = 1 << 8 },
	{ "ack4_tsecr_ecn_cleared", V4(LINUX(1460, 7), .flags = F_SYN | F_ECE | F_CWR), A_TAMPER, INVALID, .arg = 1 << 8 },
	{ "ack4_tsecr_time_tampered", V4(LINUX(1460, 7)),              A_TAMPER, INVALID, .arg = 1 << 11 },
	{ "ack4_isn_mss_tampered_no_ts", V4(.opts = O_MSS, .mss = 1460), A_TAMPER, INVALID, .arg = 1 << 1 },
	{ "ack4_isn_period_tampered_no_ts", V4(.opts = O_MSS, .mss = 1460), A_TAMPER, INVALID, .arg = 1 << 0 },
	{ "ack4_other_sport",       V4(LINUX(1460, 7)),                A_THIRD, INVALID, .sport = 40001 },
	{ "ack4_other_dport",       V4(LINUX(1460, 7)),                A_THIRD, INVALID, .dport = 8001 },
	{ "ack4_other_saddr",       V4(LINUX(1460, 7)),                A_THIRD, INVALID, .saddr = "198.18.0.9" },
	{ "ack4_other_daddr",       V4(LINUX(1460, 7)),                A_THIRD, INVALID, .daddr = "198.18.0.10" },
	{ "ack4_other_client_isn",  V4(LINUX(1460, 7)),                A_THIRD, INVALID, .seq_delta = 1 },
	{ "ack4_other_sport_no_ts", V4(.opts = O_MSS, .mss = 1460),    A_THIRD, INVALID, .sport = 40001 },
	{ "ack6_other_saddr_low",   V6(LINUX(1440, 7)),                A_THIRD, INVALID, .saddr = "2001:2::9" },
	{ "ack6_other_saddr_high",  V6(LINUX(1440, 7)),                A_THIRD, INVALID, .saddr = "2001:2:0:1::1" },
	{ "ack6_other_daddr_low",   V6(LINUX(1440, 7)),                A_THIRD, INVALID, .daddr = "2001:2::9" },
	{ "ack6_other_sport",       V6(LINUX(1440, 7)),                A_THIRD, INVALID, .sport = 40001 },
	{ "ack6_other_dport",       V6(LINUX(1440, 7)),                A_THIRD, INVALID, .dport = 8001 },
	{ "ack6_other_daddr_high",  V6(LINUX(1440, 7)),                A_THIRD, INVALID, .daddr = "2001:2:0:1::2" },
	{ "ack6_other_client_isn",  V6(LINUX(1440, 7)),                A_THIRD, INVALID, .seq_delta = -1 },
	{ "ack6_other_sport_no_ts", V6(.opts = O_MSS, .mss = 1440),    A_THIRD, INVALID, .sport = 40001 },
	{ "ack6_other_secret_no_ts", V6(.opts = O_MSS, .mss = 1440),   A_OTHER_KEY, INVALID },
	/* rekey: the previous key is good until grace_until */
	{ "ack4_rekey_in_grace",    V4(LINUX(1460, 7)),                A_REKEY, VALID(1460, 1, 7, 7, 1, 1), .arg = 60, .other_key = true },
	{ "ack4_rekey_in_grace_no_ts", V4(.opts = O_MSS, .mss = 1460), A_REKEY, VALID(1460, 0, 0, 0, 0, 0), .arg = 60, .other_key = true },
	{ "ack6_rekey_in_grace",    V6(LINUX(1440, 7)),                A_REKEY, VALID(1440, 1, 7, 7, 1, 1), .arg = 60, .other_key = true },
	{ "ack4_rekey_grace_over",  V4(LINUX(1460, 7)),                A_REKEY, INVALID, .arg = -1 },
	{ "ack4_rekey_grace_over_no_ts", V4(.opts = O_MSS, .mss = 1460), A_REKEY, INVALID, .arg = -1 },
	{ "ack6_rekey_grace_over",  V6(LINUX(1440, 7)),                A_REKEY, INVALID, .arg = -1 },
	{ "ack6_rekey_grace_over_no_ts", V6(.opts = O_MSS, .mss = 1440), A_REKEY, INVALID, .arg = -1 },
	{ "ack4_rekey_new_key",     V4(LINUX(1460, 7)),                A_REKEY_FIRST, VALID(1460, 1, 7, 7, 1, 1) },
	{ "ack4_rekey_new_key_no_ts", V4(.opts = O_MSS, .mss = 1460),  A_REKEY_FIRST, VALID(1460, 0, 0, 0, 0, 0) },
	/* the key ring: a cookie of key A, then the ring changes before the ACK */
	{ "ack4_ring_ba",           V4(LINUX(1460, 7)),                A_RING_BA, VALID(1460, 1, 7, 7, 1, 1), .other_key = true },
	{ "ack4_ring_ba_no_ts",     V4(.opts = O_MSS, .mss = 1460),    A_RING_BA, VALID(1460, 0, 0, 0, 0, 0), .other_key = true },
	{ "ack6_ring_ba",           V6(LINUX(1440, 7)),                A_RING_BA, VALID(1440, 1, 7, 7, 1, 1), .other_key = true },
	{ "ack6_ring_ba_no_ts",     V6(.opts = O_MSS, .mss = 1440),    A_RING_BA, VALID(1440, 0, 0, 0, 0, 0), .other_key = true },
	{ "ack4_ring_ab",           V4(LINUX(1460, 7)),                A_RING_AB, VALID(1460, 1, 7, 7, 1, 1) },
	{ "ack4_ring_ab_no_ts",     V4(.opts = O_MSS, .mss = 1460),    A_RING_AB, VALID(1460, 0, 0, 0, 0, 0) },
	{ "ack6_ring_ab",           V6(LINUX(1440, 7)),                A_RING_AB, VALID(1440, 1, 7, 7, 1, 1) },
	{ "ack4_ring_a_dropped",    V4(LINUX(1460, 7)),                A_RING_B, INVALID },
	{ "ack4_ring_a_dropped_no_ts", V4(.opts = O_MSS, .mss = 1460), A_RING_B, INVALID },
	{ "ack6_ring_a_dropped",    V6(LINUX(1440, 7)),                A_RING_B, INVALID },
	{ "ack4_ring_full_a_last",  V4(LINUX(1460, 7)),                A_RING_FULL, VALID(1460, 1, 7, 7, 1, 1), .other_key = true },
	{ "ack4_ring_full_a_last_no_ts", V4(.opts = O_MSS, .mss = 1460), A_RING_FULL, VALID(1460, 0, 0, 0, 0, 0), .other_key = true },
	{ "ack6_ring_full_a_last_no_ts", V6(.opts = O_MSS, .mss = 1440), A_RING_FULL, VALID(1440, 0, 0, 0, 0, 0), .other_key = true },
	{ "ack4_ring_same_key_id",  V4(LINUX(1460, 7)),                A_RING_SAME_ID, VALID(1460, 1, 7, 7, 1, 1), .other_key = true },
	{ "ack4_ring_full_without_a", V4(LINUX(1460, 7)),              A_RING_OTHERS, INVALID },
	{ "ack4_ring_full_without_a_no_ts", V4(.opts = O_MSS, .mss = 1460), A_RING_OTHERS, INVALID },
	{ "ack4_tsecr_key_id_tampered", V4(LINUX(1460, 7)),            A_TAMPER, INVALID, .arg = 1 << 9 },
	{ "ack4_tsecr_key_id_tampered_hi", V4(LINUX(1460, 7)),         A_TAMPER, INVALID, .arg = 2 << 9 },
	/* cookie age, timestamp mode: valid up to 120 s old and 2048 ms ahead; the
	 * TSval's time is rounded down to 2.048 s, so a cookie issued .arg ms ago
	 * is up to .arg + 2047 ms old: the rows that must pass stay below 117953 */
	{ "ack4_ref_ts_fresh",      V4(LINUX(1460, 7)),                A_REF_TS, VALID(1460, 1, 7, 7, 1, 1), .arg = 0 },
	{ "ack4_ref_ts_age_100s",   V4(LINUX(1460, 7)),                A_REF_TS, VALID(1460, 1, 7, 7, 1, 1), .arg = 100000 },
	{ "ack4_ref_ts_age_117s",   V4(LINUX(1460, 7)),                A_REF_TS, VALID(1460, 1, 7, 7, 1, 1), .arg = 117000 },
	{ "ack4_ref_ts_age_125s",   V4(LINUX(1460, 7)),                A_REF_TS, INVALID, .arg = 125000 },
	{ "ack4_ref_ts_age_200s",   V4(LINUX(1460, 7)),                A_REF_TS, INVALID, .arg = 200000 },
	{ "ack6_ref_ts_age_200s",   V6(LINUX(1440, 7)),                A_REF_TS, INVALID, .arg = 200000 },
	{ "ack6_ref_ts_age_125s",   V6(LINUX(1440, 7)),                A_REF_TS, INVALID, .arg = 125000 },
	{ "ack6_ref_ts_age_117s",   V6(LINUX(1440, 7)),                A_REF_TS, VALID(1440, 1, 7, 7, 1, 1), .arg = 117000 },
	{ "ack4_ref_ts_ahead_1s",   V4(LINUX(1460, 7)),                A_REF_TS, VALID(1460, 1, 7, 7, 1, 1), .arg = -1000 },
	{ "ack4_ref_ts_ahead_10s",  V4(LINUX(1460, 7)),                A_REF_TS, INVALID, .arg = -10000 },
	/* clock skew between the host that issued and the one that checks: the
	 * TSval's time counts 2.048 s units (rounded down), so an issuer ahead by
	 * up to SO_COOKIE_SKEW_MS is always taken, ahead by 2048 + 2047 ms never */
	{ "ack4_ref_ts_skew_issuer_ahead_2s", V4(LINUX(1460, 7)),      A_REF_TS, VALID(1460, 1, 7, 7, 1, 1), .arg = -2000 },
	{ "ack6_ref_ts_skew_issuer_ahead_2s", V6(LINUX(1440, 7)),      A_REF_TS, VALID(1440, 1, 7, 7, 1, 1), .arg = -2000 },
	{ "ack4_ref_ts_skew_issuer_ahead_4200ms", V4(LINUX(1460, 7)),  A_REF_TS, INVALID, .arg = -4200 },
	{ "ack4_ref_ts_skew_issuer_ahead_37s", V4(LINUX(1460, 7)),     A_REF_TS, INVALID, .arg = -37000 }, /* TAI offset set on one host only */
	{ "ack4_ref_ts_skew_issuer_behind_117s", V4(LINUX(1460, 7)),   A_REF_TS, VALID(1460, 1, 7, 7, 1, 1), .arg = 117900 },
	/* cookie age, no timestamps: the period of issue and the next one */
	{ "ack4_ref_nots_this_period", V4(.opts = O_MSS, .mss = 1460), A_REF_NOTS, VALID(1460, 0, 0, 0, 0, 0), .arg = 0 },
	{ "ack4_ref_nots_prev_period", V4(.opts = O_MSS, .mss = 1460), A_REF_NOTS, VALID(1460, 0, 0, 0, 0, 0), .arg = 1 },
	{ "ack4_ref_nots_two_periods", V4(.opts = O_MSS, .mss = 1460), A_REF_NOTS, INVALID, .arg = 2 },
	{ "ack6_ref_nots_two_periods", V6(.opts = O_MSS, .mss = 1440), A_REF_NOTS, INVALID, .arg = 2 },
	{ "ack4_ref_nots_three_periods", V4(.opts = O_MSS, .mss = 1460), A_REF_NOTS, INVALID, .arg = 3 },
	/* without timestamps, an issuer already in the next period (its clock
	 * ahead, near a period's edge) makes a cookie the checker refuses */
	{ "ack4_ref_nots_skew_issuer_next_period", V4(.opts = O_MSS, .mss = 1460), A_REF_NOTS, INVALID, .arg = -1 },
};

/* What the ACK returns: the cookie and, in timestamp mode, the TSval it echoes. */
struct cookie {
	__u32 isn;
	__u32 tsval;
	bool ts;
};

/* As `rekey` without a file does: the new key into the ring not in force,
 * the old one retiring behind it, then gen moves on. */
static struct so_secret rekeyed(__s64 grace_s)
{
	struct so_secret s = default_secret;
	const __u64 key_new[2] = KEY_NEW;
	struct so_ring *r = &s.ring[1];

	memcpy(r->key[0].k, key_new, sizeof(key_new));
	r->key[1] = s.ring[0].key[0];
	r->key[1].retire_tai_ns = tai_ns() + grace_s * 1000000000LL;
	r->nkeys = 2;
	s.gen = 1;
	return s;
}

static int set_other_key(void)
{
	struct so_secret s = default_secret;
	const __u64 key_other[2] = KEY_OTHER;

	memcpy(s.ring[0].key[0].k, key_other, sizeof(key_other));
	return set_secret(&s);
}

/* A key other than the default (A), the nth; of A's key id if same_id. */
static void other_key(unsigned int n, bool same_id, __u64 k[2])
{
	const __u64 *a = default_secret.ring[0].key[0].k;
	__u32 id = key_fingerprint(a) & SO_KEY_ID_MASK;

	for (__u64 i = 0;; i++) {
		k[0] = 0x5555555555555555ULL + n;
		k[1] = i;
		if (!same_id || (key_fingerprint(k) & SO_KEY_ID_MASK) == id)
			return;
	}
}

/* The ring of the case: keys[i] = 'A' (the default key) or the nth other. */
static int set_ring(const char *keys, bool same_id)
{
	struct so_secret s = { .gen = 1 };
	struct so_ring *r = &s.ring[1];

	for (r->nkeys = 0; keys[r->nkeys]; r->nkeys++) {
		__u64 *k = r->key[r->nkeys].k;

		if (keys[r->nkeys] == 'A')
			memcpy(k, default_secret.ring[0].key[0].k, 16);
		else
			other_key(keys[r->nkeys] - 'B', same_id, k);
	}
	return set_secret(&s);
}

/* Non-TS cookies carry the period's parity: keep clear of a period edge. */
static void avoid_period_edge(void)
{
	__u64 period_ns = 1ULL << SO_NOTS_PERIOD_SHIFT;
	__u64 left = period_ns - tai_ns() % period_ns;

	if (left < 300000000ULL)
		usleep(left / 1000 + 1000);
}

static bool has_opt(const struct pkt_spec *s, unsigned o)
{
	return (s->opts & o) != 0;
}

/* A cookie made by the reference for the SYN, .arg ms or periods ago. */
static void ref_cookie(const struct ack_case *c, struct cookie *k)
{
	const struct pkt_spec *s = &c->syn;
	int fam = s->family == 6 ? 6 : 4;
	__u8 idx = ref_mss_idx(fam, has_opt(s, O_MSS) ? s->mss : 0);
	__u8 ws = has_opt(s, O_WS) ? (s->wscale > 14 ? 14 : s->wscale) : SO_WS_NONE;
	struct ref_flow f;

	ref_flow_of(s, spec_seq(s), &f);
	k->ts = c->how == A_REF_TS;
	if (k->ts) {
		__u32 ms = (__u32)(tai_ns() / 1000000) - (__u32)c->arg;

		k->tsval = ref_ts_tsval(ms, idx, ws, has_opt(s, O_SACK), 0, cur_key_id());
		k->isn = ref_ts_isn(cur_key(), &f, k->tsval);
	} else {
		__u64 period = (tai_ns() >> SO_NOTS_PERIOD_SHIFT) - c->arg;

		k->tsval = 0;
		k->isn = ref_nots_isn(cur_key(), &f, period, idx);
	}
}

/* Run the SYN through XDP and read the cookie off its SYN-ACK. */
static bool handshake_cookie(const struct ack_case *c, struct cookie *k)
{
	static struct xdp_result r;
	struct synack_seen seen;
	struct frame f;

	if (build_frame(&c->syn, &f) || run_xdp(&f, 0, &r))
		return false;
	if (r.verdict != XDP_TX) {
		case_fail("the SYN before the ACK: expected XDP_TX, got %s",
			  xdp_verdict_name(r.verdict));
		return false;
	}
	synack_read(&r, c->syn.family == 6 ? 6 : 4, &seen);
	k->isn = seen.isn;
	k->tsval = seen.tsval;
	k->ts = seen.ts;
	return true;
}

static bool issue_cookie(const struct ack_case *c, struct cookie *k)
{
	struct so_secret s = rekeyed(60);

	if (c->how == A_REKEY_FIRST && set_secret(&s)) {
		case_fail("cannot write the secret map");
		return false;
	}
	if (c->how == A_REF_TS || c->how == A_REF_NOTS) {
		ref_cookie(c, k);
		return true;
	}
	return handshake_cookie(c, k);
}

/* What happens between the SYN-ACK and the ACK. */
static bool before_ack(const struct ack_case *c, const struct cookie *k)
{
	struct so_secret s;
	int err = 0;

	if (c->how == A_SLOT_TAKEN) {
		/* the cookie's own ISN, another client port: the port check
		 * alone must refuse it */
		struct so_synopt v = { .isn = k->isn, .sport = htons(12345), .wscale = 3, .sack = 1 };

		err = synopt_write(&v);
	} else if (c->how == A_RESYN) {
		static struct xdp_result r;
		struct pkt_spec s = c->syn;
		struct frame f;

		s.seq = spec_seq(&c->syn) + 1000;
		err = build_frame(&s, &f) || run_xdp(&f, 0, &r) ? -1 : 0;
	} else if (c->how == A_RING_BA) {
		err = set_ring("BA", false);
	} else if (c->how == A_RING_AB) {
		err = set_ring("AB", false);
	} else if (c->how == A_RING_B) {
		err = set_ring("B", false);
	} else if (c->how == A_RING_FULL) {
		err = set_ring("BCDEFGHA", false);
	} else if (c->how == A_RING_OTHERS) {
		err = set_ring("BCDEFGHI", false);
	} else if (c->how == A_RING_SAME_ID) {
		err = set_ring("BA", true);
	} else if (c->how == A_OTHER_KEY) {
		err = set_other_key();
	} else if (c->how == A_REKEY) {
		s = rekeyed(c->arg);
		err = set_secret(&s);
	}
	if (err)
		case_fail("cannot write the secret map");
	return !err;
}

static void ack_spec(const struct ack_case *c, const struct cookie *k, struct pkt_spec *a)
{
	const struct pkt_spec *s = &c->syn;
	__u32 tamper = c->how == A_TAMPER ? (__u32)c->arg : 0;

	memset(a, 0, sizeof(*a));
	a->family = s->family;
	a->saddr = c->saddr ? c->saddr : s->saddr;
	a->daddr = c->daddr ? c->daddr : s->daddr;
	a->sport = c->sport ? c->sport : spec_sport(s);
	a->dport = c->dport ? c->dport : spec_dport(s);
	a->ipopt_len = s->ipopt_len;
	a->seq = spec_seq(s) + 1 + c->seq_delta;
	a->ack = c->how == A_FORGED ? 0x5eed1234 : (k->isn ^ (k->ts ? 0 : tamper)) + 1;
	a->flags = F_ACK;
	a->window = 502;
	if (c->how == A_DATA) {
		a->flags |= F_PSH;
		a->payload_len = 100;
	}
	if (k->ts && c->how != A_NO_TS_ECHO) {
		a->opts = O_TS;
		a->tsval = spec_tsval(s) + 7;
		a->tsecr = k->tsval ^ tamper;
	}
}

/* The decoded cookie of a valid ACK: in front of the frame, or where XDP
 * has no metadata, in ackmeta under the ACK's own 4-tuple. */
static bool meta_of(const struct xdp_result *r, const struct pkt_spec *a, struct so_meta *m)
{
	if (env_xdp_meta) {
		if (!check_u64(r->meta_len, sizeof(*m), "metadata length (ctx_out data - data_meta)"))
			return false;
		memcpy(m, r->out, sizeof(*m));
		return true;
	}
	check_u64(r->meta_len, 0, "metadata length (none: ackmeta instead)");
	if (!check_u64(r->meta_in_map, 1, "an ackmeta entry after the run"))
		return false;
	check_u64(r->map_meta_key.family, a->family == 6 ? 6 : 4, "ackmeta key family");
	check_u64(ntohs(r->map_meta_key.sport), a->sport ? a->sport : 40000, "ackmeta key sport (client's)");
	check_u64(ntohs(r->map_meta_key.dport), a->dport ? a->dport : 80, "ackmeta key dport");
	*m = r->map_meta;
	return true;
}

void check_meta(const struct xdp_result *r, const struct meta_exp *e, const struct pkt_spec *a)
{
	const __u8 zero[3] = { 0 };
	struct so_meta m;

	if (!meta_of(r, a, &m))
		return;
	check_hex(m.magic, SO_META_MAGIC, "meta magic");
	check_u64(m.attrs.mss, e->mss, "meta mss");
	check_u64(m.attrs.wscale_ok, e->wscale_ok, "meta wscale_ok");
	check_u64(m.attrs.snd_wscale, e->snd_wscale, "meta snd_wscale (client's)");
	check_u64(m.attrs.rcv_wscale, e->rcv_wscale, "meta rcv_wscale (ours)");
	check_u64(m.attrs.sack_ok, e->sack_ok, "meta sack_ok");
	check_u64(m.attrs.tstamp_ok, e->tstamp_ok, "meta tstamp_ok");
	check_hex(m.attrs.rcv_tsval, e->tstamp_ok ? spec_tsval(a) : 0,
		  "meta rcv_tsval (the ACK's TSval)");
	check_hex(m.attrs.rcv_tsecr, e->tstamp_ok ? a->tsecr : 0,
		  "meta rcv_tsecr (the ACK's TSecr)");
	check_u64(m.attrs.ecn_ok, e->ecn_ok, "meta ecn_ok");
	check_u64(m.attrs.usec_ts_ok, 0, "meta usec_ts_ok");
	check_bytes(m.attrs.reserved, zero, sizeof(zero), "meta reserved");
}

static void check_ack(const struct ack_case *c, const struct pkt_spec *a, const struct frame *f,
		      const struct xdp_result *r)
{
	if (!c->valid) {
		check_xdp(r, XDP_DROP, C(ACK_COOKIE_INVALID));
		return;
	}
	check_xdp(r, XDP_PASS,
		  C(ACK_COOKIE_VALID) | C_META_MAP | (c->other_key ? C(ACK_COOKIE_OTHER_KEY) : 0) |
			  (!c->meta.tstamp_ok && (c->meta.sack_ok || c->meta.wscale_ok)
				   ? C(SYNOPT_RESTORED)
				   : 0));
	if (r->verdict != XDP_PASS)
		return;
	check_meta(r, &c->meta, a);
	if (check_u64(r->out_len - r->meta_len, f->len, "frame length after the metadata"))
		check_bytes(r->out + r->meta_len, f->b, f->len, "frame after the metadata (unchanged)");
}

static void run_ack_case(const struct ack_case *c)
{
	static struct xdp_result r;
	struct pkt_spec a;
	struct cookie k;
	struct frame f;

	if (!has_opt(&c->syn, O_TS))
		avoid_period_edge();
	synopts_clear();
	if (!issue_cookie(c, &k) || !before_ack(c, &k))
		goto out;
	ack_spec(c, &k, &a);
	if (build_frame(&a, &f) || run_xdp(&f, 0, &r))
		goto out;
	check_ack(c, &a, &f, &r);
	if (case_failed()) {
		dump("ACK in", f.b, f.len);
		dump("out", r.out, r.out_len);
	}
out:
	reset_maps();
}

/* --- segments of sockets that exist (made in the test's namespace) --------- */

struct sock_case {
	const char *name;
	int family;
	__u8 flags;       /* F_PSH adds 100 bytes of data */
	bool other_port;  /* from a client port with no connection: only the listener */
	__u32 verdict;
	__u64 counters;
	bool unconfirmed; /* a conns entry, not confirmed yet (its socket unseen) */
};

static const struct sock_case sock_cases[] = {
	{ "ack4_existing_socket",  4, F_ACK,         false, XDP_PASS, C(PASSED_SOCKET) },
	{ "data4_existing_socket", 4, F_ACK | F_PSH, false, XDP_PASS, C(PASSED_SOCKET) },
	{ "fin4_existing_socket",  4, F_ACK | F_FIN, false, XDP_PASS, C(PASSED_SOCKET) },
	{ "rst4_existing_socket",  4, F_RST,         false, XDP_PASS, C(PASSED_SOCKET) },
	{ "ack6_existing_socket",  6, F_ACK,         false, XDP_PASS, C(PASSED_SOCKET) },
	{ "rst6_existing_socket",  6, F_RST,         false, XDP_PASS, C(PASSED_SOCKET) },
	{ "ack4_listener_only",    4, F_ACK,         true,  XDP_DROP, C(ACK_COOKIE_INVALID) },
	{ "ack6_listener_only",    6, F_ACK,         true,  XDP_DROP, C(ACK_COOKIE_INVALID) },
	{ "rst4_listener_only",    4, F_RST,         true,  XDP_DROP, C(DROP_NO_SOCKET) },
	{ "fin6_listener_only",    6, F_FIN,         true,  XDP_DROP, C(DROP_NO_SOCKET) },
	/* an entry whose socket has not shown itself, a segment past the third
	 * ACK's (no cookie checks out): the socket's if it exists (the entry
	 * confirmed), else dropped, not passed to a kernel that would reset */
	{ "data4_unconfirmed_socket",    4, F_ACK | F_PSH, false, XDP_PASS, C(PASSED_TRACKED), true },
	{ "data6_unconfirmed_socket",    6, F_ACK | F_PSH, false, XDP_PASS, C(PASSED_TRACKED), true },
	{ "data4_unconfirmed_no_socket", 4, F_ACK | F_PSH, true,  XDP_DROP, C(DROP_UNCONFIRMED), true },
	{ "ack6_unconfirmed_no_socket",  6, F_ACK,         true,  XDP_DROP, C(DROP_UNCONFIRMED), true },
};


/* A listener on a protected port of SOCK_SERVER* (on lo) and one connection
 * to it from SOCK_CLIENT*, accepted. */
struct conn {
	int lfd, cfd, afd;
	__u16 lport, cport;
};

static int sock_addr(int family, const char *addr, __u16 port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == 6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, addr, &s4->sin_addr);
	return sizeof(*s4);
}

static __u16 local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

static int conn_open(int family, __u16 port, struct conn *c)
{
	struct sockaddr_storage ss, cs;
	int one = 1, af = family == 6 ? AF_INET6 : AF_INET;
	int len = sock_addr(family, family == 6 ? SOCK_SERVER6 : SOCK_SERVER4, port, &ss);
	int clen = sock_addr(family, family == 6 ? SOCK_CLIENT6 : SOCK_CLIENT4, 0, &cs);

	c->cfd = c->afd = -1;
	c->lfd = socket(af, SOCK_STREAM, 0);
	if (c->lfd < 0)
		return -1;
	setsockopt(c->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == 6)
		setsockopt(c->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(c->lfd, (struct sockaddr *)&ss, len) || listen(c->lfd, 8))
		return -1;
	c->cfd = socket(af, SOCK_STREAM, 0);
	if (c->cfd < 0 || bind(c->cfd, (struct sockaddr *)&cs, clen) ||
	    connect(c->cfd, (struct sockaddr *)&ss, len))
		return -1;
	c->afd = accept(c->lfd, NULL, NULL);
	c->lport = port;
	c->cport = local_port(c->cfd);
	return c->afd < 0 || !c->cport ? -1 : 0;
}

static void conn_close(struct conn *c)
{
	int fds[3] = { c->cfd, c->afd, c->lfd };

	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The conns/timewait key of the connection (client first). */
static void tw_key(int family, const struct conn *cn, struct so_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	k->sport = htons(cn->cport);
	k->dport = htons(cn->lport);
	if (family == 6) {
		inet_pton(AF_INET6, SOCK_CLIENT6, k->saddr);
		inet_pton(AF_INET6, SOCK_SERVER6, k->daddr);
	} else {
		inet_pton(AF_INET, SOCK_CLIENT4, k->saddr);
		inet_pton(AF_INET, SOCK_SERVER4, k->daddr);
	}
}

/* A segment of the connection cn (or from the next client port, with no
 * socket but the listener). */
static struct pkt_spec sock_seg(int family, __u8 flags, bool other_port, const struct conn *cn)
{
	struct pkt_spec a = {
		.family = family,
		.saddr = family == 6 ? SOCK_CLIENT6 : SOCK_CLIENT4,
		.daddr = family == 6 ? SOCK_SERVER6 : SOCK_SERVER4,
		.sport = other_port ? cn->cport + 1 : cn->cport,
		.dport = cn->lport,
		.ack = flags & F_ACK ? 0x2000 : 0,
		.flags = flags,
	};

	return a;
}

static void run_sock_case(const struct sock_case *c, const struct conn *cn)
{
	static struct xdp_result r;
	struct pkt_spec a = sock_seg(c->family, c->flags, c->other_port, cn);
	struct frame f;

	struct so_conn e = { .state = SO_ST_ESTABLISHED, .flags = SO_CF_UNCONFIRMED }, after;
	struct so_flow_key k;
	__u32 verdict = c->verdict;
	__u64 counters = c->counters;
	bool confirmed = verdict == XDP_PASS;

	a.seq = 0x1000;
	a.payload_len = c->flags & F_PSH ? 100 : 0;
	tw_key(c->family, cn, &k);
	k.sport = htons(a.sport);
	if (c->unconfirmed && conn_put(&k, &e)) {
		case_fail("cannot put the entry: %s", strerror(errno));
		return;
	}
	if (build_frame(&a, &f) || run_xdp(&f, 0, &r))
		goto out;
	if (c->unconfirmed && env_in_kernel_mode()) {
		/* Kernel mode (kc_unconfirmed): a socket found confirms the
		 * entry and counts conn_exists, as tc_ingress does in kfunc
		 * mode; none found, the segment goes to the kernel, whose own
		 * cookie check judges it (and resets the client), instead of
		 * kfunc mode's drop_unconfirmed. The entry stays unconfirmed. */
		verdict = XDP_PASS;
		counters = C(PASSED_TRACKED) | (c->other_port ? 0 : C(CONN_EXISTS));
		confirmed = !c->other_port;
	}
	check_xdp(&r, verdict, counters);
	if (c->unconfirmed && check_true(conn_get(&k, &after), "the entry is still there"))
		check_u64(after.flags & SO_CF_UNCONFIRMED, confirmed ? 0 : SO_CF_UNCONFIRMED,
			  "unconfirmed flag after (cleared once the socket is found)");
	if (verdict == XDP_PASS && check_u64(r.out_len, f.len, "frame length (unchanged)"))
		check_bytes(r.out, f.b, f.len, "frame (unchanged)");
	if (case_failed()) {
		dump("in", f.b, f.len);
		dump("out", r.out, r.out_len);
	}
out:
	if (c->unconfirmed)
		conns_clear();
}

static void test_sockets(void)
{
	struct conn cn[2];
	bool ok[2];

	ok[0] = conn_open(4, PORT_RANGE_LO, &cn[0]) == 0;
	ok[1] = conn_open(6, PORT_RANGE_LO, &cn[1]) == 0;
	for (size_t i = 0; i < sizeof(sock_cases) / sizeof(sock_cases[0]); i++) {
		const struct sock_case *c = &sock_cases[i];

		if (!case_begin(c->name))
			continue;
		if (!ok[c->family == 6])
			case_fail("cannot set up a connection between %s and %s on lo",
				  c->family == 6 ? SOCK_CLIENT6 : SOCK_CLIENT4,
				  c->family == 6 ? SOCK_SERVER6 : SOCK_SERVER4);
		else
			run_sock_case(c, &cn[c->family == 6]);
		case_end();
	}
	conn_close(&cn[0]);
	conn_close(&cn[1]);
}

/* --- SYNs for a TIME-WAIT socket that no entry stands for ------------------ */

enum tw_note {
	NOTE_NONE,    /* the timewait map is empty */
	NOTE_CLI,     /* attach noted the socket: a map entry, so_config.tw_cli_added + 1 */
	NOTE_EXPIRED, /* ... with an end already past */
	NOTE_UNCOUNTED, /* a note the filter has no count for (which the programs
			 * never leave): the filter alone decides, no lookup */
};

struct tw_case {
	const char *name;
	int family;
	__u8 flags;
	bool other_port;   /* from a client port with no socket but the listener */
	enum tw_note note;
	__u32 verdict;
	__u64 counters;
	bool noted_after;  /* the program noted the socket (SO_TW_CLOSING), a TIME-WAIT on */
};

#define SYN_SENT C(SYN_SEEN) | C(SYNACK_SENT)
#define SYN_TW C(SYN_SEEN) | C(PASSED_TIME_WAIT)

/* Each from an empty timewait map. A case that notes also sends a SYN of
 * the same 4-tuple, which must go to the kernel. */
static const struct tw_case tw_cases[] = {
	{ "syn4_time_wait_unknown_answered", 4, F_SYN, false, NOTE_NONE,    XDP_TX,   SYN_SENT },
	{ "syn4_time_wait_noted_to_kernel",  4, F_SYN, false, NOTE_CLI,     XDP_PASS, SYN_TW },
	{ "syn6_time_wait_noted_to_kernel",  6, F_SYN, false, NOTE_CLI,     XDP_PASS, SYN_TW },
	{ "syn4_other_port_answered",        4, F_SYN, true,  NOTE_CLI,     XDP_TX,   SYN_SENT },
	{ "syn4_note_expired_answered",      4, F_SYN, false, NOTE_EXPIRED, XDP_TX,   SYN_SENT },
	{ "syn4_filter_zero_no_lookup",      4, F_SYN, false, NOTE_UNCOUNTED, XDP_TX, SYN_SENT },
	{ "ack4_meets_time_wait_noted",      4, F_ACK, false, NOTE_NONE,    XDP_PASS, C(PASSED_SOCKET),
	  true },
	{ "ack6_meets_time_wait_noted",      6, F_ACK, false, NOTE_NONE,    XDP_PASS, C(PASSED_SOCKET),
	  true },
	{ "ack4_listener_only_not_noted",    4, F_ACK, true,  NOTE_NONE,    XDP_DROP,
	  C(ACK_COOKIE_INVALID) },
};

/* A connection to SOCK_SERVER* that the server closed first: its socket
 * is in TIME-WAIT for a minute (the listener stays). */
static int conn_time_wait(int family, __u16 port, struct conn *c)
{
	char b;

	if (conn_open(family, port, c) || close(c->afd))
		return -1;
	c->afd = -1;
	if (read(c->cfd, &b, 1) != 0) /* the server's FIN */
		return -1;
	close(c->cfd);
	c->cfd = -1;
	usleep(20000); /* the last ACK, on lo */
	return 0;
}

/* Note the socket as attach would: the entry, then the count in so_config. */
static bool note_as_cli(const struct tw_case *c, const struct conn *cn, __u64 until)
{
	struct so_config cfg = default_cfg;
	struct so_tw v = { .until_ns = until, .source = SO_TW_ATTACH,
			   .filtered = c->note == NOTE_UNCOUNTED };
	struct so_flow_key k;

	tw_key(c->family, cn, &k);
	cfg.tw_cli_added = 1;
	if (timewait_put(&k, &v) || set_config(&cfg)) {
		case_fail("cannot note the TIME-WAIT socket: %s", strerror(errno));
		return false;
	}
	return true;
}

static void check_noted(const struct tw_case *c, const struct conn *cn, __u64 t0)
{
	struct so_flow_key k;
	struct so_sweeper sw;
	struct so_tw v;

	tw_key(c->family, cn, &k);
	if (sweeper_read(&sw)) {
		case_fail("cannot read the sweeper map");
		return;
	}
	if (c->note == NOTE_CLI || c->note == NOTE_EXPIRED) {
		/* the first SYN after attach took the note into the filter */
		check_true(timewait_get(&k, &v) && v.filtered, "attach's note taken into the filter");
		check_u64(twf_count(&k), 1, "filter count of the 4-tuple");
	}
	if (!c->noted_after) {
		check_true(!timewait_get(&k, &v) || c->note != NOTE_NONE, "no note made");
		check_u64(sw.tw_orphans, c->note == NOTE_NONE ? 0 : 1, "sweeper tw_orphans");
		return;
	}
	if (!check_true(timewait_get(&k, &v), "the socket noted in the timewait map"))
		return;
	check_u64(v.source, SO_TW_CLOSING, "note source");
	check_true(v.until_ns >= t0 + SO_KERNEL_TW_NS && v.until_ns <= mono_ns() + SO_KERNEL_TW_NS,
		   "note lasts a TIME-WAIT from now");
	check_u64(sw.tw_orphans, 1, "sweeper tw_orphans");
	check_u64(sw.tw_inserts, 1, "sweeper tw_inserts");
	check_u64(twf_count(&k), 1, "filter count of the 4-tuple");
}

static void run_tw_case(const struct tw_case *c, const struct conn *cn)
{
	static struct xdp_result r;
	struct pkt_spec a = sock_seg(c->family, c->flags, c->other_port, cn);
	struct frame f;
	__u64 t0 = mono_ns();

	if (c->note == NOTE_CLI && !note_as_cli(c, cn, t0 + SO_KERNEL_TW_NS))
		return;
	if (c->note == NOTE_EXPIRED && !note_as_cli(c, cn, t0 - 1))
		return;
	if (c->note == NOTE_UNCOUNTED && !note_as_cli(c, cn, t0 + SO_KERNEL_TW_NS))
		return;
	if (build_frame(&a, &f) || run_xdp(&f, 0, &r))
		return;
	check_xdp(&r, c->verdict, c->counters);
	check_noted(c, cn, t0);
	if (!c->noted_after)
		return;
	a = sock_seg(c->family, F_SYN, c->other_port, cn);
	if (!build_frame(&a, &f) && !run_xdp(&f, 0, &r))
		check_xdp(&r, XDP_PASS, SYN_TW);
}

static void test_time_wait(void)
{
	struct conn cn[2];
	bool ok[2];

	ok[0] = conn_time_wait(4, PORT_RANGE_LO + 1, &cn[0]) == 0;
	ok[1] = conn_time_wait(6, PORT_RANGE_LO + 1, &cn[1]) == 0;
	for (size_t i = 0; i < sizeof(tw_cases) / sizeof(tw_cases[0]); i++) {
		const struct tw_case *c = &tw_cases[i];

		if (!case_begin(c->name))
			continue;
		reset_maps();
		sweeper_tw_reset();
		if (c->verdict == XDP_TX && !env_kfunc)
			case_skip("a SYN answered with shakeoff's own cookie (kfunc mode); kernel "
				  "mode answers with a live listener's cookie only (test_kcookie)");
		else if (!ok[c->family == 6])
			case_fail("cannot leave a TIME-WAIT socket of %s on lo",
				  c->family == 6 ? SOCK_SERVER6 : SOCK_SERVER4);
		else
			run_tw_case(c, &cn[c->family == 6]);
		case_end();
	}
	reset_maps();
	sweeper_tw_reset();
	conn_close(&cn[0]);
	conn_close(&cn[1]);
}

void test_ack(void)
{
	if (env_kfunc)
		RUN_TABLE(ack_cases, run_ack_case);
	else if (case_begin("ack_cookies"))
		case_skip("the cases are ACKs of shakeoff's own cookies; this object runs "
			  "completion mode kernel (test_kcookie checks the kernel's)");
	test_sockets();
	test_time_wait();
}
