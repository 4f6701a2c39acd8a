// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

int mkey_kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int mkey_kmsg_last_since(int fd, const char *needle, char *buf, size_t len)
{
	char rec[8192];
	int ret = -ENOENT;

	if (fd < 0)
		return -ENOENT;
	for (;;) {
		/* One read() returns one record: "prio,seq,usec,flags;text\n..." */
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text, *end;

		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: keep reading */
		if (n <= 0)
			break;		/* EAGAIN: no more records */
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		if (strstr(text, needle)) {
			snprintf(buf, len, "%s", text);
			ret = 0;
		}
	}
	close(fd);
	return ret;
}
