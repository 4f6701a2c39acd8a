// SPDX-License-Identifier: GPL-2.0
/*
 * The strict key file reader: each kind of malformed input is refused with
 * an error that names the field (docs/key-file.md, "Reading rules").
 */
#include "kselftest_harness.h"

#include "keyfile-util.h"

FIXTURE(parse) {
	char dir[128];
	char *text;	/* a valid file: ALICE, two keys */
	size_t len;
	struct mkey_keyfile *kf;
};

FIXTURE_SETUP(parse)
{
	struct mkey_kdf_params p;
	char path[192];

	ASSERT_EQ(0, make_temp_dir(self->dir));
	snprintf(path, sizeof(path), "%s/k.mkey", self->dir);
	cheap_kdf(&p);
	ASSERT_EQ(0, mkey_keyfile_new("alice", PW(PW_ALICE), &p, 256, "disk one", &self->kf));
	ASSERT_EQ(0, mkey_keyfile_key_add(self->kf, 128, "disk two", NULL, 0, NULL, NULL));
	ASSERT_EQ(0, mkey_keyfile_create(self->kf, path));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;
	self->text = read_whole(path, &self->len);
	ASSERT_NE(NULL, self->text);
}

FIXTURE_TEARDOWN(parse)
{
	mkey_keyfile_free(self->kf);
	free(self->text);
	remove_dir(self->dir);
}

/* Parses @text, expects @err and a detail containing @want. */
#define EXPECT_REFUSED(text, err, want)                                         \
	do {                                                                     \
		struct mkey_keyfile *_kf = NULL;                                 \
		const char *_t = (text);                                         \
		ASSERT_NE(NULL, _t);                                             \
		mkey_error_clear();                                              \
		EXPECT_EQ(err, mkey_keyfile_parse(_t, strlen(_t), &_kf));        \
		EXPECT_EQ(NULL, _kf);                                            \
		EXPECT_NE(NULL, strstr(mkey_error_detail(), want))               \
			TH_LOG("detail: %s (want: %s)", mkey_error_detail(), want); \
		mkey_keyfile_free(_kf);                                          \
	} while (0)

/* Replaces @from by @to in the valid file, expects refusal with @want. */
#define EXPECT_EDIT_REFUSED(from, to, err, want)                                \
	do {                                                                     \
		char *_m = replace_once(self->text, from, to);                   \
		ASSERT_NE(NULL, _m) TH_LOG("'%s' not in the file", from);        \
		EXPECT_REFUSED(_m, err, want);                                   \
		free(_m);                                                        \
	} while (0)

TEST_F(parse, the_valid_file_parses)
{
	ASSERT_EQ(0, mkey_keyfile_parse(self->text, self->len, &self->kf));
	EXPECT_EQ(2, mkey_keyfile_key_count(self->kf));
	EXPECT_EQ(1, mkey_keyfile_admin_count(self->kf));
	EXPECT_STREQ("ALICE", mkey_keyfile_admin_at(self->kf, 0)->name);
	EXPECT_STREQ("disk two", mkey_keyfile_key_at(self->kf, 1)->description);
}

TEST_F(parse, not_json_empty_nul_trailing)
{
	EXPECT_REFUSED("", -EBADMSG, "empty");
	EXPECT_REFUSED("hello", -EBADMSG, "not valid JSON (line 1");
	EXPECT_REFUSED("{\"format\": ", -EBADMSG, "unexpected end of file");
	EXPECT_REFUSED("[1, 2]", -EBADMSG, "not a JSON object");
	EXPECT_REFUSED("{\"a\": 1} x", -EBADMSG, "not valid JSON");
	{
		char *m = malloc(self->len + 3);

		memcpy(m, self->text, self->len);
		memcpy(m + self->len, "{}", 3);
		EXPECT_REFUSED(m, -EBADMSG, "not valid JSON (line 39, column 1");
		m[5] = '\0';
		EXPECT_EQ(-EBADMSG, mkey_keyfile_parse(m, self->len, &self->kf));
		EXPECT_NE(NULL, strstr(mkey_error_detail(), "NUL byte"));
		free(m);
	}
	EXPECT_EDIT_REFUSED("\"disk one\"", "\"disk \xff one\"", -EBADMSG, "not valid JSON");
}

TEST_F(parse, format_and_version)
{
	EXPECT_EDIT_REFUSED("\"dm-mkey key file\"", "\"LUKS\"", -EBADMSG,
			    "format: not \"dm-mkey key file\"");
	EXPECT_EDIT_REFUSED("\"version\": 1", "\"version\": 2", -EPROTONOSUPPORT,
			    "version 2 is not supported");
	/* A newer version is named as such even when its members are new. */
	EXPECT_EDIT_REFUSED("\"version\": 1,", "\"version\": 3,\n  \"shiny\": true,",
			    -EPROTONOSUPPORT, "version 3");
	EXPECT_EDIT_REFUSED("\"version\": 1", "\"version\": \"1\"", -EBADMSG,
			    "version: expected an integer, found a string");
	EXPECT_EDIT_REFUSED("  \"format\": \"dm-mkey key file\",\n", "", -EBADMSG,
			    "missing member \"format\"");
}

TEST_F(parse, unknown_missing_and_duplicate_members)
{
	EXPECT_EDIT_REFUSED("\"version\": 1,", "\"version\": 1,\n  \"comment\": \"hi\",",
			    -EBADMSG, "unknown member \"comment\"");
	EXPECT_EDIT_REFUSED("\"bits\": 256,", "\"bits\": 256,\n      \"color\": 3,",
			    -EBADMSG, "keys[0]: unknown member \"color\"");
	EXPECT_EDIT_REFUSED("\"passes\": 1,", "\"passes\": 1,\n        \"pepper\": 1,",
			    -EBADMSG, "admins[0].kdf: unknown member \"pepper\"");
	EXPECT_EDIT_REFUSED("      \"description\": \"disk two\",\n", "", -EBADMSG,
			    "keys[1]: missing member \"description\"");
	EXPECT_EDIT_REFUSED("\"bits\": 128,", "\"bits\": 128,\n      \"bits\": 128,",
			    -EBADMSG, "keys[1]: duplicate member \"bits\"");
	EXPECT_EDIT_REFUSED("\"version\": 1,", "\"version\": 1,\n  \"version\": 1,",
			    -EBADMSG, "duplicate member \"version\"");
	EXPECT_EDIT_REFUSED("\"type\": \"argon2id\",",
			    "\"type\": \"argon2id\",\n        \"type\": \"argon2id\",",
			    -EBADMSG, "admins[0].kdf: duplicate member \"type\"");
}

TEST_F(parse, wrong_types)
{
	EXPECT_EDIT_REFUSED("\"bits\": 256", "\"bits\": \"256\"", -EBADMSG,
			    "keys[0].bits: expected an integer, found a string");
	EXPECT_EDIT_REFUSED("\"bits\": 256", "\"bits\": 256.0", -EBADMSG,
			    "keys[0].bits: expected an integer, found a number");
	EXPECT_EDIT_REFUSED("    {\n      \"guid\"", "    7,\n    {\n      \"guid\"", -EBADMSG,
			    "keys[0]: expected an object");
	{
		char *m1 = replace_once(self->text, "\"kdf\": {", "\"kdf\": [{");
		char *m2 = replace_once(m1, "\n      },\n      \"wrapped_master_key\"",
					"\n      }],\n      \"wrapped_master_key\"");

		EXPECT_REFUSED(m2, -EBADMSG, "admins[0].kdf: expected an object, found an array");
		free(m1);
		free(m2);
	}
	EXPECT_EDIT_REFUSED("\"description\": \"disk one\"", "\"description\": null",
			    -EBADMSG, "keys[0].description: expected a string, found null");
	EXPECT_EDIT_REFUSED("\"memory_kib\": 8192", "\"memory_kib\": -8192", -EBADMSG,
			    "admins[0].kdf: \"memory_kib\" is out of range");
}

TEST_F(parse, bad_values)
{
	char *m;

	EXPECT_EDIT_REFUSED("\"bits\": 128", "\"bits\": 512", -EBADMSG,
			    "keys[1]: \"bits\" must be 128, 192 or 256");
	EXPECT_EDIT_REFUSED("\"type\": \"argon2id\"", "\"type\": \"scrypt\"", -EBADMSG,
			    "admins[0].kdf: unknown KDF type \"scrypt\"");
	EXPECT_EDIT_REFUSED("\"memory_kib\": 8192", "\"memory_kib\": 4096", -EBADMSG,
			    "argon2id memory 4096 KiB is below the minimum of 8192 KiB");
	EXPECT_EDIT_REFUSED("\"passes\": 1", "\"passes\": 0", -EBADMSG,
			    "argon2id passes 0 is below the minimum of 1");
	EXPECT_EDIT_REFUSED("\"parallelism\": 1", "\"parallelism\": 99", -EBADMSG,
			    "argon2id parallelism 99 is above the maximum of 16");
	m = replace_once(self->text, "\"type\": \"argon2id\",\n        \"passes\": 1,\n"
			 "        \"memory_kib\": 8192,\n        \"parallelism\": 1,",
			 "\"type\": \"pbkdf2-sha512\",\n        \"iterations\": 1000,");
	EXPECT_REFUSED(m, -EBADMSG, "pbkdf2-sha512 iterations 1000 is below the minimum "
		       "of 65536");
	free(m);
	EXPECT_EDIT_REFUSED("\"name\": \"ALICE\"", "\"name\": \"Alice\"", -EBADMSG,
			    "admins[0]: \"name\" must be written in upper case");
	EXPECT_EDIT_REFUSED("\"name\": \"ALICE\"", "\"name\": \"AL ICE\"", -EBADMSG,
			    "printable ASCII without blanks");
	EXPECT_EDIT_REFUSED("\"name\": \"ALICE\"", "\"name\": \"\"", -EBADMSG,
			    "administrator name is empty");
	EXPECT_EDIT_REFUSED("\"description\": \"disk one\"",
			    "\"description\": \"disk\\u0007one\"", -EBADMSG,
			    "keys[0]: \"description\": description holds a control character");
	EXPECT_EDIT_REFUSED("\"description\": \"disk one\"",
			    "\"description\": \"disk\\u0000one\"", -EBADMSG,
			    "keys[0]: member \"description\" holds a NUL character");
	EXPECT_EDIT_REFUSED("\"created\": \"", "\"created\": \"2024-02-30T00:00:00Z\", \"x\": \"",
			    -EBADMSG, "unknown member \"x\"");
}

TEST_F(parse, oversize_values)
{
	char ds[301], desc[400], *m;

	memset(ds, 'd', 300);
	ds[300] = '\0';
	snprintf(desc, sizeof(desc), "\"%s\"", ds);
	m = replace_once(self->text, "\"disk one\"", desc);
	EXPECT_REFUSED(m, -EBADMSG, "keys[0]: \"description\": description is longer "
		       "than 256 bytes");
	free(m);
	EXPECT_EDIT_REFUSED("\"name\": \"ALICE\"", "\"name\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", -EBADMSG,
			    "administrator name is longer than 64 characters");
	EXPECT_EDIT_REFUSED("\"memory_kib\": 8192", "\"memory_kib\": 99999999999999999999",
			    -EBADMSG, "admins[0].kdf: \"memory_kib\" is out of range");
	EXPECT_EDIT_REFUSED("\"passes\": 1", "\"passes\": 4294967297", -EBADMSG,
			    "\"passes\" is out of range");
	EXPECT_EDIT_REFUSED("\"version\": 1", "\"version\": 18446744073709551617",
			    -EBADMSG, "\"version\" is out of range");
	EXPECT_EDIT_REFUSED("\"bits\": 256", "\"bits\": 1e3", -EBADMSG,
			    "keys[0].bits: expected an integer, found a number");
}

TEST_F(parse, guids_and_times)
{
	char guid[MKEY_GUID_STR_LEN + 1], lower[MKEY_GUID_STR_LEN + 1], *p, *m;
	const char *at;

	at = strstr(self->text, "\"file_id\": \"") + strlen("\"file_id\": \"");
	memcpy(guid, at, MKEY_GUID_STR_LEN);
	guid[MKEY_GUID_STR_LEN] = '\0';
	strcpy(lower, guid);
	for (p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	if (strcmp(lower, guid)) {
		EXPECT_EDIT_REFUSED(guid, lower, -EBADMSG,
				    "\"file_id\" must be written in upper case");
	}
	EXPECT_EDIT_REFUSED(guid, "not-a-guid", -EBADMSG, "\"file_id\" is not a GUID");
	at = strstr(self->text, "\"created\": \"") + strlen("\"created\": \"");
	m = strndup(at, 20);
	EXPECT_EDIT_REFUSED(m, "2024-13-01T00:00:00Z", -EBADMSG,
			    "\"created\" is not a UTC time");
	EXPECT_EDIT_REFUSED(m, "2024-02-30T00:00:00Z", -EBADMSG, "not a UTC time");
	EXPECT_EDIT_REFUSED(m, "2024-01-01 00:00:00Z", -EBADMSG, "not a UTC time");
	EXPECT_EDIT_REFUSED(m, "1969-12-31T23:59:59Z", -EBADMSG, "not a UTC time");
	free(m);
	/* The default key must be one of the file's keys. */
	at = strstr(self->text, "\"default_key\": \"") + strlen("\"default_key\": \"");
	m = strndup(at, MKEY_GUID_STR_LEN);
	EXPECT_EDIT_REFUSED(m, "00000000-0000-4000-8000-000000000000", -EBADMSG,
			    "default_key: no key with that GUID");
	free(m);
}

TEST_F(parse, base64_and_lengths)
{
	const char *at = strstr(self->text, "\"salt\": \"") + strlen("\"salt\": \"");
	char *salt = strndup(at, 88), *bad;

	bad = strdup(salt);
	bad[10] = '*';
	EXPECT_EDIT_REFUSED(salt, bad, -EBADMSG, "admins[0].kdf: \"salt\" is not valid base64");
	strcpy(bad, salt);
	bad[86] = 'B';	/* "==" ending: now a 65-byte salt with a bad pad */
	EXPECT_EDIT_REFUSED(salt, bad, -EBADMSG, "\"salt\"");
	bad[84] = '\0';
	EXPECT_EDIT_REFUSED(salt, bad, -EBADMSG, "admins[0].kdf: \"salt\" must hold 64 bytes");
	strcpy(bad, salt);
	bad[85] = bad[85] == 'A' ? 'B' : 'A';	/* leftover bits must be zero */
	if (salt[85] != bad[85] && strchr("AQgw", salt[85]) && !strchr("AQgw", bad[85])) {
		EXPECT_EDIT_REFUSED(salt, bad, -EBADMSG, "not valid base64");
	}
	EXPECT_EDIT_REFUSED("\"wrapped_master_key\": \"", "\"wrapped_master_key\": \"AAAA",
			    -EBADMSG, "admins[0]: \"wrapped_master_key\" must hold 60 bytes");
	EXPECT_EDIT_REFUSED("\"wrapped_key\": \"", "\"wrapped_key\": \"AAAA", -EBADMSG,
			    "keys[0]: \"wrapped_key\" must hold 92 bytes");
	EXPECT_EDIT_REFUSED("\"mac\": \"", "\"mac\": \"AAAA", -EBADMSG,
			    "\"mac\" must hold 32 bytes");
	EXPECT_EDIT_REFUSED("\"mac\": \"", "\"mac\": \"\\u0041", -EBADMSG,
			    "\"mac\" is not valid base64");
	free(bad);
	free(salt);
}

TEST_F(parse, duplicates_of_entries)
{
	char *entry, *dup, *m;
	const char *start = strstr(self->text, "    {\n      \"guid\"");
	const char *end = strstr(start, "\n    }") + 6;

	entry = strndup(start, (size_t)(end - start));
	dup = malloc(2 * strlen(entry) + 3);
	sprintf(dup, "%s,\n%s", entry, entry);
	m = replace_once(self->text, entry, dup);
	EXPECT_REFUSED(m, -EBADMSG, "keys[1]: key GUID is listed twice");
	free(m);
	free(dup);
	free(entry);

	start = strstr(self->text, "    {\n      \"name\"");
	end = strstr(start, "\n    }") + 6;
	entry = strndup(start, (size_t)(end - start));
	dup = malloc(2 * strlen(entry) + 3);
	sprintf(dup, "%s,\n%s", entry, entry);
	m = replace_once(self->text, entry, dup);
	EXPECT_REFUSED(m, -EBADMSG, "admins[1]: administrator ALICE is listed twice");
	free(m);
	free(dup);
	free(entry);

	start = strstr(self->text, "    {\n      \"name\"");
	end = strstr(start, "\n    }") + 6;
	entry = strndup(start - 1, (size_t)(end - start + 2));	/* with both newlines */
	m = replace_once(self->text, entry, "\n");
	EXPECT_REFUSED(m, -EBADMSG, "admins: must not be empty");
	free(m);
	free(entry);
}

TEST_F(parse, limits)
{
	const char *start = strstr(self->text, "    {\n      \"guid\"");
	const char *end = strstr(start, "\n    }") + 6;
	size_t elen = (size_t)(end - start), n = MKEY_KEYFILE_MAX_KEYS + 1;
	char *many = malloc(n * (elen + 2) + 1), *entry = strndup(start, elen), *m, *big;

	many[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(many, entry);
		if (i + 1 < n)
			strcat(many, ",\n");
	}
	m = replace_once(self->text, entry, many);
	EXPECT_REFUSED(m, -EBADMSG, "keys: more than 256 entries");
	free(m);
	free(many);
	free(entry);

	/* Past 1 MiB: refused before parsing. */
	big = malloc(MKEY_KEYFILE_MAX_BYTES + 2);
	memset(big, ' ', MKEY_KEYFILE_MAX_BYTES + 1);
	big[MKEY_KEYFILE_MAX_BYTES + 1] = '\0';
	EXPECT_REFUSED(big, -EFBIG, "at most 1048576 bytes");
	free(big);

	/* Deep nesting stops at json-c's depth limit. */
	big = malloc(4096);
	strcpy(big, "{\"a\": ");
	for (int i = 0; i < 100; i++)
		strcat(big, "[");
	EXPECT_REFUSED(big, -EBADMSG, "not valid JSON");
	free(big);

	/* An object with many members is refused without quadratic work. */
	big = malloc(200000);
	strcpy(big, "{");
	for (int i = 0; i < 10000; i++)
		sprintf(big + strlen(big), "%s\"k%d\": 1", i ? ", " : "", i);
	strcat(big, "}");
	EXPECT_REFUSED(big, -EBADMSG, "more than 16 members");
	free(big);
}

TEST_F(parse, exact_form_is_required)
{
	EXPECT_EDIT_REFUSED("  \"version\": 1,", "  \"version\":  1,", -EBADMSG,
			    "not in the exact form mkey writes (first difference at "
			    "line 3, column 14)");
	EXPECT_EDIT_REFUSED("\"disk one\"", "\"disk\\u0020one\"", -EBADMSG,
			    "not in the exact form");
	EXPECT_EDIT_REFUSED("\n}\n", "\n}", -EBADMSG, "not in the exact form");
	EXPECT_EDIT_REFUSED("{\n", "{\r\n", -EBADMSG, "not in the exact form");
	/* Members in another order. */
	EXPECT_EDIT_REFUSED("  \"format\": \"dm-mkey key file\",\n  \"version\": 1,\n",
			    "  \"version\": 1,\n  \"format\": \"dm-mkey key file\",\n",
			    -EBADMSG, "line 2, column 4");
}

TEST_HARNESS_MAIN
