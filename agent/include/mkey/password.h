/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Administrator passwords: typed on the terminal without echo, or read
 * from a file (or standard input, "-") for scripts. Never from argv or the
 * environment. Passwords live in secure buffers (mkey/secmem.h).
 */
#ifndef MKEY_PASSWORD_H
#define MKEY_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "mkey/secmem.h"

#define MKEY_PASSWORD_MAX 1024	/* bytes */

/*
 * Reads a password from @path, or from standard input for "-": the whole
 * content, minus exactly one trailing newline. Returns 0, -ENODATA
 * (empty), -EMSGSIZE (longer than MKEY_PASSWORD_MAX), -ENOTTY ("-" while
 * standard input is a terminal: typing there would echo), or the
 * open/read errno.
 */
int mkey_password_read_file(const char *path, struct mkey_secbuf **out);

/*
 * Prompts on the controlling terminal (/dev/tty) with echo off and reads
 * one line. With @confirm the password is asked twice and must match.
 * The terminal is restored on return and on SIGINT/SIGTERM/SIGHUP/SIGQUIT
 * (which then take their default action) and around SIGTSTP. Returns 0,
 * -ENOTTY (no terminal), -ENODATA (empty), -EMSGSIZE, -EINVAL (the two
 * entries differ; detail says so), or an I/O errno.
 */
int mkey_password_prompt(const char *prompt, bool confirm, struct mkey_secbuf **out);

/*
 * Asks @question on the terminal (with echo) and reads a line into
 * @answer (without the newline). Returns 0, -ENOTTY when there is no
 * terminal, or an I/O errno.
 */
int mkey_tty_ask(const char *question, char *answer, size_t len);

/*
 * The same two on another terminal than the controlling one: @tty is its
 * path (NULL: /dev/tty). mkey-agent asks on /dev/console in the
 * initramfs, where no process has a controlling terminal.
 */
int mkey_password_prompt_on(const char *tty, const char *prompt, bool confirm,
			    struct mkey_secbuf **out);
int mkey_tty_ask_on(const char *tty, const char *question, char *answer, size_t len);

#endif
