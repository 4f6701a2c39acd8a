// SPDX-License-Identifier: GPL-2.0
/*
 * Crash safety of key file updates: a child updates the file in a loop,
 * alternating between two contents A and B that differ in size and
 * content; it is killed with SIGKILL at a random moment, 1,000 times.
 * After every kill the file must be exactly A or exactly B, must parse and
 * unlock (its MAC verifies), and must not stay locked.
 *
 * CRASH_KILLS overrides the number of kills (default 1000).
 */
#include "kselftest_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "keyfile-util.h"

static void audit_drop(int prio, const char *line, void *ctx)
{
	(void)prio;
	(void)line;
	(void)ctx;
}

static double ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

FIXTURE(crash) {
	char dir[128];
	char path[192];
	uint8_t kek[32];
	struct mkey_guid k0, k3;
	struct kf_key extra;	/* the entry that makes B one key longer */
	char *a, *b;
	size_t a_len, b_len;
};

/* A -> B: the extra key is back and is the default. B -> A: undone. */
static int toggle(struct mkey_keyfile *kf, const struct kf_key *extra,
		  const struct mkey_guid *k0, bool to_b)
{
	if (to_b) {
		kf->keys[kf->n_keys++] = *extra;
		return mkey_keyfile_set_default(kf, &extra->info.guid);
	}
	if (mkey_keyfile_set_default(kf, k0))
		return -1;
	return mkey_keyfile_key_delete(kf, &extra->info.guid);
}

static int update_once(const char *path, const uint8_t kek[32], const struct kf_key *extra,
		       const struct mkey_guid *k0, bool to_b)
{
	struct mkey_keyfile *kf = NULL;
	int ret = mkey_keyfile_open_update(path, 5000, &kf);

	if (!ret)
		ret = kf_unlock_with_kek(kf, 0, kek);
	if (!ret)
		ret = toggle(kf, extra, k0, to_b);
	if (!ret)
		ret = mkey_keyfile_commit(kf);
	mkey_keyfile_free(kf);
	return ret;
}

FIXTURE_SETUP(crash)
{
	struct mkey_keyfile *kf = NULL;
	struct mkey_kdf_params p;
	char *again;
	size_t again_len = 0;

	mkey_audit_set_hook(audit_drop, NULL);
	ASSERT_EQ(0, make_temp_dir(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/crash.mkey", self->dir);
	cheap_kdf(&p);
	ASSERT_EQ(0, mkey_keyfile_new("admin", PW("pw"), &p, 256, "k0", &kf));
	ASSERT_EQ(0, mkey_keyfile_key_add(kf, 128, "k1", NULL, 0, NULL, NULL));
	ASSERT_EQ(0, mkey_keyfile_key_add(kf, 192, "k2", NULL, 0, NULL, NULL));
	ASSERT_EQ(0, mkey_keyfile_key_add(kf, 256, "k3, only in B", NULL, 0, NULL, &self->k3));
	self->k0 = *mkey_keyfile_default_key(kf);
	self->extra = kf->keys[3];
	ASSERT_EQ(0, mkey_keyfile_key_delete(kf, &self->k3));
	ASSERT_EQ(0, mkey_keyfile_create(kf, self->path));
	derive_kek(kf, 0, "pw", self->kek);
	mkey_keyfile_free(kf);

	self->a = read_whole(self->path, &self->a_len);
	ASSERT_EQ(0, update_once(self->path, self->kek, &self->extra, &self->k0, true));
	self->b = read_whole(self->path, &self->b_len);
	ASSERT_EQ(0, update_once(self->path, self->kek, &self->extra, &self->k0, false));
	/* The two states are reproducible byte for byte. */
	again = read_whole(self->path, &again_len);
	ASSERT_EQ(self->a_len, again_len);
	ASSERT_EQ(0, memcmp(self->a, again, again_len));
	ASSERT_NE(self->a_len, self->b_len);
	free(again);
}

FIXTURE_TEARDOWN(crash)
{
	mkey_audit_set_hook(NULL, NULL);
	free(self->a);
	free(self->b);
	remove_dir(self->dir);
}

/* The child: update forever, A -> B -> A ... starting from what is there. */
static void __attribute__((noreturn)) updater(const char *path, const uint8_t kek[32],
					      const struct kf_key *extra,
					      const struct mkey_guid *k0)
{
	for (;;) {
		struct mkey_keyfile *kf = NULL;
		bool is_a;

		if (mkey_keyfile_open_update(path, 5000, &kf) != 0 ||
		    kf_unlock_with_kek(kf, 0, kek) != 0)
			_exit(2);
		is_a = mkey_keyfile_key_count(kf) == 3;
		if (toggle(kf, extra, k0, is_a) != 0 || mkey_keyfile_commit(kf) != 0)
			_exit(3);
		mkey_keyfile_free(kf);
	}
}

TEST_F(crash, sigkill_during_updates_leaves_old_or_new)
{
	const char *env = getenv("CRASH_KILLS");
	int kills = env ? atoi(env) : 1000, seen_a = 0, seen_b = 0, temps = 0;
	double start, per_update;
	unsigned int seed = (unsigned int)time(NULL);

	/* How long one update takes here: kills are spread over a few of them. */
	start = ms_now();
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(0, update_once(self->path, self->kek, &self->extra, &self->k0,
					 i % 2 == 0));
	per_update = (ms_now() - start) / 10;
	TH_LOG("one update takes %.2f ms; %d kills, seed %u", per_update, kills, seed);
	srand(seed);

	for (int i = 0; i < kills; i++) {
		struct mkey_keyfile *kf = NULL;
		char *now;
		size_t len;
		pid_t pid;
		int st;
		long delay_us = (long)((double)rand() / RAND_MAX * per_update * 3 * 1000);

		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0)
			updater(self->path, self->kek, &self->extra, &self->k0);
		usleep((useconds_t)delay_us);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFSIGNALED(st)) TH_LOG("updater failed: status %d", st);

		temps += count_dir_entries(self->dir) - 1;
		now = read_whole(self->path, &len);
		ASSERT_NE(NULL, now) TH_LOG("kill %d: the key file is gone", i);
		if (len == self->a_len && !memcmp(now, self->a, len)) {
			seen_a++;
		} else if (len == self->b_len && !memcmp(now, self->b, len)) {
			seen_b++;
		} else {
			ASSERT_TRUE(false) TH_LOG("kill %d after %ld us: the file is neither "
						  "the old nor the new content", i, delay_us);
		}
		/* It loads, its MAC verifies, and nobody holds its lock. */
		ASSERT_EQ(0, mkey_keyfile_open_update(self->path, 100, &kf));
		ASSERT_EQ(0, kf_unlock_with_kek(kf, 0, self->kek));
		mkey_keyfile_free(kf);
		free(now);
	}
	TH_LOG("after %d kills: %d times A, %d times B, %d leftover temp files seen",
	       kills, seen_a, seen_b, temps);
	/* Kills landed on both sides of the rename. */
	EXPECT_GT(seen_a, 0);
	EXPECT_GT(seen_b, 0);
}

TEST_HARNESS_MAIN
