#define _GNU_SOURCE
#include "expr.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#define MAX_SAFE_INTEGER ((1ULL << 53) - 1)

/* A JSON integer as an unsigned value; false (with a reason) for anything else. */
static bool json_uint(struct run *run, json_object *value, const char *field, uint64_t *out)
{
	if (!json_object_is_type(value, json_type_int))
		return fail(run, "%s: expected an integer or an expression, got %s", field,
			    json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
	/* json-c keeps integers above INT64_MAX as unsigned; below 0 as signed. */
	if (json_object_get_int64(value) < 0)
		return fail(run, "%s: %" PRId64 " is negative", field, json_object_get_int64(value));
	*out = json_object_get_uint64(value);
	return true;
}

/* One INTEGER (decimal or 0x hex), advancing *p; false on no digits or overflow. */
static bool parse_integer(const char **p, unsigned __int128 *out)
{
	const char *s = *p;
	unsigned __int128 v = 0;
	int base = 10, digits = 0;

	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	for (;; s++, digits++) {
		int d;

		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v * (unsigned)base + (unsigned)d;
		if (v > UINT64_MAX)
			return false;
	}
	if (!digits)
		return false;
	*p = s;
	*out = v;
	return true;
}

bool eval_expr(struct run *run, json_object *value, const char *field, uint64_t *out)
{
	const char *text, *p;
	__int128 total = 0;
	bool first = true;

	if (!json_object_is_type(value, json_type_string))
		return json_uint(run, value, field, out);
	text = p = json_object_get_string(value);
	while (*p || first) {
		int sign = 1;
		__int128 term;

		if (!first) {
			if (*p != '+' && *p != '-')
				return fail(run, "%s: \"%s\": expected + or - at \"%s\"", field, text, p);
			sign = *p == '-' ? -1 : 1;
			p++;
		}
		first = false;
		if ((*p >= 'a' && *p <= 'z') || *p == '_') {
			char name[NAME_MAX_LEN];
			size_t n = 0;
			uint64_t addr;

			while ((*p >= 'a' && *p <= 'z') || *p == '_' || isdigit((unsigned char)*p)) {
				if (n + 1 >= sizeof(name))
					return fail(run, "%s: \"%s\": name too long", field, text);
				name[n++] = *p++;
			}
			name[n] = '\0';
			if (!lookup_name(run, name, &addr))
				return fail(run, "%s: \"%s\": no mapping is named %s", field, text, name);
			term = addr;
		} else {
			unsigned __int128 n;

			if (!parse_integer(&p, &n))
				return fail(run, "%s: \"%s\": expected a name or an integer at \"%s\"", field, text, p);
			term = (__int128)n;
			if (*p == 'p') {
				term *= run->page;
				p++;
			}
		}
		total += sign * term;
	}
	if (total < 0 || total > (__int128)UINT64_MAX)
		return fail(run, "%s: \"%s\" is outside [0, 2^64)", field, text);
	*out = (uint64_t)total;
	return true;
}

bool get_cookie(struct run *run, json_object *value, uint64_t *out)
{
	return get_uint(run, value, "cookie", 0, MAX_SAFE_INTEGER, out);
}

bool get_uint(struct run *run, json_object *value, const char *field, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (!json_object_is_type(value, json_type_int))
		return fail(run, "%s: expected an integer, got %s", field,
			    json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
	if (!json_uint(run, value, field, &v))
		return false;
	if (v < min || v > max)
		return fail(run, "%s: %" PRIu64 " is outside [%" PRIu64 ", %" PRIu64 "]", field, v, min, max);
	*out = v;
	return true;
}

bool get_name(struct run *run, json_object *value, const char *field, const char **out)
{
	const char *s;

	if (!json_object_is_type(value, json_type_string))
		return fail(run, "%s: expected a name", field);
	s = json_object_get_string(value);
	if (!((*s >= 'a' && *s <= 'z') || *s == '_') || strlen(s) >= NAME_MAX_LEN)
		return fail(run, "%s: \"%s\" is not a name ([a-z_][a-z0-9_]*)", field, s);
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || *c == '_' || isdigit((unsigned char)*c)))
			return fail(run, "%s: \"%s\" is not a name ([a-z_][a-z0-9_]*)", field, s);
	*out = s;
	return true;
}

bool get_bool(struct run *run, json_object *value, const char *field, bool *out)
{
	if (!json_object_is_type(value, json_type_boolean))
		return fail(run, "%s: expected true or false", field);
	*out = json_object_get_boolean(value);
	return true;
}

bool get_choice(struct run *run, json_object *value, const char *field, const char *const *choices, int *out)
{
	const char *s = json_object_is_type(value, json_type_string) ? json_object_get_string(value) : NULL;

	for (int i = 0; s && choices[i]; i++) {
		if (strcmp(s, choices[i]) == 0) {
			*out = i;
			return true;
		}
	}
	return fail(run, "%s: %s is not one of the values this runner knows", field,
		    json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
}
