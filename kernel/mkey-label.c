// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mkey: reading and checking the on-disk volume label.
 *
 * The format is specified in docs/volume-label.md; libmkey writes it.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>

#include "mkey.h"

#define MKEY_LABEL_MAGIC	"MKEYLBL"	/* and the terminating NUL */
#define MKEY_LABEL_VERSION	1
#define MKEY_LABEL_HDR_SIZE	512
#define MKEY_LABEL_CIPHER	"aes-xts-plain64"
#define MKEY_KCV_CONTEXT	"dm-mkey key check v1"

struct mkey_label_disk {
	u8 magic[8];
	__le16 version;
	__le16 header_size;
	__le32 flags;
	u8 volume_uuid[16];
	u8 key_guid[16];
	char cipher[32];
	__le32 key_bits;
	__le32 sector_size;
	__le64 data_offset;
	__le64 data_sectors;
	u8 kcv[MKEY_KCV_SIZE];
	u8 reserved[344];
	u8 checksum[SHA256_DIGEST_SIZE];
} __packed;

static_assert(sizeof(struct mkey_label_disk) == MKEY_LABEL_HDR_SIZE);
static_assert(offsetof(struct mkey_label_disk, checksum) == 480);

static int mkey_read_slot(struct block_device *bdev, sector_t sector,
			  struct page *page)
{
	struct bio *bio;
	int r;

	bio = bio_alloc(bdev, 1, REQ_OP_READ | REQ_SYNC | REQ_META, GFP_KERNEL);
	bio->bi_iter.bi_sector = sector;
	__bio_add_page(bio, page, MKEY_LABEL_SLOT_SIZE, 0);
	r = submit_bio_wait(bio);
	bio_put(bio);
	return r;
}

/* Returns NULL when @d is a valid label, else why it is not. */
static const char *mkey_label_invalid(const struct mkey_label_disk *d)
{
	u8 digest[SHA256_DIGEST_SIZE];
	unsigned int key_bits, sector_size;
	u64 offset, sectors, unit;

	if (memcmp(d->magic, MKEY_LABEL_MAGIC, sizeof(d->magic)))
		return "no label (bad magic)";
	sha256((const u8 *)d, offsetof(struct mkey_label_disk, checksum),
	       digest);
	if (crypto_memneq(digest, d->checksum, sizeof(digest)))
		return "checksum mismatch";
	if (le16_to_cpu(d->version) != MKEY_LABEL_VERSION)
		return "unsupported label version";
	if (le16_to_cpu(d->header_size) != MKEY_LABEL_HDR_SIZE)
		return "bad header size";
	if (d->flags)
		return "unknown flags set";
	if (strncmp(d->cipher, MKEY_LABEL_CIPHER, sizeof(d->cipher)) ||
	    memchr_inv(d->cipher + sizeof(MKEY_LABEL_CIPHER), 0,
		       sizeof(d->cipher) - sizeof(MKEY_LABEL_CIPHER)))
		return "unsupported cipher";
	key_bits = le32_to_cpu(d->key_bits);
	if (key_bits != 128 && key_bits != 192 && key_bits != 256)
		return "unsupported key size";
	sector_size = le32_to_cpu(d->sector_size);
	if (sector_size != 512 && sector_size != 4096)
		return "unsupported sector size";
	if (memchr_inv(d->reserved, 0, sizeof(d->reserved)))
		return "reserved bytes not zero";

	unit = sector_size >> SECTOR_SHIFT;
	offset = le64_to_cpu(d->data_offset);
	sectors = le64_to_cpu(d->data_sectors);
	if (offset < MKEY_LABEL_SLOT_SECTORS || offset & (unit - 1))
		return "bad data offset";
	if (!sectors || sectors & (unit - 1) || sectors > U64_MAX - offset)
		return "bad data length";
	return NULL;
}

static void mkey_label_decode(const struct mkey_label_disk *d,
			      struct mkey_label *label)
{
	import_uuid(&label->volume_uuid, d->volume_uuid);
	import_uuid(&label->key_guid, d->key_guid);
	label->key_bits = le32_to_cpu(d->key_bits);
	label->sector_size = le32_to_cpu(d->sector_size);
	label->data_offset = le64_to_cpu(d->data_offset);
	label->data_sectors = le64_to_cpu(d->data_sectors);
	memcpy(label->kcv, d->kcv, sizeof(label->kcv));
}

/*
 * Read the primary label, falling back to the backup copy in the last whole
 * 4 KiB of the device when the primary is unreadable or invalid.
 */
int mkey_label_read(struct block_device *bdev, struct mkey_label *label,
		    char **error)
{
	const struct mkey_label_disk *d;
	sector_t backup, copies[2];
	const char *why[2] = { NULL, NULL };
	struct page *page;
	int i, r, io_errors = 0;

	if (bdev_nr_bytes(bdev) < 2 * MKEY_LABEL_SLOT_SIZE) {
		*error = "No valid dm-mkey label on the device (device too small)";
		return -EINVAL;
	}
	backup = round_down(bdev_nr_sectors(bdev), MKEY_LABEL_SLOT_SECTORS) -
		 MKEY_LABEL_SLOT_SECTORS;
	copies[MKEY_LABEL_PRIMARY] = 0;
	copies[MKEY_LABEL_BACKUP] = backup;

	page = alloc_page(GFP_KERNEL);
	if (!page) {
		*error = "Cannot allocate memory for the volume label";
		return -ENOMEM;
	}
	d = page_address(page);

	for (i = MKEY_LABEL_PRIMARY; i <= MKEY_LABEL_BACKUP; i++) {
		r = mkey_read_slot(bdev, copies[i], page);
		if (r) {
			io_errors++;
			why[i] = "read error";
			continue;
		}
		why[i] = mkey_label_invalid(d);
		if (!why[i])
			break;
	}

	if (i > MKEY_LABEL_BACKUP) {
		DMERR("%pg: primary label: %s; backup label: %s",
		      bdev, why[0], why[1]);
		if (io_errors == 2) {
			*error = "Cannot read the volume label from the device";
			r = -EIO;
		} else {
			*error = "No valid dm-mkey label on the device (both copies missing or corrupt)";
			r = -EINVAL;
		}
		goto out;
	}

	mkey_label_decode(d, label);
	label->copy = i;
	if (i == MKEY_LABEL_BACKUP)
		DMWARN("%pg: primary label: %s; using backup label",
		       bdev, why[0]);

	if (label->data_offset + label->data_sectors > backup) {
		*error = "The label's data area extends past the end of the device";
		r = -EINVAL;
		goto out;
	}
	r = 0;
out:
	__free_page(page);
	return r;
}

/*
 * Prove that @key is the key the volume was formatted with:
 * HMAC-SHA256(key, context || volume UUID || key GUID) must equal the KCV.
 */
int mkey_label_check_key(const struct mkey_label *label, const u8 *key,
			 unsigned int key_size, char **error)
{
	u8 kcv[MKEY_KCV_SIZE];
	struct crypto_shash *hmac;
	int r;

	hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(hmac)) {
		*error = "Cannot allocate hmac(sha256) to check the key";
		return PTR_ERR(hmac);
	}

	r = crypto_shash_setkey(hmac, key, key_size);
	if (!r) {
		SHASH_DESC_ON_STACK(desc, hmac);

		desc->tfm = hmac;
		r = crypto_shash_init(desc) ?:
		    crypto_shash_update(desc, MKEY_KCV_CONTEXT,
					sizeof(MKEY_KCV_CONTEXT) - 1) ?:
		    crypto_shash_update(desc, label->volume_uuid.b, UUID_SIZE) ?:
		    crypto_shash_update(desc, label->key_guid.b, UUID_SIZE) ?:
		    crypto_shash_final(desc, kcv);
		shash_desc_zero(desc);
	}
	crypto_free_shash(hmac);
	if (r) {
		*error = "Cannot compute the key check value";
		goto out;
	}

	if (crypto_memneq(kcv, label->kcv, sizeof(kcv))) {
		*error = "Wrong key: key check value does not match the volume label";
		r = -EKEYREJECTED;
	}
out:
	memzero_explicit(kcv, sizeof(kcv));
	return r;
}
