/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running the mkey program from a unit test: its exit status, stdout and
 * stderr, with stdin from a file. run_mkey_hooked() runs a function in the
 * child first (the syslog capture uses it to give the child its own /dev).
 */
#ifndef MKEY_CLI_RUN_H
#define MKEY_CLI_RUN_H

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit-util.h"

struct run {
	int status;		/* exit code, or 128 + signal */
	char out[65536];
	char err[8192];
};

/* MKEY_BIN, else the mkey built next to this test: build[/asan]/mkey. */
static inline const char *mkey_bin(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (getenv("MKEY_BIN"))
		return getenv("MKEY_BIN");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "mkey";
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../../mkey", dirname(exe));
	return path;
}

static inline void slurp(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Runs mkey with @args (NULL-terminated), stdin from @in (NULL: /dev/null),
 * in a new session without a controlling terminal.
 */
static inline void run_mkey_hooked(struct run *r, const char *in, const char *const *args,
			    void (*hook)(void *), void *ctx)
{
	char outp[64], errp[64];
	const char *argv[32];
	int out, err, i, st;
	pid_t pid;

	argv[0] = "mkey";
	for (i = 0; i < 30 && args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	out = make_temp_device(0, outp);
	err = make_temp_device(0, errp);
	unlink(outp);
	unlink(errp);
	pid = fork();
	if (pid == 0) {
		int fd;

		/* No controlling terminal: nothing may prompt the person running the tests. */
		setsid();
		if (hook)
			hook(ctx);
		fd = open(in ? in : "/dev/null", O_RDONLY);
		dup2(fd, 0);
		dup2(out, 1);
		dup2(err, 2);
		execv(mkey_bin(), (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

static inline void run_mkey(struct run *r, const char *in, const char *const *args)
{
	run_mkey_hooked(r, in, args, NULL, NULL);
}

#define MKEY(r, ...) run_mkey(r, NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define MKEY_IN(r, in, ...) run_mkey(r, in, (const char *const[]){ __VA_ARGS__, NULL })

#endif
