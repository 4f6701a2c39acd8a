/* SPDX-License-Identifier: GPL-2.0 */
/* mkey-agent: opens the volumes of /etc/mkeytab at boot (docs/boot.md). */
#ifndef MKEY_AGENT_H
#define MKEY_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "mkey/guid.h"
#include "mkey/mkeytab.h"
#include "mkey/secmem.h"

/* Exit codes (mkey-agent(8)). */
enum {
	AGENT_OK = 0,
	AGENT_FAILED = 1,	/* a volume could not be opened */
	AGENT_USAGE = 2,	/* bad command line, unknown volume */
	AGENT_CONFIG = 3,	/* /etc/mkeytab or startup.conf has errors */
};

/* How an administrator is asked for a name and password. */
enum prompt_method {
	PROMPT_AUTO = 0,	/* tty, else systemd-ask-password, else plymouth, else console */
	PROMPT_TTY,		/* the controlling terminal */
	PROMPT_CONSOLE,		/* /dev/console (the initramfs) */
	PROMPT_ASK_PASSWORD,	/* systemd-ask-password (plymouth, console, wall agents) */
	PROMPT_PLYMOUTH,	/* plymouth ask-for-password */
};

struct agent {
	const char *tab_path;		/* /etc/mkeytab */
	const char *confdir;		/* /etc/mkey */
	bool initramfs;			/* running in the initramfs */
	enum prompt_method prompt;
	unsigned int device_timeout;	/* seconds to wait for a device to appear */
	const char *tty;		/* PROMPT_CONSOLE: which terminal */
};

/* ---- log.c ---- */

/*
 * Messages go to stderr: under systemd (JOURNAL_STREAM set) with the
 * "<N>" priority prefix that the journal reads, otherwise as
 * "mkey-agent: ...". With log_to_kmsg set (the initramfs, where no journal
 * runs yet) they are also written to /dev/kmsg, so the journal of the
 * booted system still has them.
 */
extern bool log_to_kmsg;
extern bool log_quiet_info;	/* drop LOG_INFO and below (list/probe) */
void agent_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...)	agent_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	agent_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	agent_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	agent_log(LOG_INFO, __VA_ARGS__)

/* ---- prompt.c ---- */

/* "the terminal", "the console", "systemd-ask-password", "plymouth" */
const char *prompt_method_name(enum prompt_method m);

/* Resolves PROMPT_AUTO for this process. */
enum prompt_method prompt_resolve(const struct agent *ag);

/* Asks a question whose answer is shown while typed (an administrator name). */
int prompt_text(const struct agent *ag, enum prompt_method m, const char *id,
		const char *question, char *answer, size_t len);

/* Asks for a password (not shown); the answer goes to a secure buffer. */
int prompt_secret(const struct agent *ag, enum prompt_method m, const char *id,
		  const char *question, struct mkey_secbuf **out);

/* Tells the person at the prompt something ("Wrong password ..."). */
void prompt_say(const struct agent *ag, enum prompt_method m, const char *msg);

/* ---- unlock.c ---- */

/*
 * Opens the volume of one table entry: finds its device (waiting up to
 * device_timeout seconds), reads its label, loads dm-mkey, activates its
 * key file's keys unless the volume's key is already active (unattended
 * secret or interactive prompt, per the key file's startup setting) and
 * creates /dev/mapper/NAME. A volume that is already open is success.
 * Every failure is logged with what was expected where and how to
 * recover. Returns 0 or a negative errno.
 */
int unlock_volume(const struct agent *ag, const struct mkey_tab_entry *e);

/* Runs modprobe dm-mkey unless the module is loaded. */
int ensure_module(void);

/*
 * Finds the block device whose dm-mkey label has @uuid, scanning
 * /sys/class/block; its /dev path in @buf. -ENOENT when none has.
 */
int find_volume_by_uuid(const struct mkey_guid *uuid, char *buf, size_t len);

/* ---- generator.c ---- */

/* systemd generator mode (argv[0] "mkey-generator"). */
int generator_main(int argc, char **argv);

#endif
