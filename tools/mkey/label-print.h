/* SPDX-License-Identifier: GPL-2.0 */
/* Showing a label as text or JSON (never key material; the KCV is public). */
#ifndef MKEY_LABEL_PRINT_H
#define MKEY_LABEL_PRINT_H

#include <json-c/json.h>
#include <stdio.h>

#include "mkey/label.h"

void label_print_text(FILE *out, const struct mkey_label *l);
struct json_object *label_to_json(const struct mkey_label *l);

/* json_object_to_json_string_ext(PRETTY) + newline on stdout; frees @obj. */
void json_print(struct json_object *obj);

#endif
