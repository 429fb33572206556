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
};

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

static int p_bool(struct ctx *x, const char *value, void *data, const void *arg) {
        int b = parse_bool(value);

        if (b < 0)
                return -EINVAL;
        *(bool *) data = b;
        return 0;
}

static int p_duration(struct ctx *x, const char *value, void *data, const void *arg) {
        uint64_t u;

        if (parse_duration(value, &u) < 0 || u > 10 * USEC_PER_SEC)
                return -ERANGE;
        *(uint64_t *) data = u;
        return 0;
}

static int p_cpus(struct ctx *x, const char *value, void *data, const void *arg) {
        struct cpumap m;
        char why[160];
        char *t;

        if (cpulist_parse_err(value, x->ncpus, &m, why, sizeof(why)) < 0) {
                snprintf(x->err, x->errlen, "%s", why);   /* picked up by the caller */
                return -ERANGE;
        }
        t = strdup(value);
        if (!t)
                return -ENOMEM;
        free(x->c->cpus_text);
        x->c->cpus_text = t;
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
                                return -EINVAL;
                } else if (t->choices) {
                        bool ok = false;

                        for (const char *const *c = t->choices; *c; c++)
                                ok = ok || streq(*c, value);
                        if (!ok)
                                return -EINVAL;
                } else {
                        char *end;
                        long l;

                        errno = 0;
                        l = strtol(value, &end, 10);
                        if (errno || end == value || *end || l < t->min || l > 0x7fffffffL)
                                return -EINVAL;
                }
        }
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        free(*slot);
        *slot = v;
        return 0;
}

#define TUN(i) { "Tuning", NULL, p_tunable, offsetof(struct config, tunable) + (i) * sizeof(char *), &tunables[i] }
static const struct conf_key keys[] = {
        { "Isolation", "CPUs", p_cpus, 0, NULL },
        { "Apply", "IRQs", p_bool, offsetof(struct config, irqs), NULL },
        { "Apply", "DefaultSMPAffinity", p_bool, offsetof(struct config, default_affinity), NULL },
        { "Apply", "Workqueues", p_bool, offsetof(struct config, workqueues), NULL },
        { "Apply", "Irqbalance", p_bool, offsetof(struct config, irqbalance), NULL },
        { "Apply", "KernelThreads", p_bool, offsetof(struct config, kthreads), NULL },
        { "Apply", "UserTasks", p_bool, offsetof(struct config, user_tasks), NULL },
        { "Apply", "UserTasksExclude", p_patterns, offsetof(struct config, user_tasks_exclude), NULL },
        TUN(0), TUN(1), TUN(2), TUN(3), TUN(4), TUN(5), TUN(6), TUN(7), TUN(8),
        { "Module", "TargetedSync", p_bool, offsetof(struct config, module_sync), NULL },
        { "Module", "Defer", p_bool, offsetof(struct config, module_defer), NULL },
        { "Daemon", "RestoreOnStop", p_bool, offsetof(struct config, restore_on_stop), NULL },
        { "Daemon", "Debounce", p_duration, offsetof(struct config, debounce_usec), NULL },
};

static const char *key_name(const struct conf_key *k) {
        return k->key ? k->key : ((const struct tunable_info *) k->arg)->key;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        struct ctx *x = user;
        bool known_section = false;

        if (x->r < 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const struct conf_key *k = &keys[i];
                char why[200] = "";
                int r;

                if (!streq(section, k->section))
                        continue;
                known_section = true;
                if (!streq(name, key_name(k)))
                        continue;
                {
                        char *saved_err = x->err;
                        size_t saved_len = x->errlen;

                        x->err = why;
                        x->errlen = sizeof(why);
                        r = k->parse(x, value, (char *) x->c + k->offset, k->arg);
                        x->err = saved_err;
                        x->errlen = saved_len;
                }
                if (r == -ENOMEM)
                        return fail(x, r, section, name, "out of memory");
                if (r < 0) {
                        if (!why[0]) {
                                if (k->parse == p_bool)
                                        snprintf(why, sizeof(why), "expected yes or no");
                                else if (k->parse == p_duration)
                                        snprintf(why, sizeof(why), "expected a duration up to 10s, like 50ms");
                                else if (k->parse == p_tunable) {
                                        const struct tunable_info *t = k->arg;

                                        if (t->choices)
                                                snprintf(why, sizeof(why), "expected keep, always, madvise or never");
                                        else if (t->kind == KNOB_CPULIST)
                                                snprintf(why, sizeof(why), "expected keep, housekeeping or a CPU list");
                                        else
                                                snprintf(why, sizeof(why), "expected keep or an integer >= %ld", t->min);
                                }
                        }
                        return fail(x, r, section, name, "invalid value '%s': %s", value, why);
                }
                return 1;
        }
        if (!*section)
                return fail(x, -EINVAL, "", name, "key outside of any section");
        return fail(x, -EINVAL, section, name, known_section ? "unknown key" : "unknown section");
}

/* fgets on a string that also counts lines, so errors can name them */
static char *reader(char *str, int num, void *stream) {
        struct ctx *x = stream;
        const char *nl;
        size_t n;

        if (!*x->text || num <= 1)
                return NULL;
        nl = strchr(x->text, '\n');
        n = nl ? (size_t) (nl - x->text) + 1 : strlen(x->text);
        if (n > (size_t) num - 1)
                n = (size_t) num - 1;
        memcpy(str, x->text, n);
        str[n] = 0;
        x->text += n;
        x->line++;
        return str;
}

int config_parse_string(const char *text, const char *name, unsigned ncpus, struct config *c,
                        char *err, size_t errlen) {
        struct ctx x = { .c = c, .name = name, .ncpus = ncpus, .text = text, .err = err, .errlen = errlen };
        int r;

        if (err && errlen)
                err[0] = 0;
        r = ini_parse_stream(reader, &x, handler, &x);
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
        };
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                c->tunable[i] = strdup(tunables[i].def);
}

void config_done(struct config *c) {
        free(c->cpus_text);
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
