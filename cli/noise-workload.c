/* noise-workload.c — what runs on the measured CPUs while 'tlbctl noise'
 * measures, and so is not noise: by default a user-space busy loop per CPU
 * (osnoise's kernel-thread workload does not have the user mm loaded and
 * so never receives user TLB shootdowns); with --workload=none the
 * application's threads pinned there. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "noise.h"
#include "task.h"

int noise_workers_start(struct noise_run *n) {
        pid_t parent = getpid();
        int cpu;

        n->workers = calloc(cpumap_count(&n->cpus) + 1, sizeof(pid_t));
        if (!n->workers)
                return -ENOMEM;
        CPUMAP_FOREACH(cpu, &n->cpus) {
                pid_t pid = fork();

                if (pid < 0)
                        return -errno;
                if (pid == 0) {
                        struct cpumap one = {};

                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() != parent)
                                _exit(0);
                        signal(SIGINT, SIG_IGN);        /* the parent decides */
                        cpumap_set(&one, (unsigned) cpu);
                        if (task_set_affinity(0, &one) < 0)
                                _exit(1);
                        (void) prctl(PR_SET_NAME, "tlbctl-busy");
                        for (;;)
                                __asm__ volatile("" ::: "memory");
                }
                n->workers[n->nworkers++] = pid;
                if (n->acc)
                        (void) noise_acc_workload_pid(n->acc, pid);
                if (n->attrib)
                        (void) attrib_workload_pid(n->attrib, pid);
        }
        return 0;
}

void noise_workers_stop(struct noise_run *n) {
        for (size_t i = 0; i < n->nworkers; i++)
                (void) kill(n->workers[i], SIGKILL);
        for (size_t i = 0; i < n->nworkers; i++)
                while (waitpid(n->workers[i], NULL, 0) < 0 && errno == EINTR)
                        ;
        n->nworkers = 0;
}

/* With --workload=none the workload is the application already running on
 * the measured CPUs: its run time is not noise. Taken to be every user
 * thread allowed on measured CPUs only (pinned there, as an RT application
 * on isolated CPUs is); kernel threads (ktimers/N, rcuc/N, kworker/N:M) and
 * threads allowed elsewhere too stay noise. Scanned before and after the
 * window; a thread that lives only inside it is not seen and counts as
 * noise. */
static int add_if_pinned(const struct task_info *task, const struct task_info *leader, void *userdata) {
        struct noise_run *n = userdata;
        int r;
        (void) leader;

        if (task->flags & TASK_PF_KTHREAD || cpumap_is_empty(&task->allowed) ||
            !cpumap_is_subset(&task->allowed, &n->cpus))
                return 0;
        r = noise_acc_workload_pid(n->acc, task->tid);
        return r < 0 ? r : attrib_workload_pid(n->attrib, task->tid);
}

int noise_add_pinned_threads(struct noise_run *n) {
        return task_walk(n->t->fs, true, add_if_pinned, n);
}
