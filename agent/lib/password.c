// SPDX-License-Identifier: GPL-2.0
/*
 * Password input. The terminal path turns echo off on /dev/tty itself (not
 * on stdin, which may be a pipe) and puts it back however the read ends:
 * normally, by a fatal signal (the handler restores, then re-raises), or
 * around a stop (SIGTSTP restores, SIGCONT turns echo off again).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "mkey/password.h"
#include "error-detail.h"
#include "fileio.h"

int mkey_password_read_file(const char *path, struct mkey_secbuf **out)
{
	struct mkey_secbuf *buf = NULL;
	int ret;

	*out = NULL;
	/* Room for the longest password, its newline, and one byte more. */
	ret = mkey_secret_read(path, MKEY_PASSWORD_MAX + 2, &buf);
	if (ret < 0)
		return ret;
	if (buf->len && buf->data[buf->len - 1] == '\n')
		buf->data[--buf->len] = 0;
	if (buf->len == 0) {
		ret = -ENODATA;
		goto fail;
	}
	if (buf->len > MKEY_PASSWORD_MAX) {
		ret = mkey_error_set(-EMSGSIZE, "longer than %d bytes", MKEY_PASSWORD_MAX);
		goto fail;
	}
	*out = buf;
	return 0;
fail:
	mkey_secbuf_free(buf);
	return ret;
}

/* ---- terminal ---- */

static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved, tty_quiet;
static struct sigaction old_actions[NSIG];
static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void restore_tty(void)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
}

static void on_fatal(int sig)
{
	restore_tty();
	/* The line the user was typing on gets its newline back. */
	if (tty_fd >= 0)
		(void)!write(tty_fd, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_tstp(int sig)
{
	sigset_t set;

	restore_tty();
	signal(SIGTSTP, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* Continued: echo off again, and be ready for the next stop. */
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_quiet);
	signal(SIGTSTP, on_tstp);
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_fatal;
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, &old_actions[fatal_signals[i]]);
	sa.sa_handler = on_tstp;
	sigaction(SIGTSTP, &sa, &old_actions[SIGTSTP]);
}

static void remove_handlers(void)
{
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &old_actions[fatal_signals[i]], NULL);
	sigaction(SIGTSTP, &old_actions[SIGTSTP], NULL);
}

static int tty_open_path(const char *path)
{
	int fd = open(path ? path : "/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return errno == ENXIO || errno == ENOENT || errno == ENODEV ? -ENOTTY : -errno;
	if (!isatty(fd)) {
		close(fd);
		return -ENOTTY;
	}
	return fd;
}

static void tty_write(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* One line from the terminal into @buf; -EMSGSIZE past the cap. */
static int tty_read_line(int fd, struct mkey_secbuf *buf)
{
	bool too_long = false;

	buf->len = 0;
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || c == '\n' || c == '\r')
			break;
		if (buf->len < buf->cap)
			buf->data[buf->len++] = (uint8_t)c;
		else
			too_long = true;
		c = 0;
	}
	if (too_long)
		return mkey_error_set(-EMSGSIZE, "longer than %zu bytes", buf->cap);
	return 0;
}

/* Reads one password with echo off. */
static int read_quiet(int fd, const char *prompt, struct mkey_secbuf *buf)
{
	int ret;

	if (tcgetattr(fd, &tty_saved) < 0)
		return -errno;
	tty_quiet = tty_saved;
	tty_quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	tty_quiet.c_lflag |= ICANON | ISIG;
	tty_fd = fd;
	install_handlers();
	if (tcsetattr(fd, TCSAFLUSH, &tty_quiet) < 0) {
		ret = -errno;
		goto out;
	}
	tty_write(fd, prompt);
	ret = tty_read_line(fd, buf);
	tty_write(fd, "\n");
out:
	restore_tty();
	remove_handlers();
	tty_fd = -1;
	return ret;
}

int mkey_password_prompt(const char *prompt, bool confirm, struct mkey_secbuf **out)
{
	return mkey_password_prompt_on(NULL, prompt, confirm, out);
}

int mkey_password_prompt_on(const char *tty, const char *prompt, bool confirm,
			    struct mkey_secbuf **out)
{
	struct mkey_secbuf *pw = NULL, *again = NULL;
	int fd, ret;

	*out = NULL;
	fd = tty_open_path(tty);
	if (fd < 0)
		return fd;
	ret = mkey_secbuf_new(MKEY_PASSWORD_MAX, &pw);
	if (ret < 0)
		goto out;
	ret = read_quiet(fd, prompt, pw);
	if (ret < 0)
		goto out;
	if (pw->len == 0) {
		ret = -ENODATA;
		goto out;
	}
	if (confirm) {
		ret = mkey_secbuf_new(MKEY_PASSWORD_MAX, &again);
		if (ret < 0)
			goto out;
		ret = read_quiet(fd, "Repeat the password: ", again);
		if (ret < 0)
			goto out;
		if (again->len != pw->len ||
		    CRYPTO_memcmp(again->data, pw->data, pw->len) != 0) {
			ret = mkey_error_set(-EINVAL, "the two passwords differ");
			goto out;
		}
	}
	*out = pw;
	pw = NULL;
out:
	mkey_secbuf_free(again);
	mkey_secbuf_free(pw);
	close(fd);
	return ret;
}

int mkey_tty_ask(const char *question, char *answer, size_t len)
{
	return mkey_tty_ask_on(NULL, question, answer, len);
}

int mkey_tty_ask_on(const char *tty, const char *question, char *answer, size_t len)
{
	size_t used = 0;
	int fd;

	if (!len)
		return -EINVAL;
	fd = tty_open_path(tty);
	if (fd < 0)
		return fd;
	tty_write(fd, question);
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (n == 0 || c == '\n')
			break;
		if (used + 1 < len)
			answer[used++] = c;
	}
	answer[used] = '\0';
	close(fd);
	return 0;
}
