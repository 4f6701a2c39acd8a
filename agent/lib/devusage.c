// SPDX-License-Identifier: GPL-2.0
/*
 * Who uses a block device: mount table and sysfs holders. Only used to
 * explain a refusal; the refusal itself always comes from the kernel
 * (O_EXCL open, device-mapper remove), so these reads cannot race.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "mkey/blkdev.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' &&
		    r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

int mkey_dev_mount_point(dev_t dev, char *buf, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned int maj, min;
		char mnt[4096];

		/* id parent major:minor root mount-point ... */
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mnt) != 3)
			continue;
		if (maj != major(dev) || min != minor(dev))
			continue;
		unescape_octal(mnt);
		snprintf(buf, len, "%s", mnt);
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

/* "dm-3" -> "dm-3 (name)" using /sys/block/dm-3/dm/name. */
static void holder_label(const char *holder, char *out, size_t len)
{
	char path[512], name[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/dm/name", holder);
	f = fopen(path, "re");
	if (f) {
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
	if (name[0])
		snprintf(out, len, "%s (%s)", holder, name);
	else
		snprintf(out, len, "%s", holder);
}

int mkey_dev_holders(dev_t dev, char *buf, size_t len)
{
	char path[128];
	struct dirent *de;
	size_t used = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders",
		 major(dev), minor(dev));
	if (len)
		buf[0] = '\0';
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char one[300];
		int n;

		if (de->d_name[0] == '.')
			continue;
		holder_label(de->d_name, one, sizeof(one));
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", one);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	closedir(d);
	return used ? 0 : -ENOENT;
}

void mkey_dev_describe_busy(dev_t dev, char *buf, size_t len)
{
	char what[4096];

	if (mkey_dev_mount_point(dev, what, sizeof(what)) == 0)
		snprintf(buf, len, "mounted on %s", what);
	else if (mkey_dev_holders(dev, what, sizeof(what)) == 0)
		snprintf(buf, len, "held by %s", what);
	else
		snprintf(buf, len, "held open by a process (fuser -v on the device shows which)");
}
