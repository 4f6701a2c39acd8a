// SPDX-License-Identifier: GPL-2.0
/*
 * Startup settings of key files (/etc/mkey/startup.conf) and unattended
 * unlocking (mkey/startup.h, docs/boot.md).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mkey/error.h"
#include "mkey/kdf.h"
#include "mkey/startup.h"
#include "error-detail.h"
#include "fileio.h"

#define CONF_MAX_BYTES (256 * 1024)

static const char *const mode_names[] = {
	[MKEY_STARTUP_INTERACTIVE] = "interactive",
	[MKEY_STARTUP_UNATTENDED] = "unattended",
	[MKEY_STARTUP_NONE] = "none",
};

const char *mkey_startup_mode_name(enum mkey_startup_mode mode)
{
	if ((unsigned int)mode < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[mode];
	return "?";
}

int mkey_startup_mode_parse(const char *name, enum mkey_startup_mode *mode)
{
	for (unsigned int i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (name && strcmp(name, mode_names[i]) == 0) {
			*mode = (enum mkey_startup_mode)i;
			return 0;
		}
	return -EINVAL;
}

static const char *confdir_or_default(const char *confdir)
{
	return confdir ? confdir : MKEY_CONF_DIR;
}

/* Whole file into a NUL-terminated buffer; *data NULL and 0 when missing. */
static int read_text(const char *path, char **data, size_t *len)
{
	size_t cap = 0;
	int fd, ret = 0;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	for (;;) {
		ssize_t n;

		if (*len == cap) {
			char *grown;

			if (cap >= CONF_MAX_BYTES) {
				ret = mkey_error_set(-EFBIG, "%s is larger than %d KiB", path,
						     CONF_MAX_BYTES / 1024);
				break;
			}
			cap = cap ? cap * 2 : 1024;
			grown = realloc(*data, cap + 1);
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			*data = grown;
		}
		n = read(fd, *data + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	if (ret < 0) {
		free(*data);
		*data = NULL;
		*len = 0;
		return ret;
	}
	/* The line parser stops at a NUL: what follows would vanish unread. */
	if (*data && memchr(*data, 0, *len)) {
		free(*data);
		*data = NULL;
		*len = 0;
		return mkey_error_set(-EBADMSG, "%s contains a NUL byte", path);
	}
	if (*data)
		(*data)[*len] = 0;
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return true;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Parses one line of startup.conf into its fields. Returns 1 for a
 * setting (fields filled), 0 for a blank or comment line, or -EBADMSG.
 */
static int parse_conf_line(char *line, const char *conf, unsigned int lineno,
			   char **path, struct mkey_startup *st)
{
	char *f[3];
	int n = 0;
	char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#')
		return 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (n == 3)
			return mkey_error_set(-EBADMSG, "%s:%u: too many fields", conf, lineno);
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = 0;
	}
	if (n == 0 || f[0][0] == '#')
		return 0;
	memset(st, 0, sizeof(*st));
	st->listed = true;
	st->line = lineno;
	if (f[0][0] != '/')
		return mkey_error_set(-EBADMSG, "%s:%u: '%s' is not an absolute key file path",
				      conf, lineno, f[0]);
	if (n < 2 || mkey_startup_mode_parse(f[1], &st->mode) < 0)
		return mkey_error_set(-EBADMSG,
				      "%s:%u: expected '<key file> interactive|unattended|none [<administrator>]'",
				      conf, lineno);
	if (st->mode == MKEY_STARTUP_UNATTENDED) {
		if (n < 3 || mkey_admin_name_normalize(f[2], st->admin) < 0)
			return mkey_error_set(-EBADMSG,
					      "%s:%u: an unattended key file needs the name of its unattended administrator",
					      conf, lineno);
	} else if (n > 2) {
		return mkey_error_set(-EBADMSG, "%s:%u: only an unattended key file names an administrator",
				      conf, lineno);
	}
	*path = f[0];
	return 1;
}

int mkey_startup_get(const char *confdir, const char *key_file, struct mkey_startup *out)
{
	char conf[PATH_MAX], *data, *line, *save = NULL;
	unsigned int lineno = 0;
	size_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	out->mode = MKEY_STARTUP_INTERACTIVE;
	snprintf(conf, sizeof(conf), "%s/%s", confdir_or_default(confdir), MKEY_STARTUP_CONF);
	ret = read_text(conf, &data, &len);
	if (ret == -EBADMSG)
		return ret;	/* read_text said what is wrong with it */
	if (ret < 0)
		return mkey_error_set(ret, "cannot read %s: %s", conf, strerror(-ret));
	if (!data)
		return 0;
	/* strtok_r would merge empty lines and miscount: split by hand. */
	for (line = data; line && !ret; line = save) {
		struct mkey_startup st;
		char *path = NULL;

		save = strchr(line, '\n');
		if (save)
			*save++ = 0;
		lineno++;
		ret = parse_conf_line(line, conf, lineno, &path, &st);
		if (ret == 1) {
			ret = 0;
			if (same_file(path, key_file)) {
				*out = st;
				break;
			}
		}
	}
	free(data);
	return ret < 0 ? ret : 0;
}

static int ensure_dir(const char *dir, mode_t mode)
{
	struct stat st;

	if (mkdir(dir, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

/* Appends printf output to a growing string; -ENOMEM. */
struct strbuf {
	char *s;
	size_t len, cap;
};

static int sb_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->s, cap);
		if (!grown)
			return -ENOMEM;
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
	return 0;
}

static int sb_setting(struct strbuf *b, const char *key_file, const struct mkey_startup *st)
{
	char line[PATH_MAX + 128];
	int n;

	if (st->mode == MKEY_STARTUP_UNATTENDED)
		n = snprintf(line, sizeof(line), "%s %s %s\n", key_file,
			     mkey_startup_mode_name(st->mode), st->admin);
	else
		n = snprintf(line, sizeof(line), "%s %s\n", key_file,
			     mkey_startup_mode_name(st->mode));
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	return sb_add(b, line, (size_t)n);
}

static const char conf_header[] =
	"# dm-mkey: how each key file is unlocked at boot (startup.conf, see mkeytab(5)).\n"
	"# Written by 'mkey keyfile-startup'.\n"
	"#\n"
	"# <key file>  interactive|unattended|none  [<unattended administrator>]\n";

int mkey_startup_set(const char *confdir, const char *key_file, const struct mkey_startup *st)
{
	const char *dir = confdir_or_default(confdir);
	char conf[PATH_MAX], *data = NULL, *line, *next;
	struct strbuf out = { 0 };
	unsigned int lineno = 0;
	bool done = false;
	size_t len;
	int dfd, ret;

	if (key_file[0] != '/' || strpbrk(key_file, " \t\n\r"))
		return mkey_error_set(-EINVAL, "'%s' is not an absolute path without blanks",
				      key_file);
	if (st->mode == MKEY_STARTUP_UNATTENDED && !st->admin[0])
		return mkey_error_set(-EINVAL, "an unattended setting needs its administrator");
	ret = ensure_dir(dir, 0755);
	if (ret < 0)
		return mkey_error_set(ret, "cannot create %s: %s", dir, strerror(-ret));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (flock(dfd, LOCK_EX) < 0) {
		ret = -errno;
		goto out;
	}
	snprintf(conf, sizeof(conf), "%s/%s", dir, MKEY_STARTUP_CONF);
	ret = read_text(conf, &data, &len);
	if (ret < 0)
		goto out;
	if (!data) {
		ret = sb_add(&out, conf_header, sizeof(conf_header) - 1);
		if (ret < 0)
			goto out;
	}
	for (line = data; line && *line; line = next) {
		struct mkey_startup old;
		char copy[PATH_MAX + 256], *path = NULL;
		size_t n;
		int r;

		next = strchr(line, '\n');
		n = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		lineno++;
		if (n >= sizeof(copy)) {
			ret = mkey_error_set(-EBADMSG, "%s:%u: line too long", conf, lineno);
			goto out;
		}
		memcpy(copy, line, n);
		copy[n] = 0;
		r = parse_conf_line(copy, conf, lineno, &path, &old);
		if (r < 0) {
			ret = r;
			goto out;
		}
		if (r == 1 && same_file(path, key_file)) {
			/* The first line for the file is replaced, later ones dropped. */
			if (!done)
				ret = sb_setting(&out, key_file, st);
			done = true;
		} else {
			ret = sb_add(&out, line, n);
			if (!ret)
				ret = sb_add(&out, "\n", 1);
		}
		if (ret < 0)
			goto out;
	}
	if (!done)
		ret = sb_setting(&out, key_file, st);
	if (!ret)
		ret = mkey_file_replace(dir, MKEY_STARTUP_CONF, out.s, out.len, 0644);
	if (ret < 0)
		mkey_error_set(ret, "cannot write %s: %s", conf, strerror(-ret));
out:
	close(dfd);	/* releases the lock */
	free(data);
	free(out.s);
	return ret;
}

void mkey_unattended_secret_path(const char *confdir, const struct mkey_guid *file_id,
				 char *buf, size_t len)
{
	char id[MKEY_GUID_STR_LEN + 1];

	mkey_guid_format(file_id, id);
	snprintf(buf, len, "%s/%s/%s.secret", confdir_or_default(confdir),
		 MKEY_UNATTENDED_DIR, id);
}

void mkey_unattended_admin_name(char out[MKEY_ADMIN_NAME_MAX + 1])
{
	char host[256] = "";
	size_t prefix = strlen(MKEY_UNATTENDED_ADMIN_PREFIX), n = prefix;
	FILE *f = fopen("/etc/hostname", "re");

	if (f) {
		if (!fgets(host, sizeof(host), f))
			host[0] = 0;
		fclose(f);
	}
	host[strcspn(host, " \t\r\n")] = 0;
	if (!host[0] && gethostname(host, sizeof(host) - 1) < 0)
		host[0] = 0;
	host[sizeof(host) - 1] = 0;
	memcpy(out, MKEY_UNATTENDED_ADMIN_PREFIX, prefix);
	for (const char *p = host; *p && n < MKEY_ADMIN_NAME_MAX; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x21 || c > 0x7e)
			continue;
		out[n++] = (char)toupper(c);
	}
	if (n == prefix) {
		memcpy(out + n, "LOCALHOST", 9);
		n += 9;
	}
	out[n] = 0;
}

/* The directory of @path: owned by the caller, writable by no one else. */
static int dir_check(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return mkey_error_set(-EPERM,
				      "%s (holding %s) can be changed by others (owner uid %u, mode %04o): "
				      "chown root:root %s; chmod 0700 %s", dir, path,
				      (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
				      dir, dir);
	return 0;
}

int mkey_unattended_secret_read(const char *path, struct mkey_secbuf **out)
{
	struct mkey_secbuf *buf = NULL;
	struct stat st;
	bool all_hex;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ELOOP)
			return mkey_error_set(-EPERM, "%s is a symbolic link; the secret must be a plain file",
					      path);
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = mkey_error_set(-EPERM, "%s is not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		ret = mkey_error_set(-EPERM, "%s is owned by uid %u, not by uid %u: chown root:root %s",
				     path, (unsigned int)st.st_uid, (unsigned int)geteuid(), path);
		goto out;
	}
	if (st.st_mode & 077) {
		ret = mkey_error_set(-EPERM,
				     "%s can be accessed by group or others (mode %04o): chmod 0400 %s",
				     path, (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	/* Nor may anyone else be able to put another file in its place. */
	ret = dir_check(path);
	if (ret < 0)
		goto out;
	/* Room for the secret, its newline, and one byte more to tell "too long". */
	ret = mkey_secret_read_fd(fd, MKEY_UNATTENDED_SECRET_HEX + 2, &buf);
	if (ret < 0)
		goto out;
	if (buf->len == MKEY_UNATTENDED_SECRET_HEX + 1 && buf->data[buf->len - 1] == '\n')
		buf->data[--buf->len] = 0;
	all_hex = buf->len == MKEY_UNATTENDED_SECRET_HEX;
	for (size_t i = 0; all_hex && i < buf->len; i++)
		all_hex = isxdigit(buf->data[i]);
	if (!all_hex) {
		ret = mkey_error_set(-EBADMSG, "%s does not hold a secret (%d hex digits)", path,
				     MKEY_UNATTENDED_SECRET_HEX);
		goto out;
	}
	*out = buf;
	buf = NULL;
	ret = 0;
out:
	mkey_secbuf_free(buf);
	close(fd);
	return ret;
}

/* A fresh secret as 64 lower-case hex digits and a newline, in @buf. */
static int make_secret(struct mkey_secbuf *buf)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[MKEY_UNATTENDED_SECRET_BYTES];

	if (RAND_priv_bytes(raw, sizeof(raw)) != 1)
		return mkey_error_set(-EIO, "random number generator failed");
	for (size_t i = 0; i < sizeof(raw); i++) {
		buf->data[2 * i] = (uint8_t)hex[raw[i] >> 4];
		buf->data[2 * i + 1] = (uint8_t)hex[raw[i] & 15];
	}
	buf->data[MKEY_UNATTENDED_SECRET_HEX] = '\n';
	buf->len = MKEY_UNATTENDED_SECRET_HEX + 1;
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int mkey_unattended_enable(struct mkey_keyfile *kf, const char *confdir,
			   const char *key_file, const char *admin)
{
	const char *dir = confdir_or_default(confdir);
	char secret_dir[PATH_MAX], secret_path[PATH_MAX], name[MKEY_GUID_STR_LEN + 16];
	char id[MKEY_GUID_STR_LEN + 1];
	struct mkey_kdf_request rq = {
		.type = MKEY_KDF_ARGON2ID,
		.memory_kib = MKEY_ARGON2_MIN_MEMORY_KIB,
		.passes = MKEY_ARGON2_MIN_PASSES,
		.parallelism = 1,
	};
	struct mkey_kdf_params kdf;
	struct mkey_secbuf *secret = NULL;
	struct mkey_startup st;
	int ret;

	if (!mkey_keyfile_is_unlocked(kf))
		return -EACCES;
	mkey_guid_format(mkey_keyfile_id(kf), id);
	snprintf(secret_dir, sizeof(secret_dir), "%s/%s", dir, MKEY_UNATTENDED_DIR);
	snprintf(name, sizeof(name), "%s.secret", id);
	mkey_unattended_secret_path(confdir, mkey_keyfile_id(kf), secret_path, sizeof(secret_path));

	ret = mkey_kdf_choose(&rq, &kdf);
	if (ret < 0)
		return ret;
	ret = mkey_secbuf_new(MKEY_UNATTENDED_SECRET_HEX + 1, &secret);
	if (ret < 0)
		return ret;
	ret = make_secret(secret);
	if (ret < 0)
		goto out;
	/* An earlier unattended administrator of this machine is replaced. */
	if (mkey_keyfile_admin_find(kf, admin) >= 0) {
		ret = mkey_keyfile_admin_remove(kf, admin);
		if (ret < 0)
			goto out;
	}
	ret = mkey_keyfile_admin_add(kf, admin, secret->data, MKEY_UNATTENDED_SECRET_HEX, &kdf);
	if (ret < 0)
		goto out;

	/* The secret reaches the disk before the key file names its owner. */
	ret = ensure_dir(dir, 0755);
	if (!ret)
		ret = ensure_dir(secret_dir, 0700);
	if (!ret)
		ret = chmod(secret_dir, 0700) < 0 ? -errno : 0;
	if (ret < 0) {
		mkey_error_set(ret, "cannot create %s: %s", secret_dir, strerror(-ret));
		goto out;
	}
	ret = mkey_file_replace(secret_dir, name, secret->data, secret->len, 0400);
	if (ret < 0) {
		mkey_error_set(ret, "cannot write %s: %s", secret_path, strerror(-ret));
		goto out;
	}
	ret = mkey_keyfile_commit(kf);
	if (ret < 0) {
		unlink(secret_path);
		mkey_fsync_dir(secret_dir);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	st.mode = MKEY_STARTUP_UNATTENDED;
	snprintf(st.admin, sizeof(st.admin), "%s", admin);
	ret = mkey_startup_set(confdir, key_file, &st);
out:
	mkey_secbuf_free(secret);
	return ret;
}

int mkey_unattended_disable(struct mkey_keyfile *kf, const char *confdir,
			    const char *key_file, const char *admin,
			    enum mkey_startup_mode new_mode)
{
	char secret_dir[PATH_MAX], secret_path[PATH_MAX];
	struct mkey_startup st;
	int ret;

	if (!mkey_keyfile_is_unlocked(kf))
		return -EACCES;
	if (new_mode == MKEY_STARTUP_UNATTENDED)
		return -EINVAL;
	snprintf(secret_dir, sizeof(secret_dir), "%s/%s", confdir_or_default(confdir),
		 MKEY_UNATTENDED_DIR);
	mkey_unattended_secret_path(confdir, mkey_keyfile_id(kf), secret_path, sizeof(secret_path));
	if (mkey_keyfile_admin_find(kf, admin) >= 0) {
		ret = mkey_keyfile_admin_remove(kf, admin);
		if (ret < 0)
			return ret;
		ret = mkey_keyfile_commit(kf);
		if (ret < 0)
			return ret;
	}
	if (unlink(secret_path) < 0 && errno != ENOENT)
		return mkey_error_set(-errno, "cannot remove %s: %s", secret_path, strerror(errno));
	(void)mkey_fsync_dir(secret_dir);
	memset(&st, 0, sizeof(st));
	st.mode = new_mode;
	return mkey_startup_set(confdir, key_file, &st);
}
