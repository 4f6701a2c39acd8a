// SPDX-License-Identifier: GPL-2.0
/* Audit lines to syslog (LOG_AUTHPRIV), see mkey/audit.h. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "mkey/audit.h"

static const char *const event_names[MKEY_AUDIT__COUNT] = {
	[MKEY_AUDIT_KEYFILE_CREATED] = "keyfile-created",
	[MKEY_AUDIT_KEY_ADDED] = "key-added",
	[MKEY_AUDIT_KEY_IMPORTED] = "key-imported",
	[MKEY_AUDIT_KEY_DELETED] = "key-deleted",
	[MKEY_AUDIT_DEFAULT_KEY_SET] = "default-key-set",
	[MKEY_AUDIT_ADMIN_ADDED] = "admin-added",
	[MKEY_AUDIT_ADMIN_REMOVED] = "admin-removed",
	[MKEY_AUDIT_PASSWORD_CHANGED] = "password-changed",
	[MKEY_AUDIT_AUTH_FAILED] = "auth-failed",
	[MKEY_AUDIT_INTEGRITY_FAILED] = "integrity-failed",
	[MKEY_AUDIT_KEY_ACTIVATED] = "key-activated",
	[MKEY_AUDIT_KEY_DEACTIVATED] = "key-deactivated",
	[MKEY_AUDIT_DEACTIVATE_REFUSED] = "deactivate-refused",
	[MKEY_AUDIT_KEYFILE_BACKUP] = "keyfile-backup",
};

static void (*audit_hook)(int, const char *, void *);
static void *audit_hook_ctx;

const char *mkey_audit_event_name(enum mkey_audit_event ev)
{
	if ((unsigned int)ev >= MKEY_AUDIT__COUNT)
		return "unknown";
	return event_names[ev];
}

void mkey_audit_set_hook(void (*hook)(int priority, const char *line, void *ctx),
			 void *ctx)
{
	audit_hook = hook;
	audit_hook_ctx = ctx;
}

const char *mkey_audit_quote(const char *value, char *buf, size_t len)
{
	size_t o = 0;

	if (len < 3) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		char esc[5];
		size_t n;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			n = 4;
		} else {
			esc[0] = (char)*p;
			n = 1;
		}
		if (o + n + 2 > len)
			break;
		for (size_t i = 0; i < n; i++)
			buf[o++] = esc[i];
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int event_priority(enum mkey_audit_event ev)
{
	switch (ev) {
	case MKEY_AUDIT_AUTH_FAILED:
	case MKEY_AUDIT_INTEGRITY_FAILED:
	case MKEY_AUDIT_DEACTIVATE_REFUSED:
		return LOG_WARNING;
	default:
		return LOG_NOTICE;
	}
}

void mkey_audit(enum mkey_audit_event ev, const char *fields, ...)
{
	char rest[1536], line[2048];
	int prio = event_priority(ev);
	va_list ap;

	va_start(ap, fields);
	vsnprintf(rest, sizeof(rest), fields, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "event=%s%s%s uid=%u", mkey_audit_event_name(ev),
		 rest[0] ? " " : "", rest, (unsigned int)getuid());
	if (audit_hook) {
		audit_hook(prio, line, audit_hook_ctx);
		return;
	}
	/*
	 * Ident "mkey" whatever the program is called, so that one filter
	 * catches every key event; the facility is given per message too.
	 */
	openlog("mkey", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_AUTHPRIV | prio, "%s", line);
}
