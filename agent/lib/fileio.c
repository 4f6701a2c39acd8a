// SPDX-License-Identifier: GPL-2.0
/* File I/O shared by libmkey's modules: see fileio.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

int mkey_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mkey_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	/* Some file systems cannot sync a directory: nothing more to do there. */
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

int mkey_temp_write(const char *dir, const char *name, const void *data, size_t len,
		    mode_t mode, char tmp[PATH_MAX])
{
	int fd, ret;

	if (snprintf(tmp, PATH_MAX, "%s/.%s.tmp-XXXXXX", dir, name) >= PATH_MAX)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = fchmod(fd, mode) < 0 ? -errno : 0;
	if (!ret && geteuid() == 0 && fchown(fd, 0, 0) < 0)
		ret = -errno;
	if (!ret)
		ret = mkey_write_all(fd, data, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (ret) {
		close(fd);
		unlink(tmp);
		return ret;
	}
	return fd;
}

int mkey_file_replace(const char *dir, const char *name, const void *data,
		      size_t len, mode_t mode)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd, ret;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkey_temp_write(dir, name, data, len, mode, tmp);
	if (fd < 0)
		return fd;
	ret = close(fd) < 0 ? -errno : 0;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0) {
		unlink(tmp);
		return ret;
	}
	return mkey_fsync_dir(dir);
}

int mkey_secret_read_fd(int fd, size_t cap, struct mkey_secbuf **out)
{
	struct mkey_secbuf *buf = NULL;
	int ret;

	*out = NULL;
	ret = mkey_secbuf_new(cap, &buf);
	while (!ret && buf->len < buf->cap) {
		ssize_t n = read(fd, buf->data + buf->len, buf->cap - buf->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		else if (n == 0)
			break;
		else
			buf->len += (size_t)n;
	}
	if (ret < 0) {
		mkey_secbuf_free(buf);
		return ret;
	}
	*out = buf;
	return 0;
}

int mkey_secret_read(const char *path, size_t cap, struct mkey_secbuf **out)
{
	int fd, ret;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		if (isatty(STDIN_FILENO))
			return -ENOTTY;
		return mkey_secret_read_fd(STDIN_FILENO, cap, out);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ret = mkey_secret_read_fd(fd, cap, out);
	close(fd);
	return ret;
}
