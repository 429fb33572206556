/* noise-guard.c — what 'tlbctl noise' checks before it touches the machine:
 *   - one measurement at a time. osnoise's settings (osnoise/cpus,
 *     osnoise/options) are global: a second 'tlbctl noise', or rtla (which
 *     runs the osnoise or timerlat tracer in an instance of its own), at the
 *     same time would change them under the first. Without osnoise (the
 *     counting fallback) two runs still spoil each other: two busy loops on
 *     one nohz_full CPU restart its tick. A lock file names the tlbctl
 *     holding it; where the kernel has osnoise, other tracers are found by
 *     reading every instance's current_tracer. Refused, with who holds it.
 *   - with --workload=user, a user thread already pinned to the measured
 *     CPUs (an RT application) takes turns with the busy loop: warned. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "lockfile.h"
#include "task.h"
#include "tlbctl.h"
#include "util.h"

#define NOISE_LOCK_DIR  "/run/lock"
#define NOISE_LOCK_NAME "tlbisol-noise.lock"

static bool is_osnoise_tracer(const char *tracer) {
        return tracer && (startswith(tracer, "osnoise") || startswith(tracer, "timerlat"));
}

/* An instance (or the top level) running osnoise or timerlat: its
 * description in *ret, 1; 0 if none. */
static int other_osnoise_user(char **ret) {
        _cleanup_free_ char *top = tracefs_instance_file_read(NULL, "current_tracer", NULL);
        char **names = tracefs_instances(NULL);
        int found = 0;

        if (is_osnoise_tracer(top)) {
                top[strcspn(top, "\n")] = 0;
                found = asprintf(ret, "the top-level tracing instance (current_tracer %s)", top) < 0 ? -ENOMEM : 1;
        }
        for (char **n = names; !found && n && *n; n++) {
                struct tracefs_instance *inst;
                _cleanup_free_ char *cur = NULL;

                if (startswith(*n, "tlbctl-"))
                        continue;       /* a live tlbctl holds the lock; dead ones are cleaned up */
                inst = tracefs_instance_alloc(NULL, *n);
                if (!inst)
                        continue;
                cur = tracefs_instance_file_read(inst, "current_tracer", NULL);
                tracefs_instance_free(inst);
                if (is_osnoise_tracer(cur)) {
                        cur[strcspn(cur, "\n")] = 0;
                        found = asprintf(ret, "tracing instance '%s' (current_tracer %s; rtla?)", *n, cur) < 0 ?
                                -ENOMEM : 1;
                }
        }
        tracefs_list_free(names);
        return found;
}

int noise_lock(int *ret_fd, char **ret_holder) {
        const char *dir = access(NOISE_LOCK_DIR, W_OK) == 0 ? NOISE_LOCK_DIR : "/run";
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&path, "%s/%s", dir, NOISE_LOCK_NAME) < 0)
                return -ENOMEM;
        r = lockfile_take(path, "tlbctl noise", &fd, ret_holder);
        if (r < 0)
                return r;
        r = tracefs_tracer_available(NULL, "osnoise") ? other_osnoise_user(ret_holder) : 0;
        if (r < 0)
                return r;
        if (r > 0)
                return -EBUSY;
        *ret_fd = TAKE_PTR_FD(fd);
        return 0;
}

struct pinned {
        const struct cpumap *cpus;
        unsigned n;
};

static int warn_if_pinned(const struct task_info *task, const struct task_info *leader, void *userdata) {
        struct pinned *p = userdata;
        char list[64] = "";

        if (task->flags & TASK_PF_KTHREAD || task->tgid == (int) getpid() || cpumap_is_empty(&task->allowed) ||
            !cpumap_is_subset(&task->allowed, p->cpus))
                return 0;
        if (p->n++ < 5) {
                (void) cpulist_format(&task->allowed, list, sizeof(list));
                tlbctl_error("noise: warning: thread %s (TID %d) is pinned to CPU %s, which --workload=user fills "
                          "with a busy loop: they take turns; --workload=none measures it as it runs",
                          task->comm, task->tid, list);
        }
        return 0;
}

void noise_warn_pinned(const struct tlbctl *t, const struct cpumap *cpus) {
        struct pinned p = { .cpus = cpus };

        (void) task_walk(t->fs, true, warn_if_pinned, &p);
        if (p.n > 5)
                tlbctl_error("noise: warning: %u more pinned threads", p.n - 5);
}
