// SPDX-License-Identifier: GPL-2.0
/* mkey dump: both label copies, their validity and the fields in use. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "label-print.h"
#include "mkey/label.h"

static const char *slot_state(const struct mkey_label_slot *s, char *buf, size_t len)
{
	if (s->fault == MKEY_LABEL_OK)
		return "valid";
	if (s->fault == MKEY_LABEL_UNREADABLE)
		snprintf(buf, len, "unreadable: %s", strerror(-s->io_error));
	else
		snprintf(buf, len, "invalid: %s", mkey_label_fault_str(s->fault));
	return buf;
}

static void dump_text(const char *device, const struct mkey_label_read *r)
{
	char size[32], state[128];

	format_size(r->device_bytes, size, sizeof(size));
	printf("Device:         %s (%" PRIu64 " bytes, %s)\n", device,
	       r->device_bytes, size);
	printf("Primary label:  offset %" PRIu64 ", %s\n", r->primary.offset,
	       slot_state(&r->primary, state, sizeof(state)));
	if (r->backup.fault == MKEY_LABEL_OUTSIDE_DEVICE)
		printf("Backup label:   none (device smaller than two label slots)\n");
	else
		printf("Backup label:   offset %" PRIu64 ", %s\n", r->backup.offset,
		       slot_state(&r->backup, state, sizeof(state)));
	if (r->used == MKEY_COPY_NONE)
		return;
	printf("Label in use:   %s%s\n", mkey_label_copy_name(r->used),
	       r->copies_differ ? " (the copies differ; the primary wins)" : "");
	if (r->data_past_end)
		printf("Warning:        %s\n",
		       mkey_label_fault_str(MKEY_LABEL_DATA_PAST_END));
	label_print_text(stdout, &r->label);
}

static struct json_object *slot_json(const struct mkey_label_slot *s)
{
	struct json_object *o = json_object_new_object();
	bool valid = s->fault == MKEY_LABEL_OK;

	json_object_object_add(o, "offset", json_object_new_uint64(s->offset));
	json_object_object_add(o, "valid", json_object_new_boolean(valid));
	json_object_object_add(o, "error", valid ? NULL :
			       json_object_new_string(mkey_label_fault_str(s->fault)));
	return o;
}

static void dump_json(const char *device, const struct mkey_label_read *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "device", json_object_new_string(device));
	json_object_object_add(o, "device_bytes", json_object_new_uint64(r->device_bytes));
	json_object_object_add(o, "primary", slot_json(&r->primary));
	json_object_object_add(o, "backup", r->backup.fault == MKEY_LABEL_OUTSIDE_DEVICE ?
			       NULL : slot_json(&r->backup));
	json_object_object_add(o, "label_in_use", r->used == MKEY_COPY_NONE ? NULL :
			       json_object_new_string(mkey_label_copy_name(r->used)));
	json_object_object_add(o, "copies_differ", json_object_new_boolean(r->copies_differ));
	json_object_object_add(o, "data_past_end", json_object_new_boolean(r->data_past_end));
	json_object_object_add(o, "label", r->used == MKEY_COPY_NONE ? NULL :
			       label_to_json(&r->label));
	json_print(o);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("dump");
	struct mkey_label_read r;
	const char *device;
	bool json = false;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return usage_error(cmd, optind == argc ? "missing DEVICE" :
				   "too many arguments");
	device = argv[optind];

	ret = mkey_label_read_path(device, &r);
	if (ret < 0 && r.device_bytes == 0 && ret != -ENOSPC)
		return report(ret, NULL, "cannot read %s", device);
	if (json)
		dump_json(device, &r);
	else
		dump_text(device, &r);
	if (ret == -EFBIG)
		return EXIT_NOTFOUND;
	if (ret < 0) {
		if (!json)
			error_msg("%s: %s", device, ret == -ENODATA ?
				  "no dm-mkey label (neither copy has one)" :
				  "no valid dm-mkey label (see the copies above)");
		return exit_code_for(ret);
	}
	return EXIT_OK;
}
