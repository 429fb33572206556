/* tlbisold-converge.c — save, write, restore; see tlbisold-converge.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "parse.h"
#include "tlbisold-converge.h"
#include "tlbisold-fair.h"
#include "util.h"

static void report(const struct converge_ops *ops, enum converge_event ev, const char *path, int irq,
                   const char *value, int r) {
        if (ops && ops->report)
                ops->report(ev, path, irq, value, r, ops->userdata);
}

static int write_value(const struct fsroot *fs, const char *path, const char *value) {
        _cleanup_free_ char *v = NULL;

        if (fair_server_cpu(path) >= 0)
                return fair_server_write(fs, path, value);      /* two files, from that CPU */
        if (asprintf(&v, "%s\n", value) < 0)
                return -ENOMEM;
        return fsroot_write(fs, path, v);
}

static int irq_of(const char *path) {
        unsigned irq;
        char num[16];

        if (sscanf(path, "/proc/irq/%15[0-9]/", num) != 1 || parse_uint(num, &irq) < 0)
                return -1;
        return (int) irq;
}

int converge(const struct fsroot *fs, struct state *st, const struct knob_list *want,
             const struct converge_ops *ops) {
        _cleanup_free_ bool *skip = calloc(want->n + 1, sizeof(bool));
        bool dirty = false;
        int failures = 0, r;

        if (!skip)
                return -ENOMEM;

        /* 1. save what is about to change, and persist before writing */
        for (size_t i = 0; i < want->n; i++) {
                const struct knob *k = &want->k[i];
                _cleanup_free_ char *cur = NULL;

                if (state_find(st, k->path))
                        continue;
                r = knob_read(fs, k->read_path ? k->read_path : k->path, k->kind, &cur);
                if (r < 0) {
                        report(ops, CONVERGE_SAVE_FAILED, k->path, k->irq, k->value, r);
                        skip[i] = true;
                        failures++;
                        continue;
                }
                if (knob_value_equal(k->kind, cur, k->value) > 0) {
                        skip[i] = true;         /* already so; not ours to restore */
                        continue;
                }
                r = state_add(st, k->path, k->read_path, k->kind, cur);
                if (r < 0)
                        return r;
                dirty = true;
        }
        if (dirty && ops && ops->persist) {
                r = ops->persist(st, ops->userdata);
                if (r < 0)
                        return r;
        }
        dirty = false;

        /* 2. write */
        for (size_t i = 0; i < want->n; i++) {
                const struct knob *k = &want->k[i];
                _cleanup_free_ char *cur = NULL;

                if (skip[i])
                        continue;
                if (knob_read(fs, k->read_path ? k->read_path : k->path, k->kind, &cur) >= 0 &&
                    knob_value_equal(k->kind, cur, k->value) > 0)
                        continue;
                r = write_value(fs, k->path, k->value);
                if (r < 0) {
                        report(ops, CONVERGE_WRITE_FAILED, k->path, k->irq, k->value, r);
                        failures++;
                        if (!fsroot_write_error_is_transient(r)) {
                                state_remove(st, k->path);
                                dirty = true;
                        }
                } else
                        report(ops, CONVERGE_WRITTEN, k->path, k->irq, k->value, 0);
        }

        /* 3. restore what is no longer wanted (newest first) */
        for (size_t i = st->n_saved; i-- > 0;) {
                const struct saved *s = &st->saved[i];
                _cleanup_free_ char *cur = NULL, *path = NULL;

                if (knob_list_find(want, s->path))
                        continue;
                path = strdup(s->path);
                if (!path)
                        return -ENOMEM;
                if (knob_read(fs, s->read_path ? s->read_path : s->path, s->kind, &cur) >= 0 &&
                    knob_value_equal(s->kind, cur, s->orig) > 0)
                        r = 0;
                else {
                        r = write_value(fs, s->path, s->orig);
                        report(ops, r < 0 ? CONVERGE_RESTORE_FAILED : CONVERGE_RESTORED, s->path,
                               irq_of(s->path), s->orig, r);
                }
                if (r < 0) {
                        failures++;
                        if (fsroot_write_error_is_transient(r))
                                continue;
                }
                state_remove(st, path);
                dirty = true;
        }
        if (dirty && ops && ops->persist) {
                r = ops->persist(st, ops->userdata);
                if (r < 0)
                        return r;
        }
        return failures;
}
