// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>

#include "cli.h"
#include "label-print.h"

static void kcv_hex(const struct mkey_label *l, char out[2 * MKEY_KCV_SIZE + 1])
{
	for (int i = 0; i < MKEY_KCV_SIZE; i++)
		sprintf(out + 2 * i, "%02x", l->kcv[i]);
}

void label_print_text(FILE *out, const struct mkey_label *l)
{
	char uuid[MKEY_GUID_STR_LEN + 1], guid[MKEY_GUID_STR_LEN + 1];
	char kcv[2 * MKEY_KCV_SIZE + 1], size[32];

	mkey_guid_format(&l->volume_uuid, uuid);
	mkey_guid_format(&l->key_guid, guid);
	kcv_hex(l, kcv);
	format_size(l->data_sectors * 512, size, sizeof(size));
	fprintf(out, "Version:        %u\n", l->version);
	fprintf(out, "Volume UUID:    %s\n", uuid);
	fprintf(out, "Key GUID:       %s\n", guid);
	fprintf(out, "Cipher:         %s\n", l->cipher);
	fprintf(out, "Key size:       %u bits (XTS key material: %zu bytes)\n",
		l->key_bits, mkey_key_bytes(l->key_bits));
	fprintf(out, "Sector size:    %u\n", l->sector_size);
	fprintf(out, "Data offset:    %" PRIu64 " sectors (%" PRIu64 " bytes)\n",
		l->data_offset, l->data_offset * 512);
	fprintf(out, "Data length:    %" PRIu64 " sectors (%s)\n",
		l->data_sectors, size);
	fprintf(out, "Flags:          0x%08x\n", l->flags);
	fprintf(out, "Key check:      %s\n", kcv);
}

struct json_object *label_to_json(const struct mkey_label *l)
{
	char uuid[MKEY_GUID_STR_LEN + 1], guid[MKEY_GUID_STR_LEN + 1];
	char kcv[2 * MKEY_KCV_SIZE + 1];
	struct json_object *o = json_object_new_object();

	mkey_guid_format(&l->volume_uuid, uuid);
	mkey_guid_format(&l->key_guid, guid);
	kcv_hex(l, kcv);
	json_object_object_add(o, "version", json_object_new_int(l->version));
	json_object_object_add(o, "volume_uuid", json_object_new_string(uuid));
	json_object_object_add(o, "key_guid", json_object_new_string(guid));
	json_object_object_add(o, "cipher", json_object_new_string(l->cipher));
	json_object_object_add(o, "key_bits", json_object_new_int64(l->key_bits));
	json_object_object_add(o, "sector_size", json_object_new_int64(l->sector_size));
	json_object_object_add(o, "data_offset", json_object_new_uint64(l->data_offset));
	json_object_object_add(o, "data_sectors", json_object_new_uint64(l->data_sectors));
	json_object_object_add(o, "flags", json_object_new_int64(l->flags));
	json_object_object_add(o, "kcv", json_object_new_string(kcv));
	return o;
}

void json_print(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}
