/* attrib-json.h — the attribution of lib/attrib.h as tlbctl's JSON (the
 * "sources" object of cli/tlbctl-output.schema.json), shared by 'tlbctl
 * noise' (one window) and 'tlbctl top' (one object per refresh).
 *
 * Usage:
 *   json_object_object_add(cpu_obj, "sources", attrib_json_sources(attrib_cpu(a, cpu)));
 *   json_envelope_print_line(json_envelope_new("top"), attrib_json_top(a, &cpus, 2, 2.01, 1, NULL), stdout);
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "attrib.h"

/* Counts, unattributed share and every group, largest first. */
struct json_object *attrib_json_sources(const struct attrib_cpu *c);
/* The data of one 'tlbctl top' refresh (schema: $defs/top): the sample
 * number, its length, and per CPU of cpus the rates per second and the
 * sample's counts by source. no_sources_reason: why the sender side is not
 * traced, NULL when it is. */
struct json_object *attrib_json_top(const struct attrib *a, const struct cpumap *cpus, double interval_s,
                                    double secs, unsigned sample, const char *no_sources_reason);
/* 100 * part / whole; 0 when whole is 0. */
double attrib_pct(uint64_t part, uint64_t whole);
/* "0-1,3" from a bit per sender CPU (bit 63: CPU 63 or above). */
void attrib_sender_cpus_format(uint64_t bits, char *buf, size_t len);
