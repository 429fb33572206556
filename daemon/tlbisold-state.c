/* tlbisold-state.c — saved originals, moved tasks and the state file; see
 * tlbisold-state.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsroot.h"
#include "parse.h"
#include "tlbisold-state.h"
#include "util.h"

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

/* v2: every file ends with "end\t<records>": a file cut short is refused
 * (v1 files, without it, are refused as well). */
#define STATE_MAGIC "# tlbisold state v2"

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
                _cleanup_free_ char *v = NULL, *cpus = NULL, *set = NULL;

                if (escape(s->tasks[i].comm, &v) < 0 || cpulist_format_alloc(&s->tasks[i].orig, &cpus) < 0 ||
                    cpulist_format_alloc(&s->tasks[i].set, &set) < 0) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "task\t%d\t%llu\t%s\t%s\t%s\n", s->tasks[i].tid, s->tasks[i].start, cpus,
                        *set ? set : "-", v);
        }
        fprintf(f, "end\t%zu\n", 1 + (s->module_sync >= 0 || s->module_defer >= 0 || s->module_has_mask) +
                s->n_saved + s->n_tasks);
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

static int refuse(struct state_error *err, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int refuse(struct state_error *err, unsigned line, const char *fmt, ...) {
        va_list ap;

        if (err) {
                err->line = line;
                va_start(ap, fmt);
                vsnprintf(err->why, sizeof(err->why), fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

/* "save <kind> <path> <read path or -> <escaped value>" */
static int parse_save(char **f, struct state *s, unsigned n, struct state_error *err) {
        _cleanup_free_ char *v = NULL;
        const char *read_path = streq(f[3], "-") ? NULL : f[3];
        int kind = knob_kind_from_string(f[1]), want = knob_catalogue_kind(f[2], read_path);

        if (kind < 0)
                return refuse(err, n, "unknown kind '%s'", f[1]);
        if (want < 0)
                return refuse(err, n, "%s%s%s is not a file tlbisold writes", f[2],
                              read_path ? " read through " : "", read_path ? read_path : "");
        if (kind != want)
                return refuse(err, n, "%s is a %s, not a %s", f[2], knob_kind_to_string(want), f[1]);
        if (unescape(f[4], &v) < 0)
                return refuse(err, n, "bad escape in the value of %s", f[2]);
        if (knob_value_valid(kind, v) < 0)
                return refuse(err, n, "'%.40s' is not a valid %s for %s", v, f[1], f[2]);
        if (state_add(s, f[2], read_path, kind, v) == -EEXIST)
                return refuse(err, n, "%s saved twice", f[2]);
        return 0;
}

/* "task <tid> <start time> <cpulist> [<cpulist or ->] <escaped comm>" (nf 5 or 6) */
static int parse_task(char **f, size_t nf, struct state *s, unsigned n, struct state_error *err) {
        _cleanup_free_ char *comm = NULL;
        struct cpumap orig, set = {};
        const char *name = f[nf - 1];
        uint64_t start;
        unsigned tid;
        int r;

        if (parse_uint(f[1], &tid) < 0 || tid == 0 || tid > 0x7fffffffu)
                return refuse(err, n, "bad task ID '%s'", f[1]);
        if (parse_u64(f[2], &start) < 0)
                return refuse(err, n, "bad start time '%s' of task %u", f[2], tid);
        if (cpulist_parse(f[3], 0, &orig) < 0 || cpumap_is_empty(&orig))
                return refuse(err, n, "bad affinity '%s' of task %u", f[3], tid);
        if (nf == 6 && !streq(f[4], "-") && (cpulist_parse(f[4], 0, &set) < 0 || cpumap_is_empty(&set)))
                return refuse(err, n, "bad affinity set '%s' of task %u", f[4], tid);
        if (unescape(name, &comm) < 0 || strlen(comm) >= sizeof(((struct saved_task *) NULL)->comm))
                return refuse(err, n, "bad name of task %u", tid);
        r = state_add_task(s, (int) tid, start, comm, &orig);
        if (r == -EEXIST)
                return refuse(err, n, "task %u saved twice", tid);
        if (r >= 0)
                s->tasks[s->n_tasks - 1].set = set;
        return r;
}

static int parse_record(char *line, struct state *s, unsigned n, struct state_error *err) {
        char *f[6] = {};
        size_t nf = 0;
        char *p = line, *tab;
        int r;

        while (nf < ELEMENTSOF(f)) {
                f[nf++] = p;
                tab = strchr(p, '\t');
                if (!tab)
                        break;
                *tab = 0;
                p = tab + 1;
        }
        if (streq(f[0], "runtime") && nf == 2)
                return cpulist_parse(f[1], 0, &s->runtime) < 0 ? refuse(err, n, "bad runtime CPU list '%s'", f[1]) : 0;
        if (streq(f[0], "module") && nf == 4) {
                r = parse_int_field(f[1], &s->module_sync);
                if (r >= 0)
                        r = parse_int_field(f[2], &s->module_defer);
                if (r >= 0 && !streq(f[3], "-")) {
                        r = cpulist_parse(f[3], 0, &s->module_defer_mask);
                        s->module_has_mask = true;
                }
                return r < 0 ? refuse(err, n, "bad module record") : 0;
        }
        if (streq(f[0], "save") && nf == 5)
                return parse_save(f, s, n, err);
        if (streq(f[0], "task") && (nf == 5 || nf == 6))
                return parse_task(f, nf, s, n, err);
        return refuse(err, n, "unknown record '%.20s' with %zu fields", f[0], nf);
}

int state_parse(const char *text, struct state *ret, struct state_error *err) {
        _cleanup_free_ char *copy = strdup(text ? text : "");
        struct state s;
        char *save = NULL, *line;
        unsigned n = 0, records = 0;
        bool ended = false;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        if (*copy && copy[strlen(copy) - 1] != '\n')
                return refuse(err, 0, "the last line is cut short");
        state_init(&s);
        for (line = strtok_r(copy, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                n++;
                if (ended)
                        r = refuse(err, n, "a record after the end marker");
                else if (n == 1)
                        r = streq(line, STATE_MAGIC) ? 0 : refuse(err, n, "not a state file of this version (want '%s')",
                                                                  STATE_MAGIC);
                else if (strncmp(line, "end\t", 4) == 0) {
                        unsigned want;

                        if (parse_uint(line + 4, &want) < 0 || want != records)
                                r = refuse(err, n, "the end marker counts %s records, the file has %u",
                                           line + 4, records);
                        ended = true;
                } else {
                        r = parse_record(line, &s, n, err);
                        records++;
                }
        }
        if (r >= 0 && n == 0)
                r = refuse(err, 0, "empty file");
        else if (r >= 0 && !ended)
                r = refuse(err, n, "no end marker: the file is truncated");
        if (r < 0) {
                state_done(&s);
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

int state_load(const char *dir, const char *name, struct state *ret, struct state_error *err) {
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
        return state_parse(text, ret, err);
}
