/* tlbisold-converge.h — bring the files tlbisold owns to the wanted
 * values: save the originals first (persisting the state before any
 * write), write what differs, restore what is no longer wanted. Pure logic
 * against an fsroot; the state file write and the reporting are injected. */
#pragma once
#include "tlbisold-knob.h"
#include "tlbisold-state.h"

struct fsroot;

enum converge_event {
        CONVERGE_WRITTEN,       /* desired value written */
        CONVERGE_WRITE_FAILED,  /* r says why; transient or permanent */
        CONVERGE_RESTORED,      /* original written back */
        CONVERGE_RESTORE_FAILED,
        CONVERGE_SAVE_FAILED,   /* could not read the original: not touched */
};

struct converge_ops {
        /* Persist the state before any write that needs a new saved entry;
         * a failure aborts converge before anything is written. */
        int (*persist)(const struct state *s, void *userdata);
        void (*report)(enum converge_event ev, const char *path, int irq, const char *value,
                       int r, void *userdata);
        void *userdata;
};

/* Brings the system to `want`: saves originals of knobs not yet saved
 * (persisting the state first), writes those whose current value differs,
 * and restores every saved knob that is no longer wanted. Knobs whose write
 * fails permanently lose their saved entry (nothing was changed). Returns
 * the number of failures, or a negative errno if persisting failed. */
int converge(const struct fsroot *fs, struct state *st, const struct knob_list *want,
             const struct converge_ops *ops);
