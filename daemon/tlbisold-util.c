/* tlbisold-util.c — isolation sources, knobs, saved state and converge; see
 * tlbisold-util.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsroot.h"
#include "parse.h"
#include "tlbisold-util.h"
#include "util.h"

/* ---- knobs ---- */

static const char *const kind_names[_KNOB_KIND_MAX] = {
        [KNOB_STRING] = "string",
        [KNOB_CPULIST] = "cpulist",
        [KNOB_HEXMASK] = "hexmask",
        [KNOB_SELECTOR] = "selector",
};

const char *knob_kind_to_string(enum knob_kind k) {
        return k < _KNOB_KIND_MAX ? kind_names[k] : NULL;
}

int knob_kind_from_string(const char *s) {
        for (int i = 0; i < _KNOB_KIND_MAX; i++)
                if (streq(s, kind_names[i]))
                        return i;
        return -EINVAL;
}

void knob_list_done(struct knob_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->k[i].path);
                free(l->k[i].read_path);
                free(l->k[i].value);
        }
        free(l->k);
        l->k = NULL;
        l->n = 0;
}

int knob_list_add(struct knob_list *l, const char *path, const char *read_path,
                  enum knob_kind kind, const char *value, int irq) {
        struct knob *n, *k;

        if (!path || !value || kind >= _KNOB_KIND_MAX)
                return -EINVAL;
        n = realloc(l->k, (l->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        l->k = n;
        k = &n[l->n];
        *k = (struct knob) { .kind = kind, .irq = irq };
        k->path = strdup(path);
        k->read_path = read_path ? strdup(read_path) : NULL;
        k->value = strdup(value);
        if (!k->path || !k->value || (read_path && !k->read_path)) {
                free(k->path);
                free(k->read_path);
                free(k->value);
                return -ENOMEM;
        }
        l->n++;
        return 0;
}

const struct knob *knob_list_find(const struct knob_list *l, const char *path) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->k[i].path, path))
                        return &l->k[i];
        return NULL;
}

static char *strip(char *s) {
        size_t n;

        while (isspace((unsigned char) *s))
                s++;
        n = strlen(s);
        while (n && isspace((unsigned char) s[n - 1]))
                s[--n] = 0;
        return s;
}

int knob_read(const struct fsroot *fs, const char *path, enum knob_kind kind, char **ret) {
        _cleanup_free_ char *line = NULL;
        char *v, *o, *c;
        int r;

        r = fsroot_read_line(fs, path, &line);
        if (r < 0)
                return r;
        v = strip(line);
        if (kind == KNOB_SELECTOR) {
                o = strchr(v, '[');
                c = o ? strchr(o, ']') : NULL;
                if (!o || !c)
                        return -EBADMSG;
                *c = 0;
                v = o + 1;
        }
        v = strdup(v);
        if (!v)
                return -ENOMEM;
        *ret = v;
        return 0;
}

int knob_value_equal(enum knob_kind kind, const char *a, const char *b) {
        struct cpumap ma, mb;

        switch (kind) {
        case KNOB_CPULIST:
                if (cpulist_parse_lenient(a, 0, &ma) < 0 || cpulist_parse_lenient(b, 0, &mb) < 0)
                        break;
                return cpumap_equal(&ma, &mb);
        case KNOB_HEXMASK:
                if (cpumask_parse_hex(a, 0, &ma) < 0 || cpumask_parse_hex(b, 0, &mb) < 0)
                        break;
                return cpumap_equal(&ma, &mb);
        default:
                break;
        }
        /* plain text; blanks between words (e.g. "4 4 1 7") do not matter */
        while (*a || *b) {
                if (isspace((unsigned char) *a) && isspace((unsigned char) *b)) {
                        while (isspace((unsigned char) *a))
                                a++;
                        while (isspace((unsigned char) *b))
                                b++;
                        continue;
                }
                if (*a != *b)
                        return 0;
                a++;
                b++;
        }
        return 1;
}

/* ---- state ---- */

void state_init(struct state *s) {
        *s = (struct state) { .module_sync = -1, .module_defer = -1 };
}

void state_done(struct state *s) {
        for (size_t i = 0; i < s->n_saved; i++) {
                free(s->saved[i].path);
                free(s->saved[i].read_path);
                free(s->saved[i].orig);
        }
        free(s->saved);
        free(s->tasks);
        state_init(s);
}

const struct saved *state_find(const struct state *s, const char *path) {
        for (size_t i = 0; i < s->n_saved; i++)
                if (streq(s->saved[i].path, path))
                        return &s->saved[i];
        return NULL;
}

int state_add(struct state *s, const char *path, const char *read_path, enum knob_kind kind,
              const char *orig) {
        struct saved *n, *e;

        if (!path || !orig || kind >= _KNOB_KIND_MAX)
                return -EINVAL;
        if (state_find(s, path))
                return -EEXIST;
        n = realloc(s->saved, (s->n_saved + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->saved = n;
        e = &n[s->n_saved];
        *e = (struct saved) { .kind = kind };
        e->path = strdup(path);
        e->read_path = read_path && !streq(read_path, path) ? strdup(read_path) : NULL;
        e->orig = strdup(orig);
        if (!e->path || !e->orig || (read_path && !streq(read_path, path) && !e->read_path)) {
                free(e->path);
                free(e->read_path);
                free(e->orig);
                return -ENOMEM;
        }
        s->n_saved++;
        return 0;
}

void state_remove(struct state *s, const char *path) {
        for (size_t i = 0; i < s->n_saved; i++)
                if (streq(s->saved[i].path, path)) {
                        free(s->saved[i].path);
                        free(s->saved[i].read_path);
                        free(s->saved[i].orig);
                        memmove(&s->saved[i], &s->saved[i + 1], (s->n_saved - i - 1) * sizeof(*s->saved));
                        s->n_saved--;
                        return;
                }
}

struct saved_task *state_find_task(const struct state *s, int tid, unsigned long long start) {
        for (size_t i = 0; i < s->n_tasks; i++)
                if (s->tasks[i].tid == tid && s->tasks[i].start == start)
                        return &s->tasks[i];
        return NULL;
}

int state_add_task(struct state *s, int tid, unsigned long long start, const char *comm,
                   const struct cpumap *orig) {
        struct saved_task *n;

        if (tid <= 0 || !comm || !orig)
                return -EINVAL;
        if (state_find_task(s, tid, start))
                return -EEXIST;
        n = realloc(s->tasks, (s->n_tasks + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->tasks = n;
        n[s->n_tasks] = (struct saved_task) { .tid = tid, .start = start, .orig = *orig };
        snprintf(n[s->n_tasks].comm, sizeof(n[s->n_tasks].comm), "%s", comm);
        s->n_tasks++;
        return 0;
}

void state_remove_task(struct state *s, int tid, unsigned long long start) {
        struct saved_task *t = state_find_task(s, tid, start);

        if (!t)
                return;
        memmove(t, t + 1, (size_t) (s->tasks + s->n_tasks - (t + 1)) * sizeof(*t));
        s->n_tasks--;
}

static int escape(const char *s, char **ret) {
        char *o = malloc(strlen(s) * 4 + 1), *p = o;

        if (!o)
                return -ENOMEM;
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c == '\\')
                        p += sprintf(p, "\\\\");
                else if (c == '\t')
                        p += sprintf(p, "\\t");
                else if (c == '\n')
                        p += sprintf(p, "\\n");
                else if (c < 0x20 || c == 0x7f)
                        p += sprintf(p, "\\x%02x", c);
                else
                        *p++ = (char) c;
        }
        *p = 0;
        *ret = o;
        return 0;
}

static int unescape(const char *s, char **ret) {
        char *o = malloc(strlen(s) + 1), *p = o;

        if (!o)
                return -ENOMEM;
        for (; *s; s++) {
                if (*s != '\\') {
                        *p++ = *s;
                        continue;
                }
                s++;
                if (*s == '\\')
                        *p++ = '\\';
                else if (*s == 't')
                        *p++ = '\t';
                else if (*s == 'n')
                        *p++ = '\n';
                else if (*s == 'x' && isxdigit((unsigned char) s[1]) && isxdigit((unsigned char) s[2])) {
                        char hex[3] = { s[1], s[2], 0 };

                        *p++ = (char) strtoul(hex, NULL, 16);
                        s += 2;
                } else {
                        free(o);
                        return -EBADMSG;
                }
        }
        *p = 0;
        *ret = o;
        return 0;
}

#define STATE_MAGIC "# tlbisold state v1"

int state_serialize(const struct state *s, char **ret) {
        _cleanup_free_ char *buf = NULL, *rt = NULL, *mask = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        r = cpulist_format_alloc(&s->runtime, &rt);
        if (r < 0)
                return r;
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, STATE_MAGIC "\nruntime\t%s\n", rt);
        if (s->module_sync >= 0 || s->module_defer >= 0 || s->module_has_mask) {
                if (s->module_has_mask && cpulist_format_alloc(&s->module_defer_mask, &mask) < 0) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "module\t%d\t%d\t%s\n", s->module_sync, s->module_defer,
                        s->module_has_mask ? mask : "-");
        }
        for (size_t i = 0; i < s->n_saved; i++) {
                _cleanup_free_ char *v = NULL;

                if (escape(s->saved[i].orig, &v) < 0) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "save\t%s\t%s\t%s\t%s\n", knob_kind_to_string(s->saved[i].kind),
                        s->saved[i].path, s->saved[i].read_path ? s->saved[i].read_path : "-", v);
        }
        for (size_t i = 0; i < s->n_tasks; i++) {
                _cleanup_free_ char *v = NULL, *cpus = NULL;

                if (escape(s->tasks[i].comm, &v) < 0 || cpulist_format_alloc(&s->tasks[i].orig, &cpus) < 0) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "task\t%d\t%llu\t%s\t%s\n", s->tasks[i].tid, s->tasks[i].start, cpus, v);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int parse_int_field(const char *s, int *ret) {
        unsigned u;

        if (streq(s, "-1")) {
                *ret = -1;
                return 0;
        }
        if (parse_uint(s, &u) < 0 || u > 1)
                return -EBADMSG;
        *ret = (int) u;
        return 0;
}

int state_parse(const char *text, struct state *ret, unsigned *ret_line) {
        _cleanup_free_ char *copy = strdup(text ? text : "");
        struct state s;
        char *save = NULL, *line;
        unsigned n = 0;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        state_init(&s);
        for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[6] = {};
                size_t nf = 0;
                char *p = line, *tab;

                n++;
                if (n == 1) {
                        if (!streq(line, STATE_MAGIC)) {
                                r = -EBADMSG;
                                break;
                        }
                        continue;
                }
                while (nf < ELEMENTSOF(f)) {
                        f[nf++] = p;
                        tab = strchr(p, '\t');
                        if (!tab)
                                break;
                        *tab = 0;
                        p = tab + 1;
                }
                if (streq(f[0], "runtime") && nf == 2) {
                        r = cpulist_parse(f[1], 0, &s.runtime) < 0 ? -EBADMSG : 0;
                } else if (streq(f[0], "module") && nf == 4) {
                        r = parse_int_field(f[1], &s.module_sync);
                        if (r >= 0)
                                r = parse_int_field(f[2], &s.module_defer);
                        if (r >= 0 && !streq(f[3], "-")) {
                                r = cpulist_parse(f[3], 0, &s.module_defer_mask) < 0 ? -EBADMSG : 0;
                                s.module_has_mask = true;
                        }
                } else if (streq(f[0], "save") && nf == 5) {
                        _cleanup_free_ char *v = NULL;
                        int kind = knob_kind_from_string(f[1]);

                        if (kind < 0 || f[2][0] != '/' || unescape(f[4], &v) < 0)
                                r = -EBADMSG;
                        else
                                r = state_add(&s, f[2], streq(f[3], "-") ? NULL : f[3], kind, v);
                        if (r == -EEXIST)
                                r = -EBADMSG;
                } else if (streq(f[0], "task") && nf == 5) {
                        _cleanup_free_ char *v = NULL;
                        unsigned long long start;
                        struct cpumap orig;
                        unsigned tid;
                        char *end;

                        errno = 0;
                        start = strtoull(f[2], &end, 10);
                        if (parse_uint(f[1], &tid) < 0 || tid == 0 || tid > 0x7fffffffu || errno ||
                            !isdigit((unsigned char) f[2][0]) ||
                            end == f[2] || *end || cpulist_parse(f[3], 0, &orig) < 0 || unescape(f[4], &v) < 0)
                                r = -EBADMSG;
                        else
                                r = state_add_task(&s, (int) tid, start, v, &orig);
                        if (r == -EEXIST)
                                r = -EBADMSG;
                } else
                        r = -EBADMSG;
                if (r < 0)
                        break;
        }
        if (r >= 0 && n == 0)
                r = -EBADMSG;
        if (r < 0) {
                state_done(&s);
                if (ret_line)
                        *ret_line = n;
                return r;
        }
        *ret = s;
        return 0;
}

int state_save(const struct state *s, const char *dir, const char *name) {
        _cleanup_free_ char *text = NULL, *tmp = NULL, *dst = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len, off = 0;
        int r;

        r = state_serialize(s, &text);
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s/.%s.tmp", dir, name) < 0 || asprintf(&dst, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        len = strlen(text);
        while (off < len) {
                ssize_t n = write(fd, text + off, len - off);

                if (n < 0) {
                        r = -errno;
                        goto fail;
                }
                off += (size_t) n;
        }
        if (fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (rename(tmp, dst) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;
fail:
        (void) unlink(tmp);
        return r;
}

int state_load(const char *dir, const char *name, struct state *ret, unsigned *ret_line) {
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL;
        int r;

        r = fsroot_new(dir, &fs);
        if (r < 0)
                return r;
        if (asprintf(&path, "/%s", name) < 0)
                return -ENOMEM;
        r = fsroot_read(fs, path, &text);
        if (r < 0)
                return r;
        return state_parse(text, ret, ret_line);
}

/* ---- converge ---- */

static void report(const struct converge_ops *ops, enum converge_event ev, const char *path, int irq,
                   const char *value, int r) {
        if (ops && ops->report)
                ops->report(ev, path, irq, value, r, ops->userdata);
}

static int write_value(const struct fsroot *fs, const char *path, const char *value) {
        _cleanup_free_ char *v = NULL;

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

/* ---- plans ---- */

bool affinity_for(const struct cpumap *orig, const struct cpumap *isolated,
                  const struct cpumap *housekeeping, struct cpumap *ret) {
        if (!cpumap_intersects(orig, isolated))
                return false;
        cpumap_andnot(ret, orig, isolated);
        if (cpumap_is_empty(ret))
                *ret = *housekeeping;
        return !cpumap_is_empty(ret);
}

static bool skipped(const struct irq_skip *skip, unsigned irq) {
        for (size_t i = 0; skip && i < skip->n; i++)
                if (skip->irqs[i] == irq)
                        return true;
        return false;
}

static int original(const struct fsroot *fs, const struct state *st, const char *path,
                    const char *read_path, enum knob_kind kind, char **ret) {
        const struct saved *s = state_find(st, path);

        if (s) {
                *ret = strdup(s->orig);
                return *ret ? 0 : -ENOMEM;
        }
        return knob_read(fs, read_path ? read_path : path, kind, ret);
}

int plan_irqs(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
              const struct irq_skip *skip, bool default_affinity, struct knob_list *out) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = fsroot_list(fs, "/proc/irq", &names);
        if (r < 0)
                return r;
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *path = NULL, *orig = NULL, *val = NULL;
                struct cpumap m, want;
                unsigned irq;

                if (parse_uint(*n, &irq) < 0 || skipped(skip, irq))
                        continue;
                if (asprintf(&path, "/proc/irq/%u/smp_affinity_list", irq) < 0)
                        return -ENOMEM;
                if (original(fs, st, path, NULL, KNOB_CPULIST, &orig) < 0)
                        continue;       /* vanished, or no affinity file */
                if (cpulist_parse_lenient(orig, 0, &m) < 0)
                        continue;
                if (!affinity_for(&m, &iso->isolated, &iso->housekeeping, &want))
                        continue;
                r = cpulist_format_alloc(&want, &val);
                if (r < 0)
                        return r;
                r = knob_list_add(out, path, NULL, KNOB_CPULIST, val, (int) irq);
                if (r < 0)
                        return r;
        }
        if (default_affinity) {
                _cleanup_free_ char *orig = NULL, *val = NULL;
                const char *path = "/proc/irq/default_smp_affinity";
                struct cpumap m, want;

                if (original(fs, st, path, NULL, KNOB_HEXMASK, &orig) >= 0 &&
                    cpumask_parse_hex(orig, 0, &m) >= 0 &&
                    affinity_for(&m, &iso->isolated, &iso->housekeeping, &want)) {
                        r = cpumask_format_hex_alloc(&want, iso->ncpus, &val);
                        if (r < 0)
                                return r;
                        r = knob_list_add(out, path, NULL, KNOB_HEXMASK, val, -1);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

#define WQ "/sys/devices/virtual/workqueue/"

int plan_workqueue(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
                   const struct cpumap *kernel_excluded, struct knob_list *out) {
        _cleanup_free_ char *orig = NULL, *val = NULL;
        struct cpumap m, need, want;
        bool v68;
        int r;

        r = fsroot_exists(fs, WQ "cpumask_requested");
        if (r < 0)
                return r;
        v68 = r > 0;
        r = original(fs, st, WQ "cpumask", v68 ? WQ "cpumask_requested" : NULL, KNOB_HEXMASK, &orig);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = cpumask_parse_hex(orig, 0, &m);
        if (r < 0)
                return r;
        need = iso->isolated;
        if (v68 && kernel_excluded)
                cpumap_andnot(&need, &need, kernel_excluded);
        if (!affinity_for(&m, &need, &iso->housekeeping, &want))
                return 0;
        r = cpumask_format_hex_alloc(&want, iso->ncpus, &val);
        if (r < 0)
                return r;
        return knob_list_add(out, WQ "cpumask", v68 ? WQ "cpumask_requested" : NULL, KNOB_HEXMASK, val, -1);
}
