// SPDX-License-Identifier: GPL-2.0
/* pcapng.c - see pcapng.h. Blocks in the host's byte order, which the
 * section header's byte-order magic announces to readers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcapng.h"
#include "shakeoff.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_ETHERNET 1
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_TSRESOL 9

static __u32 pad4(__u32 n)
{
	return (n + 3) & ~3u;
}

/* Each write fails as a whole: the caller reports the stream's error. */
static int put(FILE *f, const void *p, size_t n)
{
	static const __u8 zero[4];

	if (n && fwrite(p, n, 1, f) != 1)
		return -EIO;
	n = pad4(n) - n;
	return n && fwrite(zero, n, 1, f) != 1 ? -EIO : 0;
}

static int put32(FILE *f, __u32 v)
{
	return put(f, &v, 4);
}

/* An option's size in the block, and the option itself. */
static __u32 opt_size(size_t len)
{
	return 4 + pad4(len);
}

static int put_opt(FILE *f, __u16 code, const void *v, size_t len)
{
	__u16 h[2] = { code, (__u16)len };

	return put(f, h, 4) || put(f, v, len) ? -EIO : 0;
}

int pcapng_begin(FILE *f, const char *ifname, __u32 snaplen)
{
	static const char app[] = "shakeoff " SO_VERSION;
	size_t nlen = strlen(ifname);
	__u8 tsresol = 9; /* 10^-9 s */
	__u32 shb_len = 28 + opt_size(sizeof(app) - 1) + 4;
	__u32 idb_len = 20 + opt_size(nlen) + opt_size(1) + 4;
	__s64 section_len = -1;
	__u16 ver[2] = { 1, 0 }, link[2] = { LINKTYPE_ETHERNET, 0 };

	if (put32(f, BT_SHB) || put32(f, shb_len) || put32(f, BYTE_ORDER_MAGIC) ||
	    put(f, ver, 4) || put(f, &section_len, 8) ||
	    put_opt(f, SHB_USERAPPL, app, sizeof(app) - 1) || put_opt(f, OPT_ENDOFOPT, NULL, 0) ||
	    put32(f, shb_len))
		return -EIO;
	if (put32(f, BT_IDB) || put32(f, idb_len) || put(f, link, 4) || put32(f, snaplen) ||
	    put_opt(f, IF_NAME, ifname, nlen) || put_opt(f, IF_TSRESOL, &tsresol, 1) ||
	    put_opt(f, OPT_ENDOFOPT, NULL, 0) || put32(f, idb_len))
		return -EIO;
	return fflush(f) ? -errno : 0;
}

int pcapng_packet(FILE *f, unsigned long long ns, const void *data, __u32 caplen, __u32 len,
		  const char *comment)
{
	size_t clen = strlen(comment);
	__u32 blen = 28 + pad4(caplen) + opt_size(clen) + 4 + 4;

	if (put32(f, BT_EPB) || put32(f, blen) || put32(f, 0 /* interface */) ||
	    put32(f, ns >> 32) || put32(f, (__u32)ns) || put32(f, caplen) || put32(f, len) ||
	    put(f, data, caplen) || put_opt(f, OPT_COMMENT, comment, clen) ||
	    put_opt(f, OPT_ENDOFOPT, NULL, 0) || put32(f, blen))
		return -EIO;
	return fflush(f) ? -errno : 0;
}
