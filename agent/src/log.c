// SPDX-License-Identifier: GPL-2.0
/* mkey-agent's messages: the journal under systemd, the console, /dev/kmsg. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

bool log_to_kmsg;
bool log_quiet_info;

static void write_kmsg(int prio, const char *msg)
{
	char line[1200];
	int fd, n;

	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	/* facility daemon (3 << 3), as a service's messages would be */
	n = snprintf(line, sizeof(line), "<%d>mkey-agent: %s\n", (3 << 3) | prio, msg);
	if (n > 0)
		(void)!write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	close(fd);
}

void agent_log(int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (log_quiet_info && prio >= LOG_INFO)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", prio, msg);
	else
		fprintf(stderr, "mkey-agent: %s\n", msg);
	fflush(stderr);
	if (log_to_kmsg && prio <= LOG_NOTICE)
		write_kmsg(prio, msg);
}
