/* tlbisold-partition.c — the isolated partition tlbisold owns; see
 * tlbisold-partition.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cgpartition.h"
#include "fsroot.h"
#include "sysinfo.h"
#include "tlbisold-partition.h"
#include "util.h"

#define MODE_FILE SYSINFO_CGROUP2_MOUNT PARTITION_CGROUP "/cpuset.cpus.partition"
#define POLL_MS 10u

static void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

static const char *list(const struct cpumap *m, char *buf, size_t len) {
        if (cpulist_format(m, buf, len) < 0)
                snprintf(buf, len, "(%u CPUs)", cpumap_count(m));
        return *buf ? buf : "none";
}

/* ---- partitions of others ---- */

static const char *unit_of(const char *cgpath) {
        const char *last = strrchr(cgpath, '/');
        size_t n;

        last = last ? last + 1 : cgpath;
        n = strlen(last);
        if ((n > 6 && streq(last + n - 6, ".slice")) || (n > 8 && streq(last + n - 8, ".service")) ||
            (n > 6 && streq(last + n - 6, ".scope")))
                return last;
        return NULL;
}

void partition_foreign_cpus(const struct isolation_facts *f, const struct cpumap *want, struct cpumap *ret) {
        cpumap_zero(ret);
        for (size_t i = 0; i < f->n_parts; i++) {
                struct cpumap both;

                if (streq(f->parts[i].path, PARTITION_CGROUP))
                        continue;
                cpumap_and(&both, &f->parts[i].cpus, want);
                cpumap_or(ret, ret, &both);
        }
}

int partition_check_foreign(const struct isolation_facts *f, const struct cpumap *want,
                            char *err, size_t errlen) {
        for (size_t i = 0; i < f->n_parts; i++) {
                const struct partition *p = &f->parts[i];
                char a[64], b[80] = "";
                struct cpumap both;
                const char *unit;

                if (streq(p->path, PARTITION_CGROUP))
                        continue;
                cpumap_and(&both, &p->cpus, want);
                if (cpumap_is_empty(&both))
                        continue;
                unit = unit_of(p->path);
                if (unit)
                        snprintf(b, sizeof(b), " (systemd unit %s)", unit);
                errf(err, errlen, "CPU %s %s in the isolated partition %s%s, which tlbisold does not own; "
                     "change that partition to release %s", list(&both, a, sizeof(a)),
                     cpumap_count(&both) > 1 ? "are" : "is", p->path, b, cpumap_count(&both) > 1 ? "them" : "it");
                return -EBUSY;
        }
        return 0;
}

/* ---- the transaction ---- */

/* The partition cgroup's state now; on failure err names the file. */
static int read_state(const struct fsroot *fs, unsigned ncpus, struct cgpart *st, char *err, size_t errlen) {
        int r = cgpart_read(fs, PARTITION_CGROUP, ncpus, st);

        if (r < 0)
                errf(err, errlen, "reading %s: %s", PARTITION_CGROUP, strerror(-r));
        return r;
}

static int write_mode(const struct fsroot *fs, const struct partition_ops *ops, const char *mode) {
        _cleanup_free_ char *line = NULL;

        if (asprintf(&line, "%s\n", mode) < 0)
                return -ENOMEM;
        if (ops->write_mode)
                return ops->write_mode(fs, MODE_FILE, line, ops->userdata);
        return fsroot_write(fs, MODE_FILE, line);
}

/* Waits until done(state) holds, as long as systemd may take; the last
 * state read is in *st. */
static int wait_for(const struct fsroot *fs, unsigned ncpus, const struct partition_ops *ops,
                    bool (*done)(const struct cgpart *st, const struct cpumap *want),
                    const struct cpumap *want, struct cgpart *st) {
        unsigned waited = 0, limit = ops->wait_ms ? ops->wait_ms : 5000;
        int r;

        for (;;) {
                r = cgpart_read(fs, PARTITION_CGROUP, ncpus, st);
                if (r < 0)
                        return r;
                if (done(st, want))
                        return 1;
                if (!ops->pause || waited >= limit)
                        return 0;
                ops->pause(POLL_MS, ops->userdata);
                waited += POLL_MS;
        }
}

static bool has_cpus(const struct cgpart *st, const struct cpumap *want) {
        return st->mode >= CGPART_MEMBER && cpumap_equal(&st->cpus, want);
}

static bool is_gone(const struct cgpart *st, const struct cpumap *want) {
        (void) want;
        return st->mode == CGPART_ABSENT;
}

/* What a request to systemd must bring about, and how each way it fails is
 * named: systemd's refusal "systemd: DOING: WHY", the cgroup unreadable
 * "reading CGROUP<read_after>: WHY", the effect not seen in time by
 * not_seen() (given the last state read). */
struct systemd_effect {
        bool (*done)(const struct cgpart *st, const struct cpumap *want);
        const char *read_after;
        void (*not_seen)(const struct cgpart *st, const struct cpumap *want, char *err, size_t errlen);
};

/* r and sd: systemd's answer to the request named by doing; then waits
 * until e->done holds. 0, or a negative errno with err naming the failure
 * (-EBUSY: not seen in time). */
static int systemd_then_wait(const struct fsroot *fs, unsigned ncpus, const struct partition_ops *ops,
                             int r, const char *sd, const char *doing, const struct systemd_effect *e,
                             const struct cpumap *want, char *err, size_t errlen) {
        struct cgpart st;

        if (r < 0) {
                errf(err, errlen, "systemd: %s: %s", doing, *sd ? sd : strerror(-r));
                return r;
        }
        r = wait_for(fs, ncpus, ops, e->done, want, &st);
        if (r < 0) {
                errf(err, errlen, "reading %s%s: %s", PARTITION_CGROUP, e->read_after, strerror(-r));
                return r;
        }
        if (r == 0) {
                e->not_seen(&st, want, err, errlen);
                return -EBUSY;
        }
        return 0;
}

static void cpus_not_seen(const struct cgpart *st, const struct cpumap *want, char *err, size_t errlen) {
        char a[64], b[64];

        if (st->mode == CGPART_ABSENT || st->mode == CGPART_NO_CPUSET)
                errf(err, errlen, "cpuset.cpus: systemd did not create %s with the cpuset controller",
                     PARTITION_CGROUP);
        else
                errf(err, errlen, "cpuset.cpus: the kernel refused %s for %s (it still reads '%s'): "
                     "a sibling cgroup holds these CPUs exclusively (see systemd's journal)",
                     list(want, a, sizeof(a)), PARTITION_CGROUP, cpulist_format(&st->cpus, b, sizeof(b)) < 0
                     ? "?" : b);
}

static void still_there(const struct cgpart *st, const struct cpumap *want, char *err, size_t errlen) {
        (void) st, (void) want;
        errf(err, errlen, "systemd: %s is still there after it was stopped", PARTITION_CGROUP);
}

static const struct systemd_effect cpus_set = { has_cpus, "", cpus_not_seen };
static const struct systemd_effect slice_gone = { is_gone, " after systemd stopped it", still_there };

/* systemd sets AllowedCPUs=want; the kernel must show it in cpuset.cpus. */
static int set_cpus(const struct fsroot *fs, unsigned ncpus, const struct partition_ops *ops, bool running,
                    const struct cpumap *want, char *err, size_t errlen) {
        char sd[256] = "", doing[160], a[64];
        int r;

        snprintf(doing, sizeof(doing), "%s %s with AllowedCPUs=%s", running ? "changing" : "starting",
                 PARTITION_SLICE, list(want, a, sizeof(a)));
        r = ops->set_cpus(want, running, sd, sizeof(sd), ops->userdata);
        return systemd_then_wait(fs, ncpus, ops, r, sd, doing, &cpus_set, want, err, errlen);
}

/* Makes the slice an isolated partition and checks what the kernel says. */
static int make_isolated(const struct fsroot *fs, unsigned ncpus, const struct partition_ops *ops,
                         const struct cpumap *want, char *err, size_t errlen) {
        char text[200], a[64], b[64];
        struct cgpart st;
        int r;

        r = read_state(fs, ncpus, &st, err, errlen);
        if (r < 0)
                return r;
        if (st.mode != CGPART_ISOLATED || st.invalid) {
                if (st.mode != CGPART_MEMBER) {
                        /* from "root" or an invalid state: through member, as
                         * update_prstate() treats an invalid one */
                        r = write_mode(fs, ops, "member");
                        if (r < 0) {
                                errf(err, errlen, "cpuset.cpus.partition: writing member: %s", strerror(-r));
                                return r;
                        }
                }
                r = write_mode(fs, ops, "isolated");
                if (r < 0) {
                        errf(err, errlen, "cpuset.cpus.partition: writing isolated: %s", strerror(-r));
                        return r;
                }
                r = read_state(fs, ncpus, &st, err, errlen);
                if (r < 0)
                        return r;
        }
        if (!cgpart_is_isolated(&st)) {
                cgpart_describe(&st, text, sizeof(text));
                errf(err, errlen, "cpuset.cpus.partition: the kernel made %s '%s'", PARTITION_CGROUP, text);
                return -EINVAL;
        }
        if (!cpumap_equal(&st.effective, want)) {
                errf(err, errlen, "cpuset.cpus.effective: the partition %s has CPUs %s, not %s", PARTITION_CGROUP,
                     list(&st.effective, a, sizeof(a)), list(want, b, sizeof(b)));
                return -EINVAL;
        }
        return 0;
}

/* No partition any more: member, and the slice stopped when nothing runs
 * in it. note: why it was kept. */
static int remove_partition(const struct fsroot *fs, unsigned ncpus, const struct partition_ops *ops,
                            char *err, size_t errlen, char *note, size_t notelen) {
        char sd[256] = "";
        struct cgpart st;
        int r;

        r = read_state(fs, ncpus, &st, err, errlen);
        if (r < 0)
                return r;
        if (st.mode == CGPART_ABSENT)
                return 0;
        if (st.mode >= CGPART_ROOT || st.invalid) {
                r = write_mode(fs, ops, "member");
                if (r < 0) {
                        errf(err, errlen, "cpuset.cpus.partition: writing member: %s", strerror(-r));
                        return r;
                }
        }
        if (st.populated) {
                if (note)
                        errf(note, notelen, "%s is no longer an isolated partition; the slice is kept because "
                             "tasks still run in it", PARTITION_SLICE);
                return 1;
        }
        r = ops->stop(sd, sizeof(sd), ops->userdata);
        r = systemd_then_wait(fs, ncpus, ops, r, sd, "stopping " PARTITION_SLICE, &slice_gone, NULL, err, errlen);
        return r < 0 ? r : 1;
}

/* Back to before: no slice, or the old CPUs and state. */
static int roll_back(const struct fsroot *fs, unsigned ncpus, const struct partition_ops *ops,
                     const struct cgpart *old, bool asked_systemd, char *err, size_t errlen) {
        struct cgpart st;
        int r;

        if (old->mode == CGPART_ABSENT)
                return remove_partition(fs, ncpus, ops, err, errlen, NULL, 0) < 0 ? -EIO : 0;
        r = read_state(fs, ncpus, &st, err, errlen);
        if (r < 0)
                return r;
        /* systemd's AllowedCPUs= too, even where the kernel refused the new value */
        if (st.mode >= CGPART_MEMBER && (asked_systemd || !cpumap_equal(&st.cpus, &old->cpus))) {
                r = set_cpus(fs, ncpus, ops, true, &old->cpus, err, errlen);
                if (r < 0)
                        return r;
        }
        if (cgpart_is_isolated(old))
                return make_isolated(fs, ncpus, ops, &old->effective, err, errlen);
        r = cgpart_read(fs, PARTITION_CGROUP, ncpus, &st);
        if (r >= 0 && st.mode != CGPART_MEMBER && st.mode != CGPART_NO_CPUSET)
                r = write_mode(fs, ops, "member");
        if (r < 0)
                errf(err, errlen, "cpuset.cpus.partition: writing member: %s", strerror(-r));
        return r < 0 ? r : 0;
}

bool partition_needs_change(const struct fsroot *fs, unsigned ncpus, const struct cpumap *want) {
        struct cgpart p;

        if (cgpart_read(fs, PARTITION_CGROUP, ncpus, &p) < 0)
                return true;
        if (cpumap_is_empty(want))
                return p.mode != CGPART_ABSENT && (p.mode != CGPART_MEMBER || !p.populated);
        return !cgpart_is_isolated(&p) || !cpumap_equal(&p.cpus, want) || !cpumap_equal(&p.effective, want);
}

int partition_converge(const struct fsroot *fs, unsigned ncpus, const struct cpumap *want,
                       const struct partition_ops *ops, char *err, size_t errlen) {
        char step[400] = "", back[300] = "";
        struct cgpart old;
        bool asked;
        int r;

        err[0] = 0;
        r = read_state(fs, ncpus, &old, err, errlen);
        if (r < 0)
                return r;
        if (cpumap_is_empty(want)) {
                r = remove_partition(fs, ncpus, ops, step, sizeof(step), err, errlen);
                if (r < 0)
                        errf(err, errlen, "%s", step);
                return r;
        }
        if (cgpart_is_isolated(&old) && cpumap_equal(&old.cpus, want) && cpumap_equal(&old.effective, want))
                return 0;

        asked = old.mode == CGPART_ABSENT || old.mode == CGPART_NO_CPUSET || !cpumap_equal(&old.cpus, want);
        if (asked)
                r = set_cpus(fs, ncpus, ops, old.mode != CGPART_ABSENT, want, step, sizeof(step));
        if (r >= 0)
                r = make_isolated(fs, ncpus, ops, want, step, sizeof(step));
        if (r >= 0)
                return 1;
        if (roll_back(fs, ncpus, ops, &old, asked, back, sizeof(back)) < 0)
                errf(err, errlen, "%s; rollback failed: %s", step, back);
        else
                errf(err, errlen, "%s; rolled back", step);
        return r;
}
