/* tlbisold-conf.c — configuration keys, defaults and parsing; see
 * tlbisold-conf.h. */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsroot.h"
#include "parse.h"
#include "tlbisold-conf.h"
#include "tlbisold-knob.h"
#include "util.h"

struct ctx {
        struct config *c;
        const char *name;
        unsigned ncpus;
        unsigned line;
        const char *text;
        char *err;
        size_t errlen;
        int r;
        unsigned err_line;
        char *long_value;       /* the value of the last line too long for inih */
};

#define LONG_VALUE "\x01long"

typedef int (*conf_parser)(struct ctx *x, const char *value, void *data, const void *arg);

struct conf_key {
        const char *section, *key;
        conf_parser parse;
        size_t offset;
        const void *arg;
};

static int fail(struct ctx *x, int r, const char *section, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static int fail(struct ctx *x, int r, const char *section, const char *key, const char *fmt, ...) {
        char why[256];
        va_list ap;

        if (x->r < 0)
                return 0;
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        if (x->err)
                snprintf(x->err, x->errlen, "%s:%u: [%s] %s: %s", x->name, x->line, section, key, why);
        x->r = r;
        x->err_line = x->line;
        return 0;
}

static int parse_bool(const char *v) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

/* Each parser says why a value is refused, in x->err. */
static int refuse(struct ctx *x, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct ctx *x, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
        return r;
}

static int p_bool(struct ctx *x, const char *value, void *data, const void *arg) {
        int b = parse_bool(value);

        if (b < 0)
                return refuse(x, -EINVAL, "expected yes or no");
        *(bool *) data = b;
        return 0;
}

static int p_duration(struct ctx *x, const char *value, void *data, const void *arg) {
        uint64_t u;

        if (parse_duration(value, &u) < 0 || u > 10 * USEC_PER_SEC)
                return refuse(x, -ERANGE, "expected a duration up to 10s, like 50ms");
        *(uint64_t *) data = u;
        return 0;
}

static int p_uint(struct ctx *x, const char *value, void *data, const void *arg) {
        if (parse_uint(value, data) < 0)
                return refuse(x, -EINVAL, "expected a whole number >= 0");
        return 0;
}

static int p_cpus(struct ctx *x, const char *value, void *data, const void *arg) {
        struct cpumap m;
        char why[160];
        char *t;

        if (cpulist_parse_err(value, x->ncpus, &m, why, sizeof(why)) < 0)
                return refuse(x, -ERANGE, "%s", why);
        t = strdup(value);
        if (!t)
                return -ENOMEM;
        free(x->c->cpus_text);
        x->c->cpus_text = t;
        t = strdup(x->name);
        if (!t)
                return -ENOMEM;
        free(x->c->cpus_file);
        x->c->cpus_file = t;
        x->c->cpus = m;
        return 0;
}

/* Whitespace-separated patterns, appended; an empty value resets the list. */
static int p_patterns(struct ctx *x, const char *value, void *data, const void *arg) {
        char ***list = data, *copy, *save = NULL;
        size_t n = 0;

        if (!*value) {
                strv_free(*list);
                *list = NULL;
                return 0;
        }
        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        while (*list && (*list)[n])
                n++;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                char **v = realloc(*list, (n + 2) * sizeof(char *));

                if (!v) {
                        free(copy);
                        return -ENOMEM;
                }
                *list = v;
                v[n] = strdup(w);
                v[n + 1] = NULL;
                if (!v[n]) {
                        free(copy);
                        return -ENOMEM;
                }
                n++;
        }
        free(copy);
        return 0;
}

static int p_tunable(struct ctx *x, const char *value, void *data, const void *arg) {
        const struct tunable_info *t = arg;
        char **slot = data, *v;

        if (!streq(value, "keep")) {
                if (t->kind == KNOB_CPULIST) {
                        struct cpumap m;

                        if (!streq(value, "housekeeping") && cpulist_parse(value, x->ncpus, &m) < 0)
                                return refuse(x, -EINVAL, "expected keep, housekeeping or a CPU list");
                } else if (t->choices) {
                        bool ok = false;

                        for (const char *const *c = t->choices; *c; c++)
                                ok = ok || streq(*c, value);
                        if (!ok)
                                return refuse(x, -EINVAL, "expected keep, always, madvise or never");
                } else {
                        char *end;
                        long l;

                        errno = 0;
                        l = strtol(value, &end, 10);
                        if (errno || end == value || *end || l < t->min || l > 0x7fffffffL)
                                return refuse(x, -EINVAL, "expected keep or an integer >= %ld", t->min);
                }
        }
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        free(*slot);
        *slot = v;
        return 0;
}

/* "keep" (0) or 1s..4s: a period under the ~1 s of the remote tick does not
 * stop the fair server's activations; the kernel's maximum is 4.194304 s */
static int p_fair_period(struct ctx *x, const char *value, void *data, const void *arg) {
        uint64_t u;

        if (streq(value, "keep")) {
                *(uint64_t *) data = 0;
                return 0;
        }
        if (parse_duration(value, &u) < 0 || u < USEC_PER_SEC || u > 4 * USEC_PER_SEC)
                return refuse(x, -ERANGE, "expected keep or a duration from 1s to 4s, like 2s");
        *(uint64_t *) data = u;
        return 0;
}

static const struct conf_key keys[] = {
        { "Isolation", "CPUs", p_cpus, 0, NULL },
        { "Apply", "IRQs", p_bool, offsetof(struct config, irqs), NULL },
        { "Apply", "DefaultSMPAffinity", p_bool, offsetof(struct config, default_affinity), NULL },
        { "Apply", "Workqueues", p_bool, offsetof(struct config, workqueues), NULL },
        { "Apply", "Irqbalance", p_bool, offsetof(struct config, irqbalance), NULL },
        { "Apply", "KernelThreads", p_bool, offsetof(struct config, kthreads), NULL },
        { "Apply", "UserTasks", p_bool, offsetof(struct config, user_tasks), NULL },
        { "Apply", "UserTasksExclude", p_patterns, offsetof(struct config, user_tasks_exclude), NULL },
        { "Tuning", "FairServerPeriod", p_fair_period, offsetof(struct config, fair_server_period_usec), NULL },
        { "Module", "TargetedSync", p_bool, offsetof(struct config, module_sync), NULL },
        { "Module", "Defer", p_bool, offsetof(struct config, module_defer), NULL },
        { "Daemon", "RestoreOnStop", p_bool, offsetof(struct config, restore_on_stop), NULL },
        { "Daemon", "Debounce", p_duration, offsetof(struct config, debounce_usec), NULL },
        { "Check", "MaxInterruptsPerSec", p_uint, offsetof(struct config, check_max_irq_per_sec), NULL },
        { "Check", "MaxNoise", p_duration, offsetof(struct config, check_max_noise_usec), NULL },
};

/* The key of section/name: one of keys[], or a [Tuning] key of the
 * tunables table (built in *tmp). NULL if unknown; *known_section says
 * whether the section exists. */
static const struct conf_key *find_key(const char *section, const char *name, struct conf_key *tmp,
                                       bool *known_section) {
        *known_section = streq(section, "Tuning");
        for (size_t i = 0; *known_section && i < _TUNABLE_MAX; i++)
                if (streq(name, tunables[i].key)) {
                        *tmp = (struct conf_key) { "Tuning", tunables[i].key, p_tunable,
                                                   offsetof(struct config, tunable) + i * sizeof(char *),
                                                   &tunables[i] };
                        return tmp;
                }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (!streq(section, keys[i].section))
                        continue;
                *known_section = true;
                if (streq(name, keys[i].key))
                        return &keys[i];
        }
        return NULL;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        struct ctx *x = user;
        const struct conf_key *k;
        struct conf_key tmp;
        bool known_section;
        char why[200] = "";
        char *saved_err = x->err;
        size_t saved_len = x->errlen;
        int r;

        if (x->r < 0)
                return 0;
        if (streq(value, LONG_VALUE))
                value = x->long_value;  /* a line longer than inih's buffer, see reader() */
        k = find_key(section, name, &tmp, &known_section);
        if (!k) {
                if (!*section)
                        return fail(x, -EINVAL, "", name, "key outside of any section");
                return fail(x, -EINVAL, section, name, known_section ? "unknown key" : "unknown section");
        }
        x->err = why;
        x->errlen = sizeof(why);
        r = k->parse(x, value, (char *) x->c + k->offset, k->arg);
        x->err = saved_err;
        x->errlen = saved_len;
        if (r == -ENOMEM)
                return fail(x, r, section, name, "out of memory");
        if (r < 0)
                return fail(x, r, section, name, "invalid value '%s': %s", value, why);
        return 1;
}

/* The start of an inline comment: '#' or ';' after a blank, outside a
 * comment line (a value cannot hold " #": tlbisold.conf(5)). NULL if none. */
static char *inline_comment(char *line) {
        char *p = line + strspn(line, " \t");

        if (*p == '#' || *p == ';' || *p == '[')
                return NULL;
        for (; *p; p++)
                if ((*p == '#' || *p == ';') && (p[-1] == ' ' || p[-1] == '\t'))
                        return p;
        return NULL;
}

/* inih's fgets: one line of the text per call, so inih's line numbers are
 * the file's. inih's buffer holds INI_MAX_LINE (200) bytes: a longer
 * "Key=Value" line is handed over as "Key=<LONG_VALUE>" with the value
 * kept in x->long_value; any other longer line as a line inih refuses
 * (or, a comment, as "#"). Inline comments are cut here. */
static char *reader(char *str, int num, void *stream) {
        struct ctx *x = stream;
        _cleanup_free_ char *line = NULL;
        size_t n = strcspn(x->text, "\n"), room = num > 2 ? (size_t) num - 2 : 0;
        char *c, *eq;

        if (!*x->text || num <= 2)
                return NULL;
        line = strndup(x->text, n);
        if (!line) {
                x->r = -ENOMEM;
                return NULL;
        }
        x->text += n + (x->text[n] == '\n');
        x->line++;
        c = inline_comment(line);
        if (c)
                *c = 0;
        n = strlen(line);
        if (n <= room) {
                snprintf(str, (size_t) num, "%s\n", line);
                return str;
        }
        c = line + strspn(line, " \t");
        eq = strchr(line, '=');
        if (*c == '#' || *c == ';')
                snprintf(str, (size_t) num, "#\n");
        else if (eq && (size_t) (eq - line) + strlen(LONG_VALUE) + 1 <= room) {
                free(x->long_value);
                x->long_value = strdup(eq + 1 + strspn(eq + 1, " \t"));
                if (!x->long_value) {
                        x->r = -ENOMEM;
                        return NULL;
                }
                for (char *e = x->long_value + strlen(x->long_value); e > x->long_value &&
                     (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
                        e[-1] = 0;
                snprintf(str, (size_t) num, "%.*s=%s\n", (int) (eq - line), line, LONG_VALUE);
        } else
                snprintf(str, (size_t) num, "?\n");     /* a syntax error at this line */
        return str;
}

int config_parse_string(const char *text, const char *name, unsigned ncpus, struct config *c,
                        char *err, size_t errlen) {
        struct ctx x = { .c = c, .name = name, .ncpus = ncpus, .text = text, .err = err, .errlen = errlen };
        int r;

        if (err && errlen)
                err[0] = 0;
        r = ini_parse_stream(reader, &x, handler, &x);
        free(x.long_value);
        if (x.r < 0 && (r <= 0 || (unsigned) r >= x.err_line))
                return x.r;
        if (r != 0) {
                if (err)
                        snprintf(err, errlen, "%s:%d: syntax error (expected [Section] or Key=Value)", name, r);
                return -EINVAL;
        }
        return 0;
}

void config_init(struct config *c) {
        *c = (struct config) {
                .irqs = true, .default_affinity = true, .workqueues = true, .irqbalance = true,
                .kthreads = true, .user_tasks = false,
                .module_sync = true, .module_defer = false,
                .restore_on_stop = true, .debounce_usec = 50 * USEC_PER_MSEC,
                .check_max_irq_per_sec = 2, .check_max_noise_usec = 100,
        };
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                c->tunable[i] = strdup(tunables[i].def);
}

void config_done(struct config *c) {
        free(c->cpus_text);
        free(c->cpus_file);
        strv_free(c->user_tasks_exclude);
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                free(c->tunable[i]);
        memset(c, 0, sizeof(*c));
}

static int parse_file(const char *path, unsigned ncpus, struct config *c, char *err, size_t errlen) {
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        r = fsroot_new(NULL, &fs);
        if (r < 0)
                return r;
        r = fsroot_read(fs, path, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (err)
                        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-r));
                return r;
        }
        return config_parse_string(text, path, ncpus, c, err, errlen);
}

int config_load(const char *path, unsigned ncpus, struct config *ret, char *err, size_t errlen) {
        _cleanup_free_ char *dir = NULL;
        struct dirent **list = NULL;
        struct config c;
        int r, n;

        if (!path || path[0] != '/')
                return -EINVAL;
        config_init(&c);
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                if (!c.tunable[i]) {
                        config_done(&c);
                        return -ENOMEM;
                }
        r = parse_file(path, ncpus, &c, err, errlen);
        if (r >= 0 && asprintf(&dir, "%s.d", path) < 0)
                r = -ENOMEM;
        if (r >= 0) {
                n = scandir(dir, &list, NULL, alphasort);
                for (int i = 0; i < n; i++) {
                        size_t len = strlen(list[i]->d_name);
                        _cleanup_free_ char *p = NULL;

                        if (r >= 0 && len > 5 && streq(list[i]->d_name + len - 5, ".conf")) {
                                if (asprintf(&p, "%s/%s", dir, list[i]->d_name) < 0)
                                        r = -ENOMEM;
                                else
                                        r = parse_file(p, ncpus, &c, err, errlen);
                        }
                        free(list[i]);
                }
                free(list);
        }
        if (r < 0) {
                config_done(&c);
                return r;
        }
        config_done(ret);
        *ret = c;
        return 0;
}
