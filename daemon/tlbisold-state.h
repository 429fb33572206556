/* tlbisold-state.h — the original value of every file tlbisold changed and
 * of every task it moved, the runtime requests and the module controls it
 * changed, and the crash-safe state file that keeps them under /run
 * (write-temp-fsync-rename). Reading a state file trusts nothing: only the
 * files tlbisold writes, values valid for their kind, and a file that ends
 * with its end marker are accepted, else the whole file is refused. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cpumap.h"
#include "tlbisold-knob.h"

struct saved {
        char *path, *read_path; /* read_path NULL = path */
        enum knob_kind kind;
        char *orig;
};

/* a task whose affinity tlbisold changed: moved off the isolated CPUs, or
 * held while its partition exists (tlbisold-tasks.h) */
struct saved_task {
        int tid;
        unsigned long long start;       /* identity: a recycled TID has another start time */
        char comm[64];
        struct cpumap orig;
        /* the affinity tlbisold last gave it; empty: none yet (or a state
         * file from before it was recorded). Restored only while it still
         * has this one: a change by someone else since is left alone. */
        struct cpumap set;
};

struct state {
        struct saved *saved;
        size_t n_saved;
        struct saved_task *tasks;
        size_t n_tasks;
        struct cpumap runtime;  /* CPUs isolated by runtime requests */
        /* module controls before tlbisold changed them; -1 = not changed */
        int module_sync, module_defer;
        struct cpumap module_defer_mask;
        bool module_has_mask;
};

void state_init(struct state *s);
void state_done(struct state *s);
const struct saved *state_find(const struct state *s, const char *path);
int state_add(struct state *s, const char *path, const char *read_path, enum knob_kind kind,
              const char *orig);
void state_remove(struct state *s, const char *path);
struct saved_task *state_find_task(const struct state *s, int tid, unsigned long long start);
int state_add_task(struct state *s, int tid, unsigned long long start, const char *comm,
                   const struct cpumap *orig);
void state_remove_task(struct state *s, int tid, unsigned long long start);
/* Text form: the line "# tlbisold state v2", one record per line
 * ("runtime\t0-1", "save\t<kind>\t<path>\t<read path or ->\t<escaped value>",
 * "module\t...", "task\t<tid>\t<start>\t<orig cpulist>\t<set cpulist or ->\t<escaped comm>";
 * the older "task" line without the set field is read too), then
 * "end\t<number of records>"; values C-escaped. */
int state_serialize(const struct state *s, char **ret);
struct state_error {
        unsigned line;          /* 0: the file as a whole */
        char why[192];
};
/* Refuses the whole file (-EBADMSG, err says where and why) unless every
 * record is well-formed, every saved path is one tlbisold writes
 * (knob_catalogue_kind) with a value valid for its kind, and the file ends
 * with its end marker counting the records. err may be NULL. */
int state_parse(const char *text, struct state *ret, struct state_error *err);
/* Write-temp-fsync-rename into dir/name (real paths: /run is not in fsroot). */
int state_save(const struct state *s, const char *dir, const char *name);
/* -ENOENT if there is none. */
int state_load(const char *dir, const char *name, struct state *ret, struct state_error *err);
