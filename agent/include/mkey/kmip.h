/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data keys on KMIP servers (docs/kmip.md).
 *
 * A *server definition* (/etc/mkey/kmip/NAME.conf) lists one or more KMIP
 * servers that hold the same keys, with the CA, client certificate and key
 * used for mutual TLS. A client tries the servers in order; see
 * "Failover" in docs/kmip.md for exactly when it moves on to the next one.
 *
 * An mkey key on a KMIP server is an AES-128/192/256 symmetric key named
 * "mkey:<GUID>". The XTS key material dm-mkey uses (twice the AES size) is
 * derived from it with HKDF (mkey_kmip_derive_xts()). The state file
 * keys.json beside the definitions records, per GUID, the definition and
 * the server's Unique Identifier.
 *
 * Errors follow libmkey's convention; a failed KMIP operation gives an
 * errno chosen from the server's ResultReason and a detail quoting it:
 *   "127.0.0.1:5696: Item Not Found: Could not locate object: 7".
 * When no server answered: -EHOSTUNREACH, the detail naming each server
 * and its error.
 */
#ifndef MKEY_KMIP_H
#define MKEY_KMIP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keyutils.h>

#include "mkey/guid.h"
#include "mkey/secmem.h"

#define MKEY_KMIP_DEFAULT_DIR	"/etc/mkey/kmip"
#define MKEY_KMIP_STATE_FILE	"keys.json"
#define MKEY_KMIP_DEFAULT_PORT	5696
#define MKEY_KMIP_MAX_SERVERS	8
#define MKEY_KMIP_NAME_MAX	64	/* definition name: [A-Za-z0-9_.-], not starting with '.' */
#define MKEY_KMIP_HOST_MAX	253
#define MKEY_KMIP_UID_MAX	255	/* Unique Identifier: printable ASCII */
#define MKEY_KMIP_KEY_PREFIX	"mkey:"	/* object Name = "mkey:<GUID>" */
#define MKEY_KMIP_DESC_MAX	256
#define MKEY_KMIP_LOCATE_MAX	1024	/* most objects one Locate lists */

/* ---------------------------------------------------------------- config */

struct mkey_kmip_server {
	char host[MKEY_KMIP_HOST_MAX + 1];	/* name, IPv4 or IPv6 literal */
	uint16_t port;
	char label[MKEY_KMIP_HOST_MAX + 10];	/* "host:port" / "[v6]:port" */
};

struct mkey_kmip_config {
	char name[MKEY_KMIP_NAME_MAX + 1];
	char path[PATH_MAX];	/* the definition file */
	char dir[PATH_MAX];	/* its directory; the state file lives there */
	int n_servers;
	struct mkey_kmip_server servers[MKEY_KMIP_MAX_SERVERS];
	char ca[PATH_MAX];	/* CA certificate(s), PEM */
	char cert[PATH_MAX];	/* client certificate (chain), PEM */
	char key[PATH_MAX];	/* client private key, PEM, unencrypted, 0600/0400 */
	unsigned int connect_timeout_ms;	/* TCP connect + TLS handshake */
	unsigned int timeout_ms;		/* one request and its response */
	int proto_major, proto_minor;		/* KMIP version spoken (1.0..1.4) */
};

/*
 * Loads a server definition. @name is a definition name, looked up as
 * DIR/NAME.conf (@dir NULL: MKEY_KMIP_DEFAULT_DIR), or a path (it contains
 * a '/') to a definition file, whose directory then holds the state file.
 * Strict: -EINVAL with a detail "FILE:LINE: ..." for any syntax error,
 * unknown or repeated setting, missing server/ca/cert/key; -ENOENT when
 * there is no such definition; -EPERM when the file is writable by group
 * or others or owned by another user than root or the caller (detail says
 * so). *out is freed with mkey_kmip_config_free().
 */
int mkey_kmip_config_load(const char *dir, const char *name,
			  struct mkey_kmip_config **out);

/* The same parser over a buffer (tests); @path names it in details. */
int mkey_kmip_config_parse(const char *text, size_t len, const char *path,
			   struct mkey_kmip_config *cfg);

void mkey_kmip_config_free(struct mkey_kmip_config *cfg);

/* 0 if @name is a valid definition name, else -EINVAL. */
int mkey_kmip_name_check(const char *name);

/* ---------------------------------------------------------------- client */

struct mkey_kmip_client;

/*
 * A client for the servers of @cfg (copied). Loads the CA, the client
 * certificate and key at once, so file problems are reported before any
 * server is contacted; the client key must be a regular file owned by
 * root or the caller with no group/other permissions (-EPERM otherwise).
 * No connection is made yet.
 */
int mkey_kmip_client_new(const struct mkey_kmip_config *cfg,
			 struct mkey_kmip_client **out);
void mkey_kmip_client_free(struct mkey_kmip_client *c);

const struct mkey_kmip_config *mkey_kmip_client_config(const struct mkey_kmip_client *c);

/* "host:port" of the server that answered the last request, or NULL. */
const char *mkey_kmip_answered_by(const struct mkey_kmip_client *c);

/*
 * The servers this client tried and that did not answer, with why:
 * "127.0.0.1:5696: connection refused; ..." ("" when none).
 */
const char *mkey_kmip_failures(const struct mkey_kmip_client *c);

/* Use only server @index (0-based) from now on: no failover (diagnostics). */
int mkey_kmip_client_pin(struct mkey_kmip_client *c, int index);

/* Sets the timeouts (ms; 0 keeps the configured one). For tests. */
void mkey_kmip_client_set_timeouts(struct mkey_kmip_client *c,
				   unsigned int connect_ms, unsigned int io_ms);

/* ---- operations (one request each) ---- */

enum mkey_kmip_state {
	MKEY_KMIP_STATE_UNKNOWN = 0,
	MKEY_KMIP_STATE_PRE_ACTIVE = 1,
	MKEY_KMIP_STATE_ACTIVE = 2,
	MKEY_KMIP_STATE_DEACTIVATED = 3,
	MKEY_KMIP_STATE_COMPROMISED = 4,
	MKEY_KMIP_STATE_DESTROYED = 5,
	MKEY_KMIP_STATE_DESTROYED_COMPROMISED = 6,
};
const char *mkey_kmip_state_name(uint32_t state);

struct mkey_kmip_object {
	char uid[MKEY_KMIP_UID_MAX + 1];
	int n_names;
	char name[256];			/* the mkey name if any, else the first, or "" */
	bool have_guid;			/* a name is "mkey:<GUID>" */
	struct mkey_guid guid;
	uint32_t object_type;		/* 2 = symmetric key; 0 unknown */
	uint32_t algorithm;		/* 3 = AES; 0 unknown */
	int32_t bits;			/* Cryptographic Length; 0 unknown */
	uint32_t state;			/* enum mkey_kmip_state */
	int64_t initial_date;		/* 0 unknown */
};

struct mkey_kmip_version {
	int major, minor;
};

struct mkey_kmip_server_info {
	char vendor[256];
	int n_ops;
	uint32_t ops[64];
	int n_objects;
	uint32_t objects[32];
	int n_versions;
	struct mkey_kmip_version versions[16];
	bool have_query, have_versions;
};

/* Create an AES key of @bits (128/192/256) named @name; its identifier. */
int mkey_kmip_create(struct mkey_kmip_client *c, uint32_t bits, const char *name,
		     char uid[MKEY_KMIP_UID_MAX + 1]);
int mkey_kmip_activate(struct mkey_kmip_client *c, const char *uid);
/*
 * Get a symmetric key's material into a new secure buffer; @alg and @bits
 * (may be NULL) from the key block. Key material is never logged.
 */
int mkey_kmip_get(struct mkey_kmip_client *c, const char *uid,
		  struct mkey_secbuf **key, uint32_t *alg, int32_t *bits);
/*
 * Locate symmetric keys, all of them or those named @name. Returns the
 * count and a malloc'ed array (free() it; NULL when 0).
 */
int mkey_kmip_locate(struct mkey_kmip_client *c, const char *name,
		     char (**uids)[MKEY_KMIP_UID_MAX + 1]);
/* GetAttributes: name(s), object type, algorithm, length, state, initial date. */
int mkey_kmip_get_object(struct mkey_kmip_client *c, const char *uid,
			 struct mkey_kmip_object *obj);
/* Revoke: @compromised selects Key Compromise, else Cessation of Operation. */
int mkey_kmip_revoke(struct mkey_kmip_client *c, const char *uid, bool compromised,
		     const char *message);
int mkey_kmip_destroy(struct mkey_kmip_client *c, const char *uid);
/*
 * Query (operations, objects, server information) and DiscoverVersions.
 * A server that refuses one of them still fills the other (have_*).
 */
int mkey_kmip_query(struct mkey_kmip_client *c, struct mkey_kmip_server_info *info);

/* "Create", "Get", ...; "operation 0x2A" for others. */
const char *mkey_kmip_op_name(uint32_t op, char *buf, size_t len);

/* ---------------------------------------------------------------- mkey keys */

/* One record of the state file: which KMIP object holds key GUID. */
struct mkey_kmip_keyrec {
	struct mkey_guid guid;
	char server[MKEY_KMIP_NAME_MAX + 1];	/* definition name */
	char uid[MKEY_KMIP_UID_MAX + 1];
	uint32_t bits;				/* AES size on the server */
	char description[MKEY_KMIP_DESC_MAX + 1];
	int64_t created;			/* seconds since the epoch */
	bool recorded_here;	/* lookups: the state file has it for this definition */
};

/*
 * The state file DIR/keys.json (@dir NULL: MKEY_KMIP_DEFAULT_DIR). Load
 * returns the count and a malloc'ed array (NULL when 0; a missing file is
 * an empty one); -EBADMSG with a detail for a malformed file. Updates take
 * an exclusive lock and replace the file atomically and durably.
 */
int mkey_kmip_keys_load(const char *dir, struct mkey_kmip_keyrec **recs);
int mkey_kmip_keys_find(const char *dir, const struct mkey_guid *guid,
			struct mkey_kmip_keyrec *rec);	/* -ENOENT */
int mkey_kmip_keys_put(const char *dir, const struct mkey_kmip_keyrec *rec);
int mkey_kmip_keys_remove(const char *dir, const struct mkey_guid *guid); /* -ENOENT */

/*
 * Creates a new mkey key: a new GUID, Create of an AES-@bits key named
 * "mkey:<GUID>", a record in the state file, Activate. @rec receives the
 * record. When Create succeeded but a later step failed, the error is
 * returned with rec->uid set (the object exists on the server).
 */
int mkey_kmip_key_create(struct mkey_kmip_client *c, uint32_t bits,
			 const char *description, struct mkey_kmip_keyrec *rec);

/*
 * Finds the KMIP object of key @guid: the state file's identifier when the
 * record names this definition, else Locate by name "mkey:<GUID>" (exactly
 * one object must match). GetAttributes then confirms that the object
 * carries that name (-EKEYREJECTED otherwise: the state file and the
 * server disagree). @rec (filled from the state file or the server; bits
 * from the server) and @obj may be NULL.
 */
int mkey_kmip_key_lookup(struct mkey_kmip_client *c, const struct mkey_guid *guid,
			 struct mkey_kmip_keyrec *rec, struct mkey_kmip_object *obj);

/*
 * Lookup + Get + derivation: the XTS key of @guid in a new secure buffer
 * (32/48/64 bytes). The object must be an AES-128/192/256 key in the
 * Active state (-EKEYREVOKED for Deactivated/Compromised, -ENOKEY for a
 * Pre-Active one). Records the key in the state file if it was not.
 */
int mkey_kmip_key_fetch(struct mkey_kmip_client *c, const struct mkey_guid *guid,
			struct mkey_secbuf **xts, struct mkey_kmip_keyrec *rec);

/*
 * Fetch + add to the module keyring (mkey_key_add: -EEXIST when already
 * active, with its serial). Audited.
 */
int mkey_kmip_key_activate(struct mkey_kmip_client *c, const struct mkey_guid *guid,
			   key_serial_t *serial, struct mkey_kmip_keyrec *rec);

/*
 * Destroys key @guid: refused (-EBUSY, detail naming the volumes) while
 * it is active here and a mapping that uses it is open; otherwise the
 * object is looked up (so an unreachable server changes nothing), the key
 * is deactivated here (closed mappings removed), revoked on the server if
 * it is Active, destroyed, and its record removed. Audited.
 */
int mkey_kmip_key_destroy(struct mkey_kmip_client *c, const struct mkey_guid *guid,
			  struct mkey_kmip_keyrec *rec);

/*
 * The XTS key for @guid from the KMIP key material @k (16, 24 or 32
 * bytes): HKDF-SHA256(IKM = @k, salt = the 16 GUID bytes,
 * info = MKEY_KMIP_XTS_INFO), 2 * @n bytes.
 */
#define MKEY_KMIP_XTS_INFO "dm-mkey KMIP XTS key v1"
int mkey_kmip_derive_xts(const uint8_t *k, size_t n, const struct mkey_guid *guid,
			 struct mkey_secbuf **xts);

/*
 * The key source "kmip" (mkey/keysource.h): @location is a definition
 * name or path as for mkey_kmip_config_load(); loads config, makes a
 * client and fetches @guid.
 */
int mkey_kmip_key_source_load(const char *location, const struct mkey_guid *guid,
			      struct mkey_secbuf **key);

#endif
