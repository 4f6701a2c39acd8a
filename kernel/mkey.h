/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-mkey: device-mapper target for managed-key AES-XTS encryption.
 *
 * Definitions shared by the parts of the module: the volume label, the
 * module keyring and the per-target context used by the data path.
 */
#ifndef DM_MKEY_H
#define DM_MKEY_H

#include <linux/blk_types.h>
#include <linux/bvec.h>
#include <linux/device-mapper.h>
#include <linux/mempool.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/uuid.h>
#include <crypto/skcipher.h>

#define DM_MSG_PREFIX "mkey"

/* Volume label, format version 1: see docs/volume-label.md. */
#define MKEY_LABEL_SLOT_SIZE	4096
#define MKEY_LABEL_SLOT_SECTORS	(MKEY_LABEL_SLOT_SIZE >> SECTOR_SHIFT)
#define MKEY_KCV_SIZE		32
#define MKEY_MAX_KEY_SIZE	64	/* two AES-256 keys for XTS */
#define MKEY_MAX_SECTOR_SIZE	4096

enum mkey_label_copy {
	MKEY_LABEL_PRIMARY,
	MKEY_LABEL_BACKUP,
};

/* A validated label, in CPU byte order. */
struct mkey_label {
	uuid_t volume_uuid;
	uuid_t key_guid;
	unsigned int key_bits;		/* one AES key: 128, 192 or 256 */
	unsigned int sector_size;	/* 512 or 4096 */
	sector_t data_offset;		/* 512-byte sectors */
	sector_t data_sectors;		/* 512-byte sectors */
	u8 kcv[MKEY_KCV_SIZE];
	enum mkey_label_copy copy;	/* which copy this came from */
};

int mkey_label_read(struct block_device *bdev, struct mkey_label *label,
		    char **error);
int mkey_label_check_key(const struct mkey_label *label, const u8 *key,
			 unsigned int key_size, char **error);

static inline unsigned int mkey_label_key_size(const struct mkey_label *label)
{
	return 2 * label->key_bits / 8;
}

/* The module keyring: see docs/dm-mkey-target.md. */
int mkey_keyring_init(void);
void mkey_keyring_exit(void);
int mkey_keyring_copy_key(const uuid_t *guid, u8 *key, unsigned int key_size,
			  char **error);

/* I/O counters, kept per CPU so that the data path shares no cache line. */
struct mkey_stats {
	u64 reads;
	u64 writes;
	u64 read_sectors;
	u64 write_sectors;
	u64 errors;
};

/* Per-target context. */
struct mkey_c {
	struct dm_dev *dev;
	struct mkey_label label;
	bool allow_discards;

	struct crypto_skcipher *tfm;
	unsigned int per_io_data_size;

	struct bio_set bs;
	mempool_t page_pool;
	struct workqueue_struct *wq;		/* crypto workers */
	/* Writes that wait for memory, one at a time: mkey_alloc_write_clone() */
	struct workqueue_struct *alloc_wq;

	/* Work-placement state: see mkey_offload() in mkey-crypt.c. */
	atomic_t inflight;
	atomic_t queued;
	unsigned long parallel_until;	/* jiffies */
	unsigned int solo_count;

	struct mkey_stats __percpu *stats;
};

/* Data path (mkey-crypt.c). */
int mkey_crypt_ctr(struct mkey_c *mc, const u8 *key, unsigned int key_size,
		   const char *devname, char **error);
void mkey_crypt_dtr(struct mkey_c *mc);
int mkey_crypt_map(struct dm_target *ti, struct bio *bio);
void mkey_crypt_sum_stats(struct mkey_c *mc, struct mkey_stats *sum);

#endif /* DM_MKEY_H */
