// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the volume table parser (/etc/mkeytab,
 * agent/lib/mkeytab.c, docs/man/mkeytab.5), which the boot generator and
 * mkey-agent run on a file an administrator wrote.
 *
 * Invariants checked on every input:
 *   - every error names the origin and a line within the input;
 *   - every entry has a valid name (unique in the table, found again by
 *     mkey_tab_find), a device under /dev or UUID=, an absolute key file
 *     or a valid kmip:SERVER name (never both), at most 100 tries and not
 *     both nofail and required;
 *   - writing the entries back as "name device keyfile options" lines
 *     (options in canonical form, mkey_tab_options_text) and parsing that
 *     gives the same entries and no errors.
 *
 *   make fuzz FUZZ_TIME=600      long run (corpus in build/fuzz/corpus/mkeytab)
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkey/kmip.h"
#include "mkey/mkeytab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_entry(const struct mkey_tab_entry *a, const struct mkey_tab_entry *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->device, b->device) &&
	       a->by_uuid == b->by_uuid &&
	       (!a->by_uuid || mkey_guid_equal(&a->volume_uuid, &b->volume_uuid)) &&
	       !strcmp(a->key_file, b->key_file) && !strcmp(a->kmip_server, b->kmip_server) &&
	       a->nofail == b->nofail &&
	       a->noauto == b->noauto && a->required == b->required &&
	       a->readonly == b->readonly && a->discard == b->discard &&
	       a->initramfs == b->initramfs && a->tries == b->tries;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mkey_tab *tab = NULL, *again = NULL;
	char opts[128], dev[PATH_MAX], src[PATH_MAX + 8], *text = NULL;
	size_t tlen = 0;
	FILE *f;

	if (size > 65536)
		return 0;
	if (mkey_tab_parse((const char *)data, size, "fuzz", &tab) != 0)
		return 0;
	for (int i = 0; i < tab->n_errors; i++)
		if (strncmp(tab->errors[i], "fuzz:", 5) != 0 ||
		    strtoul(tab->errors[i] + 5, NULL, 10) < 1 ||
		    strtoul(tab->errors[i] + 5, NULL, 10) > size + 1)
			abort();
	f = open_memstream(&text, &tlen);
	if (!f)
		abort();
	for (int i = 0; i < tab->n_entries; i++) {
		const struct mkey_tab_entry *e = &tab->entries[i];

		if (!e->name[0] || strlen(e->name) > MKEY_TAB_NAME_MAX ||
		    mkey_tab_find(tab, e->name) != e ||
		    (e->kmip_server[0] ? e->key_file[0] != '\0' ||
					 mkey_kmip_name_check(e->kmip_server) != 0 :
					 e->key_file[0] != '/') ||
		    (!e->by_uuid && strncmp(e->device, "/dev/", 5) != 0) ||
		    (e->by_uuid && strncmp(e->device, "UUID=", 5) != 0) ||
		    e->tries > MKEY_TAB_MAX_TRIES || (e->nofail && e->required) ||
		    e->line < 1)
			abort();
		mkey_tab_device_path(e, dev, sizeof(dev));
		if (dev[0] != '/')
			abort();
		mkey_tab_options_text(e, opts, sizeof(opts));
		mkey_tab_key_source_text(e, src, sizeof(src));
		fprintf(f, "%s %s %s %s\n", e->name, e->device, src, opts);
	}
	if (fclose(f) != 0)
		abort();
	if (mkey_tab_parse(text, tlen, "again", &again) != 0)
		abort();
	if (again->n_errors != 0 || again->n_entries != tab->n_entries)
		abort();	/* the canonical form of what we read does not read back */
	for (int i = 0; i < tab->n_entries; i++)
		if (!same_entry(&tab->entries[i], &again->entries[i]))
			abort();
	mkey_tab_free(again);
	mkey_tab_free(tab);
	free(text);
	return 0;
}
