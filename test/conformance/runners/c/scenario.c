#define _GNU_SOURCE
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

static const char *const status_names[] = {
	"OK",	     "CANCELLED",	    "UNKNOWN",		 "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",	"OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL",	    "UNAVAILABLE",	 "DATA_LOSS",	     "UNAUTHENTICATED",   NULL,
};
static const char *const info_fields[] = { "engine",	      "target_alive", "registrations", "max_registrations",
					   "pending_reports", "subscribers",  NULL };
static const char *const invalidation_fields[] = { "cookie", "hint", "start", "end", "sources", NULL };

static bool reject(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool reject(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return false;
}

static bool listed(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

static json_object *get(json_object *obj, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(obj, key, &value) ? value : NULL;
}

/* Every key of obj is in allowed (NULL-terminated). */
static bool only_fields(json_object *obj, const char *const *allowed, const char *what, char *why, size_t size)
{
	json_object_object_foreach(obj, key, value)
	{
		(void)value;
		if (!listed(allowed, key))
			return reject(why, size, "%s: unknown field \"%s\"", what, key);
	}
	return true;
}

static bool is(json_object *value, json_type type)
{
	return value && json_object_is_type(value, type);
}

static bool check_error(json_object *error, const char *what, char *why, size_t size)
{
	static const char *const fields[] = { "code", "errno", NULL };
	json_object *code = get(error, "code"), *err = get(error, "errno");

	if (!is(error, json_type_object))
		return reject(why, size, "%s: error: expected an object", what);
	if (!only_fields(error, fields, what, why, size))
		return false;
	if (!is(code, json_type_string) || !listed(status_names, json_object_get_string(code)))
		return reject(why, size, "%s: error.code: expected a gRPC status name", what);
	if (err && !is(err, json_type_string))
		return reject(why, size, "%s: error.errno: expected an errno name", what);
	return true;
}

static bool check_matchers(json_object *expect, bool invalidations_only, const char *what, char *why, size_t size)
{
	if (!is(expect, json_type_array))
		return reject(why, size, "%s: expect: expected a list of matchers", what);
	for (size_t i = 0; i < json_object_array_length(expect); i++) {
		json_object *m = json_object_array_get_idx(expect, i), *body = NULL;
		const char *kind = NULL;

		if (!is(m, json_type_object) || json_object_object_length(m) != 1)
			return reject(why, size, "%s: expect[%zu]: expected an object with one key", what, i);
		json_object_object_foreach(m, key, value)
		{
			kind = key;
			body = value;
		}
		if (!is(body, json_type_object))
			return reject(why, size, "%s: expect[%zu].%s: expected an object", what, i, kind);
		if (strcmp(kind, "invalidation") == 0) {
			json_object *hint = get(body, "hint"), *sources = get(body, "sources");

			if (!only_fields(body, invalidation_fields, what, why, size))
				return false;
			if (!get(body, "cookie"))
				return reject(why, size, "%s: expect[%zu].invalidation: no cookie", what, i);
			if (hint && !is(hint, json_type_boolean))
				return reject(why, size, "%s: expect[%zu].invalidation.hint: expected true or false", what, i);
			if (sources && !is(sources, json_type_array))
				return reject(why, size, "%s: expect[%zu].invalidation.sources: expected a list", what, i);
			/* Duplicate cookies could never match: reports coalesce. */
			for (size_t j = 0; j < i; j++) {
				json_object *other = json_object_array_get_idx(expect, j), *ob;

				if (json_object_object_get_ex(other, "invalidation", &ob) &&
				    json_object_equal(get(ob, "cookie"), get(body, "cookie")))
					return reject(why, size, "%s: expect[%zu]: a second matcher for one cookie", what, i);
			}
		} else if (invalidations_only) {
			return reject(why, size, "%s: expect[%zu]: only invalidation matchers here, not \"%s\"", what, i, kind);
		} else if (strcmp(kind, "last") == 0 || strcmp(kind, "target_exited") == 0) {
			if (json_object_object_length(body) != 0)
				return reject(why, size, "%s: expect[%zu].%s: takes no fields", what, i, kind);
		} else {
			return reject(why, size, "%s: expect[%zu]: unknown matcher \"%s\"", what, i, kind);
		}
	}
	return true;
}

static bool check_shape(const struct op_spec *spec, json_object *step, const char *what, char *why, size_t size)
{
	bool single, list;

	switch (spec->shape) {
	case SHAPE_PLAIN:
		return true;
	case SHAPE_REGISTER:
		single = get(step, "cookie") || get(step, "at") || get(step, "length");
		list = get(step, "batch") != NULL;
		if (single == list)
			return reject(why, size, "%s: give cookie, at and length, or batch", what);
		if (single && !(get(step, "cookie") && get(step, "at") && get(step, "length")))
			return reject(why, size, "%s: cookie, at and length go together", what);
		if (list) {
			static const char *const fields[] = { "cookie", "at", "length", NULL };
			json_object *batch = get(step, "batch");

			if (!is(batch, json_type_array))
				return reject(why, size, "%s: batch: expected a list", what);
			for (size_t i = 0; i < json_object_array_length(batch); i++) {
				json_object *entry = json_object_array_get_idx(batch, i);

				if (!is(entry, json_type_object) || !only_fields(entry, fields, what, why, size))
					return why[0] ? false : reject(why, size, "%s: batch[%zu]: expected an object", what, i);
				if (json_object_object_length(entry) != 3)
					return reject(why, size, "%s: batch[%zu]: needs cookie, at and length", what, i);
			}
		}
		return true;
	case SHAPE_UNREGISTER:
		if ((get(step, "cookie") != NULL) == (get(step, "cookies") != NULL))
			return reject(why, size, "%s: give cookie or cookies", what);
		if (get(step, "cookies") && !is(get(step, "cookies"), json_type_array))
			return reject(why, size, "%s: cookies: expected a list", what);
		return true;
	case SHAPE_EXPECT_REPORTS:
		return check_matchers(get(step, "expect"), false, what, why, size);
	case SHAPE_EXPECT_STREAM:
		return check_matchers(get(step, "expect"), true, what, why, size);
	case SHAPE_EXPECT_INFO:
		if (!is(get(step, "expect"), json_type_object))
			return reject(why, size, "%s: expect: expected an object of GetInfo fields", what);
		return only_fields(get(step, "expect"), info_fields, what, why, size);
	}
	return true;
}

static bool check_step(json_object *step, size_t index, char *why, size_t size)
{
	const char *allowed[1 + 4 + 6 + 1] = { "op" };
	json_object *op = get(step, "op");
	const struct op_spec *spec;
	char what[96];
	size_t n = 1;

	if (!is(step, json_type_object) || !is(op, json_type_string))
		return reject(why, size, "%zu: expected an object with an \"op\"", index);
	spec = find_op(json_object_get_string(op));
	if (!spec)
		return reject(why, size, "%zu %s: unknown op", index, json_object_get_string(op));
	snprintf(what, sizeof(what), "%zu %s", index, spec->op);
	for (size_t i = 0; i < 4 && spec->required[i]; i++) {
		if (!get(step, spec->required[i]))
			return reject(why, size, "%s: missing field \"%s\"", what, spec->required[i]);
		allowed[n++] = spec->required[i];
	}
	for (size_t i = 0; i < 6 && spec->optional[i]; i++)
		allowed[n++] = spec->optional[i];
	allowed[n] = NULL;
	if (!only_fields(step, allowed, what, why, size))
		return false;
	if (get(step, "error") && !check_error(get(step, "error"), what, why, size))
		return false;
	return check_shape(spec, step, what, why, size);
}

static bool parse(const char *path, json_object **out, char *why, size_t size)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t length = 0;
	json_tokener *tok;
	enum json_tokener_error err;

	if (!f)
		return reject(why, size, "cannot open: %s", strerror(errno));
	if (getdelim(&text, &length, '\0', f) < 0 && ferror(f)) {
		fclose(f);
		free(text);
		return reject(why, size, "cannot read: %s", strerror(errno));
	}
	fclose(f);
	length = text ? strlen(text) : 0;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*out = json_tokener_parse_ex(tok, text ? text : "", (int)length);
	err = json_tokener_get_error(tok);
	if (err == json_tokener_success && strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
						   length - json_tokener_get_parse_end(tok))
		err = json_tokener_error_parse_unexpected;
	if (err != json_tokener_success) {
		reject(why, size, "not JSON: %s at byte %zu", json_tokener_error_desc(err), json_tokener_get_parse_end(tok));
		json_object_put(*out);
		*out = NULL;
	}
	json_tokener_free(tok);
	free(text);
	return err == json_tokener_success;
}

bool scenario_load(const char *path, struct scenario *out, char *why, size_t size)
{
	static const char *const fields[] = { "description", "rule", "engines", "daemon_args", "attach", "steps", NULL };
	json_object *root = NULL, *engines, *args, *attach, *steps;

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	if (!parse(path, &root, why, size))
		return false;
	out->root = root;
	if (!is(root, json_type_object))
		return reject(why, size, "scenario: expected a JSON object");
	if (!only_fields(root, fields, "scenario", why, size))
		return false;
	if (!is(get(root, "description"), json_type_string) || !is(get(root, "rule"), json_type_string))
		return reject(why, size, "scenario: description and rule are required strings");

	engines = get(root, "engines");
	out->for_uffd = out->for_device = !engines;
	if (engines && (!is(engines, json_type_array) || json_object_array_length(engines) == 0))
		return reject(why, size, "scenario: engines: a non-empty list of \"uffd\" and \"device\"");
	for (size_t i = 0; engines && i < json_object_array_length(engines); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(engines, i));

		if (!is(json_object_array_get_idx(engines, i), json_type_string) ||
		    (strcmp(e, "uffd") != 0 && strcmp(e, "device") != 0))
			return reject(why, size, "scenario: engines: unknown engine %s", e);
		if (strcmp(e, "uffd") == 0)
			out->for_uffd = true;
		else
			out->for_device = true;
	}

	args = get(root, "daemon_args");
	if (args && !is(args, json_type_array))
		return reject(why, size, "scenario: daemon_args: a list of strings");
	out->n_daemon_args = args ? json_object_array_length(args) : 0;
	out->daemon_args = calloc(out->n_daemon_args + 1, sizeof(char *));
	if (!out->daemon_args)
		return reject(why, size, "out of memory");
	for (size_t i = 0; i < out->n_daemon_args; i++) {
		if (!is(json_object_array_get_idx(args, i), json_type_string))
			return reject(why, size, "scenario: daemon_args: a list of strings");
		out->daemon_args[i] = json_object_get_string(json_object_array_get_idx(args, i));
	}

	attach = get(root, "attach");
	if (attach && !is(attach, json_type_boolean))
		return reject(why, size, "scenario: attach: true or false");
	out->attach = attach ? json_object_get_boolean(attach) : true;

	steps = get(root, "steps");
	if (!is(steps, json_type_array) || json_object_array_length(steps) == 0)
		return reject(why, size, "scenario: steps: a non-empty list");
	for (size_t i = 0; i < json_object_array_length(steps); i++)
		if (!check_step(json_object_array_get_idx(steps, i), i, why, size))
			return false;
	out->steps = steps;
	return true;
}

void scenario_free(struct scenario *scenario)
{
	free(scenario->daemon_args);
	json_object_put(scenario->root);
	memset(scenario, 0, sizeof(*scenario));
}
