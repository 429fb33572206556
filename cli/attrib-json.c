/* attrib-json.c — see attrib-json.h. */
#include <stdio.h>

#include "attrib-json.h"
#include "cpumap.h"
#include "json-out.h"

static struct json_object *json_str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

double attrib_pct(uint64_t part, uint64_t whole) {
        return whole ? 100.0 * (double) part / (double) whole : 0.0;
}

void attrib_sender_cpus_format(uint64_t bits, char *buf, size_t len) {
        struct cpumap m;

        cpumap_zero(&m);
        for (unsigned i = 0; i < 64; i++)
                if (bits >> i & 1)
                        cpumap_set(&m, i);
        if (cpulist_format(&m, buf, len) < 0)
                snprintf(buf, len, "?");
}

struct json_object *attrib_json_sources(const struct attrib_cpu *c) {
        struct json_object *o = json_object_new_object(), *a = json_object_new_array();

        json_object_object_add(o, "interrupts", json_u64(c->interrupts));
        json_object_object_add(o, "ticks", json_u64(c->ticks));
        json_object_object_add(o, "ipis", json_u64(c->ipis));
        json_object_object_add(o, "ipis_unattributed", json_u64(c->ipis_unattributed));
        json_object_object_add(o, "unattributed_pct", json_rate(attrib_pct(c->ipis_unattributed, c->ipis)));
        for (size_t i = 0; i < c->ngroups; i++) {
                const struct attrib_group *g = &c->groups[i];
                struct json_object *e = json_object_new_object();
                char cpus[64];

                json_object_object_add(e, "kind", json_object_new_string(attrib_kind_name(g->kind)));
                json_object_object_add(e, "name", json_str_or_null(g->vector));
                json_object_object_add(e, "irq", g->irq >= 0 ? json_object_new_int(g->irq) : NULL);
                json_object_object_add(e, "attributed", json_object_new_boolean(g->attributed));
                json_object_object_add(e, "sender", json_str_or_null(g->sender));
                json_object_object_add(e, "sender_pid", g->sender ? json_object_new_int(g->sender_pid) : NULL);
                attrib_sender_cpus_format(g->sender_cpus, cpus, sizeof(cpus));
                json_object_object_add(e, "sender_cpus", g->sender_cpus ? json_object_new_string(cpus) : NULL);
                json_object_object_add(e, "site", json_str_or_null(g->site));
                json_object_object_add(e, "origin", json_str_or_null(g->origin));
                json_object_object_add(e, "carried", json_str_or_null(g->carried));
                json_object_object_add(e, "functions_run", json_u64(g->ncarried));
                json_object_object_add(e, "woken", json_str_or_null(g->woken));
                json_object_object_add(e, "woken_pid", g->woken ? json_object_new_int(g->woken_pid) : NULL);
                json_object_object_add(e, "waker", json_str_or_null(g->waker));
                json_object_object_add(e, "count", json_u64(g->count));
                json_object_object_add(e, "total_ns", json_u64(g->total_ns));
                json_object_object_add(e, "max_ns", json_u64(g->max_ns));
                json_object_object_add(e, "tick_state", g->kind == ATTRIB_TICK ?
                                       json_str_or_null(attrib_tick_state_name(g->tick_state)) : NULL);
                json_object_object_add(e, "tick_dependency", g->kind == ATTRIB_TICK && g->tick_dep ?
                                       json_str_or_null(attrib_tick_dep_name(g->tick_dep)) : NULL);
                json_object_object_add(e, "remedy", json_object_new_string(g->remedy));
                json_object_array_add(a, e);
        }
        json_object_object_add(o, "groups", a);
        return o;
}

static struct json_object *per_second(uint64_t n, double secs) {
        return json_rate(secs > 0 ? (double) n / secs : -1);
}

struct json_object *attrib_json_top(const struct attrib *a, const struct cpumap *cpus, double interval_s,
                                    double secs, unsigned sample, const char *no_sources_reason) {
        struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
        int cpu;

        json_object_object_add(o, "cpus", json_cpulist(cpus));
        json_object_object_add(o, "interval_s", json_rate(interval_s));
        json_object_object_add(o, "sample", json_object_new_int64(sample));
        json_object_object_add(o, "seconds", json_rate(secs));
        json_object_object_add(o, "sources_traced", json_object_new_boolean(!no_sources_reason));
        json_object_object_add(o, "sources_reason", json_str_or_null(no_sources_reason));
        CPUMAP_FOREACH(cpu, cpus) {
                const struct attrib_cpu *c = attrib_cpu(a, (unsigned) cpu);
                struct json_object *e, *r;

                if (!c)
                        continue;
                e = json_object_new_object();
                r = json_object_new_object();
                json_object_object_add(r, "interrupts", per_second(c->interrupts, secs));
                json_object_object_add(r, "ticks", per_second(c->ticks, secs));
                json_object_object_add(r, "ipis", per_second(c->ipis, secs));
                json_object_object_add(r, "ipis_unattributed", per_second(c->ipis_unattributed, secs));
                json_object_object_add(e, "cpu", json_object_new_int(cpu));
                json_object_object_add(e, "per_s", r);
                json_object_object_add(e, "sources", attrib_json_sources(c));
                json_object_array_add(arr, e);
        }
        json_object_object_add(o, "per_cpu", arr);
        return o;
}
