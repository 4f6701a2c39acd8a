// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mkey: device-mapper target "mkey".
 *
 * Table line:
 *   <start> <len> mkey <device> <key GUID> [<#opt_params> <opt_params>...]
 *
 * The target reads the volume label from <device>, takes the data key
 * "mkey:<GUID>" from the module keyring, proves it against the label's key
 * check value and maps the label's data area with AES-XTS (plain64 IVs).
 * See docs/dm-mkey-target.md.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mkey.h"

#define MKEY_ARGC_ERROR \
	"Invalid argument count: need <device> <key GUID> [<#opt_params> <opt_params>...]"

static int mkey_parse_options(struct dm_target *ti, struct mkey_c *mc,
			      struct dm_arg_set *as)
{
	static const struct dm_arg _args[] = {
		{0, 1, "Invalid number of optional parameters"},
	};
	unsigned int opt_params;
	const char *opt;
	int r;

	if (!as->argc)
		return 0;

	/* dm's own parser reads "%u" and so takes 4294967296 for 0. */
	if (kstrtouint(as->argv[0], 10, &opt_params)) {
		ti->error = _args[0].error;
		return -EINVAL;
	}
	r = dm_read_arg_group(_args, as, &opt_params, &ti->error);
	if (r)
		return r;

	while (opt_params--) {
		opt = dm_shift_arg(as);
		if (!strcasecmp(opt, "allow_discards")) {
			mc->allow_discards = true;
		} else {
			DMERR("unknown optional parameter \"%s\"", opt);
			ti->error = "Unknown optional parameter";
			return -EINVAL;
		}
	}

	if (as->argc) {
		ti->error = MKEY_ARGC_ERROR;
		return -EINVAL;
	}
	return 0;
}

static void mkey_dtr(struct dm_target *ti)
{
	struct mkey_c *mc = ti->private;

	if (!mc)
		return;
	mkey_crypt_dtr(mc);
	if (mc->dev)
		dm_put_device(ti, mc->dev);
	kfree_sensitive(mc);
	ti->private = NULL;
}

/* Check the label against the table line; see docs/dm-mkey-target.md. */
static int mkey_check_label(struct dm_target *ti, struct mkey_c *mc,
			    const uuid_t *guid)
{
	const struct mkey_label *label = &mc->label;
	sector_t unit = label->sector_size >> SECTOR_SHIFT;

	if (!uuid_equal(&label->key_guid, guid)) {
		DMERR("%pg: label is for key %pUB, table names %pUB",
		      mc->dev->bdev, &label->key_guid, guid);
		ti->error = "The device label is for a different key GUID";
		return -EINVAL;
	}
	if (ti->len > label->data_sectors) {
		DMERR("%pg: target length %llu exceeds data area of %llu sectors",
		      mc->dev->bdev, (unsigned long long)ti->len,
		      (unsigned long long)label->data_sectors);
		ti->error = "Target length exceeds the volume's data area";
		return -EINVAL;
	}
	if (ti->len & (unit - 1)) {
		ti->error = "Target length is not a multiple of the volume's sector size";
		return -EINVAL;
	}
	return 0;
}

/* Copy the key from the keyring, prove it and hand it to the cipher. */
static int mkey_load_key(struct dm_target *ti, struct mkey_c *mc,
			 const uuid_t *guid)
{
	unsigned int key_size = mkey_label_key_size(&mc->label);
	u8 *key;
	int r;

	key = kmalloc(key_size, GFP_KERNEL);
	if (!key) {
		ti->error = "Cannot allocate memory for the key";
		return -ENOMEM;
	}
	r = mkey_keyring_copy_key(guid, key, key_size, &ti->error);
	if (!r)
		r = mkey_label_check_key(&mc->label, key, key_size,
					 &ti->error);
	if (!r)
		r = mkey_crypt_ctr(mc, key, key_size,
				   dm_table_device_name(ti->table), &ti->error);
	kfree_sensitive(key);
	return r;
}

static int mkey_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	const char *dev_path, *guid_str;
	struct mkey_c *mc;
	uuid_t guid;
	int r;

	if (argc < 2) {
		ti->error = MKEY_ARGC_ERROR;
		return -EINVAL;
	}
	dev_path = dm_shift_arg(&as);
	guid_str = dm_shift_arg(&as);

	if (strlen(guid_str) != UUID_STRING_LEN || uuid_parse(guid_str, &guid)) {
		ti->error = "Invalid key GUID: expected 8-4-4-4-12 hexadecimal digits";
		return -EINVAL;
	}

	mc = kzalloc(sizeof(*mc), GFP_KERNEL);
	if (!mc) {
		ti->error = "Cannot allocate the target context";
		return -ENOMEM;
	}
	ti->private = mc;

	r = mkey_parse_options(ti, mc, &as);
	if (r)
		goto bad;

	r = dm_get_device(ti, dev_path, dm_table_get_mode(ti->table), &mc->dev);
	if (r) {
		ti->error = "Cannot open device";
		goto bad;
	}

	r = mkey_label_read(mc->dev->bdev, &mc->label, &ti->error);
	if (r)
		goto bad;
	r = mkey_check_label(ti, mc, &guid);
	if (r)
		goto bad;
	r = mkey_load_key(ti, mc, &guid);
	if (r)
		goto bad;

	ti->num_flush_bios = 1;
	ti->num_discard_bios = mc->allow_discards ? 1 : 0;
	ti->per_io_data_size = mc->per_io_data_size;
	/* Writes need memory: limit swap bios as dm-crypt does. */
	ti->limit_swap_bios = true;
	return 0;

bad:
	mkey_dtr(ti);
	return r;
}

static void mkey_status(struct dm_target *ti, status_type_t type,
			unsigned int status_flags, char *result,
			unsigned int maxlen)
{
	struct mkey_c *mc = ti->private;
	const struct mkey_label *label = &mc->label;
	struct mkey_stats s;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		mkey_crypt_sum_stats(mc, &s);
		DMEMIT("%pUB aes-xts-plain64 %u %u %s %llu %llu %llu %llu %llu",
		       &label->key_guid, label->key_bits, label->sector_size,
		       label->copy == MKEY_LABEL_PRIMARY ? "primary" : "backup",
		       s.reads, s.writes, s.read_sectors, s.write_sectors,
		       s.errors);
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s %pUB", mc->dev->name, &label->key_guid);
		if (mc->allow_discards)
			DMEMIT(" 1 allow_discards");
		break;

	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",key_guid=%pUB,cipher=aes-xts-plain64,key_bits=%u,sector_size=%u,allow_discards=%c;",
		       &label->key_guid, label->key_bits, label->sector_size,
		       mc->allow_discards ? 'y' : 'n');
		break;
	}
}

static int mkey_iterate_devices(struct dm_target *ti,
				iterate_devices_callout_fn fn, void *data)
{
	struct mkey_c *mc = ti->private;

	return fn(ti, mc->dev, mc->label.data_offset, ti->len, data);
}

static void mkey_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct mkey_c *mc = ti->private;
	unsigned int size = mc->label.sector_size;

	/*
	 * Write clones carry one bounce page per segment; capping segments at
	 * a page keeps a clone within the device's segment limits.
	 */
	limits->max_segment_size = PAGE_SIZE;
	limits->logical_block_size = max(limits->logical_block_size, size);
	limits->physical_block_size = max(limits->physical_block_size, size);
	limits->io_min = max(limits->io_min, size);
	limits->dma_alignment = limits->logical_block_size - 1;
}

static struct target_type mkey_target = {
	.name		 = "mkey",
	.version	 = {1, 0, 0},
	.module		 = THIS_MODULE,
	.ctr		 = mkey_ctr,
	.dtr		 = mkey_dtr,
	.map		 = mkey_crypt_map,
	.status		 = mkey_status,
	.iterate_devices = mkey_iterate_devices,
	.io_hints	 = mkey_io_hints,
};

static int __init dm_mkey_init(void)
{
	int r;

	r = mkey_keyring_init();
	if (r) {
		DMERR("cannot create the dm-mkey keyring: %d", r);
		return r;
	}
	r = dm_register_target(&mkey_target);
	if (r < 0) {
		DMERR("register failed %d", r);
		mkey_keyring_exit();
	}
	return r;
}

static void __exit dm_mkey_exit(void)
{
	dm_unregister_target(&mkey_target);
	mkey_keyring_exit();
}

module_init(dm_mkey_init);
module_exit(dm_mkey_exit);

MODULE_DESCRIPTION(DM_NAME " target for managed-key AES-XTS encryption");
MODULE_AUTHOR("dm-mkey developers");
MODULE_LICENSE("GPL");
