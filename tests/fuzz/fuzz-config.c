// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the configuration files libmkey reads
 * (docs/kmip.md, docs/boot.md, mkeytab(5)). The first input byte picks
 * the file, the rest is its content:
 *
 *   0  a KMIP server definition (mkey_kmip_config_parse)
 *   1  /etc/mkey/startup.conf (mkey_startup_get, then mkey_startup_set of
 *      another key file over it)
 *   2  the KMIP key state file keys.json (mkey_kmip_keys_load, then
 *      mkey_kmip_keys_put of its first record)
 *   3  an unattended secret /etc/mkey/unattended/ID.secret
 *      (mkey_unattended_secret_read)
 *
 * Files are written into a private directory in /dev/shm (else $TMPDIR,
 * else /tmp), removed at exit; on tmpfs the writers' fsyncs cost nothing.
 *
 * Invariants checked:
 *   - KMIP: 1..8 servers, each with a host, a port 1..65535 and a unique
 *     "host:port" label; ca, cert and key absolute; timeouts 0.1..600 s;
 *     protocol 1.0..1.4;
 *   - startup.conf: a listed setting has a line number and, when
 *     unattended, an administrator; a file with a NUL byte is refused (as
 *     the other configuration parsers do); setting another key file keeps
 *     the first one's setting and reads back itself;
 *   - keys.json: records have 128/192/256 bits, a printable uid, distinct
 *     GUIDs; writing one back (put) gives a file that loads to the same
 *     records;
 *   - a secret that reads is exactly 64 hex digits.
 *
 *   make fuzz FUZZ_TIME=600      long run (corpus in build/fuzz/corpus/config)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkey/error.h"
#include "mkey/kmip.h"
#include "mkey/secmem.h"
#include "mkey/startup.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX];

static void remove_dir(void)
{
	static const char *const files[] = { "startup.conf", "keys.json", "x.secret" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	else if (!tmp)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/mkey-fuzz-config.XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	atexit(remove_dir);
	return 0;
}

static void put_file(const char *name, const uint8_t *data, size_t size, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0)
		abort();
	if (chmod(path, mode) < 0)
		abort();
}

static void kmip_config(const uint8_t *data, size_t size)
{
	static struct mkey_kmip_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.dir, sizeof(cfg.dir), "/etc/mkey/kmip");
	if (mkey_kmip_config_parse((const char *)data, size, "fuzz.conf", &cfg) != 0) {
		if (!mkey_error_detail()[0])
			abort();	/* every refusal says why */
		mkey_error_clear();
		return;
	}
	if (cfg.n_servers < 1 || cfg.n_servers > MKEY_KMIP_MAX_SERVERS ||
	    cfg.ca[0] != '/' || cfg.cert[0] != '/' || cfg.key[0] != '/' ||
	    cfg.connect_timeout_ms < 100 || cfg.connect_timeout_ms > 600000 ||
	    cfg.timeout_ms < 100 || cfg.timeout_ms > 600000 || cfg.proto_major != 1 ||
	    cfg.proto_minor < 0 || cfg.proto_minor > 4)
		abort();
	for (int i = 0; i < cfg.n_servers; i++) {
		if (!cfg.servers[i].host[0] || cfg.servers[i].port == 0 || !cfg.servers[i].label[0])
			abort();
		for (int j = 0; j < i; j++)
			if (!strcmp(cfg.servers[i].label, cfg.servers[j].label))
				abort();
	}
}

static bool same_setting(const struct mkey_startup *a, const struct mkey_startup *b)
{
	return a->mode == b->mode && a->listed == b->listed &&
	       (a->mode != MKEY_STARTUP_UNATTENDED || !strcmp(a->admin, b->admin));
}

static void startup(const uint8_t *data, size_t size)
{
	static const char k1[] = "/etc/mkey/a.mkey", k2[] = "/etc/mkey/fuzz-other.mkey";
	struct mkey_startup st, st2, mine = { .mode = MKEY_STARTUP_NONE };
	int ret;

	put_file("startup.conf", data, size, 0644);
	ret = mkey_startup_get(dir, k1, &st);
	mkey_error_clear();
	if (memchr(data, 0, size) && ret == 0)
		abort();	/* a NUL byte hides the rest of the file */
	if (ret != 0)
		return;
	if (st.listed && (st.line < 1 ||
			  (st.mode == MKEY_STARTUP_UNATTENDED && !st.admin[0])))
		abort();
	if (!st.listed && st.mode != MKEY_STARTUP_INTERACTIVE)
		abort();
	if (mkey_startup_set(dir, k2, &mine) != 0) {
		mkey_error_clear();
		return;	/* e.g. a line too long to rewrite: refused, not mangled */
	}
	if (mkey_startup_get(dir, k1, &st2) != 0 || !same_setting(&st, &st2))
		abort();	/* setting another key file changed this one */
	if (mkey_startup_get(dir, k2, &st2) != 0 || st2.mode != MKEY_STARTUP_NONE || !st2.listed)
		abort();
}

static bool same_rec(const struct mkey_kmip_keyrec *a, const struct mkey_kmip_keyrec *b)
{
	return mkey_guid_equal(&a->guid, &b->guid) && !strcmp(a->server, b->server) &&
	       !strcmp(a->uid, b->uid) && a->bits == b->bits &&
	       !strcmp(a->description, b->description) && a->created == b->created;
}

static void keys_json(const uint8_t *data, size_t size)
{
	struct mkey_kmip_keyrec *recs = NULL, *again = NULL;
	int n, m;

	put_file("keys.json", data, size, 0600);
	n = mkey_kmip_keys_load(dir, &recs);
	mkey_error_clear();
	if (n <= 0) {
		if (recs)
			abort();
		return;
	}
	for (int i = 0; i < n; i++) {
		if ((recs[i].bits != 128 && recs[i].bits != 192 && recs[i].bits != 256) ||
		    !recs[i].uid[0])
			abort();
		for (const char *p = recs[i].uid; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
		for (int j = 0; j < i; j++)
			if (mkey_guid_equal(&recs[i].guid, &recs[j].guid))
				abort();
	}
	if (mkey_kmip_keys_put(dir, &recs[0]) != 0)
		abort();	/* a record we read must be writable */
	m = mkey_kmip_keys_load(dir, &again);
	if (m != n)
		abort();
	for (int i = 0; i < n; i++)
		if (!same_rec(&recs[i], &again[i]))
			abort();	/* the writer changed a record */
	free(recs);
	free(again);
}

static void secret(const uint8_t *data, size_t size)
{
	struct mkey_secbuf *s = NULL;
	char path[PATH_MAX];

	put_file("x.secret", data, size, 0400);
	snprintf(path, sizeof(path), "%s/x.secret", dir);
	if (mkey_unattended_secret_read(path, &s) != 0) {
		mkey_error_clear();
		if (s)
			abort();
		return;
	}
	if (s->len != MKEY_UNATTENDED_SECRET_HEX)
		abort();
	for (size_t i = 0; i < s->len; i++)
		if (!strchr("0123456789abcdefABCDEF", s->data[i]) || !s->data[i])
			abort();
	mkey_secbuf_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	switch (data[0] & 3) {
	case 0:
		kmip_config(data + 1, size - 1);
		break;
	case 1:
		startup(data + 1, size - 1);
		break;
	case 2:
		keys_json(data + 1, size - 1);
		break;
	case 3:
		secret(data + 1, size - 1);
		break;
	}
	return 0;
}
