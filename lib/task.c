/* task.c — /proc task reader and affinity; see task.h. */
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "parse.h"
#include "task.h"
#include "util.h"

int task_stat_parse(const char *text, struct task_info *ret) {
        const char *open, *close, *p;
        unsigned long long v[20];
        struct task_info t = {};
        unsigned tid;
        size_t n = 0;
        char num[16];

        if (!text)
                return -EINVAL;
        open = strchr(text, '(');
        close = strrchr(text, ')');
        if (!open || !close || close < open || (size_t) (open - text) >= sizeof(num) || open == text)
                return -EBADMSG;
        memcpy(num, text, (size_t) (open - text));
        num[open - text - 1] = 0;       /* drop the space before '(' */
        if (parse_uint(num, &tid) < 0 || tid == 0 || tid > 0x7fffffffu)
                return -EBADMSG;
        snprintf(t.comm, sizeof(t.comm), "%.*s", (int) (close - open - 1), open + 1);
        p = close + 1;
        while (*p == ' ')
                p++;
        if (!isalpha((unsigned char) *p))
                return -EBADMSG;
        t.state = *p++;
        /* fields 4.. (ppid ...): we need flags (9) and starttime (22) */
        while (n < ELEMENTSOF(v)) {
                char *end;

                while (*p == ' ')
                        p++;
                if (!*p || *p == '\n')
                        break;
                errno = 0;
                v[n] = strtoull(p, &end, 10);
                if (end == p || errno)
                        /* negative fields (tty_nr -1, priority) are fine as long as they parse */
                        v[n] = (unsigned long long) strtoll(p, &end, 10);
                if (end == p)
                        return -EBADMSG;
                p = end;
                n++;
        }
        if (n < 19)
                return -EBADMSG;
        t.tid = (int) tid;
        t.flags = (unsigned) v[5];
        t.start = v[18];
        *ret = t;
        return 0;
}

/* The value of "key:" in a /proc status text, up to the end of its line. */
static int status_field(const char *text, const char *key, char **ret) {
        size_t kl = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
                        l += kl + 1;
                        l += strspn(l, " \t");
                        *ret = strndup(l, strcspn(l, "\n"));
                        return *ret ? 0 : -ENOMEM;
                }
        return -EBADMSG;
}

int task_read(const struct fsroot *fs, const char *dir, struct task_info *ret) {
        _cleanup_free_ char *p = NULL, *stat = NULL, *status = NULL, *allowed = NULL, *tgid = NULL;
        struct task_info t;
        unsigned v;
        int r;

        if (asprintf(&p, "%s/stat", dir) < 0)
                return -ENOMEM;
        r = fsroot_read(fs, p, &stat);
        if (r < 0)
                return r;
        r = task_stat_parse(stat, &t);
        if (r < 0)
                return r;
        free(p);
        if (asprintf(&p, "%s/status", dir) < 0)
                return -ENOMEM;
        r = fsroot_read(fs, p, &status);
        if (r < 0)
                return r;
        r = status_field(status, "Cpus_allowed_list", &allowed);
        if (r >= 0)
                r = status_field(status, "Tgid", &tgid);
        if (r < 0)
                return r;
        if (cpulist_parse_lenient(allowed, 0, &t.allowed) < 0 || parse_uint(tgid, &v) < 0)
                return -EBADMSG;
        t.tgid = (int) v;
        *ret = t;
        return 0;
}

int task_read_cgroup(const struct fsroot *fs, const struct task_info *t, char **ret) {
        _cleanup_free_ char *p = NULL, *text = NULL;
        char *line, *save = NULL, *path;
        int r;

        if (asprintf(&p, "/proc/%d/task/%d/cgroup", t->tgid, t->tid) < 0)
                return -ENOMEM;
        r = fsroot_read(fs, p, &text);
        if (r < 0)
                return r;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strncmp(line, "0::", 3) == 0 && line[3] == '/') {
                        path = strdup(line + 3);
                        if (!path)
                                return -ENOMEM;
                        *ret = path;
                        return 0;
                }
        return -ENOENT;
}

static int walk_threads(const struct fsroot *fs, const struct task_info *leader, task_walk_fn fn,
                        void *userdata) {
        _cleanup_strv_free_ char **tids = NULL;
        char dir[64];
        int r;

        snprintf(dir, sizeof(dir), "/proc/%d/task", leader->tid);
        if (fsroot_list(fs, dir, &tids) < 0)
                return 0;       /* exited */
        for (char **n = tids; *n; n++) {
                _cleanup_free_ char *tdir = NULL;
                struct task_info t;

                if (asprintf(&tdir, "%s/%s", dir, *n) < 0)
                        return -ENOMEM;
                if (task_read(fs, tdir, &t) < 0)
                        continue;
                r = fn(&t, leader, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int task_walk(const struct fsroot *fs, bool threads, task_walk_fn fn, void *userdata) {
        _cleanup_strv_free_ char **pids = NULL;
        int r;

        r = fsroot_list(fs, "/proc", &pids);
        if (r < 0)
                return r;
        for (char **n = pids; *n; n++) {
                struct task_info t;
                char dir[32];
                unsigned pid;

                if (parse_uint(*n, &pid) < 0 || pid == 0 || pid > 0x7fffffffu)
                        continue;
                snprintf(dir, sizeof(dir), "/proc/%u", pid);
                if (task_read(fs, dir, &t) < 0 || t.tgid != (int) pid)
                        continue;       /* exited meanwhile, or a thread shown by its TID */
                if (threads && !(t.flags & TASK_PF_KTHREAD))
                        r = walk_threads(fs, &t, fn, userdata);
                else
                        r = fn(&t, &t, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int task_cpu_set(const struct cpumap *cpus, cpu_set_t **ret, size_t *ret_size) {
        size_t sz = CPU_ALLOC_SIZE(CPUMAP_MAX_CPUS);
        cpu_set_t *set = CPU_ALLOC(CPUMAP_MAX_CPUS);
        int cpu;

        if (!set)
                return -ENOMEM;
        CPU_ZERO_S(sz, set);
        CPUMAP_FOREACH(cpu, cpus)
                CPU_SET_S((size_t) cpu, sz, set);
        *ret = set;
        *ret_size = sz;
        return 0;
}

int task_set_affinity(pid_t tid, const struct cpumap *cpus) {
        cpu_set_t *set;
        size_t sz;
        int r;

        if (cpumap_is_empty(cpus))
                return -EINVAL;
        r = task_cpu_set(cpus, &set, &sz);
        if (r < 0)
                return r;
        r = sched_setaffinity(tid, sz, set) < 0 ? -errno : 0;
        CPU_FREE(set);
        return r;
}
