/*
 * Values of a scenario: address and size expressions (README "Values"),
 * cookies, and the small typed fields steps carry.
 */
#ifndef UMN_CONFORMANCE_EXPR_H
#define UMN_CONFORMANCE_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "run.h"

/* Evaluates an expression (string) or a JSON integer of bytes into
 * [0, 2^64); field names the value in the failure message. */
bool eval_expr(struct run *run, json_object *value, const char *field, uint64_t *out);

/* A cookie: a JSON integer in [0, 2^53 - 1]. */
bool get_cookie(struct run *run, json_object *value, uint64_t *out);

/* A JSON integer in [min, max]. */
bool get_uint(struct run *run, json_object *value, const char *field, uint64_t min, uint64_t max, uint64_t *out);

/* A name: [a-z_][a-z0-9_]*, shorter than NAME_MAX_LEN. */
bool get_name(struct run *run, json_object *value, const char *field, const char **out);

bool get_bool(struct run *run, json_object *value, const char *field, bool *out);

/* A string that must be one of choices (NULL-terminated); returns its index in *out. */
bool get_choice(struct run *run, json_object *value, const char *field, const char *const *choices, int *out);

#endif
