// SPDX-License-Identifier: GPL-2.0
/*
 * mkey-generator: a systemd generator (systemd.generator(7)) that turns
 * /etc/mkeytab into units, as systemd-cryptsetup-generator does for
 * /etc/crypttab. It is mkey-agent itself, installed as a symbolic link
 * named mkey-generator in a system-generators directory. For each volume:
 *
 *   mkey@NAME.service         runs "mkey-agent unlock NAME" once its device
 *                             is there; ExecStop closes the mapping
 *   DEVICE.device.wants/      the volume opens when its device appears
 *   mkey.target.requires/     (.wants/ with nofail) boot waits for it
 *   MOUNT.mount.d/40-mkey.conf  for each /etc/fstab entry on /dev/mapper/NAME:
 *                             Requires= and After= the volume, so the mount
 *                             pulls the volume in and fails at once when it
 *                             cannot be opened, instead of waiting for a
 *                             device that never comes (x-systemd.requires=)
 *   dev-mapper-NAME.device.d/ JobTimeoutSec=infinity when the key file is
 *                             interactive: a person may take a while
 *   sysinit.target.wants/mkey.target
 *
 * "required" adds OnFailure=emergency.target. "noauto" leaves the unit to
 * be started by hand (systemctl start mkey@NAME) or by a mount. The kernel
 * command line switch mkey=0 (or no, off) turns the generator off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "mkey/startup.h"

#define UNIT_NAME_MAX 256

static const char *dest;
static int failures;

static void gen_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void gen_log(int prio, const char *fmt, ...)
{
	char msg[1024], line[1100];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Generators run before the journal: the kernel log keeps this. */
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && getuid() == 0) {
		n = snprintf(line, sizeof(line), "<%d>mkey-generator: %s\n", (3 << 3) | prio, msg);
		if (n > 0)
			(void)!write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	} else {
		fprintf(stderr, "mkey-generator: %s\n", msg);
	}
	if (fd >= 0)
		close(fd);
}

/* systemd's unit name escaping (systemd-escape): '/' -> '-', the rest \xNN. */
static int escape(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == ':' || c == '_' ||
			    (c == '.' && p != s);

		if (n + 5 > len)
			return -ENAMETOOLONG;
		if (c == '/')
			out[n++] = '-';
		else if (keep)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, len - n, "\\x%02x", c);
	}
	out[n] = 0;
	return 0;
}

/* systemd-escape --path --suffix=SUFFIX for an absolute path in plain form. */
static int path_unit(const char *path, const char *suffix, char *out, size_t len)
{
	char body[UNIT_NAME_MAX * 4];
	const char *p = path;
	int ret;

	while (*p == '/')
		p++;
	if (!*p) {
		snprintf(out, len, "-%s", suffix);
		return 0;
	}
	ret = escape(p, body, sizeof(body));
	if (ret < 0)
		return ret;
	if (strlen(body) + strlen(suffix) >= UNIT_NAME_MAX)
		return -ENAMETOOLONG;
	if (snprintf(out, len, "%s%s", body, suffix) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* dest/UNIT.TYPE/LINK -> TARGET */
static int add_link(const char *unit, const char *type, const char *link, const char *target)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	int ret;

	snprintf(dir, sizeof(dir), "%s/%s.%s", dest, unit, type);
	ret = mkdir_p(dir);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/%s", dir, link);
	if (symlink(target, path) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static FILE *open_unit(const char *dir_suffix_unit, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	int fd;

	if (dir_suffix_unit) {
		snprintf(dir, sizeof(dir), "%s/%s.d", dest, dir_suffix_unit);
		if (mkdir_p(dir) < 0)
			return NULL;
	} else {
		snprintf(dir, sizeof(dir), "%s", dest);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return NULL;
	return fdopen(fd, "w");
}

static int close_unit(FILE *f)
{
	int ret = 0;

	if (ferror(f))
		ret = -EIO;
	if (fclose(f) != 0 && !ret)
		ret = -errno;
	return ret;
}

/* Where the static mkey.target lives, for the sysinit.target.wants link. */
static const char *target_path(void)
{
	static const char *const dirs[] = {
		"/etc/systemd/system/mkey.target",
		"/usr/local/lib/systemd/system/mkey.target",
		"/usr/lib/systemd/system/mkey.target",
		"/lib/systemd/system/mkey.target",
		NULL,
	};

	for (int i = 0; dirs[i]; i++)
		if (access(dirs[i], F_OK) == 0)
			return dirs[i];
	return "/usr/lib/systemd/system/mkey.target";
}

static void dirname_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

static int generate(const struct mkey_tab_entry *e, const char *tab, const char *agent,
		    const char *confdir)
{
	char esc[UNIT_NAME_MAX * 4], unit[UNIT_NAME_MAX + 64], dev[PATH_MAX];
	char devunit[UNIT_NAME_MAX + 16], dmunit[UNIT_NAME_MAX + 64], keydir[PATH_MAX];
	char opts[128], link[UNIT_NAME_MAX + 80], source[PATH_MAX];
	struct mkey_startup st;
	bool interactive, kmip = e->kmip_server[0] != '\0';
	const char *target;
	FILE *f;
	int ret;

	if (escape(e->name, esc, sizeof(esc)) < 0 ||
	    snprintf(unit, sizeof(unit), "mkey@%s.service", esc) >= UNIT_NAME_MAX ||
	    snprintf(dmunit, sizeof(dmunit), "dev-mapper-%s.device", esc) >= UNIT_NAME_MAX) {
		gen_log(LOG_ERR, "%s:%u: volume name %s is too long for a unit name", tab, e->line,
			e->name);
		return -ENAMETOOLONG;
	}
	mkey_tab_device_path(e, dev, sizeof(dev));
	if (path_unit(dev, ".device", devunit, sizeof(devunit)) < 0) {
		gen_log(LOG_ERR, "%s:%u: device path %s is too long for a unit name", tab, e->line,
			dev);
		return -ENAMETOOLONG;
	}
	/* A KMIP key needs only the configuration (server definitions). */
	if (kmip)
		snprintf(keydir, sizeof(keydir), "%s", confdir);
	else
		dirname_of(e->key_file, keydir, sizeof(keydir));
	mkey_tab_options_text(e, opts, sizeof(opts));
	mkey_tab_key_source_text(e, source, sizeof(source));
	snprintf(link, sizeof(link), "../%s", unit);
	/* An unreadable startup.conf: assume a person is asked. */
	interactive = !kmip && (mkey_startup_get(confdir, e->key_file, &st) < 0 ||
				st.mode == MKEY_STARTUP_INTERACTIVE);
	/*
	 * A KMIP volume is a network volume, as crypttab's _netdev ones are:
	 * it opens once the network is online, before remote file systems,
	 * and local-fs.target does not wait for it.
	 */
	target = kmip ? "remote-fs.target" : "mkey.target";

	f = open_unit(NULL, unit);
	if (!f)
		return -errno;
	fprintf(f,
		"# Automatically generated by mkey-generator from %s line %u:\n"
		"#   %s %s %s %s\n"
		"\n"
		"[Unit]\n"
		"Description=dm-mkey volume %%I\n"
		"Documentation=man:mkeytab(5) man:mkey-agent(8)\n"
		"SourcePath=%s\n"
		"DefaultDependencies=no\n"
		"IgnoreOnIsolate=true\n"
		"Conflicts=umount.target\n"
		"Before=umount.target\n"
		"After=systemd-udevd-kernel.socket systemd-modules-load.service\n"
		"Wants=blockdev@dev-mapper-%s.target\n"
		"Before=blockdev@dev-mapper-%s.target\n"
		"BindsTo=%s\n"
		"After=%s\n"
		"RequiresMountsFor=%s%s%s\n",
		tab, e->line, e->name, e->device, source, opts, tab,
		esc, esc, devunit, devunit, keydir, strcmp(keydir, confdir) ? " " : "",
		strcmp(keydir, confdir) ? confdir : "");
	if (kmip)
		fprintf(f, "Wants=network-online.target\n"
			   "After=network-online.target\n"
			   "Before=remote-fs-pre.target\n");
	if (!e->nofail)
		fprintf(f, "Before=%s\n", target);
	if (e->required)
		fprintf(f, "OnFailure=emergency.target\n"
			   "OnFailureJobMode=replace-irreversibly\n");
	fprintf(f,
		"\n"
		"[Service]\n"
		"Type=oneshot\n"
		"RemainAfterExit=yes\n"
		"TimeoutSec=infinity\n"
		"ExecStart=%s unlock %s\n"
		"ExecStop=%s close %s\n"
		"StandardOutput=journal\n"
		"StandardError=journal+console\n",
		agent, e->name, agent, e->name);
	ret = close_unit(f);
	if (ret < 0)
		return ret;

	if (!e->noauto) {
		/* Opens when its device appears, and boot (mkey.target) waits for it. */
		ret = add_link(devunit, "wants", unit, link);
		if (!ret)
			ret = add_link(target, e->nofail ? "wants" : "requires", unit, link);
		if (ret < 0)
			return ret;
	}
	/* Waiting for a person: the mounts on it must not give up after 90 s. */
	if (!e->noauto && !e->nofail && interactive) {
		f = open_unit(dmunit, "40-mkey.conf");
		if (!f)
			return -errno;
		fprintf(f, "# Automatically generated by mkey-generator: %s asks a person\n\n"
			   "[Unit]\nJobTimeoutSec=infinity\n", source);
		ret = close_unit(f);
	}
	return ret;
}

/* Unescapes nothing: fstab fields with octal escapes are left alone. */
static bool fstab_source_is(const char *src, const char *name)
{
	char a[PATH_MAX], b[PATH_MAX];

	snprintf(a, sizeof(a), "/dev/mapper/%s", name);
	snprintf(b, sizeof(b), "/dev/disk/by-id/dm-name-%s", name);
	return !strcmp(src, a) || !strcmp(src, b);
}

/* Is @opt one of the comma-separated fstab options in @opts? */
static bool has_mount_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != '\0'))
		if (!strncmp(p, opt, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * Every /etc/fstab entry on a volume of the table gets a drop-in that
 * requires the volume and orders the mount (or swap) after it: the
 * volume is opened for it (even a noauto one), and when it cannot be, the
 * mount fails at once ("Dependency failed") rather than waiting for a
 * device that never appears; nofail in fstab then lets the boot go on.
 */
static int fstab_dropins(const struct mkey_tab *tab, const char *fstab)
{
	char line[4096];
	FILE *f = fopen(fstab, "re");
	int ret = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		char src[PATH_MAX], dir[PATH_MAX], type[64], unit[UNIT_NAME_MAX + 16];
		char esc[UNIT_NAME_MAX * 4], mntopts[1024] = "";

		if (sscanf(line, " %4095s %4095s %63s %1023s", src, dir, type, mntopts) < 3 ||
		    src[0] == '#')
			continue;
		for (int i = 0; i < tab->n_entries; i++) {
			const struct mkey_tab_entry *e = &tab->entries[i];
			FILE *d;
			int r;

			if (!fstab_source_is(src, e->name))
				continue;
			if (e->kmip_server[0] && !has_mount_option(mntopts, "_netdev"))
				gen_log(LOG_WARNING, "%s: '%s %s' is on volume %s, whose key is on "
					"a KMIP server: add the _netdev option, or the mount "
					"waits for the network before local-fs.target", fstab,
					src, dir, e->name);
			if (strchr(dir, '\\') || strchr(src, '\\'))
				r = -EINVAL;	/* NOLINT(bugprone-branch-clone): like the last else */
			else if (!strcmp(type, "swap"))
				r = path_unit(src, ".swap", unit, sizeof(unit));
			else if (dir[0] == '/')
				r = path_unit(dir, ".mount", unit, sizeof(unit));
			else
				r = -EINVAL;
			if (r == 0)
				r = escape(e->name, esc, sizeof(esc));
			if (r < 0) {
				gen_log(LOG_WARNING, "%s: cannot make a unit name for '%s %s'; it is "
					"not tied to volume %s", fstab, src, dir, e->name);
				continue;
			}
			d = open_unit(unit, "40-mkey.conf");
			if (!d) {
				ret = -errno;
				continue;
			}
			fprintf(d, "# Automatically generated by mkey-generator: %s is on the "
				   "dm-mkey volume %s\n\n[Unit]\nRequires=mkey@%s.service\n"
				   "After=mkey@%s.service\n", dir, e->name, esc, esc);
			r = close_unit(d);
			if (r < 0)
				ret = r;
		}
	}
	fclose(f);
	return ret;
}

/* mkey=0|no|off|false on the kernel command line turns the generator off. */
static bool disabled_on_cmdline(void)
{
	char buf[4096];
	bool off = false;
	FILE *f = fopen("/proc/cmdline", "re");
	char *save = NULL;

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	for (char *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(w, "mkey=", 5) == 0) {
			const char *v = w + 5;

			off = !strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off") ||
			      !strcmp(v, "false");
		}
	}
	return off;
}

/* The agent's own path, for ExecStart= (this program is the agent). */
static void agent_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *deleted;

	if (n <= 0) {
		snprintf(buf, len, "/usr/sbin/mkey-agent");
		return;
	}
	buf[n] = 0;
	deleted = strstr(buf, " (deleted)");
	if (deleted)
		*deleted = 0;
}

/*
 * mkey-generator [--tab FILE] [--confdir DIR] [--fstab FILE] NORMAL-DIR [EARLY-DIR LATE-DIR]
 * (the options are for tests; systemd passes just the directories).
 */
int generator_main(int argc, char **argv)
{
	const char *tab_path = MKEY_TAB_PATH, *confdir = "/etc/mkey", *fstab = "/etc/fstab";
	char agent[PATH_MAX];
	struct mkey_tab *tab = NULL;
	int i = 1, ret, made = 0;

	while (i + 1 < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--tab"))
			tab_path = argv[i + 1];
		else if (!strcmp(argv[i], "--confdir"))
			confdir = argv[i + 1];
		else if (!strcmp(argv[i], "--fstab"))
			fstab = argv[i + 1];
		else
			break;
		i += 2;
	}
	if (argc - i != 1 && argc - i != 3) {
		fprintf(stderr, "usage: mkey-generator NORMAL-DIR [EARLY-DIR LATE-DIR]\n");
		return 1;
	}
	dest = argv[i];
	if (disabled_on_cmdline()) {
		gen_log(LOG_INFO, "disabled on the kernel command line (mkey=0)");
		return 0;
	}
	ret = mkey_tab_load(tab_path, &tab);
	if (ret < 0) {
		gen_log(LOG_ERR, "cannot read %s: %s", tab_path, strerror(-ret));
		return 1;
	}
	for (int k = 0; k < tab->n_errors; k++)
		gen_log(LOG_ERR, "%s (the volume is left out)", tab->errors[k]);
	agent_path(agent, sizeof(agent));
	for (int k = 0; k < tab->n_entries; k++) {
		ret = generate(&tab->entries[k], tab_path, agent, confdir);
		if (ret < 0) {
			gen_log(LOG_ERR, "volume %s: cannot write its units to %s: %s",
				tab->entries[k].name, dest, strerror(-ret));
			failures++;
		} else {
			made++;
		}
	}
	ret = fstab_dropins(tab, fstab);
	if (ret < 0) {
		gen_log(LOG_ERR, "cannot tie the mounts of %s to their volumes: %s", fstab,
			strerror(-ret));
		failures++;
	}
	if (made) {
		ret = add_link("sysinit.target", "wants", "mkey.target", target_path());
		if (ret < 0) {
			gen_log(LOG_ERR, "cannot write %s/sysinit.target.wants: %s", dest,
				strerror(-ret));
			failures++;
		}
	}
	mkey_tab_free(tab);
	return failures ? 1 : 0;
}
