/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Buffers for key material: page-aligned, locked in RAM (never swapped),
 * excluded from core dumps, and wiped before they are released.
 */
#ifndef MKEY_SECMEM_H
#define MKEY_SECMEM_H

#include <stddef.h>
#include <stdint.h>

struct mkey_secbuf {
	uint8_t *data;	/* cap bytes, of which len are in use */
	size_t len;
	size_t cap;
	size_t map_len;	/* internal: size of the locked mapping */
};

/*
 * Allocates a zeroed, locked buffer of @cap bytes. Returns 0 or -ENOMEM
 * (allocation or mlock failed: RLIMIT_MEMLOCK too low) / -EINVAL (cap 0).
 */
int mkey_secbuf_new(size_t cap, struct mkey_secbuf **out);

/* Wipes all cap bytes and sets len to 0; the buffer stays usable. */
void mkey_secbuf_wipe(struct mkey_secbuf *buf);

/* Wipes, unlocks and releases. NULL is a no-op. */
void mkey_secbuf_free(struct mkey_secbuf *buf);

#endif
