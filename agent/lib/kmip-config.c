// SPDX-License-Identifier: GPL-2.0
/*
 * KMIP server definitions: DIR/NAME.conf, "setting = value" lines
 * (docs/kmip.md, "Server definitions"). The parser is strict: every error
 * names the file and line, and nothing unknown is ignored.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error-detail.h"
#include "kmip-internal.h"
#include "mkey/kmip.h"

#define CONF_MAX_BYTES	65536
#define DEFAULT_CONNECT_MS 5000
#define DEFAULT_TIMEOUT_MS 10000

int mkey_kmip_name_check(const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strlen(name);
	if (n == 0 || n > MKEY_KMIP_NAME_MAX || name[0] == '.' || name[0] == '-')
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return -EINVAL;
	return 0;
}

static bool hostname_ok(const char *h)
{
	size_t n = strlen(h), label = 0;

	if (n == 0 || n > MKEY_KMIP_HOST_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = h[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return false;
		if (label == 0 && c == '-')
			return false;
		label++;
	}
	return true;
}

bool kmip_host_is_ip(const char *host, bool *v6)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, host, buf) == 1) {
		*v6 = false;
		return true;
	}
	if (inet_pton(AF_INET6, host, buf) == 1) {
		*v6 = true;
		return true;
	}
	return false;
}

static int err_at(const char *path, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int err_at(const char *path, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mkey_error_set(-EINVAL, "%s:%d: %s", path, line, msg);
}

/* "host", "host:port", "[v6]", "[v6]:port". */
static int parse_server(const char *v, const char *path, int line,
			struct mkey_kmip_server *s)
{
	char host[MKEY_KMIP_HOST_MAX + 3];
	const char *port = NULL, *colon;
	size_t hl;
	bool v6 = false;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (!close)
			return err_at(path, line, "'%s': missing ']' after an IPv6 address", v);
		hl = (size_t)(close - v - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return err_at(path, line, "'%s': expected ':PORT' after ']'", v);
		if (hl == 0 || hl >= sizeof(host))
			return err_at(path, line, "'%s': bad IPv6 address", v);
		memcpy(host, v + 1, hl);
		host[hl] = '\0';
		if (!kmip_host_is_ip(host, &v6) || !v6)
			return err_at(path, line, "'%s': not an IPv6 address in brackets", v);
	} else {
		colon = strchr(v, ':');
		if (colon && strchr(colon + 1, ':'))
			return err_at(path, line, "'%s': write IPv6 addresses in brackets, "
				      "[ADDRESS]:PORT", v);
		hl = colon ? (size_t)(colon - v) : strlen(v);
		if (hl == 0 || hl > MKEY_KMIP_HOST_MAX)
			return err_at(path, line, "'%s': bad host name", v);
		memcpy(host, v, hl);
		host[hl] = '\0';
		if (colon)
			port = colon + 1;
		if (!kmip_host_is_ip(host, &v6) && !hostname_ok(host))
			return err_at(path, line, "'%s': not a host name or IP address", host);
	}
	s->port = MKEY_KMIP_DEFAULT_PORT;
	if (port) {
		char *end;
		unsigned long p;

		if (!isdigit((unsigned char)port[0]))
			return err_at(path, line, "'%s': bad port", v);
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || *end || p == 0 || p > 65535)
			return err_at(path, line, "'%s': port must be 1..65535", v);
		s->port = (uint16_t)p;
	}
	snprintf(s->host, sizeof(s->host), "%s", host);
	snprintf(s->label, sizeof(s->label), v6 ? "[%s]:%u" : "%s:%u", host, s->port);
	return 0;
}

/* Seconds with up to three decimals, 0.1 .. 600. */
static int parse_seconds(const char *v, const char *path, int line, unsigned int *ms)
{
	unsigned long whole = 0, frac = 0, scale = 100;
	const char *p = v;

	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		whole = whole * 10 + (unsigned long)(*p++ - '0');
		if (whole > 600)
			goto bad;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			if (!scale)
				goto bad;
			frac += (unsigned long)(*p++ - '0') * scale;
			scale /= 10;
		}
	}
	if (*p)
		goto bad;
	*ms = (unsigned int)(whole * 1000 + frac);
	if (*ms < 100 || *ms > 600000)
		goto bad;
	return 0;
bad:
	return err_at(path, line, "'%s': expected seconds from 0.1 to 600 (e.g. 5 or 2.5)", v);
}

/* Relative paths are relative to the definition's directory. */
static int set_path(char *dst, const char *v, const struct mkey_kmip_config *cfg,
		    const char *path, int line)
{
	int n;

	if (v[0] == '/')
		n = snprintf(dst, PATH_MAX, "%s", v);
	else
		n = snprintf(dst, PATH_MAX, "%s/%s", cfg->dir[0] ? cfg->dir : ".", v);
	if (n < 0 || n >= PATH_MAX)
		return err_at(path, line, "'%s': path too long", v);
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int mkey_kmip_config_parse(const char *text, size_t len, const char *path,
			   struct mkey_kmip_config *cfg)
{
	bool have_ca = false, have_cert = false, have_key = false, have_ct = false,
	     have_to = false, have_proto = false;
	char line_buf[PATH_MAX + 64];
	size_t pos = 0;
	int line = 0, ret;

	cfg->n_servers = 0;
	cfg->ca[0] = cfg->cert[0] = cfg->key[0] = '\0';
	cfg->connect_timeout_ms = DEFAULT_CONNECT_MS;
	cfg->timeout_ms = DEFAULT_TIMEOUT_MS;
	cfg->proto_major = 1;
	cfg->proto_minor = 2;
	if (memchr(text, '\0', len))
		return mkey_error_set(-EINVAL, "%s: contains a NUL byte", path);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *s, *eq, *key, *val;

		line++;
		if (n >= sizeof(line_buf))
			return err_at(path, line, "%s", "line too long");
		memcpy(line_buf, text + pos, n);
		line_buf[n] = '\0';
		pos += n + (nl ? 1 : 0);
		s = trim(line_buf);
		if (!*s || *s == '#')
			continue;
		for (char *c = s; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				return err_at(path, line, "%s", "control character");
		eq = strchr(s, '=');
		if (!eq)
			return err_at(path, line, "'%s': expected 'setting = value'", s);
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!*val)
			return err_at(path, line, "'%s' has no value", key);
		if (!strcmp(key, "server")) {
			if (cfg->n_servers >= MKEY_KMIP_MAX_SERVERS)
				return err_at(path, line, "more than %d servers", MKEY_KMIP_MAX_SERVERS);
			ret = parse_server(val, path, line, &cfg->servers[cfg->n_servers]);
			if (ret)
				return ret;
			for (int i = 0; i < cfg->n_servers; i++)
				if (!strcmp(cfg->servers[i].label,
					    cfg->servers[cfg->n_servers].label))
					return err_at(path, line, "server %s is listed twice",
						      cfg->servers[i].label);
			cfg->n_servers++;
			continue;
		}
#define ONCE(flag) do {								\
			if (flag)						\
				return err_at(path, line, "'%s' is set twice", key); \
			(flag) = true;						\
		} while (0)
		if (!strcmp(key, "ca")) {
			ONCE(have_ca);
			ret = set_path(cfg->ca, val, cfg, path, line);
		} else if (!strcmp(key, "cert")) {
			ONCE(have_cert);
			ret = set_path(cfg->cert, val, cfg, path, line);
		} else if (!strcmp(key, "key")) {
			ONCE(have_key);
			ret = set_path(cfg->key, val, cfg, path, line);
		} else if (!strcmp(key, "connect-timeout")) {
			ONCE(have_ct);
			ret = parse_seconds(val, path, line, &cfg->connect_timeout_ms);
		} else if (!strcmp(key, "timeout")) {
			ONCE(have_to);
			ret = parse_seconds(val, path, line, &cfg->timeout_ms);
		} else if (!strcmp(key, "protocol")) {
			ONCE(have_proto);
			if (strlen(val) != 3 || val[0] != '1' || val[1] != '.' ||
			    val[2] < '0' || val[2] > '4')
				return err_at(path, line, "protocol '%s': mkey speaks KMIP "
					      "1.0 to 1.4", val);
			cfg->proto_minor = val[2] - '0';
			ret = 0;
		} else {
			return err_at(path, line, "unknown setting '%s' (settings: server, "
				      "ca, cert, key, connect-timeout, timeout, protocol)", key);
		}
#undef ONCE
		if (ret)
			return ret;
	}
	if (cfg->n_servers == 0)
		return mkey_error_set(-EINVAL, "%s: no 'server = HOST[:PORT]' line", path);
	if (!have_ca)
		return mkey_error_set(-EINVAL, "%s: no 'ca = FILE' (the CA that signs "
				      "the servers' certificates)", path);
	if (!have_cert)
		return mkey_error_set(-EINVAL, "%s: no 'cert = FILE' (the client "
				      "certificate)", path);
	if (!have_key)
		return mkey_error_set(-EINVAL, "%s: no 'key = FILE' (the client "
				      "certificate's private key)", path);
	return 0;
}

int kmip_check_owner_mode(int fd, const char *path, mode_t forbidden, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return mkey_error_set(-errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mkey_error_set(-EINVAL, "%s: not a regular file", path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return mkey_error_set(-EPERM, "%s (%s) is owned by uid %u; it must "
				      "belong to root", path, what, (unsigned int)st.st_uid);
	if (st.st_mode & forbidden)
		return mkey_error_set(-EPERM, "%s (%s) has mode %04o; it must not be %s "
				      "(chmod %s %s)", path, what,
				      (unsigned int)(st.st_mode & 07777),
				      forbidden & 044 ? "readable or writable by group "
				      "or others" : "writable by group or others",
				      forbidden & 044 ? "0600" : "go-w", path);
	return 0;
}

int kmip_read_small_file(const char *path, mode_t forbidden, const char *what,
			 size_t max, char **data, size_t *len)
{
	char *buf;
	size_t used = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return mkey_error_set(-errno, "%s (%s): %s", path, what, strerror(errno));
	ret = kmip_check_owner_mode(fd, path, forbidden, what);
	if (ret) {
		close(fd);
		return ret;
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + used, max + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mkey_error_set(-errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			ret = mkey_error_set(-EFBIG, "%s (%s) is larger than %zu bytes",
					     path, what, max);
			break;
		}
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return 0;
}

int mkey_kmip_config_load(const char *dir, const char *name,
			  struct mkey_kmip_config **out)
{
	struct mkey_kmip_config *cfg;
	char *text = NULL, *copy;
	size_t len;
	int ret, n;

	*out = NULL;
	if (!name || !*name)
		return mkey_error_set(-EINVAL, "no KMIP server definition named");
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	if (strchr(name, '/')) {
		const char *base = strrchr(name, '/') + 1;
		size_t bl = strlen(base);

		n = snprintf(cfg->path, sizeof(cfg->path), "%s", name);
		if (bl > 5 && !strcmp(base + bl - 5, ".conf"))
			bl -= 5;
		if (n >= (int)sizeof(cfg->path) || bl == 0 || bl > MKEY_KMIP_NAME_MAX) {
			ret = mkey_error_set(-EINVAL, "%s: bad definition file name", name);
			goto fail;
		}
		memcpy(cfg->name, base, bl);
		cfg->name[bl] = '\0';
		copy = strdup(name);
		if (!copy) {
			ret = -ENOMEM;
			goto fail;
		}
		snprintf(cfg->dir, sizeof(cfg->dir), "%s", dirname(copy));
		free(copy);
	} else {
		if (mkey_kmip_name_check(name) < 0) {
			ret = mkey_error_set(-EINVAL, "'%s' is not a KMIP server definition "
					     "name (letters, digits, '_', '.', '-'; at most "
					     "%d)", name, MKEY_KMIP_NAME_MAX);
			goto fail;
		}
		if (!dir)
			dir = MKEY_KMIP_DEFAULT_DIR;
		n = snprintf(cfg->path, sizeof(cfg->path), "%s/%s.conf", dir, name);
		if (n >= (int)sizeof(cfg->path)) {
			ret = -ENAMETOOLONG;
			goto fail;
		}
		snprintf(cfg->dir, sizeof(cfg->dir), "%s", dir);
		snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	}
	ret = kmip_read_small_file(cfg->path, 022, "KMIP server definition",
				   CONF_MAX_BYTES, &text, &len);
	if (ret == -ENOENT)
		ret = mkey_error_set(-ENOENT, "no KMIP server definition %s", cfg->path);
	if (ret)
		goto fail;
	ret = mkey_kmip_config_parse(text, len, cfg->path, cfg);
	free(text);
	if (ret)
		goto fail;
	*out = cfg;
	return 0;
fail:
	free(cfg);
	return ret;
}

void mkey_kmip_config_free(struct mkey_kmip_config *cfg)
{
	free(cfg);
}
