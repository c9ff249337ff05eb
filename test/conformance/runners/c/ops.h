/*
 * Every op a scenario may use, with its fields, as README "Steps" lists them.
 */
#ifndef UMN_CONFORMANCE_OPS_H
#define UMN_CONFORMANCE_OPS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "run.h"

/* What of a step's structure is checked at load, beyond its field names. */
enum op_shape {
	SHAPE_PLAIN,
	SHAPE_REGISTER,	      /* cookie/at/length or batch */
	SHAPE_UNREGISTER,     /* cookie or cookies */
	SHAPE_EXPECT_REPORTS, /* expect: matchers of any kind */
	SHAPE_EXPECT_STREAM,  /* expect: invalidation matchers only */
	SHAPE_EXPECT_INFO,    /* expect: GetInfo fields */
};

struct op_spec {
	const char *op;
	const char *required[4];
	/* "error" among them marks a gRPC call that may be expected to fail. */
	const char *optional[6];
	enum op_shape shape;
	bool (*run)(struct run *run, json_object *step);
};

/* The op's spec, NULL for an op this runner does not know. */
const struct op_spec *find_op(const char *op);

#endif
