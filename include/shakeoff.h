/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shakeoff.h - the one header shared by the BPF programs, the CLI and the tests.
 *
 * Everything that crosses the kernel/user boundary lives here: map keys and
 * values, the XDP->TC metadata, the counter list and the cookie bit layout.
 * Only fixed-width types, explicit padding and a size assertion per struct, so
 * that the BPF object (clang -target bpf) and the CLI (gcc, x86_64) agree on
 * every byte without a second copy of any struct.
 */
#pragma once

#include <linux/types.h>
#include <linux/bpf.h> /* struct bpf_timer */

#define SO_VERSION "0.1.0"

/*
 * Counters. One list, expanded twice: into the enum that indexes the per-CPU
 * counter array, and into the JSON key names the CLI prints. Adding a counter
 * is one line here.
 *
 * Every packet the XDP program sees ends in exactly one "verdict" counter
 * (V); "event" counters (E) count something that happened along the way and
 * overlap with the verdicts. TC counters (T) count what the TC programs did.
 * The kind letter is used by the tests to check that verdicts add up.
 */
#define SO_COUNTERS(X)                                                               \
	/* SYN path */                                                                   \
	X(SYN_SEEN, syn_seen, E, "SYNs to a protected port")                             \
	X(SYNACK_SENT, synack_sent, V, "SYN-ACKs with a cookie sent back")               \
	X(SYNOPT_SAVED, synopt_saved, E,                                                 \
	  "SYNs without timestamps whose SACK and window scale were kept (synopts)")     \
	X(SYNOPT_OVER_BUDGET, synopt_over_budget, E,                                     \
	  "SYNs without timestamps answered with MSS only: synopts' write budget spent") \
	/* ACK path */                                                                   \
	X(ACK_COOKIE_VALID, ack_cookie_valid, V,                                         \
	  "ACKs with a valid cookie, sent on (to TC, or in kernel mode to the kernel)")  \
	X(SYNOPT_RESTORED, synopt_restored, E,                                           \
	  "valid cookie ACKs without timestamps that found their SYN's options")         \
	X(ACK_COOKIE_OTHER_KEY, ack_cookie_other_key, E,                                 \
	  "valid cookie ACKs of a key of the ring other than the issuing one")          \
	X(ACK_META_MAP, ack_meta_map, E,                                                 \
	  "valid cookie ACKs whose options went to TC in the map ackmeta: no XDP metadata here") \
	X(ACK_COOKIE_INVALID, ack_cookie_invalid, V,                                     \
	  "ACKs with an invalid or expired cookie and no socket, dropped")               \
	X(PASSED_TRACKED, passed_tracked, V, "segments of connections shakeoff created") \
	X(PASSED_SOCKET, passed_socket, V, "segments of other existing sockets")         \
	X(PASSED, passed, V, "packets not for shakeoff, passed untouched")               \
	/* drop reasons: each a verdict */                                               \
	X(DROP_MALFORMED, drop_malformed, V, "truncated or malformed headers")           \
	X(DROP_IP_CSUM, drop_bad_ip_csum, V, "SYNs with a bad IPv4 header checksum")     \
	X(DROP_TCP_CSUM, drop_bad_tcp_csum, V, "SYNs with a bad TCP checksum")           \
	X(DROP_SYN_FLAGS, drop_syn_flags, V, "SYNs with FIN or RST also set")            \
	X(DROP_FRAGMENT, drop_fragment, V,                                               \
	  "first fragments to a protected port of a SYN, or of no known connection")     \
	X(DROP_NO_SOCKET, drop_no_socket, V, "non-ACK segments that belong to no socket") \
	X(DROP_NO_ROOM, drop_no_room, V, "no head- or tailroom for the SYN-ACK or metadata") \
	X(DROP_TOO_DEEP, drop_too_deep, V,                                               \
	  "more VLAN tags or IPv6 extension headers than shakeoff walks")               \
	X(DROP_BAD_SOURCE, drop_bad_source, V,                                           \
	  "SYNs from multicast, broadcast, loopback, unspecified or own address, or port 0") \
	X(DROP_RATE_LIMITED, drop_rate_limited, V, "SYNs over the --synack-rate budget") \
	X(DROP_DENIED, drop_denied, V, "packets to protected ports from the deny list")     \
	X(DROP_UNCONFIRMED, drop_unconfirmed, V,                                         \
	  "later segments of a connection whose socket the kernel has not made yet "     \
	  "(full accept queue), dropped: the client sends again from the third ACK's sequence number") \
	X(PASSED_ALLOWED, passed_allowed, V, "SYNs from the allow list, passed to the kernel") \
	X(PASSED_UNARMED, passed_unarmed, V, "packets passed to the kernel while --arm auto is idle") \
	X(PASSED_SPEAK_FIRST, passed_speak_first, V,                                     \
	  "SYNs to --speak-first ports passed to the kernel while no flood is on")      \
	X(PASSED_TIME_WAIT, passed_time_wait, V,                                         \
	  "SYNs for a 4-tuple in time_wait, handed to the kernel (RFC 6191)")            \
	X(PASSED_KERNEL_COOKIE, passed_kernel_cookie, V,                                 \
	  "ACKs with a valid cookie of the kernel's own (a SYN it answered), passed")    \
	X(PASSED_SIGNED, passed_signed, V,                                               \
	  "SYNs signed with TCP-MD5 or TCP-AO, handed to the kernel within --signed-rate") \
	X(DROP_SIGNED_RATE, drop_signed_rate, V,                                         \
	  "signed SYNs over the --signed-rate budget, dropped")                          \
	X(PASSED_MPTCP, passed_mptcp, V,                                                 \
	  "SYNs to a port whose listener is MPTCP, handed to the kernel")                \
	X(PASSED_MONITOR, passed_monitor, E,                                             \
	  "--arm monitor: packets passed that would have been answered or dropped")   \
	/* completion mode "kernel" (bpf/kcookie.h): SYNs the kernel's cookie      \
	 * helper cannot answer go to the kernel */                                \
	X(PASSED_NO_LISTENER, passed_no_listener, V,                                     \
	  "kernel mode: SYNs to a port with no listener, passed (the kernel resets them)") \
	X(PASSED_COOKIE_REFUSED, passed_cookie_refused, V,                               \
	  "kernel mode: SYNs the kernel's cookie helper refused (tcp_syncookies 0), passed") \
	/* TC ingress: turning a valid cookie into a socket */                          \
	X(CONN_CREATED, conn_created, T,                                                 \
	  "connections created (first kfunc success, or kernel mode's first valid ACK, per 4-tuple)") \
	X(CONN_RETRIED, conn_retried, T,                                                 \
	  "kfunc again for a connection not yet complete (accept queue full, or two CPUs)") \
	X(CONN_CREATE_FAILED, conn_create_failed, T, "kfunc failures (sum of the next)") \
	X(CONN_ERR_EINVAL, conn_err_einval, T, "kfunc -EINVAL (sysctl or MSS refused)")  \
	X(CONN_ERR_ENETUNREACH, conn_err_enetunreach, T, "kfunc -ENETUNREACH")           \
	X(CONN_ERR_ENOMEM, conn_err_enomem, T, "kfunc -ENOMEM")                          \
	X(CONN_ERR_OTHER, conn_err_other, T, "kfunc, any other errno")                   \
	X(CONN_NO_LISTENER, conn_no_listener, T, "valid cookie but no listener (RST)")   \
	X(MPTCP_LEARNED, mptcp_learned, T,                                               \
	  "ports found MPTCP by a kfunc refusal: their SYNs go to the kernel from then on") \
	X(CONN_EXISTS, conn_exists, T, "valid cookie for an existing socket")            \
	/* teardown tracking: every exit from the connection table */                    \
	X(FIN_IN, fin_in, T, "first FINs from clients")                                  \
	X(FIN_OUT, fin_out, T, "first FINs from servers")                                \
	X(CLOSED_GRACEFUL, closed_graceful, T, "connections closed by FIN exchange")     \
	X(CLOSED_RESET, closed_reset, T, "connections ended by RST")                     \
	X(EXPIRED_IDLE, expired_idle, T,                                                 \
	  "entries expired after the idle timeout (evicted ones not: see evicted)")     \
	X(CONN_REPLACED, conn_replaced, T, "entries replaced by a new connection, same 4-tuple") \
	X(EVICTED, evicted, T,                                                           \
	  "entries pushed out of the full table by an insert (counted by housekeeping; " \
	  "before kernel 6.6 inferred by the CLI from the other exits)")                 \
	/* shakeoff events: only while one runs (so_config.listen) */                    \
	X(EVENT_SENT, event_sent, E, "connection events put in the events ring")         \
	X(EVENT_LOST, event_lost, E, "connection events lost: the events ring was full") \
	X(DROP_SAMPLED, drop_sampled, E, "dropped packets sampled into the drops ring")  \
	X(DROP_SAMPLE_LOST, drop_sample_lost, E, "drop samples lost: the drops ring was full")

enum so_counter {
#define SO_X_ENUM(id, key, kind, help) SO_C_##id,
	SO_COUNTERS(SO_X_ENUM)
#undef SO_X_ENUM
	SO_C_MAX,
};

/* The value of the per-CPU map "stats" (one entry): one named field per
 * counter, in enum order, so that bpftool prints names, a packet costs one
 * map lookup, and readers may index it as __u64[SO_C_MAX]. */
struct so_stats {
#define SO_X_FIELD(id, key, kind, help) __u64 key;
	SO_COUNTERS(SO_X_FIELD)
#undef SO_X_FIELD
};
_Static_assert(sizeof(struct so_stats) == SO_C_MAX * sizeof(__u64), "so_stats layout");

static inline __u64 *so_stats_slot(struct so_stats *s, enum so_counter c)
{
	return (__u64 *)s + c;
}

/* What the stages of the XDP program tell each other. Never an XDP_* value. */
enum so_result {
	SO_CONTINUE = 0, /* not decided yet: go on to the next stage */
	SO_PASS,         /* hand to the kernel untouched */
	SO_DROP,         /* drop */
	SO_TX,           /* the packet is now a SYN-ACK: send it back */
};

/* --- configuration (map "config", one entry) --------------------------- */

enum so_tx_mode {
	SO_TX_XDP = 0,      /* XDP_TX */
	SO_TX_REDIRECT = 1, /* bpf_redirect() to the ingress interface (veth) */
};

/* How a valid cookie ACK becomes a socket (attach --complete). */
enum so_complete {
	SO_COMPLETE_KFUNC = 0,  /* our cookies; TC calls bpf_sk_assign_tcp_reqsk (6.9+) */
	SO_COMPLETE_KERNEL = 1, /* the kernel's own cookies and check (bpf/kcookie.h) */
};

/* The program that only completion mode kfunc loads (it calls the kfunc,
 * which kernel mode's kernels may lack): attach leaves it out in kernel
 * mode, and test_load checks it in kfunc mode alone. */
#define SO_PROG_KFUNC_ONLY "tc_ingress"

enum so_xdp_mode {
	SO_XDP_NATIVE = 0,
	SO_XDP_SKB = 1,
};

/* Options the listener's namespace allows (sysctls read at attach). */
#define SO_OPT_TIMESTAMPS (1u << 0)
#define SO_OPT_SACK (1u << 1)
#define SO_OPT_WSCALE (1u << 2)
#define SO_OPT_ECN (1u << 3) /* net.ipv4.tcp_ecn != 0: incoming ECN requests accepted */

struct so_config {
	__u32 ifindex;
	__u16 mss4;   /* MSS we advertise in IPv4 SYN-ACKs */
	__u16 mss6;   /* MSS we advertise in IPv6 SYN-ACKs */
	__u8 wscale;  /* our window scale (rcv_wscale), 0..14 */
	__u8 ttl;     /* IPv4 TTL and IPv6 hop limit of SYN-ACKs */
	__u8 tx_mode; /* enum so_tx_mode */
	__u8 xdp_mode; /* enum so_xdp_mode, informational */
	__u32 options; /* SO_OPT_* the namespace allows */
	__u32 conn_max; /* size of the connection table */
	__u32 time_wait_s;    /* linger of time_wait entries */
	__u64 attached_ns;    /* CLOCK_REALTIME of attach, informational */
	__u32 idle_timeout_s; /* entries idle this long expire */
	__u32 synack_rate;    /* SYN-ACK budget per second, all CPUs; 0 = none */
	__u8 arm;     /* enum so_arm */
	__u8 lists;   /* SO_LIST_*: the allow/deny tries that have entries */
	__u8 top;     /* 1: count SYNs and invalid ACKs per source ("sources") */
	__u8 speak_first; /* 1: the "speakfirst" map has ports (--speak-first) */
	__u32 arm_threshold;      /* --arm auto and --speak-first: SYNs per second (all
				   * CPUs) that arm */
	__u64 synack_interval_ns; /* the budget per CPU: one SYN-ACK per this many ns
				   * (more than a second when the rate is below the
				   * number of CPUs) */
	__u64 tw_cli_added;       /* entries attach and set put in the "timewait"
				   * map, in all (the programs count them in) */
	__u8 listen;  /* SO_LISTEN_*: a shakeoff events reads the ring (events.h) */
	__u8 complete; /* enum so_complete, informational (the programs read
			* their rodata so_complete, fixed at load) */
	__u8 pad[6];
	__u64 signed_interval_ns; /* signed SYNs to the kernel, per CPU: one per this
				   * many ns (--signed-rate); 0: only allowed sources */
	__u32 signed_rate;        /* --signed-rate, all CPUs (informational) */
	__u32 kernel_ports;       /* ports set in "kports": SYNs to look up there */
};
_Static_assert(sizeof(struct so_config) == 88, "so_config layout");

/* Arming modes (--arm). */
enum so_arm {
	SO_ARM_ALWAYS = 0,  /* answer every SYN to a protected port */
	SO_ARM_MONITOR = 1, /* count what would happen, pass everything */
	SO_ARM_AUTO = 2,    /* let the kernel answer until the SYN rate passes
			     * arm_threshold; back below half of it for a second,
			     * the kernel answers again */
};

/* so_config.listen: what a running `shakeoff events` reads. */
#define SO_LISTEN_EVENTS 0x01 /* connection events, ring "events" */
#define SO_LISTEN_DROPS 0x02  /* drop samples, ring "drops" */

/* so_config.lists: skip empty tries without a lookup. */
#define SO_LIST_ALLOW4 0x01
#define SO_LIST_ALLOW6 0x02
#define SO_LIST_DENY4 0x04
#define SO_LIST_DENY6 0x08

#define SO_TIME_WAIT_DEFAULT_S 60      /* Linux's TCP_TIMEWAIT_LEN */
/* How long a server's TIME-WAIT socket may last from what shakeoff sees of
 * it: TCP_TIMEWAIT_LEN, and a second for the clocks and timers. */
#define SO_KERNEL_TW_NS (61 * 1000000000ULL)

/* --- TIME-WAIT sockets no entry stands for (map "timewait", LRU hash) ----- */

/*
 * The server's TIME-WAIT sockets that no conns entry stands for: of a
 * connection that closed before attach, one the kernel made itself, one
 * whose entry left the table before the kernel's TIME-WAIT ended. A SYN
 * for such a 4-tuple goes to the kernel (RFC 6191). Key: struct
 * so_flow_key, as for conns.
 */
enum so_tw_source {
	SO_TW_ATTACH = 1,  /* attach or set found it in /proc/net/tcp */
	SO_TW_CLOSING = 2, /* a client's segment met the server's socket closing first */
	SO_TW_LINGER = 3,  /* its conns entry left early (--time-wait, idle timeout) */
};

struct so_tw {
	__u64 until_ns; /* bpf_ktime_get_ns() clock: the socket is gone by then */
	__u8 source;    /* enum so_tw_source */
	__u8 filtered;  /* counted in "twfilter" (attach's notes: once the programs
			 * have taken them in) */
	__u8 pad[6];
};
_Static_assert(sizeof(struct so_tw) == 16, "so_tw layout");

#define SO_TW_MAX 16384

#define SO_IDLE_TIMEOUT_DEFAULT_S 3600
#define SO_SWEEP_INTERVAL_NS 250000000ULL /* a tick costs the same at any table size */

/* --- protected ports (maps "ports" and "speakfirst", one entry each) ----- */

/* "speakfirst": the protected ports whose servers speak first (SMTP, MySQL,
 * FTP...): their SYNs go to the kernel while the SYN rate is below the
 * threshold, so that its SYN-ACK retransmission survives a lost third ACK. */
struct so_ports {
	__u64 bits[65536 / 64]; /* bit p set = port p (host order) protected */
};
_Static_assert(sizeof(struct so_ports) == 8192, "so_ports layout");

/* The same bitmap in map "kports": protected ports whose listener the
 * kfunc cannot serve (MPTCP: it refuses with -EINVAL), so their SYNs go to
 * the kernel. attach and set fill it from sock_diag. */

/* --- cookie secret: a key ring (map "secret", one entry) ---------------- */

/*
 * A ring of up to SO_KEYS_MAX SipHash keys: key[0] issues cookies, every key
 * validates them (the fleet's rotation: add the new key second on every host,
 * move it first, drop the old one). A key with retire_tai_ns set is retiring:
 * accepted until then (the key before a random `rekey`), then ignored.
 *
 * Two rings, ring[gen & 1] in force: the CLI writes the other one, then moves
 * gen on in a second write that leaves the ring in force byte for byte as it
 * was, so a reader never sees a half-written ring.
 *
 * A timestamp cookie's TSval carries the issuing key's id (SO_TS_KEY_SHIFT:
 * two bits the layout had spare, under the MAC), the low bits of its
 * fingerprint, the same on every host: an ACK is tried only under the keys
 * of that id, so a forged ACK costs one MAC while the ring's ids differ.
 * Cookies without timestamps have no bit to spare: every key is tried.
 */
#define SO_KEYS_MAX 8
#define SO_KEY_ID_MASK 3u

struct so_key {
	__u64 k[2];
	__u64 retire_tai_ns;  /* CLOCK_TAI; 0 = no end (a key of the file) */
	__u64 issued_tai_ns;  /* CLI only: when it last issued (0 = never), for rekey's rule */
	__u32 fp;             /* fingerprint (a hash of k, user/keyfile.c); & SO_KEY_ID_MASK = id */
	__u32 pad;
};
_Static_assert(sizeof(struct so_key) == 40, "so_key layout");

struct so_ring {
	struct so_key key[SO_KEYS_MAX];
	__u32 nkeys; /* 1..SO_KEYS_MAX */
	__u32 pad;
};
_Static_assert(sizeof(struct so_ring) == 328, "so_ring layout");

struct so_secret {
	struct so_ring ring[2];
	__u32 gen;
	__u32 pad;
};
_Static_assert(sizeof(struct so_secret) == 664, "so_secret layout");

/* How long a cookie lives, at most: two periods without timestamps (137.4 s),
 * SO_COOKIE_TS_MAX_AGE_MS plus skew with them; a key that issued within this
 * time is still needed. */
#define SO_COOKIE_LIFETIME_S 140

/*
 * Cookie layout. The MAC is SipHash-2-4 under the current 128-bit key over
 * little-endian 64-bit words:
 *   IPv4: w0 = saddr | daddr << 32           (addresses as stored in the packet)
 *   IPv6: w0..w3 = saddr[0..1], daddr[0..1]  (each 16-byte address as two words)
 *   then  w  = sport | dport << 16 | seq << 32  (ports as stored, seq host order)
 *   then  the 7 low bytes of aux (aux < 2^56)
 * i.e. standard SipHash of the 23 (IPv4) or 47 (IPv6) bytes: aux shares the
 * last block with the length byte, one compression fewer than a whole word.
 *
 * With timestamps (the client offered TS and the namespace allows it), the
 * SYN-ACK's TSval carries the time of issue and the options, and the whole
 * ISN is MAC:
 *   TSval = (tai_ms & SO_TS_TIME_MASK) | key_id << 9 | ecn << 8 | sack << 7 | wscale << 3
 *           | mss_idx
 *   ISN   = mac[31:0],  aux = TSval | 1 << 55        (tai_ms = CLOCK_TAI in ms, u32)
 * (ecn: the SYN was an ECN-setup SYN, RFC 3168 6.1.1, and the SYN-ACK an
 * ECN-setup SYN-ACK.)
 * The ACK's TSecr gives them back. The cookie is valid while
 * tai_ms - (TSecr & SO_TS_TIME_MASK), as s32, lies in
 * [-SO_COOKIE_SKEW_MS, SO_COOKIE_TS_MAX_AGE_MS]. CLOCK_TAI, not the monotonic
 * clock, so that hosts sharing a secret also share the clock.
 *
 * Without timestamps, the ISN holds the MAC, the MSS and the period (32
 * bits cannot hold a strong MAC and 11 bits of options too); window scale
 * and SACK are offered only while the "synopts" map can keep them (below),
 * ECN never:
 *   ISN = mac[27:0] << 4 | mss_idx << 1 | (period & 1)  (period = TAI ns >> 36, ~68.7 s)
 *   aux = (period mod 2^32) | mss_idx << 32
 * The ACK is accepted in the period of issue and the next one: 68.7-137 s.
 *
 * The ACK is tried under each key of the ring in order (the issuing key
 * first); in timestamp mode only under those whose id matches TSecr's.
 */
#define SO_AUX_TS_MODE (1ULL << 55) /* in aux: timestamp mode */
#define SO_TS_MSS_SHIFT 0
#define SO_TS_WS_SHIFT 3
#define SO_TS_SACK_SHIFT 7
#define SO_TS_ECN_SHIFT 8
#define SO_TS_KEY_SHIFT 9 /* 2 bits: the issuing key's id */
#define SO_TS_OPT_MASK 0x7ffu /* 11 option bits: the time counts 2.048 s units */
#define SO_TS_TIME_MASK (~SO_TS_OPT_MASK)
#define SO_WS_NONE 15 /* wscale field value: the client sent no window scale */
#define SO_COOKIE_TS_MAX_AGE_MS 120000 /* ~2 min, like the kernel's cookies */
#define SO_COOKIE_SKEW_MS 2048 /* tolerated clock skew between hosts */
_Static_assert(SO_COOKIE_LIFETIME_S * 1000 >= SO_COOKIE_TS_MAX_AGE_MS + SO_COOKIE_SKEW_MS,
	       "a key outlives its timestamp cookies");
#define SO_NOTS_PERIOD_SHIFT 36 /* period = TAI ns >> 36, 68.7 s */
#define SO_NOTS_MAC_SHIFT 4
#define SO_MSS_IDX_BITS 3
#define SO_MSS_IDX_MASK 7u
_Static_assert(SO_COOKIE_LIFETIME_S * 1000000000ULL >= 2ULL << SO_NOTS_PERIOD_SHIFT,
	       "a key outlives its cookies without timestamps");
_Static_assert((SO_KEY_ID_MASK << SO_TS_KEY_SHIFT & ~SO_TS_OPT_MASK) == 0,
	       "the key id lies in the TSval's option bits");

/* --- SYN options of clients without timestamps (map "synopts", array) ---- */

/*
 * A cookie without timestamps has no room for window scale and SACK next
 * to its MAC, so the SYN's are kept here: a direct-mapped table shared by
 * all CPUs (the third ACK may arrive on another one), whose slot is picked
 * by the cookie's own MAC bits (SO_SYNOPT_SLOT): the ACK finds it from the
 * cookie it returns, with no hash to compute and no lock, and nobody
 * without the secret can aim at a slot. The entry holds the ISN and the
 * client's port, which the ACK must match. Written as one 8-byte word, so
 * that a reader on another CPU never sees half an entry. At most
 * SO_SYNOPT_RATE writes a second, all CPUs together (a GCRA budget per
 * CPU, bursts of one second's worth): under a flood the SYNs past it get
 * MSS only, as with the kernel's own cookies, and a slot is overwritten
 * on average every SO_SYNOPT_MAX / SO_SYNOPT_RATE = 4 s. An entry that is
 * gone leaves the ACK's socket with MSS only; it never decides validity.
 */
struct so_synopt {
	__u32 isn;    /* the SYN-ACK's ISN: the cookie the ACK must return */
	__be16 sport; /* the client's port (0: an empty slot; never answered) */
	__u8 wscale;  /* the client's window scale, or SO_WS_NONE */
	__u8 sack;
};
_Static_assert(sizeof(struct so_synopt) == 8, "so_synopt layout");

#define SO_SYNOPT_SLOT(isn) (((isn) >> SO_NOTS_MAC_SHIFT) & (SO_SYNOPT_MAX - 1))

#define SO_SYNOPT_MAX 65536
#define SO_SYNOPT_RATE 16384 /* writes per second, all CPUs (attach --synopt-rate) */
#define SO_SYNOPT_NEVER (~0ULL) /* the budget's interval for --synopt-rate 0 */

/* MSS tables: the cookie stores the index of the largest entry not above
 * the client's MSS. Finer than the kernel's four values. */
#define SO_MSS4_TABLE { 536, 1200, 1300, 1360, 1400, 1440, 1460, 8960 }
#define SO_MSS6_TABLE { 1220, 1280, 1340, 1380, 1400, 1420, 1440, 8940 }

/* --- XDP -> TC metadata -------------------------------------------------- */

/* Mirrors the kernel's struct bpf_tcp_req_attrs (20 bytes, see the kfunc
 * bpf_sk_assign_tcp_reqsk). Kept here because UAPI headers lack it; the CLI
 * checks its size against the running kernel's BTF before attaching, and the
 * kfunc rejects any other size with -EINVAL. */
struct so_req_attrs {
	__u32 rcv_tsval;
	__u32 rcv_tsecr;
	__u16 mss;
	__u8 rcv_wscale;
	__u8 snd_wscale;
	__u8 ecn_ok;
	__u8 wscale_ok;
	__u8 sack_ok;
	__u8 tstamp_ok;
	__u8 usec_ts_ok;
	__u8 reserved[3];
};
_Static_assert(sizeof(struct so_req_attrs) == 20, "bpf_tcp_req_attrs layout");

#define SO_META_MAGIC 0x5348414bu /* "SHAK" */

struct so_meta {
	__u32 magic;
	struct so_req_attrs attrs;
	__u32 cookie_age_ms; /* for the open event: SO_AGE_UNKNOWN without timestamps */
};
_Static_assert(sizeof(struct so_meta) == 28, "so_meta layout (4-byte multiple, at most 32)");

#define SO_AGE_UNKNOWN 0xffffffffu

/* --- connection table (map "conns", LRU hash) --------------------------- */

enum so_family {
	SO_AF_INET = 4,
	SO_AF_INET6 = 6,
};

/* Always client -> server: saddr/sport are the client's. IPv4 addresses use
 * the first word only; the rest is zero. */
struct so_flow_key {
	__u8 family; /* enum so_family */
	__u8 pad[3];
	__be16 sport;
	__be16 dport;
	__be32 saddr[4];
	__be32 daddr[4];
};
_Static_assert(sizeof(struct so_flow_key) == 40, "so_flow_key layout");

/* Map "ackmeta": so_flow_key -> so_meta, where XDP metadata is missing
 * (bpf/meta.h). Its entries live microseconds; the size covers the cookie
 * ACKs of one NAPI round on every CPU many times over. */
#define SO_ACKMETA_MAX 4096

/* Map "ackmeta_scratch", per CPU: where XDP builds an entry of ackmeta
 * (or the metadata it copies in front of the frame) off the stack, which
 * the segment path has no room left on. */
struct so_ackmeta_scratch {
	struct so_flow_key key;
	struct so_meta meta;
};
_Static_assert(sizeof(struct so_ackmeta_scratch) == 68, "so_ackmeta_scratch layout");

/* --- the TIME-WAIT filter (map "twfilter", one entry) -------------------- */

/*
 * A counting filter over the 4-tuples that may be in TIME-WAIT: conns
 * entries in time_wait and timewait notes, each counted in the slot its key
 * hashes to. A SYN whose slot is 0 has neither, and skips both hash
 * lookups (each a cache miss under a flood of random 4-tuples: ~9% of a
 * SYN's path, make bench). A count never falls below the truth; an LRU
 * eviction leaves it above (a lookup more, never a cookie for a TIME-WAIT).
 */
#define SO_TWF_BITS 14
#define SO_TWF_SLOTS (1u << SO_TWF_BITS)

struct so_twfilter {
	__u32 count[SO_TWF_SLOTS];
};

/* The slot of a key: its ten words, each rotated by its own amount, XORed
 * (independent operations, not a chain of multiplies: this runs for every
 * flood SYN while some 4-tuple may be in TIME-WAIT), then one Fibonacci
 * multiply. A collision only costs a lookup. */
static inline __u32 so_twf_slot(const struct so_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = w[0];

	for (unsigned int i = 1; i < sizeof(*k) / 4; i++)
		h ^= w[i] << (i * 3) | w[i] >> (32 - i * 3);
	return (h * 0x9e3779b1u) >> (32 - SO_TWF_BITS);
}

/* Server-side TCP states as seen on the wire, named as RFC 9293 names them;
 * one list for the enum and the names the CLI prints. */
#define SO_CONN_STATES(X)                                                            \
	X(SYN_RECEIVED, syn_received) /* unused: an assigned socket is established */ \
	X(ESTABLISHED, established)                                                  \
	X(CLOSE_WAIT, close_wait)     /* client's FIN acked by the server */         \
	X(LAST_ACK, last_ack)         /* ... and the server sent its FIN */          \
	X(FIN_WAIT_1, fin_wait_1)     /* server sent FIN first */                    \
	X(FIN_WAIT_2, fin_wait_2)     /* ... the client acked it */                  \
	X(CLOSING, closing)           /* simultaneous close */                       \
	X(TIME_WAIT, time_wait)                                                      \
	X(CLOSED, closed)

enum so_conn_state {
#define SO_X_STATE(id, name) SO_ST_##id,
	SO_CONN_STATES(SO_X_STATE)
#undef SO_X_STATE
	SO_ST_MAX,
};

enum so_closer {
	SO_CLOSER_NONE = 0,
	SO_CLOSER_CLIENT = 1,
	SO_CLOSER_SERVER = 2,
};

/* so_conn.flags */
#define SO_CF_CLIENT_FIN 0x01       /* the client's FIN was seen */
#define SO_CF_CLIENT_FIN_ACKED 0x02 /* ... and acknowledged by the server */
#define SO_CF_SERVER_FIN 0x04
#define SO_CF_SERVER_FIN_ACKED 0x08
/* The request socket was assigned and the kernel makes the child from that
 * very ACK, so the entry starts established; but with a full accept queue
 * the kernel drops the child and the client sends again. Until the socket
 * shows (the server sends, or a cookie ACK finds it), the client's ACKs are
 * cookie-checked again so that such a retry reaches the kfunc.
 * XXX: if the kernel drops the ACK after TC (a VLAN tag with no VLAN
 * device for it, a firewall rule), no socket ever shows and the entry
 * stays, unconfirmed, until the idle timeout (conns -j: socket_seen). */
#define SO_CF_UNCONFIRMED 0x10

struct so_conn {
	__u8 state;     /* enum so_conn_state */
	__u8 closed_by; /* enum so_closer: who sent the first FIN */
	__u8 flags;     /* SO_CF_* */
	__u8 pad;
	__u32 fin_seq_client; /* sequence number of the client's FIN */
	__u32 fin_seq_server; /* sequence number of the server's FIN */
	__u32 tsec; /* wheel unit (t_last >> SO_WHEEL_SHIFT) the entry is counted in;
		     * SO_TSEC_OFF: on no wheel slot (time_wait queue, or put from
		     * outside); SO_TSEC_GONE: being removed. See bpf/track.h. */
	__u64 t_established; /* bpf_ktime_get_ns() */
	__u64 t_first_fin;
	__u64 t_last;
	__u64 pkts_in;  /* client -> server */
	__u64 pkts_out; /* server -> client */
	__u64 bytes_in;
	__u64 bytes_out;
};
_Static_assert(sizeof(struct so_conn) == 72, "so_conn layout");

#define SO_CONN_MAX_DEFAULT 65536

/* --- housekeeping: the idle wheel and the time_wait queue ---------------- */

/*
 * The idle wheel (map "wheel"): slot u % SO_WHEEL_SLOTS counts, per state,
 * the entries whose last packet came in wheel unit u (2^30 ns, 1.07 s).
 * The sweeper declares every unit up to so_sweeper.w_dead idle-expired:
 * such an entry is gone for the data path and the CLI at once, and is
 * deleted when next met (or evicted by the LRU); one tick later the
 * sweeper takes those slots' counts out of the gauges and into
 * expired_idle. No entry is visited: the cost is per unit, not per entry.
 * The wheel spans SO_WHEEL_SLOTS units (19.5 h): --idle-timeout stays below.
 */
#define SO_WHEEL_SHIFT 30
#define SO_WHEEL_SLOTS 65536
#define SO_TSEC_OFF 0u
#define SO_TSEC_GONE 0xffffffffu

struct so_wheel_slot {
	__s32 n[SO_ST_MAX]; /* entries per enum so_conn_state */
	__u32 pad;
};
_Static_assert(sizeof(struct so_wheel_slot) == 40, "so_wheel_slot layout");

/* The wheel unit of a bpf_ktime_get_ns() time. */
static inline __u32 so_wheel_unit(__u64 ns)
{
	return (__u32)(ns >> SO_WHEEL_SHIFT);
}

/* Is an entry idle-expired (gone) by the sweeper's declaration w_dead? */
static inline int so_conn_dead(const struct so_conn *c, __u32 w_dead)
{
	return c->tsec != SO_TSEC_OFF && c->tsec != SO_TSEC_GONE && c->tsec <= w_dead;
}

/*
 * The time_wait queue (map "twq"): every entry that enters time_wait is
 * queued with its time, in order; the sweeper takes the due ones off the
 * head, a bounded number per tick. Its size is a power of two, set at
 * attach (SO_TWQ_PER_CONN entries of --conn-max, at least SO_TWQ_MIN).
 * When it is full the entry stays on the wheel and leaves at the idle
 * timeout instead.
 */
#define SO_TWQ_MIN 4096
#define SO_TWQ_PER_CONN 4 /* one slot per 4 entries of the table */

struct so_twq_slot {
	__u64 seq; /* index + 1 once written (the producers take indexes) */
	__u64 t;   /* t_last when queued */
	struct so_flow_key key;
};
_Static_assert(sizeof(struct so_twq_slot) == 56, "so_twq_slot layout");

/* Bytes of kernel memory per entry of a table of n entries (n a power of
 * two): an LRU hash element (its 48-byte header, key and value each
 * rounded to 8) and its bucket (16 bytes), plus the time_wait queue's
 * share. attach checks n times this against the memory available. */
#define SO_HTAB_ELEM_HDR 48
#define SO_HTAB_BUCKET 16
static inline __u64 so_conn_bytes(void)
{
	return SO_HTAB_ELEM_HDR + SO_HTAB_BUCKET + ((sizeof(struct so_flow_key) + 7) & ~7ul) +
	       ((sizeof(struct so_conn) + 7) & ~7ul) + sizeof(struct so_twq_slot) / SO_TWQ_PER_CONN;
}

/* --- SYN-ACK budget (map "budget", per CPU) ----------------------------- */

/* GCRA: tat is the time at which the budget is back to full; a SYN-ACK is
 * sent while tat - now stays within one second's worth. */
struct so_budget {
	__u64 tat;
};
_Static_assert(sizeof(struct so_budget) == 8, "so_budget layout");

/* --- allow and deny lists (maps allow4, allow6, deny4, deny6: LPM tries) -- */

struct so_lpm4 {
	__u32 prefixlen;
	__be32 addr;
};
_Static_assert(sizeof(struct so_lpm4) == 8, "so_lpm4 layout");

struct so_lpm6 {
	__u32 prefixlen;
	__be32 addr[4];
};
_Static_assert(sizeof(struct so_lpm6) == 20, "so_lpm6 layout");

/* Value of a list entry: packets that matched it. */
struct so_lpm_val {
	__u64 hits;
};
_Static_assert(sizeof(struct so_lpm_val) == 8, "so_lpm_val layout");

#define SO_LIST_MAX 16384 /* entries per trie */

/* --- arming state (maps "armstate", per CPU, and "armed") --------------- */

/* Each CPU counts its SYNs to protected ports in windows; at a window's end
 * it adds up the rates of every CPU's latest window and judges for all. */
struct so_arm_state {
	__u64 window_start; /* bpf_ktime_get_ns() */
	__u64 window_end;   /* end of the last window judged: its rate is fresh
			     * for SO_ARM_FRESH_NS after that */
	__u32 syns;         /* SYNs to protected ports in this window */
	__u32 rate;         /* SYN/s of the last window judged */
};
_Static_assert(sizeof(struct so_arm_state) == 24, "so_arm_state layout");

/* The decision, shared by all CPUs (map "armed", one entry). */
struct so_armed {
	__u64 last_above; /* last judgement that kept it armed: the total rate
			   * above the threshold, or above half of it while
			   * armed (CLOCK_MONOTONIC ns) */
	__u32 armed;      /* armed at that judgement */
	__u32 syn_rate;   /* SYN/s, all CPUs, at the last judgement */
};
_Static_assert(sizeof(struct so_armed) == 16, "so_armed layout");

#define SO_ARM_WINDOW_NS 100000000ULL /* 100 ms */
#define SO_ARM_FRESH_NS (2 * SO_ARM_WINDOW_NS)
#define SO_ARM_HOLD_NS 1000000000ULL  /* stay armed at least 1 s below threshold/2 */
#define SO_ARM_MAX_CPUS 4096

/* Are SYNs answered in XDP at time now (CLOCK_MONOTONIC ns)? Until a hold
 * time after the last judgement that kept it armed, whether or not a SYN
 * has come since to make another: once a flood stops, nothing arrives to
 * judge by. Shared by the XDP program and the CLI. */
static inline int so_arm_active(const struct so_armed *a, __u64 now)
{
	return a->armed && (__s64)(now - a->last_above) < (__s64)SO_ARM_HOLD_NS;
}

/* --- SYNs handed to the kernel (map "handover", one entry) --------------- */

struct so_handover {
	__u64 last_syn_ns; /* bpf_ktime_get_ns() of the last one, within a second */
	__u64 zero; /* always 0: a value the 6.1 verifier cannot predict
		     * (kc_seed_opts in bpf/kcookie.h) */
};
_Static_assert(sizeof(struct so_handover) == 16, "so_handover layout");

/* --- the cookies' clock (map "clock", per CPU; see bpf/clock.h) ---------- */

struct so_clock {
	__u64 mono_at;    /* coarse CLOCK_MONOTONIC ns when tai_offset was taken */
	__u64 tai_offset; /* CLOCK_TAI - CLOCK_MONOTONIC then, ns */
	__u64 ms_at;      /* CLOCK_TAI ms then (mono_at + tai_offset, / 10^6) */
	__u32 ns_past_ms; /* ... and the ns beyond that ms, below 10^6 */
	__u32 pad;
};
_Static_assert(sizeof(struct so_clock) == 32, "so_clock layout");

/* n / 10^6 for any 32-bit n, without a division (a 64-bit div is ~40
 * cycles, and the cookies read TAI in ms on every SYN and ACK): multiply
 * by m = ceil(2^50 / 10^6) and shift. Exact because m * 10^6 - 2^50 =
 * 157376 <= 2^(50-32) (Granlund and Montgomery, PLDI 1994, theorem 4.2);
 * n * m < 2^63. tests/unit checks every multiple of 10^6 and its
 * predecessor. */
static inline __u32 so_u32_div_1e6(__u32 n)
{
	return (__u32)(((__u64)n * 1125899907ULL) >> 50);
}

/* --- busiest sources (map "sources", LRU per-CPU hash) ------------------- */

/* Filled only while so_config.top is set (shakeoff top sets it). */
struct so_src_key {
	__u8 family; /* enum so_family */
	__u8 pad[3];
	__be32 addr[4]; /* IPv4: addr[0] */
};
_Static_assert(sizeof(struct so_src_key) == 20, "so_src_key layout");

struct so_src_val {
	__u64 syns;
	__u64 bad_acks; /* ACKs with an invalid cookie and no socket */
};
_Static_assert(sizeof(struct so_src_val) == 16, "so_src_val layout");

#define SO_SOURCES_MAX 4096

/* --- the sweeper (map "sweeper", one entry) ------------------------------ */

/* A BPF timer that does the housekeeping every SO_SWEEP_INTERVAL_NS, in a
 * bounded time whatever the table's size (bpf/sweeper.h), started by the
 * first connection created. The map must stay pinned: the kernel cancels a map's
 * timers once no user reference holds it (and an update from userspace
 * cancels them too: the gauges the CLI and bench/fill write are apart). */
struct so_sweeper {
	struct bpf_timer timer;
	__u32 started; /* the timer is set (sweeper_start) */
	/* Entries in time_wait, so that SYNs skip the table lookup while there
	 * are none. Never below the truth; above it after LRU evictions of
	 * time_wait entries, which the kernel does not report. */
	__u32 time_wait;
	/* Entries of the timewait map, so that SYNs skip its lookup while
	 * there are none; like time_wait, never below the truth. */
	__u32 tw_orphans;
	__u32 tw_inserts;  /* notes made, ever (wraps): the gauge's reset checks it */
	__u64 tw_cli_seen; /* so_config.tw_cli_added already counted in */
	/* The idle wheel: units up to w_dead are expired; up to w_counted
	 * taken out of the gauges (one tick behind: a CPU that moved an entry
	 * just before w_dead rose has long finished by then). */
	__u32 w_dead;
	__u32 w_counted;
	__u64 twq_head; /* next slot of the time_wait queue the sweeper reads */
	__u64 twq_tail; /* next slot a producer takes */
	__u64 ticks;
	__u64 tick_ns;     /* time in the ticks, in all (bpf_ktime_get_ns) */
	__u64 tick_max_ns; /* the longest tick */
	/* LRU evictions (bpf/sweeper.h, sweep_evictions): all so far, the
	 * largest so_gauges.tracked - element count seen at a tick */
	__u64 evictions;
	/* Idle-expired entries counted (expired_idle) but still in the table:
	 * the LRU's first victims, whose eviction is no new exit. */
	__s64 dead;
	/* Evictions of live entries whose count is still on the idle wheel:
	 * the wheel's next expiries are theirs, not expired_idle's. */
	__s64 ghosts;
	/* Entries in time_wait the data path deleted while queued: their
	 * queue slots, when reached, find them gone, and are not evictions. */
	__u32 tw_left;
	__u32 pad;
};
_Static_assert(sizeof(struct so_sweeper) == 120, "so_sweeper layout");

/* The gauges of the connection table (map "gauges", one entry), kept by the
 * data path and the sweeper: what stats, status and the exporter read
 * instead of walking the table. Apart from the sweeper's map, whose timer
 * an update from userspace would cancel (bench/fill writes here). */
struct so_gauges {
	/* Elements in conns, idle-expired ones too: the data path's count,
	 * set to the kernel's at every tick (bpf_map_sum_elem_count, 6.6). */
	__s64 entries;
	/* Entries per state. An entry the LRU evicts from a full table stays
	 * counted until its idle timeout (in time_wait: until its queue slot
	 * finds it gone): the CLI takes the smaller of the sum and entries. */
	__s64 state[SO_ST_MAX];
	/* Entries inserted less entries deleted, by the data path (a delete
	 * counted before it is made, an insert after) and by bench/fill: the
	 * element count is this less the evictions, and never above it. */
	__s64 tracked;
};
_Static_assert(sizeof(struct so_gauges) == 16 + 8 * SO_ST_MAX, "so_gauges layout");

/* --- shakeoff events: connection events and drop samples ----------------- */

/*
 * Two BPF ring buffers, pinned with the other maps: "events" (struct
 * so_event) and "drops" (struct so_drop). The programs write them only
 * while so_config.listen says a `shakeoff events` reads them; a full ring
 * loses the record (bpf_ringbuf_reserve() fails, the data path never
 * waits), counted in event_lost or drop_sample_lost.
 */
enum so_event_type {
	SO_EV_OPEN = 1,  /* handshake completed: the kfunc assigned the socket
			  * (our cookie), or XDP passed an ACK with the kernel's */
	SO_EV_FIN = 2,   /* a side's first FIN */
	SO_EV_CLOSE = 3, /* the entry left the table */
};

/* Why an entry left the table; one list for the enum and the names. */
#define SO_END_REASONS(X)                                                        \
	X(GRACEFUL, graceful) /* FIN both ways, after the time_wait linger */    \
	X(RESET, reset)                                                          \
	X(IDLE, idle)         /* --idle-timeout */                               \
	X(EVICTED, evicted)   /* pushed out of a full table (see README) */      \
	X(REPLACED, replaced) /* a new connection got the same 4-tuple */

enum so_end_reason {
	SO_END_NONE = 0,
#define SO_X_END(id, name) SO_END_##id,
	SO_END_REASONS(SO_X_END)
#undef SO_X_END
	SO_END_MAX,
};

enum so_cookie_kind {
	SO_COOKIE_OURS = 1,
	SO_COOKIE_KERNEL = 2, /* the kernel's own: MSS unknown (under its secret) */
};

struct so_event {
	__u8 type;      /* enum so_event_type */
	__u8 reason;    /* close: enum so_end_reason */
	__u8 side;      /* fin: who sent it; close by reset: who sent the RST
			 * (enum so_closer) */
	__u8 closed_by; /* close: who sent the first FIN (enum so_closer) */
	__u8 state;     /* enum so_conn_state after the event */
	__u8 cookie;    /* open: enum so_cookie_kind */
	__u16 mss;      /* open: MSS in force (0: unknown) */
	__u8 snd_wscale, rcv_wscale; /* open: window scales, SO_WS_NONE: none */
	__u8 sack, tstamp, ecn;      /* open: options in force */
	__u8 opts_known; /* open: 0: window scales, sack, tstamp, ecn and the
			  * age unknown (a kernel cookie kfunc mode let pass) */
	__u8 pad[2];
	__u32 cookie_age_ms; /* open: time since the SYN-ACK, SO_AGE_UNKNOWN */
	__u32 pad2;
	__u64 t_ns;          /* bpf_ktime_get_ns() of the event */
	struct so_flow_key key;
	/* close and fin: the entry's figures (bpf_ktime_get_ns() times) */
	__u64 t_established;
	__u64 t_first_fin;
	__u64 t_last;
	__u64 pkts_in, pkts_out, bytes_in, bytes_out;
};
_Static_assert(sizeof(struct so_event) == 128, "so_event layout");

/* A sample of a packet the XDP program dropped: the first bytes of it. */
#define SO_DROP_SNAP 256

struct so_drop {
	__u64 t_ns;     /* bpf_ktime_get_ns() */
	__u32 reason;   /* enum so_counter: the drop's verdict */
	__u32 len;      /* the whole frame's length */
	__u32 caplen;   /* bytes of it in data */
	__u32 ifindex;
	__u8 data[SO_DROP_SNAP];
};
_Static_assert(sizeof(struct so_drop) == 24 + SO_DROP_SNAP, "so_drop layout");

/* What `shakeoff events --drops` wants (map "evconf", one entry). */
struct so_evconf {
	__u64 drop_interval_ns; /* per CPU: one sample per this many ns (GCRA) */
	__u64 drop_reasons[2];  /* bit c: sample drops of counter c; all 0: any */
};
_Static_assert(sizeof(struct so_evconf) == 24, "so_evconf layout");
_Static_assert(SO_C_MAX <= 128, "drop_reasons holds every counter");

#define SO_EVENTS_RING_DEFAULT (1u << 20) /* bytes: ~7700 events */
#define SO_DROPS_RING_BYTES (1u << 18)
#define SO_DROP_RATE_DEFAULT 100 /* samples per second, all CPUs */
