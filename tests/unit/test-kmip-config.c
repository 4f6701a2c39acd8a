// SPDX-License-Identifier: GPL-2.0
/*
 * KMIP server definitions (strict parser, file:line errors, permission
 * checks), the key state file keys.json, client set-up checks of the
 * client key, and the XTS key derivation.
 */
#include "kselftest_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkey/error.h"
#include "mkey/kmip.h"

static int parse(const char *text, struct mkey_kmip_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->dir, sizeof(cfg->dir), "/etc/mkey/kmip");
	mkey_error_clear();
	return mkey_kmip_config_parse(text, strlen(text), "t.conf", cfg);
}

#define BASE "ca = ca.pem\ncert = /c/client.pem\nkey = client.key\n"

TEST(a_full_definition)
{
	struct mkey_kmip_config cfg;

	ASSERT_EQ(0, parse("# KMIP cluster\n"
			   "server = kms1.example.com\n"
			   "  server=10.0.0.7:5697  \n"
			   "server = [2001:db8::1]:15696\n"
			   "\n" BASE
			   "connect-timeout = 2.5\n"
			   "timeout = 30\n"
			   "protocol = 1.4\n", &cfg)) TH_LOG("%s", mkey_error_detail());
	ASSERT_EQ(3, cfg.n_servers);
	EXPECT_STREQ("kms1.example.com", cfg.servers[0].host);
	EXPECT_EQ(5696, cfg.servers[0].port);
	EXPECT_STREQ("kms1.example.com:5696", cfg.servers[0].label);
	EXPECT_STREQ("10.0.0.7:5697", cfg.servers[1].label);
	EXPECT_STREQ("2001:db8::1", cfg.servers[2].host);
	EXPECT_STREQ("[2001:db8::1]:15696", cfg.servers[2].label);
	EXPECT_STREQ("/etc/mkey/kmip/ca.pem", cfg.ca);		/* relative to the file */
	EXPECT_STREQ("/c/client.pem", cfg.cert);
	EXPECT_STREQ("/etc/mkey/kmip/client.key", cfg.key);
	EXPECT_EQ(2500, cfg.connect_timeout_ms);
	EXPECT_EQ(30000, cfg.timeout_ms);
	EXPECT_EQ(1, cfg.proto_major);
	EXPECT_EQ(4, cfg.proto_minor);
}

TEST(defaults)
{
	struct mkey_kmip_config cfg;

	ASSERT_EQ(0, parse("server = 127.0.0.1\n" BASE, &cfg));
	EXPECT_EQ(5000, cfg.connect_timeout_ms);
	EXPECT_EQ(10000, cfg.timeout_ms);
	EXPECT_EQ(2, cfg.proto_minor);
}

TEST(errors_name_file_and_line)
{
	static const struct {
		const char *text, *detail;
	} cases[] = {
		{ "server = a\nfoo = 1\n" BASE, "t.conf:2: unknown setting 'foo' (settings: server, ca, cert, key, "
		  "connect-timeout, timeout, protocol)" },
		{ "server = a\nca = x\n" BASE, "t.conf:3: 'ca' is set twice" },
		{ "server a\n" BASE, "t.conf:1: 'server a': expected 'setting = value'" },
		{ "server =\n" BASE, "t.conf:1: 'server' has no value" },
		{ "server = a:0\n" BASE, "t.conf:1: 'a:0': port must be 1..65535" },
		{ "server = a:65536\n" BASE, "t.conf:1: 'a:65536': port must be 1..65535" },
		{ "server = a:x\n" BASE, "t.conf:1: 'a:x': bad port" },
		{ "server = 2001:db8::1\n" BASE, "t.conf:1: '2001:db8::1': write IPv6 "
		  "addresses in brackets, [ADDRESS]:PORT" },
		{ "server = [10.0.0.1]:5\n" BASE, "t.conf:1: '[10.0.0.1]:5': not an IPv6 "
		  "address in brackets" },
		{ "server = bad_host\n" BASE, "t.conf:1: 'bad_host': not a host name or IP address" },
		{ "server = -a.b\n" BASE, "t.conf:1: '-a.b': not a host name or IP address" },
		{ "server = a\nserver = a:5696\n" BASE, "t.conf:2: server a:5696 is listed twice" },
		{ "server = a\ntimeout = 0\n" BASE, "t.conf:2: '0': expected seconds from 0.1 to 600 (e.g. 5 or 2.5)" },
		{ "server = a\ntimeout = 601\n" BASE, "t.conf:2: '601': expected seconds from 0.1 to 600 (e.g. 5 or 2.5)" },
		{ "server = a\ntimeout = 1.2345\n" BASE, "t.conf:2: '1.2345': expected seconds from 0.1 to 600 (e.g. 5 or 2.5)" },
		{ "server = a\ntimeout = 5s\n" BASE, "t.conf:2: '5s': expected seconds from 0.1 to 600 (e.g. 5 or 2.5)" },
		{ "server = a\nprotocol = 2.0\n" BASE, "t.conf:2: protocol '2.0': mkey speaks KMIP 1.0 to 1.4" },
		{ BASE, "t.conf: no 'server = HOST[:PORT]' line" },
		{ "server = a\ncert = c\nkey = k\n", "t.conf: no 'ca = FILE' (the CA that signs the servers' certificates)" },
		{ "server = a\nca = c\nkey = k\n", "t.conf: no 'cert = FILE' (the client certificate)" },
		{ "server = a\nca = c\ncert = k\n", "t.conf: no 'key = FILE' (the client certificate's private key)" },
		{ "server = a\n\x01 = 2\n" BASE, "t.conf:2: control character" },
	};
	struct mkey_kmip_config cfg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(-EINVAL, parse(cases[i].text, &cfg)) TH_LOG("case %zu", i);
		EXPECT_STREQ(cases[i].detail, mkey_error_detail()) TH_LOG("case %zu", i);
	}
}

TEST(at_most_eight_servers)
{
	char text[1024] = "";
	struct mkey_kmip_config cfg;

	for (int i = 1; i <= 8; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "server = 10.0.0.%d\n", i);
	strcat(text, BASE);
	EXPECT_EQ(0, parse(text, &cfg));
	strcat(text, "server = 10.0.0.9\n");
	EXPECT_EQ(-EINVAL, parse(text, &cfg));
	EXPECT_STREQ("t.conf:12: more than 8 servers", mkey_error_detail());
}

TEST(definition_names)
{
	EXPECT_EQ(0, mkey_kmip_name_check("prod"));
	EXPECT_EQ(0, mkey_kmip_name_check("kms-eu_1.a"));
	EXPECT_EQ(-EINVAL, mkey_kmip_name_check(""));
	EXPECT_EQ(-EINVAL, mkey_kmip_name_check(".hidden"));
	EXPECT_EQ(-EINVAL, mkey_kmip_name_check("a/b"));
	EXPECT_EQ(-EINVAL, mkey_kmip_name_check("a b"));
	EXPECT_EQ(-EINVAL, mkey_kmip_name_check(
		"a1234567890123456789012345678901234567890123456789012345678901234"));
}

/* ---- files ---- */

FIXTURE(dir) {
	char dir[128];
};

FIXTURE_SETUP(dir)
{
	const char *t = getenv("TMPDIR");

	snprintf(self->dir, sizeof(self->dir), "%s/mkey-kmip-XXXXXX", t ? t : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd) != 0)
		TH_LOG("cannot remove %s", self->dir);
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
}

TEST_F(dir, load_by_name_and_by_path)
{
	struct mkey_kmip_config *cfg;
	char path[256];

	write_file(self->dir, "prod.conf", "server = 127.0.0.1\n" BASE, 0600);
	ASSERT_EQ(0, mkey_kmip_config_load(self->dir, "prod", &cfg)) TH_LOG("%s",
									   mkey_error_detail());
	EXPECT_STREQ("prod", cfg->name);
	EXPECT_STREQ(self->dir, cfg->dir);
	mkey_kmip_config_free(cfg);
	snprintf(path, sizeof(path), "%s/prod.conf", self->dir);
	ASSERT_EQ(0, mkey_kmip_config_load(NULL, path, &cfg));
	EXPECT_STREQ("prod", cfg->name);
	EXPECT_STREQ(self->dir, cfg->dir);
	snprintf(path, sizeof(path), "%s/ca.pem", self->dir);
	EXPECT_STREQ(path, cfg->ca);
	mkey_kmip_config_free(cfg);
	EXPECT_EQ(-ENOENT, mkey_kmip_config_load(self->dir, "nope", &cfg));
	EXPECT_EQ(-EINVAL, mkey_kmip_config_load(self->dir, "pr od", &cfg));
	/* a name with a '/' is a path */
	EXPECT_EQ(-ENOENT, mkey_kmip_config_load(self->dir, "../prod", &cfg));
}

TEST_F(dir, a_definition_others_can_write_is_refused)
{
	struct mkey_kmip_config *cfg = NULL;

	write_file(self->dir, "prod.conf", "server = 127.0.0.1\n" BASE, 0620);
	mkey_error_clear();
	EXPECT_EQ(-EPERM, mkey_kmip_config_load(self->dir, "prod", &cfg));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "has mode 0620"));
	write_file(self->dir, "prod.conf", "server = 127.0.0.1\n" BASE, 0644);
	EXPECT_EQ(0, mkey_kmip_config_load(self->dir, "prod", &cfg));
	mkey_kmip_config_free(cfg);
}

TEST_F(dir, client_files_are_checked_before_any_connection)
{
	struct mkey_kmip_config *cfg = NULL;
	struct mkey_kmip_client *c = NULL;
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -days 1 -subj /CN=t -keyout client.key -out client.pem "
		 ">/dev/null 2>&1 && cp client.pem ca.pem", self->dir);
	if (system(cmd) != 0)
		SKIP(return, "openssl cannot make a certificate here");
	snprintf(cmd, sizeof(cmd), "server = 127.0.0.1:1\nca = ca.pem\ncert = client.pem\n"
		 "key = client.key\n");
	write_file(self->dir, "t.conf", cmd, 0600);
	ASSERT_EQ(0, mkey_kmip_config_load(self->dir, "t", &cfg));

	snprintf(cmd, sizeof(cmd), "%s/client.key", self->dir);
	chmod(cmd, 0600);
	ASSERT_EQ(0, mkey_kmip_client_new(cfg, &c)) TH_LOG("%s", mkey_error_detail());
	mkey_kmip_client_free(c);
	c = NULL;

	chmod(cmd, 0640);
	mkey_error_clear();
	EXPECT_EQ(-EPERM, mkey_kmip_client_new(cfg, &c));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "has mode 0640; it must not be "
			       "readable or writable by group or others"));
	chmod(cmd, 0600);

	/* a CA file others may write is refused too */
	snprintf(cmd, sizeof(cmd), "%s/ca.pem", self->dir);
	chmod(cmd, 0666);
	EXPECT_EQ(-EPERM, mkey_kmip_client_new(cfg, &c));
	chmod(cmd, 0644);

	/* a key that is not the certificate's */
	snprintf(cmd, sizeof(cmd), "cd '%s' && openssl genpkey -algorithm ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -out client.key 2>/dev/null && chmod 600 "
		 "client.key", self->dir);
	ASSERT_EQ(0, system(cmd));
	mkey_error_clear();
	EXPECT_EQ(-EINVAL, mkey_kmip_client_new(cfg, &c));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "does not match the client certificate"));

	/* an encrypted key */
	snprintf(cmd, sizeof(cmd), "cd '%s' && openssl genpkey -algorithm ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -aes256 -pass pass:x -out client.key 2>/dev/null "
		 "&& chmod 600 client.key", self->dir);
	ASSERT_EQ(0, system(cmd));
	mkey_error_clear();
	EXPECT_EQ(-EINVAL, mkey_kmip_client_new(cfg, &c));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "is encrypted"));
	mkey_kmip_config_free(cfg);
}

TEST_F(dir, unreachable_servers_are_each_named)
{
	struct mkey_kmip_server_info info;
	struct mkey_kmip_config *cfg = NULL;
	struct mkey_kmip_client *c = NULL;
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -days 1 -subj /CN=t -keyout client.key -out client.pem "
		 ">/dev/null 2>&1 && cp client.pem ca.pem", self->dir);
	if (system(cmd) != 0)
		SKIP(return, "openssl cannot make a certificate here");
	/* port 1 on loopback: nothing listens, connect is refused at once */
	write_file(self->dir, "t.conf", "server = 127.0.0.1:1\nserver = [::1]:1\n"
		   "ca = ca.pem\ncert = client.pem\nkey = client.key\n", 0600);
	ASSERT_EQ(0, mkey_kmip_config_load(self->dir, "t", &cfg));
	ASSERT_EQ(0, mkey_kmip_client_new(cfg, &c));
	mkey_error_clear();
	EXPECT_EQ(-EHOSTUNREACH, mkey_kmip_query(c, &info));
	EXPECT_EQ(NULL, mkey_kmip_answered_by(c));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "no KMIP server of 't' answered: "
			       "127.0.0.1:1: connection refused; [::1]:1: "))
		TH_LOG("%s", mkey_error_detail());
	mkey_kmip_client_free(c);
	mkey_kmip_config_free(cfg);
}

/* ---- keys.json ---- */

static void rec_fill(struct mkey_kmip_keyrec *r, const char *guid, const char *uid)
{
	memset(r, 0, sizeof(*r));
	mkey_guid_parse(guid, &r->guid);
	snprintf(r->server, sizeof(r->server), "prod");
	snprintf(r->uid, sizeof(r->uid), "%s", uid);
	r->bits = 256;
	snprintf(r->description, sizeof(r->description), "db \"volume\"");
	r->created = 1700000000;
}

TEST_F(dir, state_file_round_trip)
{
	struct mkey_kmip_keyrec a, b, got, *recs;
	char path[256];
	struct stat st;

	EXPECT_EQ(0, mkey_kmip_keys_load(self->dir, &recs));	/* no file: empty */
	rec_fill(&a, "01234567-89AB-CDEF-0123-456789ABCDEF", "1");
	rec_fill(&b, "11111111-2222-4333-8444-555555555555", "uuid-like/identifier 7");
	ASSERT_EQ(0, mkey_kmip_keys_put(self->dir, &a)) TH_LOG("%s", mkey_error_detail());
	ASSERT_EQ(0, mkey_kmip_keys_put(self->dir, &b));
	ASSERT_EQ(2, mkey_kmip_keys_load(self->dir, &recs));
	EXPECT_STREQ("1", recs[0].uid);
	EXPECT_STREQ("uuid-like/identifier 7", recs[1].uid);
	EXPECT_STREQ("db \"volume\"", recs[1].description);
	EXPECT_EQ(1700000000, recs[1].created);
	free(recs);
	snprintf(path, sizeof(path), "%s/keys.json", self->dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);

	/* put replaces by GUID */
	snprintf(a.uid, sizeof(a.uid), "9");
	ASSERT_EQ(0, mkey_kmip_keys_put(self->dir, &a));
	ASSERT_EQ(0, mkey_kmip_keys_find(self->dir, &a.guid, &got));
	EXPECT_STREQ("9", got.uid);
	ASSERT_EQ(0, mkey_kmip_keys_remove(self->dir, &a.guid));
	EXPECT_EQ(-ENOENT, mkey_kmip_keys_find(self->dir, &a.guid, &got));
	EXPECT_EQ(-ENOENT, mkey_kmip_keys_remove(self->dir, &a.guid));
	ASSERT_EQ(1, mkey_kmip_keys_load(self->dir, &recs));
	free(recs);
}

/*
 * A date the reader accepts is written back so that it reads again: before
 * the fix, strftime's unpadded %Y wrote "985-01-01T00:00:00Z" for year 985,
 * and the whole state file became unreadable (tests/fuzz/fuzz-config.c).
 */
TEST_F(dir, state_file_dates_before_1000_survive_a_rewrite)
{
	struct mkey_kmip_keyrec a, *recs;

	write_file(self->dir, "keys.json",
		   "{\"format\":\"dm-mkey KMIP keys\",\"version\":1,\"keys\":[{\"guid\":"
		   "\"01234567-89AB-CDEF-0123-456789ABCDEF\",\"server\":\"p\",\"uid\":\"1\","
		   "\"bits\":256,\"description\":\"\",\"created\":\"0985-01-01T00:00:00Z\"}]}", 0600);
	ASSERT_EQ(1, mkey_kmip_keys_load(self->dir, &recs)) TH_LOG("%s", mkey_error_detail());
	EXPECT_EQ(-31083523200LL, recs[0].created);
	free(recs);
	rec_fill(&a, "11111111-2222-4333-8444-555555555555", "2");
	ASSERT_EQ(0, mkey_kmip_keys_put(self->dir, &a));
	ASSERT_EQ(2, mkey_kmip_keys_load(self->dir, &recs)) TH_LOG("%s", mkey_error_detail());
	EXPECT_EQ(-31083523200LL, recs[0].created);
	EXPECT_EQ(1700000000, recs[1].created);
	free(recs);
}

TEST_F(dir, malformed_state_files_are_refused)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"format\":\"dm-mkey KMIP keys\",\"version\":1}",
		"{\"format\":\"x\",\"version\":1,\"keys\":[]}",
		"{\"format\":\"dm-mkey KMIP keys\",\"version\":1,\"keys\":[],\"x\":1}",
		"{\"format\":\"dm-mkey KMIP keys\",\"version\":1,\"keys\":[]} x",
		"{\"format\":\"dm-mkey KMIP keys\",\"version\":1,\"keys\":[{\"guid\":\"x\"}]}",
		"{\"format\":\"dm-mkey KMIP keys\",\"version\":1,\"keys\":[{\"guid\":"
		"\"01234567-89AB-CDEF-0123-456789ABCDEF\",\"server\":\"p\",\"uid\":\"1\","
		"\"bits\":512,\"description\":\"\",\"created\":\"2024-01-01T00:00:00Z\"}]}",
		"{\"format\":\"dm-mkey KMIP keys\",\"version\":1,\"keys\":[{\"guid\":"
		"\"01234567-89AB-CDEF-0123-456789ABCDEF\",\"server\":\"p\",\"uid\":\"1\","
		"\"bits\":256,\"description\":\"\",\"created\":\"2024-01-01T00:00:00Z\","
		"\"extra\":1}]}",
		"{\"format\":\"dm-mkey KMIP keys\",\"version\":1,\"keys\":[{\"guid\":"
		"\"01234567-89AB-CDEF-0123-456789ABCDEF\",\"server\":\"p\",\"uid\":\"1\","
		"\"bits\":256,\"description\":\"\",\"created\":\"yesterday\"}]}",
	};
	struct mkey_kmip_keyrec *recs;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(self->dir, "keys.json", bad[i], 0600);
		EXPECT_EQ(-EBADMSG, mkey_kmip_keys_load(self->dir, &recs)) TH_LOG("case %zu", i);
	}
	write_file(self->dir, "keys.json",
		   "{\"format\":\"dm-mkey KMIP keys\",\"version\":2,\"keys\":[]}", 0600);
	EXPECT_EQ(-EPROTONOSUPPORT, mkey_kmip_keys_load(self->dir, &recs));
	write_file(self->dir, "keys.json",
		   "{\"format\":\"dm-mkey KMIP keys\",\"version\":1,\"keys\":[]}\n", 0666);
	EXPECT_EQ(-EPERM, mkey_kmip_keys_load(self->dir, &recs));
}

/* ---- derivation ---- */

static void hex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		sscanf(h + 2 * i, "%2x", &b);
		out[i] = (uint8_t)b;
	}
}

TEST(xts_key_derivation_matches_openssl_kdf)
{
	/*
	 * openssl kdf -keylen 64 -kdfopt digest:SHA256 -kdfopt hexkey:0001..1f
	 *   -kdfopt hexsalt:0123456789ABCDEF0123456789ABCDEF
	 *   -kdfopt "info:dm-mkey KMIP XTS key v1" HKDF
	 */
	static const char want256[] =
		"60fb3fb76203d4a677151fecbbc95d87ed7d84968791d14b79d72f2d18d5d319"
		"64d353efdb038c0b7db14b536d5b8690ff8cee1c6460ecf04fc68bdf153eaa57";
	static const char want128[] =
		"92bf0716d3c29068d9ec7b3998e7283ccb9a46f4e720e92a75e7fc454260310b";
	struct mkey_secbuf *xts = NULL;
	struct mkey_guid g;
	uint8_t k[32], w[64];

	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)i;
	ASSERT_EQ(0, mkey_guid_parse("01234567-89AB-CDEF-0123-456789ABCDEF", &g));
	ASSERT_EQ(0, mkey_kmip_derive_xts(k, 32, &g, &xts));
	ASSERT_EQ(64, xts->len);
	hex(want256, w, 64);
	EXPECT_EQ(0, memcmp(w, xts->data, 64));
	mkey_secbuf_free(xts);
	ASSERT_EQ(0, mkey_kmip_derive_xts(k, 16, &g, &xts));
	ASSERT_EQ(32, xts->len);
	hex(want128, w, 32);
	EXPECT_EQ(0, memcmp(w, xts->data, 32));
	mkey_secbuf_free(xts);
	ASSERT_EQ(0, mkey_kmip_derive_xts(k, 24, &g, &xts));
	EXPECT_EQ(48, xts->len);
	mkey_secbuf_free(xts);
	xts = NULL;
	EXPECT_EQ(-EMSGSIZE, mkey_kmip_derive_xts(k, 20, &g, &xts));
	EXPECT_EQ(NULL, xts);
}

TEST_HARNESS_MAIN
