/* check-system.h — 'tlbctl check': the report (one item per check, each
 * with a verdict, what was found, why it matters and the fix) and the
 * checks that fill it (check-system.c: boot line, partitions, IRQs,
 * workqueues, kthreads, tunables, module, daemon, irqbalance, tuned,
 * cpufreq/idle). verb_check (check.c) gathers the context and prints.
 *
 * Usage:
 *   struct check_report rep = {};
 *   r = check_system(&ctx, &rep);
 *   for (size_t i = 0; i < rep.n; i++) ... rep.items[i].verdict ...
 *   check_report_done(&rep);
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cpumap.h"
#include "isolation.h"
#include "tlbctl.h"

struct config;

enum check_verdict {
        CHECK_OK,
        CHECK_INFO,             /* reported, not judged (cpufreq, idle) */
        CHECK_SKIP,             /* could not be checked here (fixture root) */
        CHECK_WARN,
        CHECK_FAIL,
        _CHECK_VERDICT_MAX,
};
const char *check_verdict_name(enum check_verdict v);  /* "ok", "info", "skip", "warn", "fail" */

struct check_item {
        char *id;                       /* stable: "irqs", "tuning.KSM", "module", ... */
        enum check_verdict verdict;
        char *found;                    /* what is there, one line */
        const char *why;                /* why it matters (static text) */
        char *fix;                      /* what to do; NULL when nothing is to do */
        bool needs_reboot;              /* the fix is a kernel command line change */
};

struct check_report {
        struct check_item *items;
        size_t n;
        unsigned count[_CHECK_VERDICT_MAX];
};
void check_report_done(struct check_report *r);
/* Adds an item; found and fix are printf formats (fix NULL: none). */
int check_add(struct check_report *r, const char *id, enum check_verdict v, bool reboot,
              const char *why, const char *fix, const char *found_fmt, ...)
        __attribute__((format(printf, 7, 8)));
/* Worst verdict of the report (CHECK_OK for an empty one). */
enum check_verdict check_report_worst(const struct check_report *r);

/* What the checks look at, gathered once by verb_check(). */
struct check_ctx {
        const struct tlbctl *t;
        const struct config *config;    /* tlbisold.conf as tlbisold would read it */
        const struct daemon_state *daemon;      /* NULL: not queried */
        const struct module_state *module;      /* loaded false + why_not when absent */
        struct isolation iso;           /* kernel sources + daemon/config CPUs */
        struct cpumap want;             /* the CPUs that must be isolated: -c, else iso.isolated */
};

/* Runs every static check in order; -ENOMEM only (a check that cannot
 * read its files says so in its item). */
int check_system(const struct check_ctx *c, struct check_report *rep);
