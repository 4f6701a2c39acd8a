/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error convention: every libmkey function that can fail returns 0 (or a
 * non-negative count) on success and a negative errno on failure. When the
 * errno alone cannot say what went wrong (the kernel refused a table, which
 * process holds a device open), the failing call also leaves a one-line
 * detail for the calling thread, read with mkey_error_detail().
 */
#ifndef MKEY_ERROR_H
#define MKEY_ERROR_H

/* Detail left by the last failing libmkey call in this thread, or "". */
const char *mkey_error_detail(void);

/* Forget the detail (callers do this before a call whose detail they read). */
void mkey_error_clear(void);

/* strerror() for libmkey's negative errnos, with mkey-specific wording. */
const char *mkey_strerror(int err);

#endif
