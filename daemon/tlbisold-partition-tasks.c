/* tlbisold-partition-tasks.c — the tasks a partition change rewrites, and
 * the pin; see tlbisold-partition-tasks.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "tlbisold-partition-tasks.h"
#include "util.h"

static bool under(const char *cgroup, const char *top) {
        size_t n = strlen(top);

        return strncmp(cgroup, top, n) == 0 && (cgroup[n] == 0 || cgroup[n] == '/');
}

bool partition_rewrites(const struct task_info *t, const char *cgroup, const char *own,
                        const struct partition *parts, size_t n_parts) {
        if (t->flags & TASK_PF_NO_SETAFFINITY || t->state == 'Z' || t->state == 'X')
                return false;
        if (under(cgroup, own))
                return false;   /* the workload: it gets the partition's CPUs */
        for (size_t i = 0; i < n_parts; i++)
                if (under(cgroup, parts[i].path))
                        return false;   /* a partition's effective CPUs are its own */
        return true;
}

struct plan_walk {
        const struct fsroot *fs;
        const struct state *st;
        const char *own;
        const struct partition *parts;
        size_t n_parts;
        const struct cpumap *new_part, *fallback;
        int self;
        struct task_list *out;
};

static int plan_one(const struct task_info *t, const struct task_info *leader, void *userdata) {
        struct plan_walk *w = userdata;
        _cleanup_free_ char *cg = NULL;
        const struct saved_task *s;
        struct cpumap base = t->allowed, target;
        struct task_want *n;

        (void) leader;
        if (t->tgid == w->self || task_read_cgroup(w->fs, t, &cg) < 0)
                return 0;       /* tlbisold pins itself; no cgroup: exited */
        if (!partition_rewrites(t, cg, w->own, w->parts, w->n_parts))
                return 0;
        s = state_find_task(w->st, t->tid, t->start);
        if (s && !cpumap_is_empty(&s->set) && cpumap_equal(&t->allowed, &s->set))
                base = s->set;
        cpumap_andnot(&target, &base, w->new_part);
        if (cpumap_is_empty(&target))
                cpumap_andnot(&target, w->fallback, w->new_part);
        if (cpumap_is_empty(&target))
                return 0;       /* no CPU to offer: the kernel's choice */
        n = realloc(w->out->t, (w->out->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        w->out->t = n;
        n[w->out->n] = (struct task_want) { .tid = t->tid, .start = t->start,
                                            .kthread = t->flags & TASK_PF_KTHREAD, .want = target };
        snprintf(n[w->out->n].comm, sizeof(n[w->out->n].comm), "%s", t->comm);
        w->out->n++;
        return 0;
}

int partition_tasks_plan(const struct fsroot *fs, const struct state *st, const char *own,
                         const struct partition *parts, size_t n_parts, const struct cpumap *new_part,
                         const struct cpumap *fallback, int self, struct task_list *out) {
        struct plan_walk w = { .fs = fs, .st = st, .own = own, .parts = parts, .n_parts = n_parts,
                               .new_part = new_part, .fallback = fallback, .self = self, .out = out };

        return task_walk(fs, true, plan_one, &w);
}

static void report(const struct task_ops *ops, enum task_event ev, int tid, const char *comm,
                   const struct cpumap *cpus, int r) {
        if (ops && ops->report)
                ops->report(ev, tid, comm, cpus, r, ops->userdata);
}

int partition_tasks_pin(const struct fsroot *fs, struct state *st, const struct task_list *plan,
                        const struct task_ops *ops) {
        /* per task of plan: 0 not pinned, 1 entry new, 2 entry existed (prev: its set before) */
        _cleanup_free_ unsigned char *how = calloc(plan->n + 1, 1);
        _cleanup_free_ struct cpumap *prev = calloc(plan->n + 1, sizeof(*prev));
        int failures = 0, r;

        if (!how || !prev)
                return -ENOMEM;

        /* 1. save and record, persist before asking anything */
        for (size_t i = 0; i < plan->n; i++) {
                const struct task_want *w = &plan->t[i];
                struct saved_task *s = state_find_task(st, w->tid, w->start);
                _cleanup_free_ char *dir = NULL;
                struct task_info t;

                if (asprintf(&dir, "/proc/%d", w->tid) < 0)
                        return -ENOMEM;
                if (task_read(fs, dir, &t) < 0 || t.start != w->start)
                        continue;       /* exited */
                if (s && !cpumap_is_empty(&s->set) && !cpumap_equal(&t.allowed, &s->set))
                        s->orig = t.allowed;    /* changed by someone else since: theirs is the original */
                if (!s) {
                        r = state_add_task(st, w->tid, w->start, w->comm, &t.allowed);
                        if (r < 0)
                                return r;
                        s = state_find_task(st, w->tid, w->start);
                        how[i] = 1;
                } else {
                        prev[i] = s->set;
                        how[i] = 2;
                }
                s->set = w->want;
        }
        if (ops && ops->persist) {
                r = ops->persist(st, ops->userdata);
                if (r < 0)
                        return r;
        }

        /* 2. ask: always, so that the kernel's rewrite keeps it */
        for (size_t i = 0; i < plan->n; i++) {
                const struct task_want *w = &plan->t[i];
                struct saved_task *s;

                if (!how[i])
                        continue;
                r = ops && ops->setaffinity ? ops->setaffinity(w->tid, &w->want, ops->userdata) : 0;
                if (r >= 0)
                        continue;
                s = state_find_task(st, w->tid, w->start);
                if (r == -ESRCH)
                        report(ops, TASK_GONE, w->tid, w->comm, NULL, 0);
                else {
                        report(ops, TASK_MOVE_FAILED, w->tid, w->comm, &w->want, r);
                        failures++;
                }
                if (how[i] == 1 || r == -ESRCH)
                        state_remove_task(st, w->tid, w->start);
                else if (s)
                        s->set = prev[i];       /* nothing changed */
        }
        if (failures && ops && ops->persist) {
                r = ops->persist(st, ops->userdata);
                if (r < 0)
                        return r;
        }
        return failures;
}
