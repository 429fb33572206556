/* json-out.h — the versioned envelope of tlbctl's machine-readable output.
 *
 * Every 'tlbctl ... --json' document is one object:
 *   { "format": "tlbctl", "format_version": 1, "tlbctl_version": "0.1.0",
 *     "command": "status", "time": "2025-01-31T12:00:00Z",
 *     "kernel": "6.12.9-rt-amd64", "data": { ... } }
 * described by cli/tlbctl-output.schema.json (installed under
 * $(DATADIR)/tlbisol/). format_version changes only when a field is removed
 * or changes meaning; new fields may appear at any time.
 *
 * Usage:
 *   struct json_object *env = json_envelope_new("status"), *data = json_object_new_object();
 *   ...; json_envelope_print(env, data, stdout);   // takes data, frees nothing else
 */
#pragma once
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cpumap.h"

#define TLBCTL_FORMAT_VERSION 1

struct json_object *json_envelope_new(const char *command);
/* Adds data (ownership passes), prints one document and a newline, frees env.
 * The write's -errno if it fails (-ENOSPC, -EPIPE, ...). */
int json_envelope_print(struct json_object *env, struct json_object *data, FILE *f);
/* The same on one line (JSON Lines), for streams: one document per line. */
int json_envelope_print_line(struct json_object *env, struct json_object *data, FILE *f);

/* Small constructors that never return NULL-for-error silently: NULL only
 * on ENOMEM, which json-c treats as "null" when added. */
struct json_object *json_cpulist(const struct cpumap *m);
struct json_object *json_u64(uint64_t v);
/* Rounded to 3 decimals; NaN or negative (= unknown) becomes null. */
struct json_object *json_rate(double v);
