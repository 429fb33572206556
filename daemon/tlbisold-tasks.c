/* tlbisold-tasks.c — movable kthreads and user tasks; see tlbisold-tasks.h. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "parse.h"
#include "tlbisold-plan.h"
#include "tlbisold-tasks.h"
#include "util.h"

int kernel_moves_kthreads(const char *release) {
        unsigned major = 0;

        if (!release || !isdigit((unsigned char) *release))
                return -EINVAL;
        for (; isdigit((unsigned char) *release); release++)
                major = major * 10 + (unsigned) (*release - '0');
        return major >= 7;
}

void task_list_done(struct task_list *l) {
        free(l->t);
        l->t = NULL;
        l->n = 0;
}

static int task_list_add(struct task_list *l, const struct task_info *t, bool kthread, const struct cpumap *want) {
        struct task_want *n = realloc(l->t, (l->n + 1) * sizeof(*n));

        if (!n)
                return -ENOMEM;
        l->t = n;
        n[l->n] = (struct task_want) { .tid = t->tid, .start = t->start, .kthread = kthread, .want = *want };
        snprintf(n[l->n].comm, sizeof(n[l->n].comm), "%s", t->comm);
        l->n++;
        return 0;
}

static bool excluded(char **patterns, const char *comm, const char *pcomm) {
        for (char **p = patterns; p && *p; p++)
                if (fnmatch(*p, comm, 0) == 0 || (pcomm && fnmatch(*p, pcomm, 0) == 0))
                        return true;
        return false;
}

static bool in_skip(const struct task_skip *skip, const struct task_info *t) {
        for (size_t i = 0; skip && i < skip->n; i++)
                if (skip->t[i].tid == t->tid && skip->t[i].start == t->start)
                        return true;
        return false;
}

/* Whether the rules move t off the isolated CPUs, and to what. */
static bool moved(const struct isolation *iso, const struct task_plan_opts *o, const struct task_info *t,
                  const char *pcomm, const struct cpumap *orig, struct cpumap *want) {
        struct cpumap need = iso->isolated;

        if (t->flags & TASK_PF_KTHREAD) {
                if (!o->kthreads || cpumap_count(orig) <= 1 || strncmp(t->comm, "irq/", 4) == 0)
                        return false;
                if (o->kernel_excluded)
                        cpumap_andnot(&need, &need, o->kernel_excluded);
                return affinity_for(orig, &need, &iso->housekeeping, want);
        }
        if (!o->user_tasks || t->tgid == o->self || excluded(o->exclude, t->comm, pcomm))
                return false;
        if (cpumap_is_subset(orig, &iso->isolated))
                return false;   /* pinned inside the isolated set on purpose */
        if (!cpumap_intersects(orig, &need))
                return false;
        cpumap_andnot(want, orig, &need);
        return true;
}

/* A saved task held while tlbisold's partition exists: its saved affinity
 * without the partitions' CPUs, which the kernel gives no task outside
 * them, or the housekeeping CPUs when none is left. */
static bool held(const struct isolation *iso, const struct task_plan_opts *o, const struct saved_task *s,
                 struct cpumap *want) {
        if (!s || !o->partition || cpumap_is_empty(o->partition))
                return false;
        cpumap_andnot(want, &s->orig, o->partitioned ? o->partitioned : o->partition);
        if (cpumap_is_empty(want))
                *want = iso->housekeeping;
        return !cpumap_is_empty(want);
}

/* One task: decide and, if it must move, add it to out. */
static int plan_one(const struct state *st, const struct isolation *iso, const struct task_plan_opts *o,
                    const struct task_skip *skip, const struct task_info *t, const char *pcomm,
                    struct task_list *out) {
        const struct saved_task *s = state_find_task(st, t->tid, t->start);
        struct cpumap orig = s ? s->orig : t->allowed, want;

        if (t->state == 'Z' || t->state == 'X' || in_skip(skip, t))
                return 0;
        if (t->flags & TASK_PF_NO_SETAFFINITY)
                return 0;
        if (!moved(iso, o, t, pcomm, &orig, &want) && !held(iso, o, s, &want))
                return 0;
        return task_list_add(out, t, t->flags & TASK_PF_KTHREAD, &want);
}

struct plan_walk {
        const struct state *st;
        const struct isolation *iso;
        const struct task_plan_opts *o;
        const struct task_skip *skip;
        struct task_list *out;
};

static int plan_walk_one(const struct task_info *t, const struct task_info *leader, void *userdata) {
        struct plan_walk *w = userdata;

        return plan_one(w->st, w->iso, w->o, w->skip, t,
                        t->flags & TASK_PF_KTHREAD ? NULL : leader->comm, w->out);
}

int plan_tasks(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
               const struct task_plan_opts *o, const struct task_skip *skip, struct task_list *out) {
        struct plan_walk w = { .st = st, .iso = iso, .o = o, .skip = skip, .out = out };
        bool holding = o->partition && !cpumap_is_empty(o->partition) && st->n_tasks > 0;

        if (!o->kthreads && !o->user_tasks && !holding)
                return 0;
        return task_walk(fs, o->user_tasks || holding, plan_walk_one, &w);
}

static void report(const struct task_ops *ops, enum task_event ev, int tid, const char *comm,
                   const struct cpumap *cpus, int r) {
        if (ops && ops->report)
                ops->report(ev, tid, comm, cpus, r, ops->userdata);
}

/* The live task with that identity: 1 and *ret, or 0 if it is gone. */
static int live(const struct fsroot *fs, int tid, unsigned long long start, struct task_info *ret) {
        _cleanup_free_ char *dir = NULL;

        if (asprintf(&dir, "/proc/%d", tid) < 0)
                return -ENOMEM;
        if (task_read(fs, dir, ret) < 0 || ret->start != start || ret->state == 'Z' || ret->state == 'X')
                return 0;
        return 1;
}

static const struct task_want *want_find(const struct task_list *l, int tid, unsigned long long start) {
        for (size_t i = 0; i < l->n; i++)
                if (l->t[i].tid == tid && l->t[i].start == start)
                        return &l->t[i];
        return NULL;
}

int converge_tasks(const struct fsroot *fs, struct state *st, const struct task_list *want,
                   const struct cpumap *restore_excluded, const struct task_ops *ops) {
        _cleanup_free_ bool *skip = calloc(want->n + 1, sizeof(bool));
        bool dirty = false;
        int failures = 0, r;

        if (!skip)
                return -ENOMEM;

        /* 1. save the originals and what each is given, persist before moving anything */
        for (size_t i = 0; i < want->n; i++) {
                const struct task_want *w = &want->t[i];
                struct saved_task *s = state_find_task(st, w->tid, w->start);
                struct task_info t;

                if (!s) {
                        r = live(fs, w->tid, w->start, &t);
                        if (r < 0)
                                return r;
                        if (r == 0 || cpumap_equal(&t.allowed, &w->want)) {
                                skip[i] = true;         /* gone, or already so: not ours to restore */
                                continue;
                        }
                        r = state_add_task(st, w->tid, w->start, w->comm, &t.allowed);
                        if (r < 0)
                                return r;
                        s = state_find_task(st, w->tid, w->start);
                }
                if (!cpumap_equal(&s->set, &w->want)) {
                        s->set = w->want;
                        dirty = true;
                }
        }
        if (dirty && ops && ops->persist) {
                r = ops->persist(st, ops->userdata);
                if (r < 0)
                        return r;
        }
        dirty = false;

        /* 2. move */
        for (size_t i = 0; i < want->n; i++) {
                const struct task_want *w = &want->t[i];
                struct task_info t;

                if (skip[i])
                        continue;
                r = live(fs, w->tid, w->start, &t);
                if (r < 0)
                        return r;
                if (r > 0 && cpumap_equal(&t.allowed, &w->want))
                        continue;
                r = r == 0 ? -ESRCH : ops && ops->setaffinity ? ops->setaffinity(w->tid, &w->want, ops->userdata) : 0;
                if (r == -ESRCH) {
                        report(ops, TASK_GONE, w->tid, w->comm, NULL, 0);
                        state_remove_task(st, w->tid, w->start);
                        dirty = true;
                } else if (r < 0) {
                        report(ops, TASK_MOVE_FAILED, w->tid, w->comm, &w->want, r);
                        state_remove_task(st, w->tid, w->start);        /* nothing changed */
                        dirty = true;
                        failures++;
                } else
                        report(ops, TASK_MOVED, w->tid, w->comm, &w->want, 0);
        }

        /* 3. restore the tasks no longer wanted */
        for (size_t i = st->n_tasks; i-- > 0;) {
                struct saved_task s = st->tasks[i];
                struct cpumap to = s.orig;
                struct task_info t;

                if (want_find(want, s.tid, s.start))
                        continue;
                r = live(fs, s.tid, s.start, &t);
                if (r < 0)
                        return r;
                if (r > 0 && restore_excluded && t.flags & TASK_PF_KTHREAD) {
                        cpumap_andnot(&to, &s.orig, restore_excluded);
                        if (cpumap_is_empty(&to))
                                to = s.orig;
                }
                if (r == 0)
                        r = -ESRCH;
                else if (cpumap_equal(&t.allowed, &to))
                        r = 0;
                else if (!cpumap_is_empty(&s.set) && !cpumap_equal(&t.allowed, &s.set)) {
                        report(ops, TASK_LEFT, s.tid, s.comm, &t.allowed, 0);
                        r = 0;
                } else {
                        r = ops && ops->setaffinity ? ops->setaffinity(s.tid, &to, ops->userdata) : 0;
                        if (r == 0)
                                report(ops, TASK_RESTORED, s.tid, s.comm, &to, 0);
                }
                if (r == -ESRCH)
                        report(ops, TASK_GONE, s.tid, s.comm, NULL, 0);
                else if (r < 0) {
                        report(ops, TASK_RESTORE_FAILED, s.tid, s.comm, &to, r);
                        failures++;
                }
                state_remove_task(st, s.tid, s.start);
                dirty = true;
        }
        if (dirty && ops && ops->persist) {
                r = ops->persist(st, ops->userdata);
                if (r < 0)
                        return r;
        }
        return failures;
}
