/* SPDX-License-Identifier: GPL-2.0 */
/* Internal: set the per-thread detail that mkey_error_detail() returns. */
#ifndef MKEY_ERROR_DETAIL_H
#define MKEY_ERROR_DETAIL_H

/* Records a printf-style detail and returns @err, so callers can
 * "return mkey_error_set(-EBUSY, "mounted on %s", mp);". */
int mkey_error_set(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
