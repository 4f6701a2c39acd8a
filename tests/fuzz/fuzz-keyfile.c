// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the key file reader (mkey_keyfile_parse) and the
 * code that handles what it accepts: base64-decoded blobs, the AAD built
 * from parsed fields, AES-GCM unwrapping (with a fixed key-encryption key,
 * so the tag check fails, as it would for an attacker), and the writer.
 *
 * Invariant checked on every accepted input: the reader only accepts the
 * exact bytes the writer produces, so serializing the parsed file must give
 * the input back.
 *
 *   make fuzz FUZZ_TIME=600      long run (corpus in build/fuzz/corpus/keyfile)
 *   make fuzz-check              the short run of make check
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile-internal.h"
#include "mkey/audit.h"

static void no_audit(int prio, const char *line, void *ctx)
{
	(void)prio;
	(void)line;
	(void)ctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mkey_audit_set_hook(no_audit, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t kek[32] = { 0x6d, 0x6b, 0x65, 0x79, 0x20, 0x66, 0x75, 0x7a };
	struct mkey_keyfile *kf = NULL;
	struct kf_buf out = { 0 };

	if (mkey_keyfile_parse(data, size, &kf) != 0)
		return 0;
	if (kf_serialize(kf, true, &out) != 0 || out.len != size ||
	    memcmp(out.data, data, size) != 0)
		abort();	/* accepted bytes the writer would not produce */
	kf_buf_free(&out);
	for (int i = 0; i < mkey_keyfile_admin_count(kf); i++) {
		const struct mkey_keyfile_admin *a = mkey_keyfile_admin_at(kf, i);

		if (mkey_keyfile_admin_find(kf, a->name) != i)
			abort();
		if (kf_unlock_with_kek(kf, i, kek) == 0)
			abort();	/* a fixed key must never unwrap a master key */
	}
	for (int i = 0; i < mkey_keyfile_key_count(kf); i++)
		if (mkey_keyfile_key_find(kf, &mkey_keyfile_key_at(kf, i)->guid) != i)
			abort();
	if (mkey_keyfile_key_find(kf, mkey_keyfile_default_key(kf)) < 0)
		abort();
	mkey_keyfile_free(kf);
	return 0;
}
