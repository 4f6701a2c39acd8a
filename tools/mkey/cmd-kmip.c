// SPDX-License-Identifier: GPL-2.0
/*
 * KMIP commands: kmip-create, kmip-list, kmip-show, kmip-activate,
 * kmip-destroy, kmip-query (docs/kmip.md). Each names a server definition
 * (/etc/mkey/kmip/NAME.conf, or a path); the library walks its servers in
 * order and the commands say which one answered.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "label-print.h"
#include "mkey/error.h"
#include "mkey/keyfile.h"
#include "mkey/keyring.h"
#include "mkey/kmip.h"
#include "mkey/volume.h"

/* getopt values of the options only these commands take. */
enum {
	OPT_KMIP_CONFIG_DIR = 2000,
	OPT_KMIP_SERVER,
};

struct kmip_args {
	const char *config_dir;		/* --kmip-config-dir */
	uint32_t bits;
	const char *description;
	bool json, yes, all;
	const char *pos[64];
	int npos;
};

#define KMIP_CONFIG_DIR_OPTION \
	{ "kmip-config-dir", required_argument, NULL, OPT_KMIP_CONFIG_DIR }

static int parse(const struct command *cmd, int argc, char **argv,
		 const struct option *opts, int min, int max, const char *names,
		 struct kmip_args *a)
{
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->bits = 256;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KMIP_CONFIG_DIR:
			a->config_dir = optarg;
			break;
		case OPT_BITS:
			if (!parse_key_bits(cmd, optarg, &a->bits))
				return EXIT_USAGE;
			break;
		case OPT_DESCRIPTION:
			if (mkey_key_description_check(optarg) < 0)
				return usage_error(cmd, "--description: %s", mkey_error_detail());
			a->description = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_YES:
			a->yes = true;
			break;
		case OPT_ALL:
			a->all = true;
			break;
		default:
			return getopt_error(cmd, c, argv);
		}
	}
	rc = take_positionals(cmd, argc, argv, min, max, names, a->pos, &a->npos);
	if (rc != EXIT_OK)
		return rc;
	return EXIT_OK;
}

/* Exit code for a KMIP error (docs/kmip.md, "Exit codes"). */
static int kmip_exit_code(int err)
{
	switch (-err) {
	case EACCES:
		return EXIT_AUTH;	/* certificate or authentication refused */
	case EHOSTUNREACH:
	case ETIMEDOUT:
	case ECONNREFUSED:
	case EPROTO:
		return EXIT_SYSTEM;	/* no server answered / transport */
	default:
		return exit_code_for(err);
	}
}

/*
 * "mkey: <what>: <detail>" (the detail says it all: which server, what it
 * answered), with a hint for the cases people trip over.
 */
static int kmip_report(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int kmip_report(int err, const char *fmt, ...)
{
	const char *detail = mkey_error_detail();
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (detail[0])
		error_msg("%s: %s", what, detail);
	else
		error_msg("%s: %s", what, mkey_strerror(err));
	if (strstr(detail, "Authentication Not Successful"))
		error_msg("the server does not accept the client certificate: check that "
			  "it is signed by a CA the server trusts and has the clientAuth "
			  "extended key usage");
	else if (strstr(detail, "server certificate not trusted"))
		error_msg("the server's certificate does not chain to the 'ca' of the "
			  "definition, or does not name the host as written in 'server'");
	else if (err == -ENOPKG)
		error_msg("run 'modprobe dm-mkey' first");
	return kmip_exit_code(err);
}

/* Loads the definition and makes a client; exit code. */
static int kmip_open(const struct kmip_args *a, const char *name,
		     struct mkey_kmip_config **cfg, struct mkey_kmip_client **c)
{
	int ret;

	*cfg = NULL;
	*c = NULL;
	mkey_error_clear();
	ret = mkey_kmip_config_load(a->config_dir, name, cfg);
	if (ret)
		return kmip_report(ret, "KMIP server definition '%s'", name);
	ret = mkey_kmip_client_new(*cfg, c);
	if (ret) {
		kmip_report(ret, "KMIP server definition %s", (*cfg)->path);
		mkey_kmip_config_free(*cfg);
		*cfg = NULL;
		return kmip_exit_code(ret);
	}
	return EXIT_OK;
}

static void kmip_close(struct mkey_kmip_config *cfg, struct mkey_kmip_client *c)
{
	mkey_kmip_client_free(c);
	mkey_kmip_config_free(cfg);
}

/* After a request: which server answered, and which did not before it. */
static void note_failover(const struct mkey_kmip_client *c)
{
	const char *failed = mkey_kmip_failures(c);

	if (failed[0] && mkey_kmip_answered_by(c))
		error_msg("note: KMIP server %s answered; before it: %s",
			  mkey_kmip_answered_by(c), failed);
}

static void time_text(int64_t t, char *buf, size_t len)
{
	if (t <= 0)
		snprintf(buf, len, "-");
	else
		format_time(t, buf, len);
}

/* ---------------------------------------------------------------- kmip-create */

int cmd_kmip_create(int argc, char **argv)
{
	static const struct option opts[] = {
		KMIP_CONFIG_DIR_OPTION,
		{ "bits", required_argument, NULL, OPT_BITS },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("kmip-create");
	struct mkey_kmip_config *cfg;
	struct mkey_kmip_client *c;
	struct mkey_kmip_keyrec rec;
	char guid[MKEY_GUID_STR_LEN + 1];
	struct kmip_args a;
	int rc, ret;

	rc = parse(cmd, argc, argv, opts, 1, 1, "SERVER", &a);
	if (rc != EXIT_OK)
		return rc;
	rc = kmip_open(&a, a.pos[0], &cfg, &c);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = mkey_kmip_key_create(c, a.bits, a.description, &rec);
	note_failover(c);
	if (ret) {
		rc = kmip_report(ret, "cannot create a key on KMIP server%s '%s'",
				 cfg->n_servers > 1 ? "s" : "", cfg->name);
		if (rec.uid[0]) {
			mkey_guid_format(&rec.guid, guid);
			error_msg("the server created object %s (named %s%s) before the "
				  "failure; 'mkey kmip-list %s' shows it", rec.uid,
				  MKEY_KMIP_KEY_PREFIX, guid, a.pos[0]);
		}
		kmip_close(cfg, c);
		return rc;
	}
	mkey_guid_format(&rec.guid, guid);
	if (a.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "guid", json_object_new_string(guid));
		json_object_object_add(o, "server", json_object_new_string(cfg->name));
		json_object_object_add(o, "uid", json_object_new_string(rec.uid));
		json_object_object_add(o, "bits", json_object_new_int64(rec.bits));
		json_object_object_add(o, "answered_by",
				       json_object_new_string(mkey_kmip_answered_by(c)));
		json_print(o);
	} else {
		printf("Created key %s (AES-%u) on KMIP server %s (%s), object %s.\n",
		       guid, rec.bits, mkey_kmip_answered_by(c), cfg->name, rec.uid);
	}
	kmip_close(cfg, c);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- kmip-list */

static struct json_object *object_json(const struct mkey_kmip_object *o, bool active)
{
	struct json_object *j = json_object_new_object();
	char guid[MKEY_GUID_STR_LEN + 1];

	if (o->have_guid)
		mkey_guid_format(&o->guid, guid);
	json_object_object_add(j, "guid", o->have_guid ? json_object_new_string(guid) : NULL);
	json_object_object_add(j, "uid", json_object_new_string(o->uid));
	json_object_object_add(j, "name", o->n_names ? json_object_new_string(o->name) : NULL);
	json_object_object_add(j, "state", json_object_new_string(mkey_kmip_state_name(o->state)));
	json_object_object_add(j, "algorithm", o->algorithm == 3 ?
			       json_object_new_string("AES") : o->algorithm ?
			       json_object_new_int64(o->algorithm) : NULL);
	json_object_object_add(j, "bits", o->bits ? json_object_new_int64(o->bits) : NULL);
	json_object_object_add(j, "active_here", json_object_new_boolean(active));
	return j;
}

static bool active_here(const struct mkey_kmip_object *o)
{
	key_serial_t serial;

	return o->have_guid && mkey_key_find(&o->guid, &serial) == 0;
}

int cmd_kmip_list(int argc, char **argv)
{
	static const struct option opts[] = {
		KMIP_CONFIG_DIR_OPTION,
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("kmip-list");
	char (*uids)[MKEY_KMIP_UID_MAX + 1] = NULL;
	struct mkey_kmip_keyrec *recs = NULL;
	struct mkey_kmip_config *cfg;
	struct mkey_kmip_client *c;
	struct mkey_kmip_object *objs = NULL;
	struct json_object *jarr = NULL;
	struct kmip_args a;
	int rc, n, nrec, ret = 0;

	rc = parse(cmd, argc, argv, opts, 1, 1, "SERVER", &a);
	if (rc != EXIT_OK)
		return rc;
	rc = kmip_open(&a, a.pos[0], &cfg, &c);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	nrec = mkey_kmip_keys_load(cfg->dir, &recs);
	if (nrec < 0) {
		rc = kmip_report(nrec, "cannot read the KMIP key records");
		goto out;
	}
	n = mkey_kmip_locate(c, NULL, &uids);
	if (n < 0) {
		note_failover(c);
		rc = kmip_report(n, "cannot list the keys on KMIP server%s '%s'",
				 cfg->n_servers > 1 ? "s" : "", cfg->name);
		goto out;
	}
	objs = calloc((size_t)n + 1, sizeof(*objs));
	if (!objs) {
		rc = kmip_report(-ENOMEM, "cannot list keys");
		goto out;
	}
	for (int i = 0; i < n && !ret; i++)
		ret = mkey_kmip_get_object(c, uids[i], &objs[i]);
	note_failover(c);
	if (ret) {
		rc = kmip_report(ret, "cannot read the attributes of the keys on '%s'",
				 cfg->name);
		goto out;
	}
	if (a.json) {
		struct json_object *top = json_object_new_object(), *missing;

		jarr = json_object_new_array();
		for (int i = 0; i < n; i++)
			json_object_array_add(jarr, object_json(&objs[i], active_here(&objs[i])));
		json_object_object_add(top, "server", json_object_new_string(cfg->name));
		json_object_object_add(top, "answered_by",
				       json_object_new_string(mkey_kmip_answered_by(c)));
		json_object_object_add(top, "objects", jarr);
		missing = json_object_new_array();
		for (int r = 0; r < nrec; r++) {
			bool found = false;
			char guid[MKEY_GUID_STR_LEN + 1];

			if (strcmp(recs[r].server, cfg->name))
				continue;
			for (int i = 0; i < n; i++)
				found |= !strcmp(objs[i].uid, recs[r].uid);
			if (found)
				continue;
			mkey_guid_format(&recs[r].guid, guid);
			json_object_array_add(missing, json_object_new_string(guid));
		}
		json_object_object_add(top, "recorded_but_missing", missing);
		json_print(top);
		goto out;
	}
	printf("KMIP server %s (%s): %d symmetric key%s\n", mkey_kmip_answered_by(c),
	       cfg->name, n, n == 1 ? "" : "s");
	if (n)
		printf("%-36s  %-12s  %-11s  %-4s  %-6s  %s\n", "GUID", "UID", "STATE",
		       "BITS", "ACTIVE", "DESCRIPTION");
	for (int i = 0; i < n; i++) {
		const struct mkey_kmip_object *o = &objs[i];
		char guid[MKEY_GUID_STR_LEN + 1], bits[16];
		const char *desc = "";

		if (o->have_guid) {
			mkey_guid_format(&o->guid, guid);
			for (int r = 0; r < nrec; r++)
				if (mkey_guid_equal(&recs[r].guid, &o->guid))
					desc = recs[r].description;
		} else {
			snprintf(guid, sizeof(guid), "-");
			desc = o->n_names ? o->name : "(not an mkey key)";
		}
		snprintf(bits, sizeof(bits), o->bits ? "%d" : "-", o->bits);
		printf("%-36s  %-12s  %-11s  %-4s  %-6s  %s\n", guid, o->uid,
		       mkey_kmip_state_name(o->state), bits,
		       active_here(o) ? "yes" : "no", desc);
	}
	for (int r = 0; r < nrec; r++) {
		char guid[MKEY_GUID_STR_LEN + 1];
		bool found = false;

		if (strcmp(recs[r].server, cfg->name))
			continue;
		for (int i = 0; i < n; i++)
			found |= !strcmp(objs[i].uid, recs[r].uid);
		if (found)
			continue;
		mkey_guid_format(&recs[r].guid, guid);
		printf("warning: key %s is recorded as object %s but the server does "
		       "not list it\n", guid, recs[r].uid);
	}
out:
	free(objs);
	free(uids);
	free(recs);
	kmip_close(cfg, c);
	return rc;
}

/* ---------------------------------------------------------------- kmip-show */

int cmd_kmip_show(int argc, char **argv)
{
	static const struct option opts[] = {
		KMIP_CONFIG_DIR_OPTION,
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("kmip-show");
	struct mkey_kmip_config *cfg;
	struct mkey_kmip_client *c;
	struct mkey_kmip_keyrec rec;
	struct mkey_kmip_object o;
	struct mkey_guid g;
	char text[MKEY_GUID_STR_LEN + 1], when[64], users[4096];
	struct kmip_args a;
	bool active;
	int rc, ret, nusers;

	rc = parse(cmd, argc, argv, opts, 2, 2, "SERVER and GUID", &a);
	if (rc != EXIT_OK)
		return rc;
	if (!parse_guid_arg(cmd, "GUID", a.pos[1], &g))
		return EXIT_USAGE;
	mkey_guid_format(&g, text);
	rc = kmip_open(&a, a.pos[0], &cfg, &c);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = mkey_kmip_key_lookup(c, &g, &rec, &o);
	note_failover(c);
	if (ret) {
		rc = kmip_report(ret, "cannot find key %s on '%s'", text, cfg->name);
		kmip_close(cfg, c);
		return rc;
	}
	active = active_here(&o);
	nusers = mkey_volume_key_users(&g, users, sizeof(users));
	if (a.json) {
		struct json_object *j = object_json(&o, active);

		json_object_object_add(j, "server", json_object_new_string(cfg->name));
		json_object_object_add(j, "answered_by",
				       json_object_new_string(mkey_kmip_answered_by(c)));
		json_object_object_add(j, "recorded", json_object_new_boolean(rec.recorded_here));
		json_object_object_add(j, "description", json_object_new_string(rec.description));
		json_print(j);
	} else {
		printf("Key:            %s\n", text);
		printf("Server:         %s (answered: %s)\n", cfg->name, mkey_kmip_answered_by(c));
		printf("Object:         %s (name %s)\n", o.uid, o.name);
		printf("State:          %s\n", mkey_kmip_state_name(o.state));
		if (o.bits)
			printf("Algorithm:      AES-%d (XTS key: %d bytes, derived)\n",
			       o.bits, o.bits / 4);
		time_text(o.initial_date, when, sizeof(when));
		printf("Created:        %s\n", when);
		if (rec.description[0])
			printf("Description:    %s\n", rec.description);
		printf("Recorded:       %s\n", rec.recorded_here ? "yes" :
		       "no (found by name)");
		printf("Active here:    %s\n", active ? "yes" : "no");
		if (nusers > 0)
			printf("Used by:        %s\n", users);
	}
	kmip_close(cfg, c);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- kmip-activate */

int cmd_kmip_activate(int argc, char **argv)
{
	static const struct option opts[] = {
		KMIP_CONFIG_DIR_OPTION,
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("kmip-activate");
	struct mkey_kmip_keyrec *recs = NULL;
	struct mkey_guid guids[64];
	struct mkey_kmip_config *cfg;
	struct mkey_kmip_client *c;
	struct kmip_args a;
	key_serial_t ring;
	int rc, ret, n = 0, nrec, failed = 0, first = 0, added = 0, already = 0;

	rc = parse(cmd, argc, argv, opts, 1, 64, "SERVER [GUID...]", &a);
	if (rc != EXIT_OK)
		return rc;
	for (int i = 1; i < a.npos; i++)
		if (!parse_guid_arg(cmd, "GUID", a.pos[i], &guids[n++]))
			return EXIT_USAGE;
	/* Nothing is fetched when the kernel could not take the keys. */
	ret = mkey_keyring_serial(&ring);
	if (ret < 0)
		return kmip_report(ret, "cannot activate keys");
	rc = kmip_open(&a, a.pos[0], &cfg, &c);
	if (rc != EXIT_OK)
		return rc;
	if (n == 0) {
		mkey_error_clear();
		nrec = mkey_kmip_keys_load(cfg->dir, &recs);
		if (nrec < 0) {
			rc = kmip_report(nrec, "cannot read the KMIP key records");
			kmip_close(cfg, c);
			return rc;
		}
		for (int r = 0; r < nrec && n < 64; r++)
			if (!strcmp(recs[r].server, cfg->name))
				guids[n++] = recs[r].guid;
		free(recs);
		if (n == 0) {
			error_msg("no keys are recorded for '%s' in %s/%s; name the "
				  "GUIDs to activate", cfg->name, cfg->dir,
				  MKEY_KMIP_STATE_FILE);
			kmip_close(cfg, c);
			return EXIT_NOTFOUND;
		}
	}
	for (int i = 0; i < n; i++) {
		struct mkey_kmip_keyrec rec;
		char text[MKEY_GUID_STR_LEN + 1];
		key_serial_t serial;

		mkey_guid_format(&guids[i], text);
		mkey_error_clear();
		ret = mkey_kmip_key_activate(c, &guids[i], &serial, &rec);
		note_failover(c);
		if (ret == 0) {
			printf("Activated key %s (AES-%u) from KMIP server %s, object %s.\n",
			       text, rec.bits, mkey_kmip_answered_by(c), rec.uid);
			added++;
		} else if (ret == -EEXIST) {
			printf("Key %s is already active (serial %d); left unchanged.\n",
			       text, serial);
			already++;
		} else {
			kmip_report(ret, "cannot activate key %s", text);
			if (!first)
				first = ret;
			failed++;
			/* No server answered: the others will not fare better. */
			if (ret == -EHOSTUNREACH)
				break;
		}
	}
	if (n > 1)
		printf("%s: %d of %d keys active (%d activated now, %d already active).\n",
		       cfg->name, added + already, n, added, already);
	kmip_close(cfg, c);
	return failed ? kmip_exit_code(first) : EXIT_OK;
}

/* ---------------------------------------------------------------- kmip-destroy */

static int confirm_destroy(const char *text, const char *server)
{
	char question[512];

	snprintf(question, sizeof(question),
		 "Destroy key %s on KMIP server '%s'?\nEvery volume formatted with it "
		 "becomes unreadable for good.\nType 'yes' to destroy: ", text, server);
	return confirm_yes(question, "destruction", "destroyed", text);
}

int cmd_kmip_destroy(int argc, char **argv)
{
	static const struct option opts[] = {
		KMIP_CONFIG_DIR_OPTION,
		{ "yes", no_argument, NULL, OPT_YES },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("kmip-destroy");
	struct mkey_kmip_config *cfg;
	struct mkey_kmip_client *c;
	struct mkey_kmip_keyrec rec;
	char text[MKEY_GUID_STR_LEN + 1], users[4096];
	struct mkey_guid g;
	struct kmip_args a;
	int rc, ret;

	rc = parse(cmd, argc, argv, opts, 2, 2, "SERVER and GUID", &a);
	if (rc != EXIT_OK)
		return rc;
	if (!parse_guid_arg(cmd, "GUID", a.pos[1], &g))
		return EXIT_USAGE;
	mkey_guid_format(&g, text);
	/* What can be refused is refused before the question. */
	mkey_error_clear();
	ret = mkey_volume_key_users(&g, users, sizeof(users));
	if (ret > 0) {
		error_msg("key %s is used by %s; close the volumes first ('mkey close "
			  "NAME')", text, users);
		return EXIT_BUSY;
	}
	rc = kmip_open(&a, a.pos[0], &cfg, &c);
	if (rc != EXIT_OK)
		return rc;
	if (!a.yes) {
		rc = confirm_destroy(text, cfg->name);
		if (rc != EXIT_OK) {
			kmip_close(cfg, c);
			return rc;
		}
	}
	mkey_error_clear();
	memset(&rec, 0, sizeof(rec));
	ret = mkey_kmip_key_destroy(c, &g, &rec);
	note_failover(c);
	if (ret == -EBUSY) {
		error_msg("%s", mkey_error_detail());
		rc = EXIT_BUSY;
	} else if (ret) {
		rc = kmip_report(ret, "cannot destroy key %s on '%s'", text, cfg->name);
	} else {
		printf("Destroyed key %s on KMIP server %s (%s), object %s.\n", text,
		       mkey_kmip_answered_by(c), cfg->name, rec.uid);
	}
	kmip_close(cfg, c);
	return rc;
}

/* ---------------------------------------------------------------- kmip-query */

static struct json_object *info_json(const struct mkey_kmip_server_info *info)
{
	struct json_object *j = json_object_new_object(), *ops, *vers;
	char buf[32];

	json_object_object_add(j, "vendor", info->have_query ?
			       json_object_new_string(info->vendor) : NULL);
	ops = json_object_new_array();
	for (int i = 0; i < info->n_ops; i++)
		json_object_array_add(ops, json_object_new_string(
			mkey_kmip_op_name(info->ops[i], buf, sizeof(buf))));
	json_object_object_add(j, "operations", info->have_query ? ops : NULL);
	if (!info->have_query)
		json_object_put(ops);
	vers = json_object_new_array();
	for (int i = 0; i < info->n_versions; i++) {
		snprintf(buf, sizeof(buf), "%d.%d", info->versions[i].major,
			 info->versions[i].minor);
		json_object_array_add(vers, json_object_new_string(buf));
	}
	json_object_object_add(j, "versions", info->have_versions ? vers : NULL);
	if (!info->have_versions)
		json_object_put(vers);
	return j;
}

static void info_print(const struct mkey_kmip_server_info *info)
{
	char buf[32];

	if (info->have_query) {
		printf("  Vendor:       %s\n", info->vendor[0] ? info->vendor : "-");
		printf("  Operations:  ");
		for (int i = 0; i < info->n_ops; i++)
			printf("%s %s", i ? "," : "", mkey_kmip_op_name(info->ops[i], buf,
									 sizeof(buf)));
		printf("\n");
	} else {
		printf("  Query:        refused by the server\n");
	}
	if (info->have_versions) {
		printf("  Versions:    ");
		for (int i = 0; i < info->n_versions; i++)
			printf("%s %d.%d", i ? "," : "", info->versions[i].major,
			       info->versions[i].minor);
		printf("\n");
	} else {
		printf("  Versions:     Discover Versions refused by the server\n");
	}
}

int cmd_kmip_query(int argc, char **argv)
{
	static const struct option opts[] = {
		KMIP_CONFIG_DIR_OPTION,
		{ "all", no_argument, NULL, OPT_ALL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("kmip-query");
	struct mkey_kmip_server_info info;
	struct mkey_kmip_config *cfg;
	struct mkey_kmip_client *c;
	struct json_object *jarr = NULL;
	struct kmip_args a;
	int rc, ret, failed = 0, first = 0;

	rc = parse(cmd, argc, argv, opts, 1, 1, "SERVER", &a);
	if (rc != EXIT_OK)
		return rc;
	rc = kmip_open(&a, a.pos[0], &cfg, &c);
	if (rc != EXIT_OK)
		return rc;
	if (!a.all) {
		mkey_error_clear();
		ret = mkey_kmip_query(c, &info);
		note_failover(c);
		if (ret) {
			rc = kmip_report(ret, "cannot query KMIP server%s '%s'",
					 cfg->n_servers > 1 ? "s" : "", cfg->name);
		} else if (a.json) {
			struct json_object *j = info_json(&info);

			json_object_object_add(j, "server", json_object_new_string(cfg->name));
			json_object_object_add(j, "answered_by",
					       json_object_new_string(mkey_kmip_answered_by(c)));
			json_print(j);
		} else {
			printf("KMIP server %s (%s) answered:\n", mkey_kmip_answered_by(c),
			       cfg->name);
			info_print(&info);
		}
		kmip_close(cfg, c);
		return rc;
	}
	/* --all: every server on its own, no failover. */
	if (a.json)
		jarr = json_object_new_array();
	for (int i = 0; i < cfg->n_servers; i++) {
		struct json_object *j;

		mkey_kmip_client_pin(c, i);
		mkey_error_clear();
		ret = mkey_kmip_query(c, &info);
		if (ret) {
			failed++;
			if (!first)
				first = ret;
		}
		if (a.json) {
			j = ret ? json_object_new_object() : info_json(&info);
			json_object_object_add(j, "host",
					       json_object_new_string(cfg->servers[i].label));
			json_object_object_add(j, "error", ret ?
					       json_object_new_string(mkey_error_detail()) : NULL);
			json_object_array_add(jarr, j);
		} else if (ret) {
			/* the detail starts with the server: "host:port: why" */
			printf("%s\n", mkey_error_detail());
		} else {
			printf("%s: answered\n", cfg->servers[i].label);
			info_print(&info);
		}
	}
	if (a.json)
		json_print(jarr);
	kmip_close(cfg, c);
	return failed ? kmip_exit_code(first) : EXIT_OK;
}
