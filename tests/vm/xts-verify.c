// SPDX-License-Identifier: GPL-2.0
/*
 * xts-verify: prove that what dm-mkey put on a device is AES-XTS (plain64)
 * of the plaintext, computed independently in userspace.
 *
 *   xts-verify DEVICE KEYFILE PLAINFILE [BYTE_OFFSET]
 *
 * The label on DEVICE gives the data offset, sector size and key size.
 * PLAINFILE was written through the mapping at BYTE_OFFSET (default 0) of
 * the data area; every encryption sector of it is encrypted here and
 * compared with the device's bytes, read with O_DIRECT.
 *
 * OpenSSL has AES-128-XTS and AES-256-XTS but no AES-192-XTS, so XTS is
 * built here from EVP AES-ECB (IEEE 1619: T = E_K2(IV), C = E_K1(P ^ T) ^ T,
 * T *= alpha per block) and, for the sizes OpenSSL has, checked against
 * EVP's own XTS before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mkey/label.h"

#define AES_BLOCK 16

static const EVP_CIPHER *ecb_for(size_t half)
{
	return half == 16 ? EVP_aes_128_ecb() :
	       half == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();
}

/*
 * XTS from two AES-ECB contexts, each keyed once: K1 (data) is the first
 * half of the key material, K2 (tweak) the second, as in the kernel's
 * xts(aes) and dm-crypt. ECB keeps no state between updates, so one context
 * serves every data unit.
 */
struct xts {
	EVP_CIPHER_CTX *k1;
	EVP_CIPHER_CTX *k2;
};

static void xts_free(struct xts *x)
{
	EVP_CIPHER_CTX_free(x->k1);
	EVP_CIPHER_CTX_free(x->k2);
	x->k1 = x->k2 = NULL;
}

static int xts_init(struct xts *x, const uint8_t *key, size_t key_len)
{
	const EVP_CIPHER *c = ecb_for(key_len / 2);

	x->k1 = EVP_CIPHER_CTX_new();
	x->k2 = EVP_CIPHER_CTX_new();
	if (!x->k1 || !x->k2 ||
	    !EVP_EncryptInit_ex(x->k1, c, NULL, key, NULL) ||
	    !EVP_EncryptInit_ex(x->k2, c, NULL, key + key_len / 2, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(x->k1, 0) ||
	    !EVP_CIPHER_CTX_set_padding(x->k2, 0)) {
		xts_free(x);
		return -1;
	}
	return 0;
}

static int ecb(EVP_CIPHER_CTX *ctx, const uint8_t *in, uint8_t *out, size_t len)
{
	int outl = 0;

	return EVP_EncryptUpdate(ctx, out, &outl, in, (int)len) &&
	       (size_t)outl == len ? 0 : -1;
}

/* Multiply the tweak by alpha in GF(2^128), little-endian convention. */
static void gf_mul_alpha(uint8_t t[AES_BLOCK])
{
	uint8_t carry = 0;
	int i;

	for (i = 0; i < AES_BLOCK; i++) {
		uint8_t next = t[i] >> 7;

		t[i] = (uint8_t)(t[i] << 1) | carry;
		carry = next;
	}
	if (carry)
		t[0] ^= 0x87;
}

/*
 * One data unit (IEEE 1619): T = E_K2(IV), C_j = E_K1(P_j ^ T_j) ^ T_j,
 * T_j+1 = T_j * alpha. IV = plain64(sector). @len <= 4096, a multiple of 16.
 */
static int xts_from_ecb(struct xts *x, uint64_t sector, const uint8_t *in,
			uint8_t *out, size_t len)
{
	uint8_t iv[AES_BLOCK] = { 0 }, t[AES_BLOCK], tweaks[4096];
	size_t i;

	if (len > sizeof(tweaks) || len % AES_BLOCK)
		return -1;
	for (i = 0; i < 8; i++)
		iv[i] = (uint8_t)(sector >> (8 * i));
	if (ecb(x->k2, iv, t, AES_BLOCK))
		return -1;
	for (i = 0; i < len; i += AES_BLOCK) {
		memcpy(tweaks + i, t, AES_BLOCK);
		gf_mul_alpha(t);
	}
	for (i = 0; i < len; i++)
		out[i] = in[i] ^ tweaks[i];
	if (ecb(x->k1, out, out, len))
		return -1;
	for (i = 0; i < len; i++)
		out[i] ^= tweaks[i];
	return 0;
}

static int xts_evp(const uint8_t *key, size_t key_len, uint64_t sector,
		   const uint8_t *in, uint8_t *out, size_t len)
{
	const EVP_CIPHER *c = key_len == 32 ? EVP_aes_128_xts() :
					      EVP_aes_256_xts();
	uint8_t iv[AES_BLOCK] = { 0 };
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl = 0, ok, i;

	for (i = 0; i < 8; i++)
		iv[i] = (uint8_t)(sector >> (8 * i));
	ok = ctx && EVP_EncryptInit_ex(ctx, c, NULL, key, iv) &&
	     EVP_EncryptUpdate(ctx, out, &outl, in, (int)len) &&
	     (size_t)outl == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* Our XTS must agree with OpenSSL's wherever OpenSSL has one. */
static int self_test(struct xts *x, const uint8_t *key, size_t key_len)
{
	uint8_t in[4096], a[4096], b[4096];
	size_t i;

	if (key_len == 48)
		return 0;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	if (xts_from_ecb(x, 123456789, in, a, sizeof(in)) ||
	    xts_evp(key, key_len, 123456789, in, b, sizeof(in)))
		return -1;
	return memcmp(a, b, sizeof(a)) ? -1 : 0;
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, n = 0, r;
	uint8_t *p = malloc(cap);

	if (!f || !p) {
		fprintf(stderr, "xts-verify: cannot open %s: %s\n", path,
			strerror(errno));
		if (f)
			fclose(f);
		free(p);
		return -1;
	}
	while ((r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			uint8_t *q = realloc(p, cap *= 2);

			if (!q) {
				free(p);
				fclose(f);
				return -1;
			}
			p = q;
		}
	}
	fclose(f);
	*buf = p;
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	struct mkey_label_read lr;
	struct xts x = { NULL, NULL };
	uint8_t *key = NULL, *plain = NULL, *want, *have;
	size_t key_len, plain_len, ss, i;
	uint64_t at = 0, base;
	int fd, r, bad = 0;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: xts-verify DEVICE KEYFILE PLAINFILE [BYTE_OFFSET]\n");
		return 2;
	}
	if (argc == 5)
		at = strtoull(argv[4], NULL, 0);

	r = mkey_label_read_path(argv[1], &lr);
	if (r) {
		fprintf(stderr, "xts-verify: %s: no usable label (%d)\n", argv[1], r);
		return 1;
	}
	if (read_file(argv[2], &key, &key_len) ||
	    read_file(argv[3], &plain, &plain_len))
		return 1;
	ss = lr.label.sector_size;
	if (key_len != mkey_key_bytes(lr.label.key_bits)) {
		fprintf(stderr, "xts-verify: key has %zu bytes, label wants %zu\n",
			key_len, mkey_key_bytes(lr.label.key_bits));
		return 1;
	}
	if (plain_len % ss || at % ss) {
		fprintf(stderr, "xts-verify: plaintext and offset must be whole %zu-byte sectors\n", ss);
		return 1;
	}
	if (xts_init(&x, key, key_len)) {
		fprintf(stderr, "xts-verify: OpenSSL refused the AES key\n");
		return 1;
	}
	if (self_test(&x, key, key_len)) {
		fprintf(stderr, "xts-verify: XTS from AES-ECB disagrees with OpenSSL's XTS\n");
		return 1;
	}

	/*
	 * O_DIRECT: the data went to the device through the mapping, beside
	 * DEVICE's own page cache, which may hold stale pages. Files that
	 * cannot do O_DIRECT (tmpfs) are read through the cache.
	 */
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 && errno == EINVAL)
		fd = open(argv[1], O_RDONLY);
	want = malloc(ss);
	if (posix_memalign((void **)&have, 4096, ss))
		have = NULL;
	if (fd < 0 || !want || !have) {
		fprintf(stderr, "xts-verify: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	base = lr.label.data_offset * 512 + at;
	for (i = 0; i < plain_len; i += ss) {
		uint64_t sector = (at + i) / 512;	/* plain64 counts 512-byte units */

		if (pread(fd, have, ss, (off_t)(base + i)) != (ssize_t)ss) {
			fprintf(stderr, "xts-verify: short read at byte %" PRIu64 "\n", base + i);
			return 1;
		}
		if (xts_from_ecb(&x, sector, plain + i, want, ss))
			return 1;
		if (memcmp(want, have, ss)) {
			if (bad++ < 5)
				fprintf(stderr, "xts-verify: sector %" PRIu64 " (device byte %" PRIu64 ") is not AES-XTS of the plaintext\n",
					sector, base + i);
		}
	}
	close(fd);
	if (bad) {
		fprintf(stderr, "xts-verify: %d of %zu sectors differ\n", bad, plain_len / ss);
		return 1;
	}
	printf("xts-verify: %zu sectors of %zu bytes match AES-%u-XTS plain64\n",
	       plain_len / ss, ss, lr.label.key_bits);
	xts_free(&x);
	free(key);
	free(plain);
	free(want);
	free(have);
	return 0;
}
