// SPDX-License-Identifier: GPL-2.0
/*
 * Error details live per thread, like errno, so a library call can say
 * more than an errno without every function growing an error argument.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mkey/error.h"
#include "error-detail.h"

static __thread char detail[512];

int mkey_error_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err;
}

const char *mkey_error_detail(void)
{
	return detail;
}

void mkey_error_clear(void)
{
	detail[0] = '\0';
}

const char *mkey_strerror(int err)
{
	/* Errnos that libmkey gives a meaning of its own. */
	switch (err) {
	case -ENODATA:
		return "no dm-mkey label";
	case -EBADMSG:
		return "corrupt data (bad checksum or malformed)";
	case -EPROTONOSUPPORT:
		return "unsupported label version";
	case -ENOKEY:
		return "key is not active";
	case -EKEYREJECTED:
		return "wrong key (key check value does not match)";
	case -EKEYREVOKED:
		return "key has been revoked";
	case -EKEYEXPIRED:
		return "key has expired";
	case -ENOPKG:
		return "dm-mkey module is not loaded";
	case -EMEDIUMTYPE:
		return "not a dm-mkey mapping";
	case -ENXIO:
		return "no such mapping";
	case -EMSGSIZE:
		return "key has the wrong length";
	case -ENOSPC:
		return "device too small";
	case -EBUSY:
		return "in use";
	case -EFBIG:
		return "label's data area extends past the end of the device";
	}
	return strerror(err < 0 ? -err : err);
}
