#include "ops.h"

#include <string.h>

#include "steps.h"

static const struct op_spec ops[] = {
	{ "mmap", { "name", "pages" }, { "type", "at", "prot" }, SHAPE_PLAIN, op_mmap },
	{ "munmap", { "at", "length" }, { NULL }, SHAPE_PLAIN, op_munmap },
	{ "madvise", { "at", "length", "advice" }, { NULL }, SHAPE_PLAIN, op_madvise },
	{ "mremap", { "at", "length" }, { "new_length", "to" }, SHAPE_PLAIN, op_mremap },
	{ "brk-grow", { "name", "pages" }, { NULL }, SHAPE_PLAIN, op_brk_grow },
	{ "brk-shrink", { "pages" }, { NULL }, SHAPE_PLAIN, op_brk_shrink },
	{ "write", { "at", "length" }, { NULL }, SHAPE_PLAIN, op_write },
	{ "fork-write", { "at", "length" }, { NULL }, SHAPE_PLAIN, op_fork_write },
	{ "attach", { NULL }, { "error" }, SHAPE_PLAIN, op_attach },
	{ "register", { NULL }, { "cookie", "at", "length", "batch", "error" }, SHAPE_REGISTER, op_register },
	{ "unregister", { NULL }, { "cookie", "cookies", "error" }, SHAPE_UNREGISTER, op_unregister },
	{ "read-events", { "expect" }, { "max_reports", "error" }, SHAPE_EXPECT_REPORTS, op_read_events },
	{ "check-counter", { "changed" }, { NULL }, SHAPE_PLAIN, op_check_counter },
	{ "info", { "expect" }, { "error" }, SHAPE_EXPECT_INFO, op_info },
	{ "subscribe", { "name" }, { NULL }, SHAPE_PLAIN, op_subscribe },
	{ "stream-expect", { "name", "expect" }, { NULL }, SHAPE_EXPECT_STREAM, op_stream_expect },
	{ "unsubscribe", { "name" }, { NULL }, SHAPE_PLAIN, op_unsubscribe },
};

const struct op_spec *find_op(const char *op)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, op) == 0)
			return &ops[i];
	return NULL;
}
