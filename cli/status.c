/* status.c — 'tlbctl status': per-CPU role and isolation sources, IRQs
 * still affined to isolated CPUs, IPI counters (totals and rates over a
 * short window), the module's counters and the daemon's state, then
 * summary lines a person can act on. Human table or --json. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsroot.h"
#include "interrupts.h"
#include "ipikind.h"
#include "json-out.h"
#include "parse.h"
#include "tlbctl.h"
#include "util.h"

static const char *const ipi_rows[] = { "CAL", "TLB", "RES", "LOC", "IWI" };
#define NIPI ELEMENTSOF(ipi_rows)

struct affined_irq {
        unsigned irq;
        const char *name;               /* points into the interrupts snapshot */
        uint64_t total;                 /* on this CPU since boot */
        double rate;                    /* NAN without a window */
};

struct cpu_row {
        unsigned cpu;
        bool online, isolated;
        char **sources;                 /* strv */
        size_t nsources;
        uint64_t ipi_total[NIPI];
        double ipi_rate[NIPI];
        struct affined_irq *irqs;
        size_t nirqs;
};

struct status {
        uint64_t window_usec;
        struct cpu_row *rows;
        size_t nrows;
        char **summary;
        size_t nsummary;
        struct daemon_state daemon;
        struct module_state module;
        struct isolation iso;           /* the kernel's and the daemon's sources */
};

static int summary_add(struct status *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int summary_add(struct status *s, const char *fmt, ...) {
        va_list ap;
        char *line;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_push(&s->summary, &s->nsummary, line);
}

/* The daemon's runtime requests and configured CPUs on top of what the
 * kernel says: one model (lib/isolation.h), the daemon's sources by name. */
static int status_isolation(const struct tlbctl *t, struct status *s) {
        struct cpumap runtime = {}, config = {};
        int r;

        for (size_t i = 0; s->daemon.running && i < s->daemon.nsources; i++) {
                const struct daemon_source *d = &s->daemon.sources[i];
                struct cpumap m;

                if (cpulist_parse_lenient(d->cpus, t->facts.sys.ncpus, &m) < 0)
                        continue;
                if (streq(d->source, "runtime"))
                        cpumap_or(&runtime, &runtime, &m);
                else if (streq(d->source, "config"))
                        cpumap_or(&config, &config, &m);
        }
        r = isolation_compute(&t->facts, &runtime, &config, &s->iso);
        return r == -EXFULL ? 0 : r;
}

/* The CPUs an IRQ is delivered to: effective affinity where the kernel
 * has it, else the requested one. */
static int irq_cpus(const struct tlbctl *t, unsigned irq, struct cpumap *out) {
        static const char *const files[] = { "effective_affinity_list", "smp_affinity_list" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[96];

                snprintf(path, sizeof(path), "/proc/irq/%u/%s", irq, files[i]);
                if (sysinfo_read_cpulist(t->fs, path, t->facts.sys.ncpus, out) >= 0)
                        return 0;
        }
        return -ENOENT;
}

static int collect(const struct tlbctl *t, struct status *s) {
        _cleanup_(interrupts_freep) struct interrupts *a = NULL, *b = NULL, *d = NULL;
        bool rates = s->window_usec > 0;
        double secs = (double) s->window_usec / 1e6;
        int cpu, r;

        if (!t->fixture_root) {
                r = daemon_state_read(&s->daemon);
                if (r < 0)
                        return r;
        } else {
                s->daemon.why_not = strdup("not queried (TLBISOL_ROOT is set)");
                if (!s->daemon.why_not)
                        return -ENOMEM;
        }
        r = module_state_read(t, &s->module);
        if (r < 0)
                return r;

        r = status_isolation(t, s);
        if (r < 0)
                return r;

        r = interrupts_read(t->fs, &a);
        if (r < 0) {
                tlbctl_error("cannot read %s/proc/interrupts: %s", fsroot_prefix(t->fs), strerror(-r));
                return r;
        }
        if (rates) {
                struct timespec ts = { (time_t) (s->window_usec / 1000000),
                                       (long) (s->window_usec % 1000000) * 1000 };

                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
                r = interrupts_read(t->fs, &b);
                if (r >= 0)
                        r = interrupts_delta(a, b, &d);
                if (r < 0) {
                        tlbctl_error("cannot read /proc/interrupts again: %s", strerror(-r));
                        return r;
                }
        } else
                b = TAKE_PTR(a);

        s->rows = calloc(t->facts.sys.ncpus ? t->facts.sys.ncpus : 1, sizeof(*s->rows));
        if (!s->rows)
                return -ENOMEM;
        CPUMAP_FOREACH(cpu, &t->facts.sys.possible) {
                struct cpu_row *row = &s->rows[s->nrows++];

                row->cpu = (unsigned) cpu;
                row->online = cpumap_test(&t->facts.sys.online, cpu);
                row->isolated = cpumap_test(&s->iso.isolated, cpu);
                r = isolation_sources_of(&s->iso, (unsigned) cpu, &row->sources);
                if (r < 0)
                        return r;
                row->nsources = strv_length(row->sources);
                for (size_t i = 0; i < NIPI; i++) {
                        const struct irq_row *ir = interrupts_find(b, ipi_rows[i]);
                        const struct irq_row *dr = rates ? interrupts_find(d, ipi_rows[i]) : NULL;

                        row->ipi_total[i] = ir ? irq_row_count(ir, (unsigned) cpu) : 0;
                        row->ipi_rate[i] = !rates ? NAN :
                                dr ? (double) irq_row_count(dr, (unsigned) cpu) / secs : 0.0;
                }
        }

        /* Device IRQs still delivered to isolated CPUs. */
        for (size_t i = 0; i < b->nrows; i++) {
                const struct irq_row *ir = &b->rows[i];
                struct cpumap m;

                if (!ir->numeric || irq_cpus(t, ir->irq, &m) < 0 ||
                    !cpumap_intersects(&m, &s->iso.isolated))
                        continue;
                for (size_t k = 0; k < s->nrows; k++) {
                        struct cpu_row *row = &s->rows[k];
                        const struct irq_row *dr;
                        struct affined_irq *n;

                        if (!row->isolated || !cpumap_test(&m, row->cpu))
                                continue;
                        n = realloc(row->irqs, (row->nirqs + 1) * sizeof(*n));
                        if (!n)
                                return -ENOMEM;
                        row->irqs = n;
                        dr = rates ? interrupts_find_irq(d, ir->irq) : NULL;
                        n[row->nirqs++] = (struct affined_irq) {
                                .irq = ir->irq,
                                .name = ir->actions && *ir->actions ? ir->actions : ir->desc,
                                .total = irq_row_count(ir, row->cpu),
                                .rate = !rates ? NAN : dr ? (double) irq_row_count(dr, row->cpu) / secs : 0.0,
                        };
                }
        }

        /* Summary: what a person can act on. */
        if (cpumap_is_empty(&s->iso.isolated))
                r = summary_add(s, "no CPU is isolated (no nohz_full=, isolcpus=, isolated cgroup partition or runtime request)");
        for (size_t k = 0; r >= 0 && k < s->nrows; k++) {
                const struct cpu_row *row = &s->rows[k];
                bool quiet = true;

                if (!row->isolated)
                        continue;
                if (!row->online) {
                        r = summary_add(s, "CPU %u: isolated but offline", row->cpu);
                        continue;
                }
                for (size_t j = 0; r >= 0 && j < row->nirqs; j++) {
                        const struct affined_irq *q = &row->irqs[j];

                        if (rates && q->rate > 0)
                                r = summary_add(s, "CPU %u: %.0f IRQ/s from %s (IRQ %u) still affined",
                                                row->cpu, q->rate, q->name, q->irq);
                        else if (rates)
                                r = summary_add(s, "CPU %u: IRQ %u (%s) still affined (quiet now)",
                                                row->cpu, q->irq, q->name);
                        else
                                r = summary_add(s, "CPU %u: IRQ %u (%s) still affined (%" PRIu64 " since boot)",
                                                row->cpu, q->irq, q->name, q->total);
                        quiet = false;
                }
                for (size_t i = 0; r >= 0 && rates && i < NIPI; i++) {
                        double v = row->ipi_rate[i];
                        bool tick = streq(ipi_rows[i], "LOC");

                        /* One event in a short window is not a pattern; the
                         * nohz_full residual tick is 1 Hz by design. */
                        if (v * secs < 2 || v < (tick ? 2.5 : 1.0))
                                continue;
                        quiet = false;
                        if (tick && cpumap_test(&t->facts.sys.nohz_full, row->cpu))
                                r = summary_add(s, "CPU %u: %.0f LOC/s: the tick is not stopped on this nohz_full CPU (idle, or more than one runnable task?)",
                                                row->cpu, v);
                        else if (streq(ipi_rows[i], "CAL") || streq(ipi_rows[i], "TLB"))
                                r = summary_add(s, "CPU %u: %.0f %s/s function-call IPIs; 'tlbctl noise -c %u' shows what they carry",
                                                row->cpu, v, ipi_rows[i], row->cpu);
                        else
                                r = summary_add(s, "CPU %u: %.0f %s/s", row->cpu, v, ipi_rows[i]);
                }
                if (r >= 0 && quiet && rates)
                        r = summary_add(s, "CPU %u: quiet (under 2 device IRQs or IPIs of each kind in %.1f s)", row->cpu, secs);
        }
        if (r >= 0 && !cpumap_is_empty(&s->iso.isolated)) {
                _cleanup_strv_free_ char **lines = NULL;

                r = limits_lines(&t->facts, &s->iso.isolated, &lines);
                for (char **l = lines; r >= 0 && l && *l; l++)
                        r = summary_add(s, "%s", *l);
        }
        if (r >= 0 && !s->daemon.running)
                r = summary_add(s, "tlbisold: %s", s->daemon.why_not ? s->daemon.why_not : "not running");
        if (r >= 0 && s->daemon.running && s->daemon.last_error && *s->daemon.last_error)
                r = summary_add(s, "tlbisold: last error: %s", s->daemon.last_error);
        return r;
}

static void status_done(struct status *s) {
        for (size_t k = 0; k < s->nrows; k++) {
                strv_free(s->rows[k].sources);
                free(s->rows[k].irqs);
        }
        free(s->rows);
        strv_free(s->summary);
        isolation_done(&s->iso);
        daemon_state_done(&s->daemon);
        module_state_done(&s->module);
}

static struct json_object *json_str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static struct json_object *status_json(const struct tlbctl *t, const struct status *s) {
        struct json_object *o = json_object_new_object(), *cpus = json_object_new_array();
        struct json_object *d = json_object_new_object(), *m = json_object_new_object();
        struct json_object *sum = json_object_new_array(), *parts = json_object_new_array();

        json_object_object_add(o, "window_s", s->window_usec ?
                               json_rate((double) s->window_usec / 1e6) : NULL);
        json_object_object_add(o, "online", json_cpulist(&t->facts.sys.online));
        json_object_object_add(o, "isolated", json_cpulist(&s->iso.isolated));
        json_object_object_add(o, "housekeeping", json_cpulist(&s->iso.housekeeping));
        json_object_object_add(o, "nohz_full", json_cpulist(&t->facts.sys.nohz_full));
        for (size_t i = 0; i < t->facts.n_parts; i++) {
                struct json_object *p = json_object_new_object();

                json_object_object_add(p, "path", json_object_new_string(t->facts.parts[i].path));
                json_object_object_add(p, "cpus", json_cpulist(&t->facts.parts[i].cpus));
                json_object_array_add(parts, p);
        }
        json_object_object_add(o, "partitions", parts);

        for (size_t k = 0; k < s->nrows; k++) {
                const struct cpu_row *row = &s->rows[k];
                struct json_object *c = json_object_new_object(), *src = json_object_new_array();
                struct json_object *ipi = json_object_new_object(), *irqs = json_object_new_array();
                struct json_object *mod = NULL;

                json_object_object_add(c, "cpu", json_object_new_int((int) row->cpu));
                json_object_object_add(c, "online", json_object_new_boolean(row->online));
                json_object_object_add(c, "role", json_object_new_string(row->isolated ? "isolated" : "housekeeping"));
                for (size_t i = 0; i < row->nsources; i++)
                        json_object_array_add(src, json_object_new_string(row->sources[i]));
                json_object_object_add(c, "sources", src);
                for (size_t i = 0; i < NIPI; i++) {
                        struct json_object *e = json_object_new_object();

                        json_object_object_add(e, "total", json_u64(row->ipi_total[i]));
                        json_object_object_add(e, "rate", json_rate(row->ipi_rate[i]));
                        json_object_object_add(ipi, ipi_rows[i], e);
                }
                json_object_object_add(c, "ipi", ipi);
                for (size_t j = 0; j < row->nirqs; j++) {
                        struct json_object *e = json_object_new_object();

                        json_object_object_add(e, "irq", json_object_new_int((int) row->irqs[j].irq));
                        json_object_object_add(e, "name", json_object_new_string(row->irqs[j].name));
                        json_object_object_add(e, "total", json_u64(row->irqs[j].total));
                        json_object_object_add(e, "rate", json_rate(row->irqs[j].rate));
                        json_object_array_add(irqs, e);
                }
                json_object_object_add(c, "irqs_affined", irqs);
                if (s->module.cpu && row->cpu < s->module.ncpus && s->module.cpu[row->cpu].present) {
                        const struct module_cpu *mc = &s->module.cpu[row->cpu];
                        struct json_object *rx = json_object_new_object();

                        mod = json_object_new_object();
                        for (int i = 0; i < _IPI_KIND_MAX; i++)
                                json_object_object_add(rx, ipi_kind_name(i), json_u64(mc->rx[i]));
                        json_object_object_add(mod, "received", rx);
                        json_object_object_add(mod, "avoided_sync", json_u64(mc->avoided_sync));
                        json_object_object_add(mod, "avoided_kernel_flush", json_u64(mc->avoided_kflush));
                        json_object_object_add(mod, "avoided_text_sync", json_u64(mc->avoided_text_sync));
                        json_object_object_add(mod, "catchup_entry", json_u64(mc->catchup_entry));
                        json_object_object_add(mod, "catchup_nmi", json_u64(mc->catchup_nmi));
                        json_object_object_add(mod, "protocol_violations", json_u64(mc->proto_violations));
                }
                json_object_object_add(c, "module", mod);
                json_object_array_add(cpus, c);
        }
        json_object_object_add(o, "cpus", cpus);

        json_object_object_add(m, "loaded", json_object_new_boolean(s->module.loaded));
        json_object_object_add(m, "reason", json_str_or_null(s->module.why_not));
        json_object_object_add(m, "sync", json_str_or_null(s->module.sync));
        json_object_object_add(m, "defer", json_str_or_null(s->module.defer));
        json_object_object_add(m, "accounting", json_str_or_null(s->module.acct));
        json_object_object_add(o, "module", m);

        json_object_object_add(d, "running", json_object_new_boolean(s->daemon.running));
        json_object_object_add(d, "reason", json_str_or_null(s->daemon.why_not));
        if (s->daemon.running) {
                struct json_object *src = json_object_new_array(), *um = json_object_new_array();

                json_object_object_add(d, "version", json_str_or_null(s->daemon.version));
                json_object_object_add(d, "isolated", json_str_or_null(s->daemon.isolated));
                json_object_object_add(d, "housekeeping", json_str_or_null(s->daemon.housekeeping));
                json_object_object_add(d, "module_state", json_str_or_null(s->daemon.module_state));
                json_object_object_add(d, "last_error", json_str_or_null(s->daemon.last_error));
                json_object_object_add(d, "restore_on_stop", json_object_new_boolean(s->daemon.restore_on_stop));
                json_object_object_add(d, "applied_at_usec", s->daemon.applied_at ? json_u64(s->daemon.applied_at) : NULL);
                for (size_t i = 0; i < s->daemon.nsources; i++) {
                        struct json_object *e = json_object_new_object();

                        json_object_object_add(e, "source", json_object_new_string(s->daemon.sources[i].source));
                        json_object_object_add(e, "cpus", json_object_new_string(s->daemon.sources[i].cpus));
                        json_object_array_add(src, e);
                }
                json_object_object_add(d, "sources", src);
                for (size_t i = 0; i < s->daemon.nunmovable; i++) {
                        struct json_object *e = json_object_new_object();

                        json_object_object_add(e, "irq", json_object_new_int64(s->daemon.unmovable[i].irq));
                        json_object_object_add(e, "reason", json_object_new_string(s->daemon.unmovable[i].reason));
                        json_object_array_add(um, e);
                }
                json_object_object_add(d, "unmovable_irqs", um);
        }
        json_object_object_add(o, "daemon", d);
        for (size_t i = 0; i < s->nsummary; i++)
                json_object_array_add(sum, json_object_new_string(s->summary[i]));
        json_object_object_add(o, "summary", sum);
        return o;
}

static void fmt_rate(char *buf, size_t len, double v, uint64_t total) {
        if (isnan(v))
                snprintf(buf, len, "%" PRIu64, total);
        else if (v < 10)
                snprintf(buf, len, "%.1f", v);
        else
                snprintf(buf, len, "%.0f", v);
}

static void status_print(const struct tlbctl *t, const struct status *s) {
        _cleanup_free_ char *iso = NULL, *hk = NULL;
        bool rates = s->window_usec > 0;

        (void) cpulist_format_alloc(&s->iso.isolated, &iso);
        (void) cpulist_format_alloc(&s->iso.housekeeping, &hk);
        printf("isolated: %s   housekeeping: %s\n", iso && *iso ? iso : "none", hk ? hk : "?");
        if (s->daemon.running)
                printf("tlbisold: running%s%s, isolated %s, module %s\n",
                       s->daemon.version ? " " : "", s->daemon.version ? s->daemon.version : "",
                       s->daemon.isolated && *s->daemon.isolated ? s->daemon.isolated : "none",
                       s->daemon.module_state ? s->daemon.module_state : "?");
        else
                printf("tlbisold: %s\n", s->daemon.why_not ? s->daemon.why_not : "not running");
        if (s->module.loaded)
                printf("module: loaded, targeted table-sync IPIs %s (not the page-table-free fallback), deferral %s, accounting %s\n",
                       s->module.sync, s->module.defer, s->module.acct);
        else
                printf("module: %s\n", s->module.why_not ? s->module.why_not : "not loaded");

        printf("\n%3s  %-12s  %6s %6s %6s %6s %6s  %s\n", "CPU", "ROLE",
               "CAL", "TLB", "RES", "LOC", "IWI", "SOURCES");
        printf("%3s  %-12s  %s\n", "", "", rates ? "(IPIs per second)" : "(IPIs since boot)");
        for (size_t k = 0; k < s->nrows; k++) {
                const struct cpu_row *row = &s->rows[k];
                char v[NIPI][24];

                for (size_t i = 0; i < NIPI; i++)
                        fmt_rate(v[i], sizeof(v[i]), row->ipi_rate[i], row->ipi_total[i]);
                printf("%3u  %-12s  %6s %6s %6s %6s %6s  ", row->cpu,
                       !row->online ? "offline" : row->isolated ? "isolated" : "housekeeping",
                       v[0], v[1], v[2], v[3], v[4]);
                for (size_t i = 0; i < row->nsources; i++)
                        printf("%s%s", i ? " " : "", row->sources[i]);
                printf("%s\n", row->nsources ? "" : "-");
                for (size_t j = 0; j < row->nirqs; j++) {
                        char r[24];

                        fmt_rate(r, sizeof(r), row->irqs[j].rate, row->irqs[j].total);
                        printf("%3s  IRQ %u %s: %s%s\n", "", row->irqs[j].irq, row->irqs[j].name,
                               r, rates ? "/s" : " since boot");
                }
                if (s->module.cpu && row->isolated && row->cpu < s->module.ncpus &&
                    s->module.cpu[row->cpu].present) {
                        const struct module_cpu *mc = &s->module.cpu[row->cpu];

                        printf("%3s  module: received", "");
                        for (int i = 0; i < _IPI_KIND_MAX; i++)
                                printf(" %s %" PRIu64 "%s", ipi_kind_label(i), mc->rx[i],
                                       i + 1 < _IPI_KIND_MAX ? "," : "");
                        printf("; avoided sync %" PRIu64 ", deferred kernel flush %" PRIu64
                               ", deferred text sync %" PRIu64 "\n",
                               mc->avoided_sync, mc->avoided_kflush, mc->avoided_text_sync);
                }
        }
        if (s->nsummary)
                printf("\n");
        for (size_t i = 0; i < s->nsummary; i++)
                printf("%s\n", s->summary[i]);
}

static void status_help(void) {
        printf("Usage: tlbctl status [--json] [--interval=DURATION]\n"
               "\n"
               "One row per CPU: role and where its isolation comes from, IPI rates\n"
               "(CAL TLB RES LOC IWI) over a short window, device IRQs still affined to\n"
               "isolated CPUs, the module's counters and the daemon's state.\n"
               "\n"
               "  -j, --json                JSON output (see tlbctl(8))\n"
               "  -i, --interval=DURATION   rate window, e.g. 500ms, 2s (default 1s; 0: totals only)\n"
               "  -h, --help                this help\n");
}

int verb_status(struct tlbctl *t, int argc, char **argv) {
        static const struct option opts[] = {
                { "json",     no_argument,       NULL, 'j' },
                { "interval", required_argument, NULL, 'i' },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        struct status s = { .window_usec = USEC_PER_SEC };
        bool json = t->json;
        int c, r;

        while ((c = getopt_long(argc, argv, "ji:h", opts, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'i':
                        if (parse_duration(optarg, &s.window_usec) < 0 ||
                            s.window_usec > 60 * USEC_PER_SEC)
                                return usage_error("status", "bad interval '%s' (e.g. 500ms, 2s; at most 60s)", optarg);
                        break;
                case 'h':
                        status_help();
                        return EXIT_OK;
                default:
                        return usage_error("status", "bad option");
                }
        if (optind < argc)
                return usage_error("status", "unexpected argument '%s'", argv[optind]);

        r = collect(t, &s);
        if (r < 0) {
                if (r == -ENOMEM)
                        tlbctl_error("status: out of memory");
                status_done(&s);
                return EXIT_FAIL;
        }
        if (json)
                r = json_envelope_print(json_envelope_new("status"), status_json(t, &s), stdout);
        else {
                status_print(t, &s);
                r = flush_stdout();
        }
        status_done(&s);
        if (r < 0) {
                tlbctl_error("status: cannot write the output: %s", strerror(-r));
                return EXIT_FAIL;
        }
        return EXIT_OK;
}
