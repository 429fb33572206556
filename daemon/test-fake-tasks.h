/* test-fake-tasks.h — for the task tests (test-tlbisold-tasks.c,
 * test-tlbisold-partition-tasks.c): a copy of a fixture /proc tree in
 * /tmp, and task_ops whose sched_setaffinity() rewrites the copy's
 * Cpus_allowed_list as the kernel would and records each call
 * ("tid:cpus tid:cpus"); assert_task_list() compares a plan the same way.
 * A test that moves tasks runs in a struct tasks_world (tasks_world_setup(),
 * tasks_world_teardown(): cmocka setup and teardown). */
#pragma once
#include <stdlib.h>
#include <string.h>

#include "tlbisold-tasks.h"
#include "unit.h"

struct fake {
        struct fsroot *fs;
        char calls[512];
        int fail_tid, fail_r;           /* setaffinity of fail_tid returns fail_r */
        unsigned persisted, persisted_at_first_call;
        bool called;
        unsigned ev[TASK_LEFT + 1];
};

static inline void fake_set_allowed(struct fsroot *fs, int tid, const char *list) {
        _cleanup_free_ char *path = NULL, *text = NULL, *out = NULL;
        char *p;

        assert_true(asprintf(&path, "/proc/%d/status", tid) > 0);
        assert_int_equal(fsroot_read(fs, path, &text), 0);
        p = strstr(text, "Cpus_allowed_list:\t");
        assert_non_null(p);
        *p = 0;
        assert_true(asprintf(&out, "%sCpus_allowed_list:\t%s\nMems_allowed_list:\t0\n", text, list) > 0);
        assert_int_equal(fsroot_write(fs, path, out), 0);
}

static inline int fake_setaffinity(int tid, const struct cpumap *c, void *userdata) {
        struct fake *f = userdata;
        size_t off = strlen(f->calls);
        char list[64];

        if (!f->called) {
                f->called = true;
                f->persisted_at_first_call = f->persisted;
        }
        if (tid == f->fail_tid)
                return f->fail_r;
        assert_int_equal(cpulist_format(c, list, sizeof(list)), 0);
        snprintf(f->calls + off, sizeof(f->calls) - off, "%s%d:%s", off ? " " : "", tid, list);
        fake_set_allowed(f->fs, tid, list);
        return 0;
}

static inline int fake_persist(const struct state *s, void *userdata) {
        ((struct fake *) userdata)->persisted++;
        return 0;
}

static inline void fake_report(enum task_event ev, int tid, const char *comm, const struct cpumap *c, int r,
                               void *userdata) {
        ((struct fake *) userdata)->ev[ev]++;
}

/* "tid:cpus tid:cpus" of a task list, in order */
static inline void assert_task_list(const struct task_list *l, const char *expected) {
        char buf[512] = "";
        size_t off = 0;

        for (size_t i = 0; i < l->n; i++) {
                char c[64];

                assert_int_equal(cpulist_format(&l->t[i].want, c, sizeof(c)), 0);
                off += (size_t) snprintf(buf + off, sizeof(buf) - off, "%s%d:%s", off ? " " : "", l->t[i].tid, c);
        }
        assert_string_equal(buf, expected);
}

/* One test's world: a writable copy of a fixture tree, the fake task_ops
 * over it (nothing failing: f.fail_tid -1), an empty state. */
struct tasks_world {
        char *dir;
        struct fsroot *fs;
        struct fake f;
        struct task_ops ops;
        struct state st;
};

static inline int tasks_world_setup(void **state, const char *tree) {
        struct tasks_world *w = calloc(1, sizeof(*w));

        assert_non_null(w);
        w->dir = fixture_copy(tree);
        assert_int_equal(fsroot_new(w->dir, &w->fs), 0);
        w->f = (struct fake) { .fs = w->fs, .fail_tid = -1 };
        w->ops = (struct task_ops) { fake_setaffinity, fake_persist, fake_report, &w->f };
        state_init(&w->st);
        *state = w;
        return 0;
}

static inline int tasks_world_teardown(void **state) {
        struct tasks_world *w = *state;

        state_done(&w->st);
        fsroot_free(w->fs);
        fixture_copy_drop(w->dir);
        free(w);
        return 0;
}
