/*
 * The step implementations, one function per op, each returning false with
 * run->message set when the step does not do what the scenario says. Their
 * fields were checked against the op's field list when the scenario loaded
 * (scenario.c); values are checked here, as they depend on earlier steps.
 */
#ifndef UMN_CONFORMANCE_STEPS_H
#define UMN_CONFORMANCE_STEPS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "run.h"

/* Memory: system calls of the runner, the target (memory_ops.c). */
bool op_mmap(struct run *run, json_object *step);
bool op_munmap(struct run *run, json_object *step);
bool op_madvise(struct run *run, json_object *step);
bool op_mremap(struct run *run, json_object *step);
bool op_brk_grow(struct run *run, json_object *step);
bool op_brk_shrink(struct run *run, json_object *step);
bool op_write(struct run *run, json_object *step);
bool op_fork_write(struct run *run, json_object *step);

/* Daemon calls through the C client (daemon_ops.c, stream_ops.c). */
bool op_attach(struct run *run, json_object *step);
bool op_register(struct run *run, json_object *step);
bool op_unregister(struct run *run, json_object *step);
bool op_read_events(struct run *run, json_object *step);
bool op_check_counter(struct run *run, json_object *step);
bool op_info(struct run *run, json_object *step);
bool op_subscribe(struct run *run, json_object *step);
bool op_stream_expect(struct run *run, json_object *step);
bool op_unsubscribe(struct run *run, json_object *step);

/* Shared by the daemon steps (daemon_ops.c). */

/* Checks a call's outcome (rc < 0: failed, with umn_last_*) against the
 * step's "error" field, or success if it has none. */
bool check_outcome(struct run *run, json_object *step, long rc, const char *call);

/* Polls GetInfo every 10 ms, 5 s at most, until subscribers == want. */
bool await_subscribers(struct run *run, uint32_t want);

/* GetInfo's subscriber count now. */
bool current_subscribers(struct run *run, uint32_t *out);

#endif
