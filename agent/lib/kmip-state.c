// SPDX-License-Identifier: GPL-2.0
/*
 * The KMIP key state file, DIR/keys.json: which KMIP object (definition,
 * Unique Identifier) holds each mkey key GUID. Nothing in it is secret;
 * it is still root's alone (0600) and must not be writable by others.
 *
 * Updates lock the directory (flock), read, change, write a temporary file
 * in the same directory, fsync it, rename it over keys.json and fsync the
 * directory: a crash leaves the old file or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error-detail.h"
#include "fileio.h"
#include "kmip-internal.h"
#include "mkey/error.h"
#include "mkey/kmip.h"

#define STATE_FORMAT	"dm-mkey KMIP keys"
#define STATE_VERSION	1
#define STATE_MAX_BYTES	(1024 * 1024)
#define STATE_MAX_KEYS	4096

static int state_path(const char *dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir ? dir : MKEY_KMIP_DEFAULT_DIR,
			 MKEY_KMIP_STATE_FILE);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * The form time_parse() reads back. Not strftime's %Y: it does not pad
 * years before 1000 to four digits, and a state file with such a date
 * (which the reader accepts) became unreadable once rewritten.
 */
static void time_text(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		snprintf(out, 21, "1970-01-01T00:00:00Z");
		return;
	}
	snprintf(out, 21, "%04u-%02u-%02uT%02u:%02u:%02uZ",
		 (unsigned int)(tm.tm_year + 1900) % 10000, (unsigned int)(tm.tm_mon + 1) % 100,
		 (unsigned int)tm.tm_mday % 100, (unsigned int)tm.tm_hour % 100,
		 (unsigned int)tm.tm_min % 100, (unsigned int)tm.tm_sec % 100);
}

static int time_parse(const char *s, int64_t *t)
{
	struct tm tm = { 0 };
	const char *end;

	if (strlen(s) != 20)
		return -EINVAL;
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -EINVAL;
	*t = (int64_t)timegm(&tm);
	return 0;
}

static bool desc_ok(const char *s)
{
	if (strlen(s) > MKEY_KMIP_DESC_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int bad_state(const char *path, int i, const char *what)
{
	if (i < 0)
		return mkey_error_set(-EBADMSG, "%s: %s", path, what);
	return mkey_error_set(-EBADMSG, "%s: keys[%d]: %s", path, i, what);
}

static const char *member_str(json_object *o, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int parse_key(json_object *o, const char *path, int i, struct mkey_kmip_keyrec *r)
{
	static const char *const members[] = {
		"guid", "server", "uid", "bits", "description", "created",
	};
	const char *s;
	json_object *v;
	int64_t bits;

	if (!json_object_is_type(o, json_type_object))
		return bad_state(path, i, "not an object");
	json_object_object_foreach(o, k, val) {
		bool known = false;

		(void)val;
		for (size_t m = 0; m < sizeof(members) / sizeof(members[0]); m++)
			known |= !strcmp(k, members[m]);
		if (!known)
			return bad_state(path, i, "unknown member");
	}
	memset(r, 0, sizeof(*r));
	s = member_str(o, "guid");
	if (!s || mkey_guid_parse(s, &r->guid))
		return bad_state(path, i, "guid: missing or not a GUID");
	s = member_str(o, "server");
	if (!s || mkey_kmip_name_check(s))
		return bad_state(path, i, "server: missing or not a definition name");
	snprintf(r->server, sizeof(r->server), "%s", s);
	s = member_str(o, "uid");
	if (!s || !*s || strlen(s) > MKEY_KMIP_UID_MAX)
		return bad_state(path, i, "uid: missing or too long");
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return bad_state(path, i, "uid: not printable ASCII");
	snprintf(r->uid, sizeof(r->uid), "%s", s);
	if (!json_object_object_get_ex(o, "bits", &v) || !json_object_is_type(v, json_type_int))
		return bad_state(path, i, "bits: missing or not a number");
	bits = json_object_get_int64(v);
	if (bits != 128 && bits != 192 && bits != 256)
		return bad_state(path, i, "bits: not 128, 192 or 256");
	r->bits = (uint32_t)bits;
	s = member_str(o, "description");
	if (!s || !desc_ok(s))
		return bad_state(path, i, "description: missing, too long or with "
				 "control characters");
	snprintf(r->description, sizeof(r->description), "%s", s);
	s = member_str(o, "created");
	if (!s || time_parse(s, &r->created))
		return bad_state(path, i, "created: missing or not YYYY-MM-DDTHH:MM:SSZ");
	return 0;
}

static int parse_state(const char *text, size_t len, const char *path,
		       struct mkey_kmip_keyrec **recs)
{
	enum json_tokener_error jerr = json_tokener_success;
	struct json_tokener *tok;
	json_object *root = NULL, *keys, *v;
	struct mkey_kmip_keyrec *out = NULL;
	const char *s;
	size_t n;
	int ret;

	*recs = NULL;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (root && jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) < len) {
		/* only white space may follow */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (!strchr(" \t\r\n", text[i]))
				jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		return mkey_error_set(-EBADMSG, "%s: not valid JSON (%s)", path,
				      json_tokener_error_desc(jerr));
	}
	ret = -EBADMSG;
	if (!json_object_is_type(root, json_type_object)) {
		bad_state(path, -1, "not a JSON object");
		goto out;
	}
	json_object_object_foreach(root, k, val) {
		(void)val;
		if (strcmp(k, "format") && strcmp(k, "version") && strcmp(k, "keys")) {
			bad_state(path, -1, "unknown top-level member");
			goto out;
		}
	}
	s = member_str(root, "format");
	if (!s || strcmp(s, STATE_FORMAT)) {
		bad_state(path, -1, "not a dm-mkey KMIP key state file (format)");
		goto out;
	}
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != STATE_VERSION) {
		ret = -EPROTONOSUPPORT;
		mkey_error_set(ret, "%s: unsupported version (this mkey reads version %d)",
			       path, STATE_VERSION);
		goto out;
	}
	if (!json_object_object_get_ex(root, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		bad_state(path, -1, "keys: missing or not an array");
		goto out;
	}
	n = json_object_array_length(keys);
	if (n > STATE_MAX_KEYS) {
		bad_state(path, -1, "too many keys");
		goto out;
	}
	if (n) {
		out = calloc(n, sizeof(*out));
		if (!out) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		ret = parse_key(json_object_array_get_idx(keys, i), path, (int)i, &out[i]);
		if (ret)
			goto out;
		for (size_t j = 0; j < i; j++) {
			if (mkey_guid_equal(&out[i].guid, &out[j].guid)) {
				ret = bad_state(path, (int)i, "GUID listed twice");
				goto out;
			}
		}
	}
	*recs = out;
	out = NULL;
	ret = (int)n;
out:
	free(out);
	json_object_put(root);
	return ret;
}

int mkey_kmip_keys_load(const char *dir, struct mkey_kmip_keyrec **recs)
{
	char path[PATH_MAX], *text = NULL;
	size_t len;
	int ret;

	*recs = NULL;
	ret = state_path(dir, path, sizeof(path));
	if (ret)
		return ret;
	ret = kmip_read_small_file(path, 022, "KMIP key state file", STATE_MAX_BYTES,
				   &text, &len);
	if (ret == -ENOENT) {
		mkey_error_clear();
		return 0;
	}
	if (ret)
		return ret;
	ret = parse_state(text, len, path, recs);
	free(text);
	return ret;
}

int mkey_kmip_keys_find(const char *dir, const struct mkey_guid *guid,
			struct mkey_kmip_keyrec *rec)
{
	struct mkey_kmip_keyrec *recs;
	int n = mkey_kmip_keys_load(dir, &recs), ret = -ENOENT;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (mkey_guid_equal(&recs[i].guid, guid)) {
			*rec = recs[i];
			ret = 0;
			break;
		}
	}
	free(recs);
	return ret;
}

static json_object *record_json(const struct mkey_kmip_keyrec *r)
{
	char guid[MKEY_GUID_STR_LEN + 1], created[21];
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	mkey_guid_format(&r->guid, guid);
	time_text(r->created, created);
	if (json_object_object_add(o, "guid", json_object_new_string(guid)) ||
	    json_object_object_add(o, "server", json_object_new_string(r->server)) ||
	    json_object_object_add(o, "uid", json_object_new_string(r->uid)) ||
	    json_object_object_add(o, "bits", json_object_new_int64(r->bits)) ||
	    json_object_object_add(o, "description",
				   json_object_new_string(r->description)) ||
	    json_object_object_add(o, "created", json_object_new_string(created))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Writes @recs as the new state file, atomically and durably. */
static int write_state(const char *dir, const struct mkey_kmip_keyrec *recs, int n)
{
	const char *d = dir ? dir : MKEY_KMIP_DEFAULT_DIR;
	json_object *root, *keys;
	const char *text;
	char *file;
	int ret = -ENOMEM;

	root = json_object_new_object();
	keys = json_object_new_array();
	if (!root || !keys) {
		json_object_put(root);
		json_object_put(keys);
		return -ENOMEM;
	}
	if (json_object_object_add(root, "format", json_object_new_string(STATE_FORMAT)) ||
	    json_object_object_add(root, "version", json_object_new_int(STATE_VERSION))) {
		json_object_put(keys);
		goto out;
	}
	if (json_object_object_add(root, "keys", keys)) {
		json_object_put(keys);	/* not taken over by root */
		goto out;
	}
	for (int i = 0; i < n; i++) {
		json_object *o = record_json(&recs[i]);

		if (!o || json_object_array_add(keys, o)) {
			json_object_put(o);
			goto out;
		}
	}
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto out;
	/* The file ends with a newline, as people expect of a text file. */
	if (asprintf(&file, "%s\n", text) < 0)
		goto out;
	ret = mkey_file_replace(d, MKEY_KMIP_STATE_FILE, file, strlen(file), 0600);
	free(file);
	if (ret < 0)
		mkey_error_set(ret, "cannot write %s/%s: %s", d, MKEY_KMIP_STATE_FILE,
			       strerror(-ret));
out:
	json_object_put(root);
	return ret;
}

/* Locks the state directory for an update; returns the directory fd. */
static int lock_dir(const char *dir)
{
	const char *d = dir ? dir : MKEY_KMIP_DEFAULT_DIR;
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return mkey_error_set(-errno, "%s: %s", d, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int err = -errno;

			close(fd);
			return mkey_error_set(err, "cannot lock %s: %s", d, strerror(-err));
		}
	}
	return fd;
}

int mkey_kmip_keys_put(const char *dir, const struct mkey_kmip_keyrec *rec)
{
	struct mkey_kmip_keyrec *recs = NULL, *grown;
	int dirfd, n, i, ret;

	if (mkey_kmip_name_check(rec->server) || !rec->uid[0] ||
	    (rec->bits != 128 && rec->bits != 192 && rec->bits != 256) ||
	    !desc_ok(rec->description))
		return -EINVAL;
	dirfd = lock_dir(dir);
	if (dirfd < 0)
		return dirfd;
	n = mkey_kmip_keys_load(dir, &recs);
	if (n < 0) {
		ret = n;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (mkey_guid_equal(&recs[i].guid, &rec->guid))
			break;
	if (i == n) {
		if (n >= STATE_MAX_KEYS) {
			ret = mkey_error_set(-ENOSPC, "more than %d KMIP keys recorded",
					     STATE_MAX_KEYS);
			goto out;
		}
		grown = realloc(recs, (size_t)(n + 1) * sizeof(*recs));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		recs = grown;
		n++;
	}
	recs[i] = *rec;
	ret = write_state(dir, recs, n);
out:
	free(recs);
	close(dirfd);	/* releases the lock */
	return ret;
}

int mkey_kmip_keys_remove(const char *dir, const struct mkey_guid *guid)
{
	struct mkey_kmip_keyrec *recs = NULL;
	int dirfd, n, i, ret;

	dirfd = lock_dir(dir);
	if (dirfd < 0)
		return dirfd;
	n = mkey_kmip_keys_load(dir, &recs);
	if (n < 0) {
		ret = n;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (mkey_guid_equal(&recs[i].guid, guid))
			break;
	if (i == n) {
		ret = -ENOENT;
		goto out;
	}
	memmove(&recs[i], &recs[i + 1], (size_t)(n - i - 1) * sizeof(*recs));
	ret = write_state(dir, recs, n - 1);
out:
	free(recs);
	close(dirfd);
	return ret;
}
