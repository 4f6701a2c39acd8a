// SPDX-License-Identifier: GPL-2.0
/*
 * Asking an administrator for a name and a password, wherever the agent
 * runs: on the terminal of whoever started it, through systemd's password
 * agents under systemd (systemd-ask-password: plymouth, the console, wall),
 * through plymouth or on /dev/console in the initramfs.
 *
 * Passwords never pass through argv or the environment: a helper program
 * writes the answer to a pipe that is read straight into a secure buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent.h"
#include "mkey/password.h"

extern char **environ;

static const char *const ask_password_paths[] = {
	"/usr/bin/systemd-ask-password", "/bin/systemd-ask-password", NULL,
};
static const char *const plymouth_paths[] = {
	"/usr/bin/plymouth", "/bin/plymouth", "/sbin/plymouth", NULL,
};

static const char *find_exe(const char *const *paths)
{
	for (int i = 0; paths[i]; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/*
 * Runs @argv with standard input from /dev/null and standard output into
 * @out (at most out->cap bytes; what does not fit makes it fail), standard
 * error inherited. Returns 0 when it exited 0, -ENOEXEC/-errno otherwise.
 */
static int run_capture(char *const argv[], struct mkey_secbuf *out)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status, ret = 0;
	bool overflow = false;
	pid_t pid;

	out->len = 0;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	ret = -posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (ret < 0) {
		close(pipefd[0]);
		return ret;
	}
	for (;;) {
		uint8_t scratch[256];
		ssize_t n;

		if (out->len < out->cap)
			n = read(pipefd[0], out->data + out->len, out->cap - out->len);
		else
			n = read(pipefd[0], scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out->len < out->cap)
			out->len += (size_t)n;
		else {
			overflow = true;
			OPENSSL_cleanse(scratch, sizeof(scratch));
		}
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ret = -ECANCELED;
	else if (overflow)
		ret = -EMSGSIZE;
	if (ret < 0)
		mkey_secbuf_wipe(out);
	return ret;
}

static bool plymouth_running(void)
{
	const char *exe = find_exe(plymouth_paths);
	int status;
	pid_t pid;
	char *argv[] = { (char *)exe, "--ping", NULL };

	if (!exe)
		return false;
	if (posix_spawn(&pid, exe, NULL, NULL, argv, environ) != 0)
		return false;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

const char *prompt_method_name(enum prompt_method m)
{
	switch (m) {
	case PROMPT_TTY:
		return "on the terminal";
	case PROMPT_CONSOLE:
		return "on the console";
	case PROMPT_ASK_PASSWORD:
		return "through systemd-ask-password";
	case PROMPT_PLYMOUTH:
		return "through plymouth";
	default:
		return "auto";
	}
}

enum prompt_method prompt_resolve(const struct agent *ag)
{
	struct stat st;
	int fd;

	if (ag->prompt != PROMPT_AUTO)
		return ag->prompt;
	/* Started by hand from a terminal: ask there. */
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		close(fd);
		return PROMPT_TTY;
	}
	if (!ag->initramfs && stat("/run/systemd/system", &st) == 0 &&
	    find_exe(ask_password_paths))
		return PROMPT_ASK_PASSWORD;
	if (plymouth_running())
		return PROMPT_PLYMOUTH;
	return PROMPT_CONSOLE;
}

/* Removes one trailing newline. */
static void chomp(struct mkey_secbuf *b)
{
	if (b->len && b->data[b->len - 1] == '\n')
		b->data[--b->len] = 0;
}

/*
 * Asks @question through systemd-ask-password or plymouth (@m), @echo for
 * text that is not secret, into a new secure buffer of @cap bytes with the
 * trailing newline removed. -ENOENT when the helper is not installed.
 */
static int ask_external(enum prompt_method m, const char *id, const char *question,
			bool echo, size_t cap, struct mkey_secbuf **out)
{
	char idopt[300], prompt[600];
	char *argv[9];
	int n = 0, ret;

	if (m == PROMPT_ASK_PASSWORD) {
		snprintf(idopt, sizeof(idopt), "--id=%s", id);
		argv[n++] = (char *)find_exe(ask_password_paths);
		argv[n++] = idopt;
		argv[n++] = "--icon=drive-harddisk";
		argv[n++] = "--timeout=0";
		if (echo)
			argv[n++] = "--echo=yes";
		argv[n++] = "--emoji=no";
		argv[n++] = "-n";
		argv[n++] = (char *)question;
	} else {
		snprintf(prompt, sizeof(prompt), "--prompt=%s", question);
		argv[n++] = (char *)find_exe(plymouth_paths);
		argv[n++] = echo ? "ask-question" : "ask-for-password";
		argv[n++] = prompt;
	}
	argv[n] = NULL;
	if (!argv[0])
		return -ENOENT;
	ret = mkey_secbuf_new(cap, out);
	if (ret < 0)
		return ret;
	ret = run_capture(argv, *out);
	if (ret < 0) {
		mkey_secbuf_free(*out);
		*out = NULL;
		return ret;
	}
	chomp(*out);
	return 0;
}

int prompt_text(const struct agent *ag, enum prompt_method m, const char *id,
		const char *question, char *answer, size_t len)
{
	struct mkey_secbuf *buf;
	char prompt[600];
	int ret;

	if (m != PROMPT_ASK_PASSWORD && m != PROMPT_PLYMOUTH) {
		snprintf(prompt, sizeof(prompt), "%s ", question);
		return mkey_tty_ask_on(m == PROMPT_CONSOLE ? ag->tty : NULL, prompt, answer, len);
	}
	ret = ask_external(m, id, question, true, len, &buf);
	if (ret < 0)
		return ret;
	if (buf->len >= len) {
		ret = -EMSGSIZE;
	} else {
		memcpy(answer, buf->data, buf->len);
		answer[buf->len] = 0;
	}
	mkey_secbuf_free(buf);
	return ret;
}

int prompt_secret(const struct agent *ag, enum prompt_method m, const char *id,
		  const char *question, struct mkey_secbuf **out)
{
	struct mkey_secbuf *buf;
	char prompt[600];
	int ret;

	*out = NULL;
	if (m != PROMPT_ASK_PASSWORD && m != PROMPT_PLYMOUTH) {
		snprintf(prompt, sizeof(prompt), "%s ", question);
		return mkey_password_prompt_on(m == PROMPT_CONSOLE ? ag->tty : NULL, prompt,
					       false, out);
	}
	ret = ask_external(m, id, question, false, MKEY_PASSWORD_MAX + 1, &buf);
	if (ret < 0)
		return ret;
	if (buf->len > MKEY_PASSWORD_MAX || buf->len == 0) {
		ret = buf->len ? -EMSGSIZE : -ENODATA;
		mkey_secbuf_free(buf);
		return ret;
	}
	*out = buf;
	return 0;
}

void prompt_say(const struct agent *ag, enum prompt_method m, const char *msg)
{
	const char *tty = m == PROMPT_CONSOLE ? (ag->tty ? ag->tty : "/dev/console") : "/dev/tty";
	int fd;

	switch (m) {
	case PROMPT_PLYMOUTH: {
		char text[600];
		char *argv[] = { (char *)find_exe(plymouth_paths), "display-message", text, NULL };
		pid_t pid;
		int status;

		snprintf(text, sizeof(text), "--text=%s", msg);
		if (argv[0] && posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0)
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
		log_warn("%s", msg);
		return;
	}
	case PROMPT_ASK_PASSWORD:
		/* The service's standard error goes to the journal and the console. */
		log_warn("%s", msg);
		return;
	default:
		fd = open(tty, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			(void)!write(fd, msg, strlen(msg));
			(void)!write(fd, "\n", 1);
			close(fd);
		}
		return;
	}
}
