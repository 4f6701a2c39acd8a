// SPDX-License-Identifier: GPL-2.0
/*
 * Key files on disk. Readers need no lock: a writer never changes the file
 * in place, it renames a complete, fsynced new file over it. Writers
 * serialize on flock() of the key file itself; since a rename replaces the
 * inode, a writer that got its lock checks that the path still names the
 * inode it locked (else it retries on the new one), and a committing
 * writer locks the new inode before renaming it into place. Temp files
 * ".NAME.tmp-XXXXXX" left by a writer that died are removed by the next
 * writer, under the lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keyfile-internal.h"
#include "mkey/audit.h"
#include "error-detail.h"
#include "fileio.h"

static int read_fd(int fd, const char *path, char **data, size_t *len)
{
	struct stat st;
	size_t cap, used = 0;
	char *buf;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return mkey_error_set(-EINVAL, "%s is not a regular file", path);
	if (st.st_size > MKEY_KEYFILE_MAX_BYTES)
		return mkey_error_set(-EFBIG, "%s: %lld bytes; key files are at most %d "
				      "bytes", path, (long long)st.st_size,
				      MKEY_KEYFILE_MAX_BYTES);
	/* One byte more than allowed: a file that grew meanwhile is still caught. */
	cap = MKEY_KEYFILE_MAX_BYTES + 1;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	while (used < cap) {
		ssize_t n = pread(fd, buf + used, cap - used, (off_t)used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*data = buf;
	*len = used;
	return 0;
}

static int parse_fd(int fd, const char *path, struct mkey_keyfile **out)
{
	char *data = NULL, detail[512];
	size_t len = 0;
	int ret;

	ret = read_fd(fd, path, &data, &len);
	if (ret < 0)
		return ret;
	ret = mkey_keyfile_parse(data, len, out);
	free(data);
	if (ret < 0) {
		snprintf(detail, sizeof(detail), "%s", mkey_error_detail());
		return mkey_error_set(ret, "%s", detail);
	}
	(*out)->path = strdup(path);
	(*out)->real_path = realpath(path, NULL);	/* for audit lines; may fail */
	if (!(*out)->path) {
		mkey_keyfile_free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

int mkey_keyfile_load(const char *path, struct mkey_keyfile **out)
{
	int fd, ret;

	*out = NULL;
	mkey_error_clear();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ret = parse_fd(fd, path, out);
	close(fd);
	return ret;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Opens and locks @path; retries when a writer replaced the file meanwhile. */
static int lock_path(const char *path, int timeout_ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct stat locked, named;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;

			close(fd);
			if (err != EWOULDBLOCK && err != EINTR)
				return -err;
			if (elapsed_ms(&start) >= timeout_ms)
				return mkey_error_set(-EWOULDBLOCK, "%s is locked by another "
						      "process updating it (waited %d s)",
						      path, timeout_ms / 1000);
			sleep_ms(20);
			continue;
		}
		if (fstat(fd, &locked) == 0 && stat(path, &named) == 0 &&
		    locked.st_dev == named.st_dev && locked.st_ino == named.st_ino)
			return fd;
		/* Replaced between our open and our lock: lock the new one. */
		close(fd);
	}
}

int mkey_keyfile_open_update(const char *path, int timeout_ms, struct mkey_keyfile **out)
{
	char *real;
	int fd, ret;

	*out = NULL;
	mkey_error_clear();
	/* A symlinked key file is updated where it really lives. */
	real = realpath(path, NULL);
	if (!real)
		return -errno;
	fd = lock_path(real, timeout_ms > 0 ? timeout_ms : MKEY_KEYFILE_LOCK_TIMEOUT_MS);
	if (fd < 0) {
		free(real);
		return fd;
	}
	ret = parse_fd(fd, path, out);
	if (ret < 0) {
		close(fd);
		free(real);
		return ret;
	}
	free((*out)->real_path);
	(*out)->real_path = real;
	(*out)->lock_fd = fd;
	return 0;
}

/* ---------------------------------------------------------------- writing */

struct split_path {
	char dir[PATH_MAX];
	char base[NAME_MAX + 1];
};

static int split(const char *path, struct split_path *sp)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(a, path);
	strcpy(b, path);
	snprintf(sp->dir, sizeof(sp->dir), "%s", dirname(a));
	if (strlen(basename(b)) > NAME_MAX - 16)
		return -ENAMETOOLONG;
	snprintf(sp->base, sizeof(sp->base), "%s", basename(b));
	return 0;
}

/* Removes ".BASE.tmp-XXXXXX" files: only call with the file's lock held. */
static void remove_stale_temps(const struct split_path *sp)
{
	char prefix[NAME_MAX + 8];
	struct dirent *de;
	DIR *d;

	snprintf(prefix, sizeof(prefix), ".%s.tmp-", sp->base);
	d = opendir(sp->dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    strlen(de->d_name) == strlen(prefix) + 6)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* A new temp file next to @sp->base: mode 0600, contents fsynced; its fd. */
static int write_temp(const struct split_path *sp, const char *data, size_t len,
		      char tmp[PATH_MAX])
{
	return mkey_temp_write(sp->dir, sp->base, data, len, 0600, tmp);
}

static int serialize_signed(struct mkey_keyfile *kf, struct kf_buf *out)
{
	int ret = kf_compute_mac(kf);

	if (ret < 0)
		return ret;
	ret = kf_serialize(kf, true, out);
	if (!ret && out->len > MKEY_KEYFILE_MAX_BYTES) {
		kf_buf_free(out);
		return mkey_error_set(-EFBIG, "the key file would exceed %d bytes",
				      MKEY_KEYFILE_MAX_BYTES);
	}
	return ret;
}

int mkey_keyfile_commit(struct mkey_keyfile *kf)
{
	struct kf_buf text = { 0 };
	struct split_path sp;
	char tmp[PATH_MAX];
	int fd, ret;

	if (!kf->master)
		return -EACCES;
	if (kf->lock_fd < 0 || !kf->real_path)
		return -EBADF;
	ret = split(kf->real_path, &sp);
	if (ret < 0)
		return ret;
	ret = serialize_signed(kf, &text);
	if (ret < 0)
		return ret;
	remove_stale_temps(&sp);
	fd = write_temp(&sp, text.data, text.len, tmp);
	kf_buf_free(&text);
	if (fd < 0)
		return mkey_error_set(fd, "cannot write a new copy of %s in %s",
				      kf->path, sp.dir);
	/* Nobody can know this inode yet: the lock is ours at once. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || rename(tmp, kf->real_path) < 0) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return mkey_error_set(ret, "cannot replace %s", kf->path);
	}
	/* From here on the new file is in place; the directory makes it durable. */
	close(kf->lock_fd);
	kf->lock_fd = fd;
	ret = mkey_fsync_dir(sp.dir);
	if (ret < 0)
		return mkey_error_set(ret, "cannot sync directory %s", sp.dir);
	kf_pending_flush(kf);
	return 0;
}

/* Puts the temp file in place under the final name, never over an existing file. */
static int link_new(const char *tmp, const char *path)
{
	if (link(tmp, path) == 0)
		return 0;
	if (errno == EEXIST)
		return -EEXIST;
	/* Filesystems without hard links: rename without replacing. */
	if (errno == EPERM || errno == EOPNOTSUPP) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
			return 1;	/* tmp is gone already */
		return -errno;
	}
	return -errno;
}

static int publish_new(const char *path, const char *data, size_t len, int *fd_out)
{
	struct split_path sp;
	char tmp[PATH_MAX];
	int fd, ret;

	ret = split(path, &sp);
	if (ret < 0)
		return ret;
	fd = write_temp(&sp, data, len, tmp);
	if (fd < 0)
		return mkey_error_set(fd, "cannot write %s in %s", sp.base, sp.dir);
	ret = link_new(tmp, path);
	if (ret != 1)
		unlink(tmp);
	if (ret < 0) {
		close(fd);
		return ret == -EEXIST ? mkey_error_set(ret, "%s already exists", path) :
		       mkey_error_set(ret, "cannot create %s", path);
	}
	ret = mkey_fsync_dir(sp.dir);
	if (ret < 0) {
		close(fd);
		return mkey_error_set(ret, "cannot sync directory %s", sp.dir);
	}
	if (fd_out)
		*fd_out = fd;
	else
		close(fd);
	return 0;
}

int mkey_keyfile_create(struct mkey_keyfile *kf, const char *path)
{
	struct kf_buf text = { 0 };
	int fd = -1, ret;

	if (!kf->master || !kf->is_new)
		return -EINVAL;
	ret = serialize_signed(kf, &text);
	if (ret < 0)
		return ret;
	ret = publish_new(path, text.data, text.len, &fd);
	kf_buf_free(&text);
	if (ret < 0)
		return ret;
	free(kf->path);
	free(kf->real_path);
	kf->path = strdup(path);
	kf->real_path = realpath(path, NULL);
	if (kf->lock_fd >= 0)
		close(kf->lock_fd);
	kf->lock_fd = fd;
	kf->is_new = false;
	kf_pending_flush(kf);
	return 0;
}

int mkey_keyfile_backup(const char *path, const char *dest, bool overwrite)
{
	struct mkey_keyfile *kf = NULL, *copy = NULL;
	char *data = NULL, *back = NULL, ident[700], quoted[600];
	size_t len = 0, back_len = 0;
	int fd, ret;

	mkey_error_clear();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ret = read_fd(fd, path, &data, &len);
	close(fd);
	if (ret < 0)
		return ret;
	/* Copy only what parses: a backup of a broken file is no backup. */
	ret = mkey_keyfile_parse(data, len, &kf);
	if (ret < 0)
		goto out;
	kf->path = strdup(path);
	if (overwrite) {
		struct split_path sp;
		char tmp[PATH_MAX];

		ret = split(dest, &sp);
		if (ret < 0)
			goto out;
		fd = write_temp(&sp, data, len, tmp);
		if (fd < 0) {
			ret = mkey_error_set(fd, "cannot write %s in %s", sp.base, sp.dir);
			goto out;
		}
		close(fd);
		if (rename(tmp, dest) < 0) {
			ret = mkey_error_set(-errno, "cannot replace %s", dest);
			unlink(tmp);
			goto out;
		}
		ret = mkey_fsync_dir(sp.dir);
	} else {
		ret = publish_new(dest, data, len, NULL);
	}
	if (ret < 0)
		goto out;
	/* Verify: the copy on disk is byte-identical and parses. */
	fd = open(dest, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = mkey_error_set(-errno, "cannot read back %s", dest);
		goto out;
	}
	ret = read_fd(fd, dest, &back, &back_len);
	close(fd);
	if (ret < 0)
		goto out;
	if (back_len != len || memcmp(back, data, len) != 0) {
		ret = mkey_error_set(-EIO, "%s does not read back as written", dest);
		goto out;
	}
	ret = mkey_keyfile_parse(back, back_len, &copy);
	if (ret < 0)
		goto out;
	kf_audit_ident(kf, ident, sizeof(ident));
	mkey_audit(MKEY_AUDIT_KEYFILE_BACKUP, "%s dest=%s", ident,
		   mkey_audit_quote(dest, quoted, sizeof(quoted)));
out:
	mkey_keyfile_free(copy);
	mkey_keyfile_free(kf);
	free(back);
	free(data);
	return ret;
}
