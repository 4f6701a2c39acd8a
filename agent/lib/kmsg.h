/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal: the kernel's reason for refusing a table (ti->error) only goes
 * to the kernel log. We mark the log's end before a table load and, if the
 * load fails, quote the newest matching line written since.
 */
#ifndef MKEY_KMSG_H
#define MKEY_KMSG_H

#include <stddef.h>

/* Opens /dev/kmsg positioned at its end; -1 when not readable. */
int mkey_kmsg_mark(void);

/*
 * Reads the records written since the mark and copies the message text of
 * the last one containing @needle into @buf. Closes @fd. Returns 0 if one
 * was found, -ENOENT otherwise.
 */
int mkey_kmsg_last_since(int fd, const char *needle, char *buf, size_t len);

#endif
