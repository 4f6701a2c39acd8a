/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File I/O that libmkey does in several places: whole writes, durable
 * replacement of a file, and reading a secret from a file or stdin.
 * Internal to libmkey; negative errno returns.
 */
#ifndef MKEY_FILEIO_H
#define MKEY_FILEIO_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "mkey/secmem.h"

/* Writes all @len bytes, through short writes and EINTR. */
int mkey_write_all(int fd, const void *buf, size_t len);

/* Makes a rename (or creation) in @dir durable. */
int mkey_fsync_dir(const char *dir);

/*
 * Writes @len bytes of @data to a new temp file ".NAME.tmp-XXXXXX" in @dir
 * with mode @mode (owned by root when we are root) and fsyncs it; its name
 * in @tmp. Returns the open fd, for the caller to lock and rename into
 * place; on error no temp file is left behind.
 */
int mkey_temp_write(const char *dir, const char *name, const void *data, size_t len,
		    mode_t mode, char tmp[PATH_MAX]);

/*
 * Replaces @dir/@name with @len bytes of @data, atomically and durably: a
 * temp file ".NAME.tmp-XXXXXX" in @dir with mode @mode (owned by root when
 * we are root), fsync, rename, fsync of @dir. A crash leaves the old file
 * or the new one; on error no temp file is left behind.
 */
int mkey_file_replace(const char *dir, const char *name, const void *data,
		      size_t len, mode_t mode);

/*
 * Reads a secret from @path, or standard input for "-" (refused with
 * -ENOTTY when that is a terminal: typed secrets are echoed), into a new
 * secure buffer of @cap bytes. Reads at most @cap bytes: a caller that
 * allows N bytes passes a larger @cap to tell "too long". -errno of
 * open/read, -ENOMEM.
 */
int mkey_secret_read(const char *path, size_t cap, struct mkey_secbuf **out);

/* The same from an open @fd, read to its end or to @cap bytes. */
int mkey_secret_read_fd(int fd, size_t cap, struct mkey_secbuf **out);

#endif
