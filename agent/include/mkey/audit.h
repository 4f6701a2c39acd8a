/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Audit trail of key events: syslog(3), facility LOG_AUTHPRIV, ident
 * "mkey". One line per event, "event=NAME key=value ...": GUIDs, file
 * ids, administrator names, paths; never a password or key byte.
 */
#ifndef MKEY_AUDIT_H
#define MKEY_AUDIT_H

#include <stdarg.h>

/* The events (their names are the "event=" values, docs/key-file.md). */
enum mkey_audit_event {
	MKEY_AUDIT_KEYFILE_CREATED,	/* keyfile-created */
	MKEY_AUDIT_KEY_ADDED,		/* key-added */
	MKEY_AUDIT_KEY_IMPORTED,	/* key-imported */
	MKEY_AUDIT_KEY_DELETED,		/* key-deleted */
	MKEY_AUDIT_DEFAULT_KEY_SET,	/* default-key-set */
	MKEY_AUDIT_ADMIN_ADDED,		/* admin-added */
	MKEY_AUDIT_ADMIN_REMOVED,	/* admin-removed */
	MKEY_AUDIT_PASSWORD_CHANGED,	/* password-changed */
	MKEY_AUDIT_AUTH_FAILED,		/* auth-failed: wrong password, unknown admin */
	MKEY_AUDIT_INTEGRITY_FAILED,	/* integrity-failed: file MAC mismatch */
	MKEY_AUDIT_KEY_ACTIVATED,	/* key-activated */
	MKEY_AUDIT_KEY_DEACTIVATED,	/* key-deactivated */
	MKEY_AUDIT_DEACTIVATE_REFUSED,	/* deactivate-refused */
	MKEY_AUDIT_KEYFILE_BACKUP,	/* keyfile-backup */
	MKEY_AUDIT__COUNT,
};

const char *mkey_audit_event_name(enum mkey_audit_event ev);

/*
 * Logs "event=NAME <fields> uid=N". @fields is a printf format of
 * key=value pairs; values that may hold blanks or quotes (paths) should
 * be passed through mkey_audit_quote(). Failures and refusals are logged
 * at LOG_WARNING, the rest at LOG_NOTICE.
 */
void mkey_audit(enum mkey_audit_event ev, const char *fields, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * "\"...\"" with backslash, quote and control characters escaped, for a
 * value in an audit line. Returns @buf.
 */
const char *mkey_audit_quote(const char *value, char *buf, size_t len);

/*
 * For tests: send audit lines to @hook instead of syslog (NULL restores
 * syslog). Only code in the same process can set it; there is no
 * environment or file switch.
 */
void mkey_audit_set_hook(void (*hook)(int priority, const char *line, void *ctx),
			 void *ctx);

#endif
