// SPDX-License-Identifier: GPL-2.0
/*
 * The key file's text form. Writing is a fixed serialization defined here
 * (docs/key-file.md, "Canonical form"); reading is json-c with strict
 * flags, then a walk that names every field it rejects, then a check that
 * the input is byte for byte what the writer produces for the content
 * read. That last rule makes the bytes the file MAC covers unambiguous.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "keyfile-internal.h"
#include "error-detail.h"

/* ---------------------------------------------------------------- buffer */

void kf_buf_put(struct kf_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void kf_buf_printf(struct kf_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = true;
		return;
	}
	kf_buf_put(b, tmp, (size_t)n);
}

void kf_buf_free(struct kf_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---------------------------------------------------------------- base64 */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t kf_b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void kf_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int kf_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len)
{
	size_t i, o = 0, pad = 0;

	if (in_len == 0 || in_len % 4)
		return -EINVAL;
	if (in[in_len - 1] == '=')
		pad = in[in_len - 2] == '=' ? 2 : 1;
	if (in_len / 4 * 3 - pad > out_cap)
		return -EMSGSIZE;
	for (i = 0; i < in_len; i += 4) {
		int v[4];
		uint32_t w;

		for (int j = 0; j < 4; j++) {
			bool last_group = i + 4 == in_len;

			if (last_group && in[i + j] == '=' && j >= 4 - (int)pad) {
				v[j] = 0;
				continue;
			}
			v[j] = b64_value(in[i + j]);
			if (v[j] < 0)
				return -EINVAL;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		out[o++] = (uint8_t)(w >> 16);
		if (i + 4 < in_len || pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (i + 4 < in_len || pad < 1)
			out[o++] = (uint8_t)w;
		/* Canonical: the bits the padding leaves over must be zero. */
		if (i + 4 == in_len && ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15))))
			return -EINVAL;
	}
	*out_len = o;
	return 0;
}

/* ---------------------------------------------------------------- time */

void kf_time_format(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;
	char text[64];

	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	snprintf(out, 21, "%.20s", text);
}

int kf_time_parse(const char *s, int64_t *t)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm tm;
	char back[21];
	time_t v;

	if (strlen(s) != sizeof(pattern) - 1)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(pattern) - 1; i++) {
		if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i])
			return -EINVAL;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_year < 70)
		return -EINVAL;
	v = timegm(&tm);
	if (v == (time_t)-1)
		return -EINVAL;
	/* Out-of-range fields (month 13, second 61) normalize to another text. */
	kf_time_format(v, back);
	if (strcmp(back, s) != 0)
		return -EINVAL;
	*t = v;
	return 0;
}

/* ---------------------------------------------------------------- writer */

/* JSON string body: only " and \ are escaped; validation keeps control characters out. */
static void put_string(struct kf_buf *b, const char *s)
{
	kf_buf_put(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			kf_buf_put(b, "\\", 1);
		kf_buf_put(b, s, 1);
	}
	kf_buf_put(b, "\"", 1);
}

static void put_b64(struct kf_buf *b, const uint8_t *data, size_t len)
{
	char text[kf_b64_encoded_len(KF_WRAPPED_DEK_MAX) + 1];

	kf_b64_encode(data, len, text);
	put_string(b, text);
}

static void put_guid(struct kf_buf *b, const struct mkey_guid *g)
{
	char text[MKEY_GUID_STR_LEN + 1];

	mkey_guid_format(g, text);
	put_string(b, text);
}

static void put_time(struct kf_buf *b, int64_t t)
{
	char text[21];

	kf_time_format(t, text);
	put_string(b, text);
}

static void put_admin(struct kf_buf *b, const struct kf_admin *a)
{
	const struct mkey_kdf_params *k = &a->info.kdf;

	kf_buf_printf(b, "    {\n      \"name\": ");
	put_string(b, a->info.name);
	kf_buf_printf(b, ",\n      \"created\": ");
	put_time(b, a->info.created);
	kf_buf_printf(b, ",\n      \"kdf\": {\n        \"type\": ");
	put_string(b, mkey_kdf_type_name(k->type));
	if (k->type == MKEY_KDF_ARGON2ID)
		kf_buf_printf(b, ",\n        \"passes\": %u,\n        \"memory_kib\": %u,"
			      "\n        \"parallelism\": %u", k->passes, k->memory_kib,
			      k->parallelism);
	else
		kf_buf_printf(b, ",\n        \"iterations\": %u", k->iterations);
	kf_buf_printf(b, ",\n        \"salt\": ");
	put_b64(b, k->salt, sizeof(k->salt));
	kf_buf_printf(b, "\n      },\n      \"wrapped_master_key\": ");
	put_b64(b, a->wrapped, sizeof(a->wrapped));
	kf_buf_printf(b, "\n    }");
}

static void put_key(struct kf_buf *b, const struct kf_key *k)
{
	kf_buf_printf(b, "    {\n      \"guid\": ");
	put_guid(b, &k->info.guid);
	kf_buf_printf(b, ",\n      \"bits\": %u,\n      \"description\": ", k->info.bits);
	put_string(b, k->info.description);
	kf_buf_printf(b, ",\n      \"created\": ");
	put_time(b, k->info.created);
	kf_buf_printf(b, ",\n      \"wrapped_key\": ");
	put_b64(b, k->wrapped, k->wrapped_len);
	kf_buf_printf(b, "\n    }");
}

int kf_serialize(const struct mkey_keyfile *kf, bool with_mac, struct kf_buf *b)
{
	kf_buf_printf(b, "{\n  \"format\": ");
	put_string(b, MKEY_KEYFILE_FORMAT);
	kf_buf_printf(b, ",\n  \"version\": %d,\n  \"file_id\": ", MKEY_KEYFILE_VERSION);
	put_guid(b, &kf->file_id);
	kf_buf_printf(b, ",\n  \"created\": ");
	put_time(b, kf->created);
	kf_buf_printf(b, ",\n  \"default_key\": ");
	put_guid(b, &kf->default_key);
	kf_buf_printf(b, ",\n  \"admins\": [\n");
	for (int i = 0; i < kf->n_admins; i++) {
		put_admin(b, &kf->admins[i]);
		kf_buf_printf(b, i + 1 < kf->n_admins ? ",\n" : "\n");
	}
	kf_buf_printf(b, "  ],\n  \"keys\": [\n");
	for (int i = 0; i < kf->n_keys; i++) {
		put_key(b, &kf->keys[i]);
		kf_buf_printf(b, i + 1 < kf->n_keys ? ",\n" : "\n");
	}
	kf_buf_printf(b, "  ],\n");
	if (with_mac) {
		kf_buf_printf(b, "  \"mac\": ");
		put_b64(b, kf->mac, sizeof(kf->mac));
		kf_buf_printf(b, "\n}\n");
	}
	if (b->failed) {
		kf_buf_free(b);
		return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------- reader */

#define PATH_LEN 48

/*
 * json-c keeps the last of two members with the same name. This scan of
 * the (already validated) text finds such duplicates and names them. At
 * most MAX_MEMBERS members per object are tracked: no object of the format
 * has more, and the cap keeps the scan linear on hostile input.
 */
#define MAX_DEPTH 8
#define MAX_MEMBERS 16

struct scan_level {
	bool object;
	int index;		/* array element / member count */
	int n_keys;
	const char *key[MAX_MEMBERS];
	size_t key_len[MAX_MEMBERS];
	char path[PATH_LEN];
};

static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p;	/* at the closing quote */
}

static void child_path(const struct scan_level *parent, const char *key,
		       size_t key_len, char *out)
{
	char base[PATH_LEN];

	if (parent)
		memcpy(base, parent->path, sizeof(base));
	if (!parent)
		snprintf(out, PATH_LEN, "the top level");
	else if (!parent->object)
		snprintf(out, PATH_LEN, "%.30s[%d]", base, parent->index);
	else if (!strcmp(base, "the top level"))
		snprintf(out, PATH_LEN, "%.*s", (int)(key_len < 32 ? key_len : 32), key);
	else
		snprintf(out, PATH_LEN, "%.30s.%.*s", base,
			 (int)(key_len < 16 ? key_len : 16), key);
}

static int scan_duplicates(const char *text, size_t len)
{
	struct scan_level *lv, stack[MAX_DEPTH + 1];
	const char *p = text, *end = text + len;
	const char *last_key = NULL;
	size_t last_key_len = 0;
	int depth = -1;
	bool expect_key = false;

	for (; p < end; p++) {
		switch (*p) {
		case '{':
		case '[':
			if (depth + 1 > MAX_DEPTH)
				return mkey_error_set(-EBADMSG, "nested too deeply");
			lv = &stack[depth + 1];
			child_path(depth >= 0 ? &stack[depth] : NULL, last_key,
				   last_key_len, lv->path);
			depth++;
			lv->object = *p == '{';
			lv->index = 0;
			lv->n_keys = 0;
			expect_key = lv->object;
			break;
		case '}':
		case ']':
			depth--;
			expect_key = false;
			break;
		case ',':
			if (depth >= 0) {
				stack[depth].index++;
				expect_key = stack[depth].object;
			}
			break;
		case '"': {
			const char *close = skip_string(p, end);

			if (expect_key && depth >= 0) {
				lv = &stack[depth];
				last_key = p + 1;
				last_key_len = (size_t)(close - p - 1);
				for (int i = 0; i < lv->n_keys; i++) {
					if (lv->key_len[i] == last_key_len &&
					    !memcmp(lv->key[i], last_key, last_key_len))
						return mkey_error_set(-EBADMSG,
							"%s: duplicate member \"%.*s\"",
							lv->path, (int)(last_key_len < 32 ?
							last_key_len : 32), last_key);
				}
				if (lv->n_keys == MAX_MEMBERS)
					return mkey_error_set(-EBADMSG,
						"%s: more than %d members", lv->path,
						MAX_MEMBERS);
				lv->key[lv->n_keys] = last_key;
				lv->key_len[lv->n_keys++] = last_key_len;
				expect_key = false;
			}
			p = close;
			break;
		}
		default:
			break;
		}
	}
	return 0;
}

static int field_error(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int field_error(const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mkey_error_set(-EBADMSG, "%s: %s", path, msg);
}

/* Every member of @obj must be in @allowed (NULL-terminated). */
static int check_members(struct json_object *obj, const char *path,
			 const char *const *allowed)
{
	json_object_object_foreach(obj, name, val) {
		bool known = false;

		(void)val;
		for (const char *const *a = allowed; *a; a++)
			known |= strcmp(name, *a) == 0;
		if (!known)
			return field_error(path, "unknown member \"%.32s\"", name);
	}
	return 0;
}

static int member(struct json_object *obj, const char *path, const char *name,
		  json_type type, struct json_object **out)
{
	static const char *const type_names[] = {
		[json_type_null] = "null", [json_type_boolean] = "a boolean",
		[json_type_double] = "a number", [json_type_int] = "an integer",
		[json_type_object] = "an object", [json_type_array] = "an array",
		[json_type_string] = "a string",
	};
	char where[PATH_LEN + 40];
	json_type got;

	if (!strcmp(path, "the top level"))
		snprintf(where, sizeof(where), "%s", name);
	else
		snprintf(where, sizeof(where), "%s.%s", path, name);
	if (!json_object_object_get_ex(obj, name, out))
		return field_error(path, "missing member \"%s\"", name);
	got = json_object_get_type(*out);
	if (got != type)
		return field_error(where, "expected %s, found %s", type_names[type],
				   type_names[got]);
	return 0;
}

static int get_string(struct json_object *obj, const char *path, const char *name,
		      const char **out, size_t *len)
{
	struct json_object *v;
	int ret = member(obj, path, name, json_type_string, &v);

	if (ret)
		return ret;
	*out = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (strlen(*out) != *len)
		return field_error(path, "member \"%s\" holds a NUL character", name);
	return 0;
}

static int get_uint(struct json_object *obj, const char *path, const char *name,
		    uint64_t max, uint64_t *out)
{
	struct json_object *v;
	int64_t x;
	int ret = member(obj, path, name, json_type_int, &v);

	if (ret)
		return ret;
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x < 0 || (uint64_t)x > max)
		return field_error(path, "\"%s\" is out of range (0..%llu)", name,
				   (unsigned long long)max);
	*out = (uint64_t)x;
	return 0;
}

static int get_guid(struct json_object *obj, const char *path, const char *name,
		    struct mkey_guid *g)
{
	char back[MKEY_GUID_STR_LEN + 1];
	const char *s;
	size_t len;
	int ret = get_string(obj, path, name, &s, &len);

	if (ret)
		return ret;
	if (mkey_guid_parse(s, g) < 0)
		return field_error(path, "\"%s\" is not a GUID (8-4-4-4-12 hex digits)", name);
	mkey_guid_format(g, back);
	if (strcmp(back, s))
		return field_error(path, "\"%s\" must be written in upper case", name);
	return 0;
}

static int get_time(struct json_object *obj, const char *path, const char *name,
		    int64_t *t)
{
	const char *s;
	size_t len;
	int ret = get_string(obj, path, name, &s, &len);

	if (ret)
		return ret;
	if (kf_time_parse(s, t) < 0)
		return field_error(path, "\"%s\" is not a UTC time YYYY-MM-DDTHH:MM:SSZ",
				   name);
	return 0;
}

static int get_b64(struct json_object *obj, const char *path, const char *name,
		   uint8_t *out, size_t want_len)
{
	const char *s;
	size_t len, got = 0;
	int ret = get_string(obj, path, name, &s, &len);

	if (ret)
		return ret;
	ret = kf_b64_decode(s, len, out, want_len, &got);
	if (ret == -EMSGSIZE || (!ret && got != want_len))
		return field_error(path, "\"%s\" must hold %zu bytes", name, want_len);
	if (ret)
		return field_error(path, "\"%s\" is not valid base64", name);
	return 0;
}

static int parse_kdf(struct json_object *obj, const char *path, struct mkey_kdf_params *k)
{
	static const char *const argon2_members[] = {
		"type", "passes", "memory_kib", "parallelism", "salt", NULL };
	static const char *const pbkdf2_members[] = { "type", "iterations", "salt", NULL };
	const char *type;
	size_t len;
	uint64_t v;
	int ret;

	memset(k, 0, sizeof(*k));
	ret = get_string(obj, path, "type", &type, &len);
	if (ret)
		return ret;
	if (!strcmp(type, "argon2id"))
		k->type = MKEY_KDF_ARGON2ID;
	else if (!strcmp(type, "pbkdf2-sha512"))
		k->type = MKEY_KDF_PBKDF2_SHA512;
	else
		return field_error(path, "unknown KDF type \"%.32s\" (argon2id or "
				   "pbkdf2-sha512)", type);
	ret = check_members(obj, path, k->type == MKEY_KDF_ARGON2ID ?
			    argon2_members : pbkdf2_members);
	if (ret)
		return ret;
	if (k->type == MKEY_KDF_ARGON2ID) {
		ret = get_uint(obj, path, "passes", UINT32_MAX, &v);
		k->passes = (uint32_t)v;
		if (!ret)
			ret = get_uint(obj, path, "memory_kib", UINT32_MAX, &v);
		k->memory_kib = (uint32_t)v;
		if (!ret)
			ret = get_uint(obj, path, "parallelism", UINT32_MAX, &v);
		k->parallelism = (uint32_t)v;
	} else {
		ret = get_uint(obj, path, "iterations", UINT32_MAX, &v);
		k->iterations = (uint32_t)v;
	}
	if (!ret)
		ret = get_b64(obj, path, "salt", k->salt, sizeof(k->salt));
	if (ret)
		return ret;
	if (mkey_kdf_params_check(k) < 0)
		return field_error(path, "%s", mkey_error_detail());
	return 0;
}

static int parse_admin(struct mkey_keyfile *kf, struct json_object *obj, const char *path)
{
	static const char *const members[] = {
		"name", "created", "kdf", "wrapped_master_key", NULL };
	struct kf_admin *a = &kf->admins[kf->n_admins];
	struct json_object *kdf;
	char kdf_path[PATH_LEN + 8];
	const char *name;
	size_t len;
	int ret;

	ret = check_members(obj, path, members);
	if (!ret)
		ret = get_string(obj, path, "name", &name, &len);
	if (ret)
		return ret;
	if (mkey_admin_name_normalize(name, a->info.name) < 0)
		return field_error(path, "\"name\": %s", mkey_error_detail());
	if (strcmp(a->info.name, name))
		return field_error(path, "\"name\" must be written in upper case");
	if (mkey_keyfile_admin_find(kf, name) >= 0)
		return field_error(path, "administrator %s is listed twice", a->info.name);
	ret = get_time(obj, path, "created", &a->info.created);
	if (!ret)
		ret = member(obj, path, "kdf", json_type_object, &kdf);
	if (ret)
		return ret;
	snprintf(kdf_path, sizeof(kdf_path), "%s.kdf", path);
	ret = parse_kdf(kdf, kdf_path, &a->info.kdf);
	if (!ret)
		ret = get_b64(obj, path, "wrapped_master_key", a->wrapped, sizeof(a->wrapped));
	if (!ret)
		kf->n_admins++;
	return ret;
}

static int parse_key(struct mkey_keyfile *kf, struct json_object *obj, const char *path)
{
	static const char *const members[] = {
		"guid", "bits", "description", "created", "wrapped_key", NULL };
	struct kf_key *k = &kf->keys[kf->n_keys];
	const char *desc;
	size_t len;
	uint64_t bits;
	int ret;

	ret = check_members(obj, path, members);
	if (!ret)
		ret = get_guid(obj, path, "guid", &k->info.guid);
	if (ret)
		return ret;
	if (mkey_keyfile_key_find(kf, &k->info.guid) >= 0)
		return field_error(path, "key GUID is listed twice");
	ret = get_uint(obj, path, "bits", UINT32_MAX, &bits);
	if (ret)
		return ret;
	if (bits != 128 && bits != 192 && bits != 256)
		return field_error(path, "\"bits\" must be 128, 192 or 256");
	k->info.bits = (uint32_t)bits;
	ret = get_string(obj, path, "description", &desc, &len);
	if (ret)
		return ret;
	if (mkey_key_description_check(desc) < 0)
		return field_error(path, "\"description\": %s", mkey_error_detail());
	memcpy(k->info.description, desc, len + 1);
	ret = get_time(obj, path, "created", &k->info.created);
	if (ret)
		return ret;
	k->wrapped_len = bits / 4 + KF_WRAP_OVERHEAD;
	ret = get_b64(obj, path, "wrapped_key", k->wrapped, k->wrapped_len);
	if (!ret)
		kf->n_keys++;
	return ret;
}

static int parse_array(struct mkey_keyfile *kf, struct json_object *root,
		       const char *name, int max,
		       int (*one)(struct mkey_keyfile *, struct json_object *, const char *))
{
	struct json_object *arr;
	char path[PATH_LEN];
	size_t n;
	int ret = member(root, "the top level", name, json_type_array, &arr);

	if (ret)
		return ret;
	n = json_object_array_length(arr);
	if (n == 0)
		return field_error(name, "must not be empty");
	if (n > (size_t)max)
		return field_error(name, "more than %d entries", max);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		snprintf(path, sizeof(path), "%s[%zu]", name, i);
		if (json_object_get_type(e) != json_type_object)
			return field_error(path, "expected an object");
		ret = one(kf, e, path);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_root(struct mkey_keyfile *kf, struct json_object *root)
{
	static const char *const members[] = {
		"format", "version", "file_id", "created", "default_key", "admins",
		"keys", "mac", NULL };
	const char *top = "the top level", *s;
	size_t len;
	uint64_t version;
	uint8_t mac[KF_MAC_BYTES];
	int ret;

	if (json_object_get_type(root) != json_type_object)
		return mkey_error_set(-EBADMSG, "not a JSON object");
	/* Identify the file before judging its members: a newer version may have others. */
	ret = get_string(root, top, "format", &s, &len);
	if (ret)
		return ret;
	if (strcmp(s, MKEY_KEYFILE_FORMAT))
		return field_error("format", "not \"%s\": this is not a dm-mkey key file",
				   MKEY_KEYFILE_FORMAT);
	ret = get_uint(root, top, "version", UINT32_MAX, &version);
	if (ret)
		return ret;
	if (version != MKEY_KEYFILE_VERSION)
		return mkey_error_set(-EPROTONOSUPPORT, "version %llu is not supported "
				      "(this mkey reads version %d)",
				      (unsigned long long)version, MKEY_KEYFILE_VERSION);
	ret = check_members(root, top, members);
	if (!ret)
		ret = get_guid(root, top, "file_id", &kf->file_id);
	if (!ret)
		ret = get_time(root, top, "created", &kf->created);
	if (!ret)
		ret = get_guid(root, top, "default_key", &kf->default_key);
	if (!ret)
		ret = parse_array(kf, root, "admins", MKEY_KEYFILE_MAX_ADMINS, parse_admin);
	if (!ret)
		ret = parse_array(kf, root, "keys", MKEY_KEYFILE_MAX_KEYS, parse_key);
	if (!ret)
		ret = get_b64(root, top, "mac", mac, sizeof(mac));
	if (ret)
		return ret;
	memcpy(kf->mac, mac, sizeof(mac));
	if (mkey_keyfile_key_find(kf, &kf->default_key) < 0)
		return field_error("default_key", "no key with that GUID in \"keys\"");
	return 0;
}

/* Line and column of byte @off, for messages. */
static void position(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

static int check_canonical(const struct mkey_keyfile *kf, const char *text, size_t len)
{
	struct kf_buf b = { 0 };
	size_t i;
	int line, col, ret;

	ret = kf_serialize(kf, true, &b);
	if (ret)
		return ret;
	for (i = 0; i < len && i < b.len && text[i] == b.data[i]; i++)
		;
	if (i == len && i == b.len) {
		kf_buf_free(&b);
		return 0;
	}
	kf_buf_free(&b);
	position(text, i, &line, &col);
	return mkey_error_set(-EBADMSG, "not in the exact form mkey writes (first "
			      "difference at line %d, column %d): key files are "
			      "written only by mkey; restore it from a backup", line, col);
}

int mkey_keyfile_parse(const void *data, size_t len, struct mkey_keyfile **out)
{
	const char *text = data;
	struct json_tokener *tok;
	struct json_object *root = NULL;
	struct mkey_keyfile *kf;
	int ret;

	*out = NULL;
	if (len > MKEY_KEYFILE_MAX_BYTES)
		return mkey_error_set(-EFBIG, "%zu bytes; key files are at most %d bytes",
				      len, MKEY_KEYFILE_MAX_BYTES);
	if (len == 0)
		return mkey_error_set(-EBADMSG, "the file is empty");
	if (memchr(text, '\0', len))
		return mkey_error_set(-EBADMSG, "the file holds a NUL byte: not a key file");
	tok = json_tokener_new_ex(MAX_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root) {
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		size_t at = json_tokener_get_parse_end(tok);
		int line, col;

		position(text, at < len ? at : len, &line, &col);
		json_tokener_free(tok);
		return mkey_error_set(-EBADMSG, "not valid JSON (line %d, column %d: %s)",
				      line, col, jerr == json_tokener_continue ?
				      "unexpected end of file" :
				      json_tokener_error_desc(jerr));
	}
	if (json_tokener_get_parse_end(tok) != len) {
		int line, col;

		position(text, json_tokener_get_parse_end(tok), &line, &col);
		json_tokener_free(tok);
		json_object_put(root);
		return mkey_error_set(-EBADMSG, "data after the JSON object (line %d, "
				      "column %d)", line, col);
	}
	json_tokener_free(tok);
	ret = scan_duplicates(text, len);
	if (ret) {
		json_object_put(root);
		return ret;
	}
	kf = kf_alloc();
	if (!kf) {
		json_object_put(root);
		return -ENOMEM;
	}
	ret = parse_root(kf, root);
	json_object_put(root);
	if (!ret)
		ret = check_canonical(kf, text, len);
	if (ret) {
		mkey_keyfile_free(kf);
		return ret;
	}
	*out = kf;
	return 0;
}
