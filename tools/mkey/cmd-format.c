// SPDX-License-Identifier: GPL-2.0
/* mkey format: write a label for a key to a device. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "label-print.h"
#include "mkey/blkdev.h"
#include "mkey/error.h"
#include "mkey/keyfile.h"
#include "mkey/label.h"
#include "mkey/secmem.h"

struct format_args {
	const char *device;
	struct key_options key;
	const char *kmip_config_dir;	/* --kmip-config-dir */
	char kmip_path[4096];		/* DIR/NAME.conf for --kmip NAME */
	struct mkey_guid guid;
	bool have_guid;
	const char *key_file;		/* --key-file */
	struct auth_options auth;
	struct mkey_guid key_guid;	/* --key */
	bool have_key_guid;
	struct mkey_guid uuid;
	bool have_uuid;
	uint32_t sector_size;
	uint64_t data_offset;
	bool force;
};

static int parse_args(const struct command *cmd, int argc, char **argv,
		      struct format_args *a)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS,
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "raw-key", required_argument, NULL, 'k' },
		{ "kmip", required_argument, NULL, 'k' },
		{ "kmip-config-dir", required_argument, NULL, OPT_FORMAT_KMIP_DIR },
		{ "guid", required_argument, NULL, 'g' },
		{ "sector-size", required_argument, NULL, 's' },
		{ "data-offset", required_argument, NULL, 'o' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, idx;

	memset(a, 0, sizeof(*a));
	a->sector_size = 4096;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (auth_option(&a->auth, c, optarg))
			continue;
		switch (c) {
		case OPT_KEY_FILE:
			a->key_file = optarg;
			break;
		case OPT_FORMAT_KMIP_DIR:
			a->kmip_config_dir = optarg;
			break;
		case OPT_KEY:
			if (!parse_guid_arg(cmd, "--key", optarg, &a->key_guid))
				return EXIT_USAGE;
			a->have_key_guid = true;
			break;
		case 'k':
			key_option_take(&a->key, opts[idx].name, optarg);
			break;
		case 'g':
			if (!parse_guid_arg(cmd, "--guid", optarg, &a->guid))
				return EXIT_USAGE;
			a->have_guid = true;
			break;
		case 'u':
			if (!parse_guid_arg(cmd, "--uuid", optarg, &a->uuid))
				return EXIT_USAGE;
			a->have_uuid = true;
			break;
		case 's':
			if (!parse_u64(optarg, &v) || (v != 512 && v != 4096))
				return usage_error(cmd, "--sector-size must be 512 or "
						   "4096, not '%s'", optarg);
			a->sector_size = (uint32_t)v;
			break;
		case 'o':
			if (!parse_u64(optarg, &v) || v < MKEY_MIN_DATA_OFFSET)
				return usage_error(cmd, "--data-offset must be a number "
						   "of 512-byte sectors, at least %d, "
						   "not '%s'", MKEY_MIN_DATA_OFFSET, optarg);
			a->data_offset = v;
			break;
		case 'f':
			a->force = true;
			break;
		default:
			return getopt_error(cmd, c, argv);
		}
	}
	if (optind + 1 != argc)
		return usage_error(cmd, optind == argc ? "missing DEVICE" :
				   "too many arguments");
	a->device = argv[optind];
	if (a->key.count && a->key.src.kind == MKEY_KEY_SOURCE_KMIP) {
		/* --kmip SERVER --key GUID: the server's key mkey:GUID */
		if (a->key_file || a->key.count > 1 || a->have_guid || a->auth.admin ||
		    a->auth.password_file)
			return usage_error(cmd, "--kmip goes with --key GUID alone");
		if (!a->have_key_guid)
			return usage_error(cmd, "missing --key GUID (the KMIP key; see "
					   "'mkey kmip-list SERVER')");
		a->guid = a->key_guid;
		a->have_guid = true;
		/* A definition name is looked up in --kmip-config-dir, as the kmip-* commands do. */
		if (a->kmip_config_dir && !strchr(a->key.src.location, '/')) {
			int n = snprintf(a->kmip_path, sizeof(a->kmip_path), "%s/%s.conf",
					 a->kmip_config_dir, a->key.src.location);

			if (n < 0 || (size_t)n >= sizeof(a->kmip_path))
				return usage_error(cmd, "--kmip-config-dir is too long");
			a->key.src.location = a->kmip_path;
		}
	} else if (a->kmip_config_dir) {
		return usage_error(cmd, "--kmip-config-dir goes with --kmip");
	} else if (a->key_file) {
		if (a->key.count || a->have_guid)
			return usage_error(cmd, "--key-file does not go with --raw-key or "
					   "--guid (use --key GUID to pick a key of the file)");
	} else {
		if (a->have_key_guid || a->auth.admin || a->auth.password_file)
			return usage_error(cmd, "--key, --admin and --password-file go "
					   "with --key-file");
		if (a->key.count == 0)
			return usage_error(cmd, "no key given: use --key-file FILE, or "
					   "--raw-key FILE (- for stdin) with --guid GUID");
		if (!key_options_check(cmd, &a->key))
			return EXIT_USAGE;
		if (!a->have_guid)
			return usage_error(cmd, "missing --guid GUID (the data key's GUID)");
		if (a->auth.password_file && !strcmp(a->auth.password_file, "-") &&
		    !strcmp(a->key.src.location, "-"))
			return usage_error(cmd, "only one of the inputs can be standard input");
	}
	if (a->data_offset && a->data_offset % (a->sector_size / 512))
		return usage_error(cmd, "--data-offset %" PRIu64 " is not a multiple "
				   "of the sector size (%u sectors of 512 bytes)",
				   a->data_offset, a->sector_size / 512);
	return EXIT_OK;
}

static int open_target(const char *device, int *fd_out)
{
	struct stat st;
	int fd;

	if (stat(device, &st) < 0)
		return report(-errno, NULL, "cannot open %s", device);
	if (S_ISBLK(st.st_mode)) {
		fd = mkey_dev_open_exclusive(device, O_RDWR);
		if (fd == -EBUSY) {
			char why[4200];

			mkey_dev_describe_busy(st.st_rdev, why, sizeof(why));
			error_msg("%s is in use (%s); unmount or close it first",
				  device, why);
			return EXIT_BUSY;
		}
	} else if (S_ISREG(st.st_mode)) {
		fd = open(device, O_RDWR | O_CLOEXEC);
		fd = fd < 0 ? -errno : fd;
	} else {
		error_msg("%s is neither a block device nor a regular file", device);
		return EXIT_NOTFOUND;
	}
	if (fd < 0)
		return report(fd, NULL, "cannot open %s for writing", device);
	*fd_out = fd;
	return EXIT_OK;
}

static int refuse_existing(const char *device, const struct mkey_label_read *r)
{
	char guid[MKEY_GUID_STR_LEN + 1], uuid[MKEY_GUID_STR_LEN + 1];

	if (r->used != MKEY_COPY_NONE) {
		mkey_guid_format(&r->label.key_guid, guid);
		mkey_guid_format(&r->label.volume_uuid, uuid);
		error_msg("%s already holds a dm-mkey label (volume %s, key %s); "
			  "formatting again makes its data unreadable. Use --force "
			  "to overwrite it", device, uuid, guid);
	} else {
		error_msg("%s holds a damaged dm-mkey label (see 'mkey dump %s'); "
			  "use --force to overwrite it", device, device);
	}
	return EXIT_BUSY;
}

/* Device checks that need no key: label present, sector size, room. */
static int check_device(int fd, const struct format_args *a,
			uint64_t *data_offset, uint64_t *data_sectors)
{
	struct mkey_label_read existing;
	uint32_t lbs;
	uint64_t size;
	int ret;

	ret = mkey_dev_size(fd, &size);
	if (ret < 0)
		return report(ret, NULL, "cannot get the size of %s", a->device);
	ret = mkey_dev_logical_block_size(fd, &lbs);
	if (ret < 0)
		return report(ret, NULL, "cannot get the block size of %s", a->device);
	if (a->sector_size < lbs) {
		error_msg("%s has %u-byte logical blocks; use --sector-size %u",
			  a->device, lbs, lbs < 4096 ? 4096 : lbs);
		return EXIT_NOTFOUND;
	}
	ret = mkey_label_read_fd(fd, &existing);
	if ((ret == 0 || mkey_label_read_found_any(&existing)) && !a->force)
		return refuse_existing(a->device, &existing);
	if (!a->force) {
		char what[256];

		ret = mkey_dev_probe_signature(fd, what, sizeof(what));
		if (ret < 0)
			return report(ret, NULL, "cannot probe %s for existing data", a->device);
		if (ret > 0) {
			error_msg("%s holds %s; formatting makes that data unreadable. "
				  "Check the device ('blkid %s'), then use --force to "
				  "format it anyway", a->device, what, a->device);
			return EXIT_BUSY;
		}
	}

	ret = mkey_label_layout(size, a->sector_size, a->data_offset,
				data_offset, data_sectors);
	if (ret == -ENOSPC) {
		error_msg("%s is too small: %" PRIu64 " bytes, but a volume with "
			  "sector size %u and data offset %" PRIu64 " needs at "
			  "least %" PRIu64 " bytes", a->device, size, a->sector_size,
			  a->data_offset ? a->data_offset : MKEY_DEFAULT_DATA_OFFSET,
			  mkey_label_min_device_bytes(a->sector_size, a->data_offset));
		return EXIT_NOTFOUND;
	}
	if (ret < 0)
		return report(ret, NULL, "cannot lay out %s", a->device);
	return EXIT_OK;
}

/* The data key: from the key file (its default or --key), or raw. */
static int load_key(const struct format_args *a, struct mkey_guid *guid,
		    struct mkey_secbuf **key)
{
	struct mkey_keyfile *kf = NULL;
	char text[MKEY_GUID_STR_LEN + 1];
	int rc, ret;

	mkey_error_clear();
	if (!a->key_file) {
		*guid = a->guid;
		ret = mkey_key_source_load(&a->key.src, &a->guid, key);
		return ret < 0 ? key_load_error(&a->key, ret) : EXIT_OK;
	}
	rc = keyfile_load(a->key_file, &kf);
	if (rc != EXIT_OK)
		return rc;
	*guid = a->have_key_guid ? a->key_guid : *mkey_keyfile_default_key(kf);
	ret = mkey_keyfile_key_find(kf, guid);
	mkey_keyfile_free(kf);
	kf = NULL;
	if (ret < 0) {
		mkey_guid_format(guid, text);
		error_msg("%s holds no key %s (see 'mkey keyfile-show %s')", a->key_file,
			  text, a->key_file);
		return EXIT_NOTFOUND;
	}
	rc = keyfile_open_for_use(a->key_file, &a->auth, &kf);
	if (rc != EXIT_OK)
		return rc;
	ret = mkey_keyfile_key_get(kf, guid, key);
	mkey_keyfile_free(kf);
	if (ret < 0)
		return report(ret, NULL, "cannot unwrap the key from %s", a->key_file);
	return EXIT_OK;
}

static int build_label(const struct format_args *a, uint64_t data_offset,
		       uint64_t data_sectors, struct mkey_label *l)
{
	struct mkey_secbuf *key = NULL;
	struct mkey_guid guid;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = load_key(a, &guid, &key);
	if (ret != EXIT_OK)
		return ret;
	l->version = MKEY_LABEL_VERSION;
	l->header_size = MKEY_LABEL_HEADER_SIZE;
	l->key_guid = guid;
	if (a->have_uuid) {
		l->volume_uuid = a->uuid;
	} else if (mkey_guid_generate(&l->volume_uuid) < 0) {
		mkey_secbuf_free(key);
		error_msg("cannot generate a volume UUID: random number generator failed");
		return EXIT_SYSTEM;
	}
	snprintf(l->cipher, sizeof(l->cipher), "%s", MKEY_LABEL_CIPHER);
	l->key_bits = mkey_key_bits_for_len(key->len);
	l->sector_size = a->sector_size;
	l->data_offset = data_offset;
	l->data_sectors = data_sectors;
	ret = mkey_kcv_compute(key->data, key->len, &l->volume_uuid, &l->key_guid,
			       l->kcv);
	mkey_secbuf_free(key);
	if (ret < 0)
		return report(ret, NULL, "cannot compute the key check value");
	return EXIT_OK;
}

int cmd_format(int argc, char **argv)
{
	const struct command *cmd = command_find("format");
	struct format_args a;
	struct mkey_label label;
	uint64_t data_offset, data_sectors;
	int fd = -1, rc, ret;

	rc = parse_args(cmd, argc, argv, &a);
	if (rc != EXIT_OK)
		return rc;
	rc = open_target(a.device, &fd);
	if (rc != EXIT_OK)
		return rc;
	rc = check_device(fd, &a, &data_offset, &data_sectors);
	if (rc == EXIT_OK)
		rc = build_label(&a, data_offset, data_sectors, &label);
	if (rc == EXIT_OK) {
		ret = mkey_label_write_fd(fd, &label);
		if (ret < 0)
			rc = report(ret, NULL, "cannot write the label to %s", a.device);
	}
	if (close(fd) < 0 && rc == EXIT_OK)
		rc = report(-errno, NULL, "cannot write the label to %s", a.device);
	if (rc != EXIT_OK)
		return rc;
	printf("Formatted %s as a dm-mkey volume.\n", a.device);
	label_print_text(stdout, &label);
	return EXIT_OK;
}
