// SPDX-License-Identifier: GPL-2.0
/*
 * Password input: files and stdin (exactly one trailing newline removed),
 * and the terminal, driven through a pseudo-terminal: no echo, asked twice
 * when confirming, terminal restored after a read and after SIGINT.
 */
#include "kselftest_harness.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "mkey/error.h"
#include "mkey/password.h"
#include "unit-util.h"

FIXTURE(pwfile) {
	char path[64];
	int fd;
	struct mkey_secbuf *pw;
};

FIXTURE_SETUP(pwfile)
{
	self->fd = make_temp_device(0, self->path);
	ASSERT_GE(self->fd, 0);
	self->pw = NULL;
}

FIXTURE_TEARDOWN(pwfile)
{
	mkey_secbuf_free(self->pw);
	close(self->fd);
	unlink(self->path);
}

static void put(int fd, const void *data, size_t len)
{
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, len, 0) != (ssize_t)len)
		abort();
}

#define EXPECT_PW(self, want, wlen)                                           \
	do {                                                                   \
		ASSERT_EQ(0, mkey_password_read_file((self)->path, &(self)->pw)); \
		EXPECT_EQ((size_t)(wlen), (self)->pw->len);                    \
		EXPECT_EQ(0, memcmp((self)->pw->data, want, wlen));            \
		mkey_secbuf_free((self)->pw);                                  \
		(self)->pw = NULL;                                             \
	} while (0)

TEST_F(pwfile, exactly_one_trailing_newline_is_removed)
{
	put(self->fd, "secret", 6);
	EXPECT_PW(self, "secret", 6);
	put(self->fd, "secret\n", 7);
	EXPECT_PW(self, "secret", 6);
	put(self->fd, "secret\n\n", 8);
	EXPECT_PW(self, "secret\n", 7);
	put(self->fd, "secret\r\n", 8);
	EXPECT_PW(self, "secret\r", 7);
	put(self->fd, " spaces kept ", 13);
	EXPECT_PW(self, " spaces kept ", 13);
	put(self->fd, "nul\0inside", 10);
	EXPECT_PW(self, "nul\0inside", 10);
}

TEST_F(pwfile, empty_and_too_long)
{
	char big[MKEY_PASSWORD_MAX + 2];

	EXPECT_EQ(-ENODATA, mkey_password_read_file(self->path, &self->pw));
	put(self->fd, "\n", 1);
	EXPECT_EQ(-ENODATA, mkey_password_read_file(self->path, &self->pw));
	memset(big, 'x', sizeof(big));
	put(self->fd, big, MKEY_PASSWORD_MAX);
	EXPECT_PW(self, big, MKEY_PASSWORD_MAX);
	big[MKEY_PASSWORD_MAX] = '\n';
	put(self->fd, big, MKEY_PASSWORD_MAX + 1);
	EXPECT_PW(self, big, MKEY_PASSWORD_MAX);
	put(self->fd, big, MKEY_PASSWORD_MAX + 2);
	EXPECT_EQ(-EMSGSIZE, mkey_password_read_file(self->path, &self->pw));
	EXPECT_EQ(NULL, self->pw);
	EXPECT_EQ(-ENOENT, mkey_password_read_file("/nonexistent/pw", &self->pw));
}

TEST_F(pwfile, dash_reads_stdin_but_not_a_terminal)
{
	int saved = dup(STDIN_FILENO), master, slave;

	put(self->fd, "from stdin\n", 11);
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(STDIN_FILENO, dup2(self->fd, STDIN_FILENO));
	EXPECT_EQ(0, mkey_password_read_file("-", &self->pw));
	ASSERT_NE(NULL, self->pw);
	EXPECT_EQ(10, self->pw->len);
	mkey_secbuf_free(self->pw);
	self->pw = NULL;
	ASSERT_EQ(0, openpty(&master, &slave, NULL, NULL, NULL));
	dup2(slave, STDIN_FILENO);
	EXPECT_EQ(-ENOTTY, mkey_password_read_file("-", &self->pw));
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(master);
	close(slave);
}

/* ---------------------------------------------------------------- terminal */

struct ptyrun {
	pid_t pid;
	int master;
	int result;	/* pipe: child writes "rc len bytes" */
};

/*
 * Runs mkey_password_prompt(@confirm) in a child whose controlling
 * terminal is a new pty; the parent drives the master side.
 */
static int start_prompt(struct ptyrun *r, bool confirm, int *slave_out)
{
	int slave, pfd[2];

	if (openpty(&r->master, &slave, NULL, NULL, NULL) < 0 || pipe(pfd) < 0)
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		struct mkey_secbuf *pw = NULL;
		char out[2048];
		int rc, n;

		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		close(r->master);
		close(pfd[0]);
		rc = mkey_password_prompt("Password: ", confirm, &pw);
		n = snprintf(out, sizeof(out), "%d %zu ", rc, pw ? pw->len : 0);
		if (pw) {
			memcpy(out + n, pw->data, pw->len);
			n += (int)pw->len;
		}
		if (write(pfd[1], out, (size_t)n) < 0)
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	r->result = pfd[0];
	if (slave_out)
		*slave_out = slave;
	else
		close(slave);
	return 0;
}

/* Reads what the terminal shows until @want appears (or 5 s pass). */
static bool wait_for(int master, const char *want, char *seen, size_t len)
{
	size_t used = strlen(seen);

	for (int i = 0; i < 50; i++) {
		struct pollfd p = { master, POLLIN, 0 };
		ssize_t n;

		if (strstr(seen, want))
			return true;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(master, seen + used, len - used - 1);
		if (n <= 0)
			break;
		used += (size_t)n;
		seen[used] = '\0';
	}
	return strstr(seen, want) != NULL;
}

static void finish(struct ptyrun *r, char *result, size_t len, char *seen, size_t slen)
{
	ssize_t n;
	int st;

	n = read(r->result, result, len - 1);
	result[n > 0 ? n : 0] = '\0';
	waitpid(r->pid, &st, 0);
	/* Whatever else the terminal showed. */
	wait_for(r->master, "\x01never", seen, slen);
	close(r->result);
	close(r->master);
}

TEST(prompt_does_not_echo)
{
	struct ptyrun r;
	char seen[4096] = "", result[256];

	ASSERT_EQ(0, start_prompt(&r, false, NULL));
	ASSERT_TRUE(wait_for(r.master, "Password: ", seen, sizeof(seen)));
	ASSERT_EQ(11, write(r.master, "hunter2 42\n", 11));
	finish(&r, result, sizeof(result), seen, sizeof(seen));
	EXPECT_STREQ("0 10 hunter2 42", result);
	EXPECT_EQ(NULL, strstr(seen, "hunter2")) TH_LOG("terminal showed: %s", seen);
}

TEST(prompt_confirms_twice)
{
	struct ptyrun r;
	char seen[4096] = "", result[256];

	ASSERT_EQ(0, start_prompt(&r, true, NULL));
	ASSERT_TRUE(wait_for(r.master, "Password: ", seen, sizeof(seen)));
	ASSERT_EQ(7, write(r.master, "abcdef\n", 7));
	ASSERT_TRUE(wait_for(r.master, "Repeat the password: ", seen, sizeof(seen)));
	ASSERT_EQ(7, write(r.master, "abcdef\n", 7));
	finish(&r, result, sizeof(result), seen, sizeof(seen));
	EXPECT_STREQ("0 6 abcdef", result);
	EXPECT_EQ(NULL, strstr(seen, "abcdef"));

	seen[0] = '\0';
	ASSERT_EQ(0, start_prompt(&r, true, NULL));
	ASSERT_TRUE(wait_for(r.master, "Password: ", seen, sizeof(seen)));
	ASSERT_EQ(7, write(r.master, "abcdef\n", 7));
	ASSERT_TRUE(wait_for(r.master, "Repeat the password: ", seen, sizeof(seen)));
	ASSERT_EQ(7, write(r.master, "abcdeX\n", 7));
	finish(&r, result, sizeof(result), seen, sizeof(seen));
	EXPECT_STREQ("-22 0 ", result);
}

TEST(empty_password_is_refused)
{
	struct ptyrun r;
	char seen[4096] = "", result[256];

	ASSERT_EQ(0, start_prompt(&r, false, NULL));
	ASSERT_TRUE(wait_for(r.master, "Password: ", seen, sizeof(seen)));
	ASSERT_EQ(1, write(r.master, "\n", 1));
	finish(&r, result, sizeof(result), seen, sizeof(seen));
	EXPECT_STREQ("-61 0 ", result);	/* -ENODATA */
}

TEST(terminal_is_restored_after_sigint)
{
	struct termios t;
	struct ptyrun r;
	char seen[4096] = "", result[256];
	int slave, st;

	ASSERT_EQ(0, start_prompt(&r, false, &slave));
	ASSERT_TRUE(wait_for(r.master, "Password: ", seen, sizeof(seen)));
	ASSERT_EQ(0, tcgetattr(slave, &t));
	EXPECT_EQ(0, t.c_lflag & ECHO);	/* echo is off while it waits */
	kill(r.pid, SIGINT);
	ASSERT_EQ(r.pid, waitpid(r.pid, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGINT, WTERMSIG(st));
	ASSERT_EQ(0, tcgetattr(slave, &t));
	EXPECT_NE(0, t.c_lflag & ECHO);	/* and on again after the signal */
	EXPECT_EQ(0, (int)read(r.result, result, sizeof(result)));
	close(r.result);
	close(r.master);
	close(slave);
}

TEST(no_terminal)
{
	struct mkey_secbuf *pw = NULL;
	char answer[8];
	pid_t pid = fork();
	int st;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		setsid();	/* no controlling terminal any more */
		_exit(mkey_password_prompt("x", false, &pw) == -ENOTTY &&
		      mkey_tty_ask("x", answer, sizeof(answer)) == -ENOTTY ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
