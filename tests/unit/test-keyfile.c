// SPDX-License-Identifier: GPL-2.0
/*
 * Key files: round trip, unlocking, the administrator and default-key
 * rules, limits, updates on disk, and tampering: every byte of a file
 * changed in turn must be caught by the parser or by the unlock.
 */
#include "kselftest_harness.h"

#include <sys/wait.h>

#include "keyfile-util.h"
#include "mkey/audit.h"
#include "mkey/label.h"

#define N_KEYS 17

static const uint8_t raw_key[64] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
	0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b,
	0x4c, 0x4d, 0x4e, 0x4f,
};
#define RAW_GUID "0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55"

/* Audit lines seen through the test hook. */
static char audit_log[16384];

static void audit_capture(int prio, const char *line, void *ctx)
{
	size_t used = strlen(audit_log);

	(void)ctx;
	snprintf(audit_log + used, sizeof(audit_log) - used, "%d %s\n", prio, line);
}

FIXTURE(kf) {
	char dir[128];
	char path[192];
	struct mkey_keyfile *kf;
	struct mkey_guid guids[N_KEYS];
	uint8_t material[N_KEYS][64];
	size_t material_len[N_KEYS];
};

/* A file with ALICE (argon2id) and BOB (pbkdf2), N_KEYS keys, one imported. */
FIXTURE_SETUP(kf)
{
	static const uint32_t bits[] = { 128, 192, 256 };
	struct mkey_kdf_params alice, bob;
	struct mkey_secbuf *k;
	char desc[64];

	audit_log[0] = '\0';
	mkey_audit_set_hook(audit_capture, NULL);
	ASSERT_EQ(0, make_temp_dir(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/main.mkey", self->dir);
	cheap_kdf(&alice);
	cheap_pbkdf2(&bob);
	ASSERT_EQ(0, mkey_keyfile_new("alice", PW(PW_ALICE), &alice, 256, "first key",
				      &self->kf));
	ASSERT_EQ(0, mkey_keyfile_admin_add(self->kf, "Bob", PW(PW_BOB), &bob));
	for (int i = 1; i < N_KEYS - 1; i++) {
		snprintf(desc, sizeof(desc), "key %d \"quoted\" \\ é", i);
		ASSERT_EQ(0, mkey_keyfile_key_add(self->kf, bits[i % 3], desc, NULL, 0, NULL,
						  NULL));
	}
	ASSERT_EQ(0, mkey_guid_parse(RAW_GUID, &self->guids[N_KEYS - 1]));
	ASSERT_EQ(0, mkey_keyfile_key_add(self->kf, 0, "imported", raw_key, sizeof(raw_key),
					  &self->guids[N_KEYS - 1], NULL));
	ASSERT_EQ(N_KEYS, mkey_keyfile_key_count(self->kf));
	for (int i = 0; i < N_KEYS; i++) {
		self->guids[i] = mkey_keyfile_key_at(self->kf, i)->guid;
		ASSERT_EQ(0, mkey_keyfile_key_get(self->kf, &self->guids[i], &k));
		memcpy(self->material[i], k->data, k->len);
		self->material_len[i] = k->len;
		mkey_secbuf_free(k);
	}
	ASSERT_EQ(0, mkey_keyfile_create(self->kf, self->path));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;
}

FIXTURE_TEARDOWN(kf)
{
	mkey_audit_set_hook(NULL, NULL);
	mkey_keyfile_free(self->kf);
	remove_dir(self->dir);
}

TEST_F(kf, round_trip_every_key_and_both_admins)
{
	const char *admins[] = { "ALICE", "bob" }, *pws[] = { PW_ALICE, PW_BOB };
	struct mkey_secbuf *k;
	struct stat st;

	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);
	for (int a = 0; a < 2; a++) {
		ASSERT_EQ(0, mkey_keyfile_load(self->path, &self->kf));
		EXPECT_FALSE(mkey_keyfile_is_unlocked(self->kf));
		EXPECT_EQ(-EACCES, mkey_keyfile_key_get(self->kf, &self->guids[0], &k));
		ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, admins[a], PW(pws[a])));
		EXPECT_STREQ(a ? "BOB" : "ALICE", mkey_keyfile_unlocked_by(self->kf));
		ASSERT_EQ(N_KEYS, mkey_keyfile_key_count(self->kf));
		EXPECT_EQ(2, mkey_keyfile_admin_count(self->kf));
		EXPECT_TRUE(mkey_guid_equal(&self->guids[0],
					    mkey_keyfile_default_key(self->kf)));
		for (int i = 0; i < N_KEYS; i++) {
			const struct mkey_keyfile_key *info = mkey_keyfile_key_at(self->kf, i);

			EXPECT_TRUE(mkey_guid_equal(&self->guids[i], &info->guid));
			EXPECT_EQ(self->material_len[i], info->bits / 4);
			ASSERT_EQ(0, mkey_keyfile_key_get(self->kf, &self->guids[i], &k));
			EXPECT_EQ(self->material_len[i], k->len);
			EXPECT_EQ(0, memcmp(k->data, self->material[i], k->len)) TH_LOG("key %d", i);
			mkey_secbuf_free(k);
		}
		EXPECT_STREQ("first key", mkey_keyfile_key_at(self->kf, 0)->description);
		EXPECT_STREQ("key 4 \"quoted\" \\ é", mkey_keyfile_key_at(self->kf, 4)->description);
		EXPECT_EQ(0, memcmp(self->material[N_KEYS - 1], raw_key, 64));
		mkey_keyfile_free(self->kf);
		self->kf = NULL;
	}
}

TEST_F(kf, keys_are_random_v4_guids_of_the_right_sizes)
{
	for (int i = 0; i < N_KEYS - 1; i++) {
		EXPECT_EQ(0x40, self->guids[i].b[6] & 0xf0);
		EXPECT_EQ(0x80, self->guids[i].b[8] & 0xc0);
		for (int j = 0; j < i; j++)
			EXPECT_FALSE(mkey_guid_equal(&self->guids[i], &self->guids[j]));
	}
	/* Random DEKs: no two alike, none all zero. */
	for (int i = 1; i < N_KEYS; i++)
		EXPECT_NE(0, memcmp(self->material[i], self->material[i - 1], 32));
}

TEST_F(kf, wrong_password_and_unknown_admin)
{
	ASSERT_EQ(0, mkey_keyfile_load(self->path, &self->kf));
	EXPECT_EQ(-EKEYREJECTED, mkey_keyfile_unlock(self->kf, "alice", PW(PW_BOB)));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "wrong password for administrator ALICE"));
	EXPECT_EQ(-EKEYREJECTED, mkey_keyfile_unlock(self->kf, "bob", PW("")));
	EXPECT_EQ(-EKEYREJECTED, mkey_keyfile_unlock(self->kf, "bob", PW(PW_BOB "x")));
	EXPECT_EQ(-ENOENT, mkey_keyfile_unlock(self->kf, "carol", PW(PW_ALICE)));
	EXPECT_FALSE(mkey_keyfile_is_unlocked(self->kf));
	/* Each failure is audited with the name, never with the password. */
	EXPECT_NE(NULL, strstr(audit_log, "event=auth-failed"));
	EXPECT_NE(NULL, strstr(audit_log, "admin=\"ALICE\" reason=wrong-password"));
	EXPECT_NE(NULL, strstr(audit_log, "admin=\"CAROL\" reason=unknown-admin"));
	EXPECT_EQ(NULL, strstr(audit_log, PW_BOB));
	EXPECT_EQ(NULL, strstr(audit_log, PW_ALICE));
	EXPECT_EQ(0, mkey_keyfile_unlock(self->kf, "Alice", PW(PW_ALICE)));
}

TEST_F(kf, serialization_is_canonical_and_stable)
{
	char *before, *after;
	size_t a, b;

	before = read_whole(self->path, &a);
	ASSERT_NE(NULL, before);
	/* An update that changes nothing writes the same bytes. */
	ASSERT_EQ(0, mkey_keyfile_open_update(self->path, 0, &self->kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "bob", PW(PW_BOB)));
	ASSERT_EQ(0, mkey_keyfile_commit(self->kf));
	after = read_whole(self->path, &b);
	ASSERT_NE(NULL, after);
	EXPECT_EQ(a, b);
	EXPECT_EQ(0, memcmp(before, after, a));
	/* Plain text a person can read: names, GUIDs, KDF parameters. */
	EXPECT_NE(NULL, strstr(before, "\"name\": \"ALICE\""));
	EXPECT_NE(NULL, strstr(before, "\"name\": \"BOB\""));
	EXPECT_NE(NULL, strstr(before, "\"guid\": \"" RAW_GUID "\""));
	EXPECT_NE(NULL, strstr(before, "\"type\": \"pbkdf2-sha512\""));
	EXPECT_NE(NULL, strstr(before, "\"memory_kib\": 8192"));
	EXPECT_EQ(NULL, strstr(before, PW_ALICE));
	free(before);
	free(after);
}

TEST_F(kf, updates_persist_and_are_audited)
{
	struct mkey_kdf_params p;
	struct mkey_guid g;

	ASSERT_EQ(0, mkey_keyfile_open_update(self->path, 0, &self->kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	audit_log[0] = '\0';
	ASSERT_EQ(0, mkey_keyfile_key_add(self->kf, 192, "new one", NULL, 0, NULL, &g));
	ASSERT_EQ(0, mkey_keyfile_set_default(self->kf, &g));
	ASSERT_EQ(0, mkey_keyfile_key_delete(self->kf, &self->guids[0]));
	cheap_kdf(&p);
	ASSERT_EQ(0, mkey_keyfile_admin_set_password(self->kf, "bob", PW("new bob"), &p));
	ASSERT_EQ(0, mkey_keyfile_admin_add(self->kf, "carol", PW("carol pw"), &p));
	ASSERT_EQ(0, mkey_keyfile_admin_remove(self->kf, "alice"));
	/* Nothing is audited before it is on disk. */
	EXPECT_STREQ("", audit_log);
	ASSERT_EQ(0, mkey_keyfile_commit(self->kf));
	EXPECT_NE(NULL, strstr(audit_log, "event=key-added"));
	EXPECT_NE(NULL, strstr(audit_log, "event=default-key-set"));
	EXPECT_NE(NULL, strstr(audit_log, "event=key-deleted"));
	EXPECT_NE(NULL, strstr(audit_log, "event=password-changed"));
	EXPECT_NE(NULL, strstr(audit_log, "event=admin-added"));
	EXPECT_NE(NULL, strstr(audit_log, "event=admin-removed"));
	EXPECT_NE(NULL, strstr(audit_log, "admin=\"ALICE\""));
	EXPECT_NE(NULL, strstr(audit_log, "target=\"CAROL\""));
	EXPECT_EQ(NULL, strstr(audit_log, "new bob"));
	EXPECT_EQ(NULL, strstr(audit_log, "carol pw"));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;

	ASSERT_EQ(0, mkey_keyfile_load(self->path, &self->kf));
	EXPECT_EQ(-ENOENT, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	EXPECT_EQ(-EKEYREJECTED, mkey_keyfile_unlock(self->kf, "bob", PW(PW_BOB)));
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "bob", PW("new bob")));
	EXPECT_EQ(0, mkey_keyfile_unlock(self->kf, "CAROL", PW("carol pw")));
	EXPECT_TRUE(mkey_guid_equal(&g, mkey_keyfile_default_key(self->kf)));
	EXPECT_EQ(-ENOENT, mkey_keyfile_key_find(self->kf, &self->guids[0]));
	EXPECT_EQ(N_KEYS, mkey_keyfile_key_count(self->kf));
	EXPECT_EQ(192, mkey_keyfile_key_at(self->kf, N_KEYS - 1)->bits);
	EXPECT_STREQ("argon2id", mkey_kdf_type_name(mkey_keyfile_admin_at(self->kf, 0)->kdf.type));
}

TEST_F(kf, last_admin_and_default_key_rules)
{
	ASSERT_EQ(0, mkey_keyfile_load(self->path, &self->kf));
	/* Nothing changes without the password. */
	EXPECT_EQ(-EACCES, mkey_keyfile_admin_remove(self->kf, "bob"));
	EXPECT_EQ(-EACCES, mkey_keyfile_key_delete(self->kf, &self->guids[1]));
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "bob", PW(PW_BOB)));
	EXPECT_EQ(-EPERM, mkey_keyfile_key_delete(self->kf, &self->guids[0]));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "is the default key"));
	EXPECT_EQ(0, mkey_keyfile_admin_remove(self->kf, "alice"));
	EXPECT_EQ(-EPERM, mkey_keyfile_admin_remove(self->kf, "BOB"));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "BOB is the last administrator"));
	EXPECT_EQ(-ENOENT, mkey_keyfile_admin_remove(self->kf, "alice"));
	EXPECT_EQ(1, mkey_keyfile_admin_count(self->kf));
	/* Once another key is the default, the old default can go. */
	EXPECT_EQ(0, mkey_keyfile_set_default(self->kf, &self->guids[3]));
	EXPECT_EQ(0, mkey_keyfile_key_delete(self->kf, &self->guids[0]));
	EXPECT_EQ(-ENOENT, mkey_keyfile_key_delete(self->kf, &self->guids[0]));
	EXPECT_EQ(-ENOENT, mkey_keyfile_set_default(self->kf, &self->guids[0]));
}

TEST_F(kf, names_guids_descriptions_and_limits)
{
	struct mkey_kdf_params p;
	char name[MKEY_ADMIN_NAME_MAX + 1], long_name[80], long_desc[300];
	int i;

	cheap_kdf(&p);
	ASSERT_EQ(0, mkey_keyfile_load(self->path, &self->kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	EXPECT_EQ(0, mkey_admin_name_normalize("ops-Team_1@site", name));
	EXPECT_STREQ("OPS-TEAM_1@SITE", name);
	EXPECT_EQ(-EINVAL, mkey_admin_name_normalize("two words", name));
	EXPECT_EQ(-EINVAL, mkey_admin_name_normalize("", name));
	EXPECT_EQ(-EINVAL, mkey_admin_name_normalize("caf\xc3\xa9", name));
	EXPECT_EQ(-EINVAL, mkey_admin_name_normalize("tab\there", name));
	memset(long_name, 'a', sizeof(long_name));
	long_name[MKEY_ADMIN_NAME_MAX] = '\0';
	EXPECT_EQ(0, mkey_admin_name_normalize(long_name, name));
	long_name[MKEY_ADMIN_NAME_MAX] = 'a';
	long_name[MKEY_ADMIN_NAME_MAX + 1] = '\0';
	EXPECT_EQ(-EINVAL, mkey_admin_name_normalize(long_name, name));
	EXPECT_EQ(-EEXIST, mkey_keyfile_admin_add(self->kf, "ALICE", PW("x"), &p));
	EXPECT_EQ(-EEXIST, mkey_keyfile_admin_add(self->kf, "Bob", PW("x"), &p));
	EXPECT_EQ(-EINVAL, mkey_keyfile_admin_add(self->kf, "carol", PW(""), &p));

	EXPECT_EQ(-EEXIST, mkey_keyfile_key_add(self->kf, 0, "", raw_key, 64,
						&self->guids[N_KEYS - 1], NULL));
	EXPECT_EQ(-EINVAL, mkey_keyfile_key_add(self->kf, 0, "", raw_key, 33, NULL, NULL));
	EXPECT_EQ(-EINVAL, mkey_keyfile_key_add(self->kf, 512, "", NULL, 0, NULL, NULL));
	EXPECT_EQ(-EINVAL, mkey_keyfile_key_add(self->kf, 256, "bell\a", NULL, 0, NULL, NULL));
	EXPECT_EQ(-EINVAL, mkey_keyfile_key_add(self->kf, 256, "bad \xff utf8", NULL, 0,
						NULL, NULL));
	EXPECT_EQ(-EINVAL, mkey_keyfile_key_add(self->kf, 256, "overlong \xc0\xaf", NULL, 0,
						NULL, NULL));
	memset(long_desc, 'd', sizeof(long_desc));
	long_desc[MKEY_KEY_DESC_MAX] = '\0';
	EXPECT_EQ(0, mkey_keyfile_key_add(self->kf, 256, long_desc, NULL, 0, NULL, NULL));
	long_desc[MKEY_KEY_DESC_MAX] = 'd';
	long_desc[MKEY_KEY_DESC_MAX + 1] = '\0';
	EXPECT_EQ(-EINVAL, mkey_keyfile_key_add(self->kf, 256, long_desc, NULL, 0, NULL, NULL));

	/* Up to 256 keys and 32 administrators, then a clear refusal. */
	for (i = mkey_keyfile_key_count(self->kf); i < MKEY_KEYFILE_MAX_KEYS; i++)
		ASSERT_EQ(0, mkey_keyfile_key_add(self->kf, 128, "", NULL, 0, NULL, NULL));
	EXPECT_EQ(-ENOSPC, mkey_keyfile_key_add(self->kf, 128, "", NULL, 0, NULL, NULL));
	for (i = mkey_keyfile_admin_count(self->kf); i < MKEY_KEYFILE_MAX_ADMINS; i++) {
		snprintf(name, sizeof(name), "admin%d", i);
		ASSERT_EQ(0, mkey_keyfile_admin_add(self->kf, name, PW("pw"), &p));
	}
	EXPECT_EQ(-ENOSPC, mkey_keyfile_admin_add(self->kf, "onemore", PW("pw"), &p));
}

/* A full file (256 keys, 32 admins) commits, loads and unlocks. */
TEST_F(kf, full_file_round_trips)
{
	struct mkey_kdf_params p;
	char name[16];

	cheap_kdf(&p);
	ASSERT_EQ(0, mkey_keyfile_open_update(self->path, 0, &self->kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	for (int i = N_KEYS; i < MKEY_KEYFILE_MAX_KEYS; i++)
		ASSERT_EQ(0, mkey_keyfile_key_add(self->kf, 256, "a key with a description",
						  NULL, 0, NULL, NULL));
	for (int i = 2; i < MKEY_KEYFILE_MAX_ADMINS; i++) {
		snprintf(name, sizeof(name), "admin%d", i);
		ASSERT_EQ(0, mkey_keyfile_admin_add(self->kf, name, PW("pw"), &p));
	}
	ASSERT_EQ(0, mkey_keyfile_commit(self->kf));
	mkey_keyfile_free(self->kf);
	ASSERT_EQ(0, mkey_keyfile_load(self->path, &self->kf));
	EXPECT_EQ(MKEY_KEYFILE_MAX_KEYS, mkey_keyfile_key_count(self->kf));
	EXPECT_EQ(MKEY_KEYFILE_MAX_ADMINS, mkey_keyfile_admin_count(self->kf));
	EXPECT_EQ(0, mkey_keyfile_unlock(self->kf, "admin31", PW("pw")));
}

TEST_F(kf, create_refuses_to_overwrite)
{
	struct mkey_kdf_params p;
	char *before, *after;
	size_t a, b;

	cheap_kdf(&p);
	before = read_whole(self->path, &a);
	ASSERT_EQ(0, mkey_keyfile_new("x", PW("y"), &p, 128, "", &self->kf));
	EXPECT_EQ(-EEXIST, mkey_keyfile_create(self->kf, self->path));
	after = read_whole(self->path, &b);
	ASSERT_EQ(a, b);
	EXPECT_EQ(0, memcmp(before, after, a));
	/* No temp file left behind. */
	EXPECT_EQ(1, count_dir_entries(self->dir));
	free(before);
	free(after);
}

TEST_F(kf, backup_is_verified_and_refuses_to_overwrite)
{
	char dest[256], *a, *b;
	size_t la, lb;

	snprintf(dest, sizeof(dest), "%s/backup.mkey", self->dir);
	audit_log[0] = '\0';
	ASSERT_EQ(0, mkey_keyfile_backup(self->path, dest, false));
	a = read_whole(self->path, &la);
	b = read_whole(dest, &lb);
	ASSERT_EQ(la, lb);
	EXPECT_EQ(0, memcmp(a, b, la));
	EXPECT_NE(NULL, strstr(audit_log, "event=keyfile-backup"));
	EXPECT_EQ(-EEXIST, mkey_keyfile_backup(self->path, dest, false));
	EXPECT_EQ(0, mkey_keyfile_backup(self->path, dest, true));
	/* The backup unlocks like the original. */
	ASSERT_EQ(0, mkey_keyfile_load(dest, &self->kf));
	EXPECT_EQ(0, mkey_keyfile_unlock(self->kf, "bob", PW(PW_BOB)));
	/* A broken source is not copied. */
	a[10] = 'X';
	ASSERT_EQ(0, write_whole(self->path, a, la));
	snprintf(dest, sizeof(dest), "%s/backup2.mkey", self->dir);
	EXPECT_EQ(-EBADMSG, mkey_keyfile_backup(self->path, dest, false));
	EXPECT_NE(0, access(dest, F_OK));
	free(a);
	free(b);
}

TEST_F(kf, second_writer_waits_then_fails_cleanly)
{
	struct mkey_keyfile *other = NULL;

	ASSERT_EQ(0, mkey_keyfile_open_update(self->path, 0, &self->kf));
	EXPECT_EQ(-EWOULDBLOCK, mkey_keyfile_open_update(self->path, 200, &other));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "locked by another process"));
	/* Readers are never blocked. */
	ASSERT_EQ(0, mkey_keyfile_load(self->path, &other));
	mkey_keyfile_free(other);
	/* After a commit the lock moves to the new file: still exclusive. */
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	ASSERT_EQ(0, mkey_keyfile_commit(self->kf));
	EXPECT_EQ(-EWOULDBLOCK, mkey_keyfile_open_update(self->path, 100, &other));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;
	ASSERT_EQ(0, mkey_keyfile_open_update(self->path, 100, &other));
	mkey_keyfile_free(other);
}

TEST_F(kf, waiting_writer_gets_the_lock_and_sees_the_new_content)
{
	struct mkey_keyfile *other = NULL;
	struct mkey_guid g;
	pid_t pid;
	int st;

	ASSERT_EQ(0, mkey_keyfile_open_update(self->path, 0, &self->kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* Waits for the parent's commit, then must see its new key. */
		if (mkey_keyfile_open_update(self->path, 10000, &other) != 0)
			_exit(1);
		_exit(mkey_keyfile_key_count(other) == N_KEYS + 1 ? 0 : 2);
	}
	usleep(200 * 1000);
	ASSERT_EQ(0, mkey_keyfile_key_add(self->kf, 256, "", NULL, 0, NULL, &g));
	ASSERT_EQ(0, mkey_keyfile_commit(self->kf));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(kf, stale_temp_files_are_removed_by_the_next_writer)
{
	char stale[256];

	snprintf(stale, sizeof(stale), "%s/.main.mkey.tmp-AbC123", self->dir);
	ASSERT_EQ(0, write_whole(stale, "junk", 4));
	ASSERT_EQ(0, mkey_keyfile_open_update(self->path, 0, &self->kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	ASSERT_EQ(0, mkey_keyfile_commit(self->kf));
	EXPECT_NE(0, access(stale, F_OK));
	EXPECT_EQ(1, count_dir_entries(self->dir));
}

/* ---------------------------------------------------------------- tampering */

/* Another character of the same kind, so the result often still parses. */
static char sibling(char c)
{
	static const char *const classes[] = {
		"0123456789", "ABCDEF", "abcdefghijklmnopqrstuvwxyz",
		"GHIJKLMNOPQRSTUVWXYZ", "+/",
	};

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		const char *p = strchr(classes[i], c);

		if (p && c)
			return p[1] ? p[1] : classes[i][0];
	}
	return (char)(c ^ 1);
}

/*
 * Every byte of the file, changed two ways (to a sibling character and
 * with its low bit flipped), must make the parser refuse the file or the
 * unlock fail. The unlock uses the key-encryption key derived once from
 * the real file, so a changed KDF parameter or salt is caught by the
 * AEAD's associated data, not merely by deriving another key.
 */
TEST_F(kf, every_byte_changed_is_detected)
{
	uint8_t kek[32];
	char *orig, *mut;
	size_t len;
	int by_parser = 0, by_crypto = 0, missed = 0;

	orig = read_whole(self->path, &len);
	ASSERT_NE(NULL, orig);
	ASSERT_EQ(0, mkey_keyfile_parse(orig, len, &self->kf));
	derive_kek(self->kf, 0, PW_ALICE, kek);
	ASSERT_EQ(0, kf_unlock_with_kek(self->kf, 0, kek));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;
	mut = malloc(len);
	for (size_t i = 0; i < len; i++) {
		for (int how = 0; how < 2; how++) {
			struct mkey_keyfile *kf = NULL;
			int idx, ret;

			memcpy(mut, orig, len);
			mut[i] = how ? (char)(orig[i] ^ 1) : sibling(orig[i]);
			if (mut[i] == orig[i])
				continue;
			if (mkey_keyfile_parse(mut, len, &kf) != 0) {
				by_parser++;
				continue;
			}
			idx = mkey_keyfile_admin_find(kf, "ALICE");
			ret = idx < 0 ? -ENOENT : kf_unlock_with_kek(kf, idx, kek);
			if (ret == 0) {
				missed++;
				TH_LOG("byte %zu ('%c' -> '%c') not detected", i, orig[i], mut[i]);
			} else {
				by_crypto++;
			}
			mkey_keyfile_free(kf);
		}
	}
	TH_LOG("%zu bytes: %d changes refused by the parser, %d by the AEAD/MAC",
	       len, by_parser, by_crypto);
	EXPECT_EQ(0, missed);
	/* The MAC and AEAD were really exercised, not just the parser. */
	EXPECT_GT(by_crypto, 1000);
	free(mut);
	free(orig);
}

/* Whole-value swaps that keep the file well-formed. */
TEST_F(kf, swapped_and_transplanted_fields_are_detected)
{
	char *orig, *m, wrapped0[200], wrapped1[200];
	const char *p;
	size_t len;
	uint8_t kek[32];

	orig = read_whole(self->path, &len);
	ASSERT_EQ(0, mkey_keyfile_parse(orig, len, &self->kf));
	derive_kek(self->kf, 0, PW_ALICE, kek);
	mkey_keyfile_free(self->kf);
	self->kf = NULL;

	/* Keys 2 and 5 are both AES-192: exchange their wrapped keys. */
	p = strstr(orig, "\"wrapped_key\": \"");
	for (int i = 0; i < 2; i++)
		p = strstr(p + 1, "\"wrapped_key\": \"");
	sscanf(p, "\"wrapped_key\": \"%199[^\"]", wrapped0);
	for (int i = 0; i < 3; i++)
		p = strstr(p + 1, "\"wrapped_key\": \"");
	sscanf(p, "\"wrapped_key\": \"%199[^\"]", wrapped1);
	ASSERT_EQ(strlen(wrapped0), strlen(wrapped1));
	m = replace_once(orig, wrapped0, "PLACEHOLDER");
	{
		char *m2 = replace_once(m, wrapped1, wrapped0), *m3;

		m3 = replace_once(m2, "PLACEHOLDER", wrapped1);
		free(m);
		free(m2);
		m = m3;
	}
	ASSERT_EQ(0, mkey_keyfile_parse(m, strlen(m), &self->kf));
	EXPECT_EQ(-EBADMSG, kf_unlock_with_kek(self->kf, 0, kek));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;
	free(m);

	/* Another default key (a valid GUID of the file). */
	mkey_guid_format(&self->guids[3], wrapped1);
	mkey_guid_format(&self->guids[0], wrapped0);
	m = replace_once(orig, wrapped0, wrapped1);	/* the first hit is default_key */
	ASSERT_EQ(0, mkey_keyfile_parse(m, strlen(m), &self->kf));
	EXPECT_TRUE(mkey_guid_equal(&self->guids[3], mkey_keyfile_default_key(self->kf)));
	EXPECT_EQ(-EBADMSG, kf_unlock_with_kek(self->kf, 0, kek));
	EXPECT_EQ(-EBADMSG, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "file MAC does not match"));
	EXPECT_NE(NULL, strstr(audit_log, "event=integrity-failed"));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;
	free(m);

	/* BOB's entry transplanted into another key file of the same admins. */
	{
		struct mkey_keyfile *other = NULL;
		struct mkey_kdf_params kp;
		char opath[256], *otext, *bob_here, *bob_there, *end;
		size_t olen;

		cheap_kdf(&kp);
		snprintf(opath, sizeof(opath), "%s/other.mkey", self->dir);
		ASSERT_EQ(0, mkey_keyfile_new("alice", PW(PW_ALICE), &kp, 256, "", &other));
		ASSERT_EQ(0, mkey_keyfile_admin_add(other, "bob", PW(PW_BOB), &kp));
		ASSERT_EQ(0, mkey_keyfile_create(other, opath));
		mkey_keyfile_free(other);
		otext = read_whole(opath, &olen);
		bob_there = strstr(otext, "      \"name\": \"BOB\"");
		end = strstr(bob_there, "\n    }");
		*end = '\0';
		bob_here = strdup(strstr(orig, "      \"name\": \"BOB\""));
		*strstr(bob_here, "\n    }") = '\0';
		m = replace_once(orig, bob_here, bob_there);
		ASSERT_EQ(0, mkey_keyfile_parse(m, strlen(m), &self->kf));
		/* Bob's password opens that entry only in its own file (file id in the AAD). */
		EXPECT_EQ(-EKEYREJECTED, mkey_keyfile_unlock(self->kf, "bob", PW(PW_BOB)));
		EXPECT_EQ(-EBADMSG, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
		mkey_keyfile_free(self->kf);
		self->kf = NULL;
		free(m);
		free(bob_here);
		free(otext);
	}
	free(orig);
}

TEST_F(kf, file_edited_on_disk_is_refused)
{
	char *text, *m;
	size_t len;

	text = read_whole(self->path, &len);
	/* A harmless-looking edit: a description. */
	m = replace_once(text, "\"first key\"", "\"first kez\"");
	ASSERT_EQ(0, write_whole(self->path, m, strlen(m)));
	ASSERT_EQ(0, mkey_keyfile_load(self->path, &self->kf));
	EXPECT_EQ(-EBADMSG, mkey_keyfile_unlock(self->kf, "alice", PW(PW_ALICE)));
	mkey_keyfile_free(self->kf);
	self->kf = NULL;
	free(m);
	/* Reformatted (as an editor or jq would): refused by the parser already. */
	m = replace_once(text, "  \"version\": 1,", "  \"version\" : 1,");
	ASSERT_EQ(0, write_whole(self->path, m, strlen(m)));
	EXPECT_EQ(-EBADMSG, mkey_keyfile_load(self->path, &self->kf));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "not in the exact form mkey writes"));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "line 3"));
	free(m);
	free(text);
}

TEST_HARNESS_MAIN
