/* cmdline.c — kernel command line lookup and isolation parameters; see
 * cmdline.h. Flag handling follows kernel/sched/isolation.c
 * housekeeping_isolcpus_setup(). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "util.h"

/* Copies the next token (quotes removed) into a new string; *p advances. */
static int next_token(const char **p, char **ret) {
        const char *s = *p, *start;
        bool quoted = false;
        char *tok, *t;

        while (isspace((unsigned char) *s))
                s++;
        if (!*s)
                return 0;
        start = s;
        for (; *s && (quoted || !isspace((unsigned char) *s)); s++)
                if (*s == '"')
                        quoted = !quoted;
        tok = t = malloc((size_t) (s - start) + 1);
        if (!tok)
                return -ENOMEM;
        for (const char *c = start; c < s; c++)
                if (*c != '"')
                        *t++ = *c;
        *t = '\0';
        *p = s;
        *ret = tok;
        return 1;
}

/* Kernel parameter names treat '-' and '_' alike (parameqn()). */
static bool key_matches(const char *tok, const char *key, size_t klen) {
        for (size_t i = 0; i < klen; i++) {
                char a = tok[i] == '-' ? '_' : tok[i], b = key[i] == '-' ? '_' : key[i];

                if (a != b)
                        return false;
        }
        return tok[klen] == '=' || tok[klen] == '\0';
}

int cmdline_get(const char *cmdline, const char *key, char **ret) {
        _cleanup_free_ char *found = NULL;
        bool found_any = false;
        size_t klen;
        int r;

        if (!cmdline || !key || !ret || !*key)
                return -EINVAL;
        klen = strlen(key);
        for (const char *p = cmdline;;) {
                _cleanup_free_ char *tok = NULL;

                r = next_token(&p, &tok);
                if (r < 0)
                        return r;
                if (r == 0 || streq(tok, "--"))
                        break;
                if (!key_matches(tok, key, klen))
                        continue;
                found_any = true;
                free(found);
                found = NULL;
                if (tok[klen] == '=') {
                        found = strdup(tok + klen + 1);
                        if (!found)
                                return -ENOMEM;
                }
        }
        if (!found_any)
                return 0;
        *ret = TAKE_PTR(found);
        return 1;
}

static void set_cpus(struct cmdline_cpus *c, const char *list, unsigned ncpus) {
        c->present = true;
        c->error = cpulist_parse_lenient(list, ncpus, &c->cpus);
        if (c->error < 0)
                cpumap_zero(&c->cpus);
}

/* "nohz,domain,managed_irq,2-3": flags, then the list. Unknown flags made of
 * letters and '_' are skipped, as the kernel does; others void the value. */
static void parse_isolcpus(const char *v, unsigned ncpus, struct cmdline_isolation *ci) {
        static const struct {
                const char *name;
                unsigned flag;
        } flags[] = {
                { "nohz,", ISOLCPUS_NOHZ },
                { "domain,", ISOLCPUS_DOMAIN },
                { "managed_irq,", ISOLCPUS_MANAGED_IRQ },
        };
        unsigned f = 0;

        while (isalpha((unsigned char) *v)) {
                size_t i, len;

                for (i = 0; i < ELEMENTSOF(flags); i++)
                        if (strncmp(v, flags[i].name, strlen(flags[i].name)) == 0)
                                break;
                if (i < ELEMENTSOF(flags)) {
                        f |= flags[i].flag;
                        v += strlen(flags[i].name);
                        continue;
                }
                len = strcspn(v, ",");
                if (v[len] != ',')
                        break;          /* no comma: the list itself (bad) */
                for (size_t j = 0; j < len; j++)
                        if (!isalpha((unsigned char) v[j]) && v[j] != '_') {
                                ci->isolcpus.present = true;
                                ci->isolcpus.error = -EINVAL;
                                cpumap_zero(&ci->isolcpus.cpus);
                                ci->isolcpus_flags = 0;
                                return;
                        }
                v += len + 1;
        }
        ci->isolcpus_flags = f ? f : ISOLCPUS_DOMAIN;
        set_cpus(&ci->isolcpus, v, ncpus);
}

int cmdline_parse_isolation(const char *cmdline, unsigned ncpus, struct cmdline_isolation *out) {
        _cleanup_free_ char *iso = NULL, *nohz = NULL, *nocbs = NULL, *irqaff = NULL;
        struct cmdline_isolation ci = {};
        int r;

        if (!cmdline || !out || ncpus > CPUMAP_MAX_CPUS)
                return -EINVAL;

        r = cmdline_get(cmdline, "isolcpus", &iso);
        if (r < 0)
                return r;
        if (r > 0 && iso)
                parse_isolcpus(iso, ncpus, &ci);

        r = cmdline_get(cmdline, "nohz_full", &nohz);
        if (r < 0)
                return r;
        if (r > 0 && nohz)
                set_cpus(&ci.nohz_full, nohz, ncpus);

        r = cmdline_get(cmdline, "rcu_nocbs", &nocbs);
        if (r < 0)
                return r;
        if (r > 0)
                set_cpus(&ci.rcu_nocbs, nocbs ? nocbs : "", ncpus);

        r = cmdline_get(cmdline, "irqaffinity", &irqaff);
        if (r < 0)
                return r;
        if (r > 0 && irqaff)
                set_cpus(&ci.irqaffinity, irqaff, ncpus);

        *out = ci;
        return 0;
}
