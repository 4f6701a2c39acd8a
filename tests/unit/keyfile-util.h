/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the key file tests: cheap KDF costs (the floors, so a
 * derivation takes milliseconds), temp directories, whole-file reads and
 * text surgery on a key file image.
 */
#ifndef MKEY_KEYFILE_UTIL_H
#define MKEY_KEYFILE_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkey/error.h"
#include "mkey/kdf.h"
#include "mkey/keyfile.h"
#include "keyfile-internal.h"

#define PW_ALICE "correct horse battery staple"
#define PW_BOB	 "Tr0ub4dor&3"
#define PW(s)	 (const uint8_t *)(s), strlen(s)

/* Argon2id at its floors: 8 MiB, 1 pass, 1 lane. */
static inline void cheap_kdf(struct mkey_kdf_params *p)
{
	struct mkey_kdf_request rq = {
		.type = MKEY_KDF_ARGON2ID, .memory_kib = MKEY_ARGON2_MIN_MEMORY_KIB,
		.passes = 1, .parallelism = 1,
	};

	if (mkey_kdf_choose(&rq, p) != 0)
		abort();
}

static inline void cheap_pbkdf2(struct mkey_kdf_params *p)
{
	struct mkey_kdf_request rq = {
		.type = MKEY_KDF_PBKDF2_SHA512, .iterations = MKEY_PBKDF2_MIN_ITERATIONS,
	};

	if (mkey_kdf_choose(&rq, p) != 0)
		abort();
}

/* A fresh directory under $TMPDIR (or /tmp); path in @dir. */
static inline int make_temp_dir(char dir[128])
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, 128, "%s/mkey-kf-XXXXXX", t && strlen(t) < 80 ? t : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static inline void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (de->d_name[1] && de->d_name[1] != '.'))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

static inline int count_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The whole file, NUL-terminated (malloc'ed); NULL on error. */
static inline char *read_whole(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	if (buf) {
		buf[st.st_size] = '\0';
		*len = (size_t)st.st_size;
	}
	return buf;
}

static inline int write_whole(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

/* @text with the first occurrence of @from replaced by @to (malloc'ed). */
static inline char *replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t a, lf = strlen(from), lt = strlen(to), lx = strlen(text);
	char *out;

	if (!at)
		return NULL;
	a = (size_t)(at - text);
	out = malloc(lx - lf + lt + 1);
	memcpy(out, text, a);
	memcpy(out + a, to, lt);
	memcpy(out + a + lt, at + lf, lx - a - lf + 1);
	return out;
}

/* The key-encryption key of admin @idx for @pw, for kf_unlock_with_kek(). */
static inline void derive_kek(const struct mkey_keyfile *kf, int idx, const char *pw,
			      uint8_t kek[32])
{
	if (mkey_kdf_derive(&mkey_keyfile_admin_at(kf, idx)->kdf, PW(pw), kek) != 0)
		abort();
}

#endif
