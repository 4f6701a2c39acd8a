// SPDX-License-Identifier: GPL-2.0
/*
 * The volume table, /etc/mkeytab (mkey/mkeytab.h, docs/man/mkeytab.5).
 *
 * Strict per line, lenient per table: a line that is not understood is
 * reported and skipped, never guessed at, and the other lines still count.
 * Nothing here touches a device or the kernel: the generator links it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mkey/kmip.h"
#include "mkey/mkeytab.h"

_Static_assert(MKEY_TAB_KMIP_NAME_MAX == MKEY_KMIP_NAME_MAX,
	       "mkeytab.h repeats the KMIP definition name limit");

#define TAB_MAX_BYTES (1024 * 1024)

static int add_error(struct mkey_tab *tab, const char *origin, unsigned int line,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int add_error(struct mkey_tab *tab, const char *origin, unsigned int line,
		     const char *fmt, ...)
{
	char msg[512], *full;
	char **errors;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = asprintf(&full, "%s:%u: %s", origin, line, msg);
	if (n < 0)
		return -ENOMEM;
	errors = realloc(tab->errors, (size_t)(tab->n_errors + 1) * sizeof(*errors));
	if (!errors) {
		free(full);
		return -ENOMEM;
	}
	tab->errors = errors;
	tab->errors[tab->n_errors++] = full;
	return 0;
}

/*
 * A device-mapper name (mkey_dm_name_check) that also goes into unit
 * names and command lines unquoted: letters, digits and . _ - + : @ only.
 */
static const char *name_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return "is empty";
	if (len > MKEY_TAB_NAME_MAX)
		return "is longer than 127 characters";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "cannot be . or ..";
	for (const char *p = name; *p; p++) {
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789._-+:@", *p))
			return "may contain only letters, digits and . _ - + : @";
	}
	return NULL;
}

/*
 * An absolute path in plain form (no "//", "/./", "/../", trailing '/'),
 * without blanks or the characters that systemd unit files and command
 * lines would interpret (% $ quotes backslash).
 */
static const char *path_problem(const char *p)
{
	if (p[0] != '/')
		return "must be an absolute path";
	if (strlen(p) >= PATH_MAX)
		return "is too long";
	for (const char *s = p; *s; s++) {
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return "must be printable ASCII without blanks";
		if (strchr("%$'\"\\`", *s))
			return "must not contain % $ ' \" \\ or `";
		if (s[0] == '/' && (s[1] == '/' ||
				    (s[1] == '.' && (s[2] == '/' || s[2] == 0)) ||
				    (s[1] == '.' && s[2] == '.' && (s[3] == '/' || s[3] == 0))))
			return "must not contain //, /./ or /../";
	}
	if (strlen(p) > 1 && p[strlen(p) - 1] == '/')
		return "must not end with '/'";
	return NULL;
}

static bool parse_tries(const char *v, unsigned int *out)
{
	unsigned long n = 0;

	if (!*v)
		return false;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > MKEY_TAB_MAX_TRIES)
			return false;
	}
	if (v[0] == '0' && v[1])
		return false;	/* no leading zeros */
	*out = (unsigned int)n;
	return true;
}

/* Options field into @e; -EINVAL with the first problem in @why. */
static int parse_options(char *opts, struct mkey_tab_entry *e, char *why, size_t whylen)
{
	char *save = NULL, *o;

	if (strcmp(opts, "-") == 0 || strcmp(opts, "none") == 0)
		return 0;
	if (opts[0] == ',' || opts[strlen(opts) - 1] == ',' || strstr(opts, ",,")) {
		snprintf(why, whylen, "empty option in '%s'", opts);
		return -EINVAL;
	}
	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "nofail") == 0)
			e->nofail = true;
		else if (strcmp(o, "noauto") == 0)
			e->noauto = true;
		else if (strcmp(o, "required") == 0)
			e->required = true;
		else if (strcmp(o, "readonly") == 0 || strcmp(o, "read-only") == 0)
			e->readonly = true;
		else if (strcmp(o, "discard") == 0)
			e->discard = true;
		else if (strcmp(o, "initramfs") == 0)
			e->initramfs = true;
		else if (strncmp(o, "tries=", 6) == 0) {
			if (!parse_tries(o + 6, &e->tries)) {
				snprintf(why, whylen, "bad value in '%s' (a number of attempts, 0..%d; 0 = no limit)",
					 o, MKEY_TAB_MAX_TRIES);
				return -EINVAL;
			}
		} else if (strncmp(o, "x-", 2) == 0)
			continue;	/* for other tools, as in fstab */
		else {
			snprintf(why, whylen,
				 "unknown option '%s' (known: nofail, noauto, required, readonly, discard, initramfs, tries=N)",
				 o);
			return -EINVAL;
		}
	}
	if (e->nofail && e->required) {
		snprintf(why, whylen, "'nofail' and 'required' contradict each other");
		return -EINVAL;
	}
	return 0;
}

/* Splits @line at blanks into at most @max fields; returns the count (max+1 if more). */
static int split_fields(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return n;
		if (n == max)
			return max + 1;
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = 0;
	}
}

static int parse_line(struct mkey_tab *tab, const char *origin, unsigned int lineno,
		      char *line)
{
	struct mkey_tab_entry e, *grown;
	char *f[4], why[256];
	const char *problem;
	int n;

	n = split_fields(line, f, 4);
	if (n == 0)
		return 0;
	if (f[0][0] == '#')
		return 0;
	if (n < 3)
		return add_error(tab, origin, lineno,
				 "expected '<name> <device> <key file>|kmip:SERVER [<options>]', found %d field%s",
				 n, n == 1 ? "" : "s");
	if (n > 4)
		return add_error(tab, origin, lineno,
				 "more than 4 fields (blanks are not allowed within a field)");

	memset(&e, 0, sizeof(e));
	e.line = lineno;
	e.tries = MKEY_TAB_DEFAULT_TRIES;

	problem = name_problem(f[0]);
	if (problem)
		return add_error(tab, origin, lineno, "volume name '%s' %s", f[0], problem);
	snprintf(e.name, sizeof(e.name), "%s", f[0]);

	if (strncmp(f[1], "UUID=", 5) == 0) {
		if (mkey_guid_parse(f[1] + 5, &e.volume_uuid) < 0)
			return add_error(tab, origin, lineno,
					 "volume %s: '%s' is not UUID=<8-4-4-4-12 hex digits>",
					 e.name, f[1]);
		e.by_uuid = true;
	} else {
		problem = path_problem(f[1]);
		if (problem)
			return add_error(tab, origin, lineno,
					 "volume %s: device '%s' %s (or use UUID=<volume UUID>)",
					 e.name, f[1], problem);
		if (strncmp(f[1], "/dev/", 5) != 0)
			return add_error(tab, origin, lineno,
					 "volume %s: device '%s' is not under /dev (a block device is needed)",
					 e.name, f[1]);
	}
	snprintf(e.device, sizeof(e.device), "%s", f[1]);

	if (strncmp(f[2], "kmip:", 5) == 0) {
		if (mkey_kmip_name_check(f[2] + 5) < 0)
			return add_error(tab, origin, lineno,
					 "volume %s: '%s' is not kmip:SERVER with SERVER the name of "
					 "a KMIP server definition in /etc/mkey/kmip (letters, digits, "
					 "'_', '.', '-')", e.name, f[2]);
		snprintf(e.kmip_server, sizeof(e.kmip_server), "%s", f[2] + 5);
	} else {
		problem = path_problem(f[2]);
		if (problem)
			return add_error(tab, origin, lineno, "volume %s: key file '%s' %s",
					 e.name, f[2], problem);
		snprintf(e.key_file, sizeof(e.key_file), "%s", f[2]);
	}

	if (n == 4 && parse_options(f[3], &e, why, sizeof(why)) < 0)
		return add_error(tab, origin, lineno, "volume %s: %s", e.name, why);
	if (e.kmip_server[0] && e.initramfs)
		return add_error(tab, origin, lineno,
				 "volume %s: a KMIP key needs the network, which the initramfs "
				 "does not bring up; drop 'initramfs' or use a key file", e.name);

	for (int i = 0; i < tab->n_entries; i++)
		if (strcmp(tab->entries[i].name, e.name) == 0)
			return add_error(tab, origin, lineno,
					 "volume %s is already listed on line %u; this line is ignored",
					 e.name, tab->entries[i].line);

	grown = realloc(tab->entries, (size_t)(tab->n_entries + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	tab->entries = grown;
	tab->entries[tab->n_entries++] = e;
	return 0;
}

int mkey_tab_parse(const char *text, size_t len, const char *origin, struct mkey_tab **out)
{
	struct mkey_tab *tab;
	unsigned int lineno = 0;
	size_t pos = 0;
	char *line;
	int ret = 0;

	*out = NULL;
	tab = calloc(1, sizeof(*tab));
	line = malloc(MKEY_TAB_LINE_MAX + 1);
	if (!tab || !line) {
		free(tab);
		free(line);
		return -ENOMEM;
	}
	if (!origin)
		origin = MKEY_TAB_PATH;
	while (pos < len && !ret) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (n > MKEY_TAB_LINE_MAX) {
			ret = add_error(tab, origin, lineno, "line longer than %d bytes",
					MKEY_TAB_LINE_MAX);
		} else if (memchr(text + pos, 0, n)) {
			ret = add_error(tab, origin, lineno, "NUL byte in the line");
		} else {
			memcpy(line, text + pos, n);
			line[n] = 0;
			if (n && line[n - 1] == '\r')
				line[n - 1] = 0;
			ret = parse_line(tab, origin, lineno, line);
		}
		pos += n + (nl ? 1 : 0);
	}
	free(line);
	if (ret < 0) {
		mkey_tab_free(tab);
		return ret;
	}
	*out = tab;
	return 0;
}

int mkey_tab_load(const char *path, struct mkey_tab **out)
{
	char *data = NULL;
	size_t len = 0, cap = 0;
	int fd, ret;

	*out = NULL;
	if (!path)
		path = MKEY_TAB_PATH;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return mkey_tab_parse("", 0, path, out);
		return -errno;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *grown;

			if (cap >= TAB_MAX_BYTES) {
				ret = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			grown = realloc(data, cap + 1);
			if (!grown) {
				ret = -ENOMEM;
				goto out;
			}
			data = grown;
		}
		n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > TAB_MAX_BYTES) {
		ret = -EFBIG;
		goto out;
	}
	ret = mkey_tab_parse(data ? data : "", len, path, out);
out:
	close(fd);
	free(data);
	return ret;
}

void mkey_tab_free(struct mkey_tab *tab)
{
	if (!tab)
		return;
	for (int i = 0; i < tab->n_errors; i++)
		free(tab->errors[i]);
	free(tab->errors);
	free(tab->entries);
	free(tab);
}

const struct mkey_tab_entry *mkey_tab_find(const struct mkey_tab *tab, const char *name)
{
	for (int i = 0; tab && i < tab->n_entries; i++)
		if (strcmp(tab->entries[i].name, name) == 0)
			return &tab->entries[i];
	return NULL;
}

void mkey_tab_device_path(const struct mkey_tab_entry *e, char *buf, size_t len)
{
	if (e->by_uuid) {
		char uuid[MKEY_GUID_STR_LEN + 1];

		mkey_guid_format(&e->volume_uuid, uuid);
		snprintf(buf, len, "%s/%s", MKEY_BY_UUID_DIR, uuid);
	} else {
		snprintf(buf, len, "%s", e->device);
	}
}

void mkey_tab_key_source_text(const struct mkey_tab_entry *e, char *buf, size_t len)
{
	if (e->kmip_server[0])
		snprintf(buf, len, "kmip:%s", e->kmip_server);
	else
		snprintf(buf, len, "%s", e->key_file);
}

void mkey_tab_options_text(const struct mkey_tab_entry *e, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
#define ADD(...)                                                                  \
	do {                                                                      \
		int n_ = snprintf(buf + used, len > used ? len - used : 0,        \
				  "%s", used ? "," : "");                         \
		if (n_ > 0)                                                       \
			used += (size_t)n_;                                       \
		n_ = snprintf(buf + used, len > used ? len - used : 0, __VA_ARGS__); \
		if (n_ > 0)                                                       \
			used += (size_t)n_;                                       \
	} while (0)
	if (e->nofail)
		ADD("nofail");
	if (e->noauto)
		ADD("noauto");
	if (e->required)
		ADD("required");
	if (e->readonly)
		ADD("readonly");
	if (e->discard)
		ADD("discard");
	if (e->initramfs)
		ADD("initramfs");
	if (e->tries != MKEY_TAB_DEFAULT_TRIES)
		ADD("tries=%u", e->tries);
#undef ADD
	if (!used)
		snprintf(buf, len, "-");
}
