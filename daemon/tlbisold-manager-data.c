/* tlbisold-manager-data.c — what every part of tlbisold records in the
 * Manager: the error it shows, the IRQs and tasks found unmovable, the
 * state file, the change announced. See tlbisold-manager-data.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlbisold-log.h"
#include "tlbisold-manager-data.h"
#include "util.h"

void manager_set_error(Manager *m, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        free_and_vformat(&m->last_error, fmt, ap);
        va_end(ap);
}

int manager_save_state(Manager *m) {
        int r = state_save(&m->state, m->state_dir, TLBISOLD_STATE_FILE);

        if (r < 0)
                return log_error_errno(r, "Failed to write state file %s/%s, changing nothing: %m",
                                       m->state_dir, TLBISOLD_STATE_FILE);
        return 0;
}

/* ---- unmovable IRQs: reported once ---- */

static bool is_unmovable(const Manager *m, unsigned irq) {
        for (size_t i = 0; i < m->n_unmovable; i++)
                if (m->unmovable[i].irq == irq)
                        return true;
        return false;
}

void manager_add_unmovable(Manager *m, unsigned irq, int r) {
        struct unmovable *n;
        char *why;

        if (is_unmovable(m, irq))
                return;
        if (asprintf(&why, "%s", r == -EIO ? "managed or fixed by its chip (EIO)" : strerror(-r)) < 0)
                return;
        n = realloc(m->unmovable, (m->n_unmovable + 1) * sizeof(*n));
        if (!n) {
                free(why);
                return;
        }
        m->unmovable = n;
        n[m->n_unmovable++] = (struct unmovable) { .irq = irq, .reason = why };
}

void manager_clear_unmovable(Manager *m) {
        for (size_t i = 0; i < m->n_unmovable; i++)
                free(m->unmovable[i].reason);
        free(m->unmovable);
        m->unmovable = NULL;
        m->n_unmovable = 0;
        free(m->unmovable_tasks);
        m->unmovable_tasks = NULL;
        m->n_unmovable_tasks = 0;
}

void manager_add_unmovable_task(Manager *m, int tid, unsigned long long start) {
        struct saved_task *n = realloc(m->unmovable_tasks, (m->n_unmovable_tasks + 1) * sizeof(*n));

        if (!n)
                return;
        m->unmovable_tasks = n;
        n[m->n_unmovable_tasks++] = (struct saved_task) { .tid = tid, .start = start };
}

void manager_send_changed(Manager *m, bool isolation_changed) {
        if (m->on_changed)
                m->on_changed(m, isolation_changed);
}
