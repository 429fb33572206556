/* metrics.c — 'tlbctl metrics': the isolation facts as metrics for fleets.
 *
 * Output: OpenMetrics 1.0 text (application/openmetrics-text) or, for
 * node_exporter's textfile collector and old scrapers, the Prometheus
 * text format 0.0.4; the same families either way:
 *   per isolated CPU: interrupts received by /proc/interrupts row (LOC is
 *   the timer; CAL/TLB/RES/IWI the IPIs), device IRQs by number and
 *   handler name, the module's IPIs received by kind, sync IPIs avoided,
 *   kernel flushes deferred; per online CPU whether it is isolated; the
 *   daemon's state and last apply; the module's controls.
 * Labels: cpu, kind (fixed sets), irq + name (the machine's IRQs), control:
 * bounded by the hardware, never per task or PID.
 *
 * Where: stdout; --textfile=PATH (written to PATH.tmp then renamed, as the
 * textfile collector wants); --serve answers scrapes on the listening
 * socket systemd passes (tlbisol-metrics.socket, Accept=no); --http answers
 * one HTTP request on stdin/stdout (inetd style, and the tests).
 *
 * What collection touches, so that it never interrupts an isolated CPU:
 * /proc/interrupts and /proc/irq/N/{effective,smp}_affinity_list (counters read remotely,
 * no IPI), sysfs CPU lists, the module's stats over genetlink (per-CPU
 * counters read remotely), tlbisold's properties over D-Bus; all from this
 * process, which main() pinned to the housekeeping CPUs. Never cpufreq
 * (scaling_cur_freq may IPI the CPU it describes), never /proc/<pid>. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fsroot.h"
#include "interrupts.h"
#include "ipikind.h"
#include "parse.h"
#include "task.h"
#include "tlbctl.h"
#include "util.h"

#define CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define CT_PROMETHEUS  "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_HEAD_MAX  8192
#define HTTP_TIMEOUT_MS 5000

struct om {
        FILE *f;
        bool openmetrics;               /* else Prometheus text 0.0.4 */
};

enum om_type { OM_GAUGE, OM_COUNTER, OM_INFO };

/* "# TYPE"/"# HELP" of a family. OpenMetrics names counters without
 * _total and info families without _info in these lines; 0.0.4 has no
 * info type (a gauge named ..._info instead). */
static void om_family(const struct om *o, const char *name, enum om_type type, const char *help) {
        const char *suffix = "";
        const char *tname = type == OM_COUNTER ? "counter" : type == OM_INFO ? "info" : "gauge";

        if (!o->openmetrics) {
                suffix = type == OM_COUNTER ? "_total" : type == OM_INFO ? "_info" : "";
                if (type == OM_INFO)
                        tname = "gauge";
        }
        fprintf(o->f, "# TYPE %s%s %s\n", name, suffix, tname);
        fprintf(o->f, "# HELP %s%s %s\n", name, suffix, help);
}

/* A label value with \\, \" and \n escaped (both formats). */
static void om_label_value(FILE *f, const char *v) {
        for (; *v; v++)
                switch (*v) {
                case '\\': fputs("\\\\", f); break;
                case '"':  fputs("\\\"", f); break;
                case '\n': fputs("\\n", f); break;
                default:   fputc(*v, f);
                }
}

/* sample name{k="v",...} value: labels as NULL-terminated key, value pairs */
static void om_sample(const struct om *o, const char *name, const char *suffix, double value, ...) {
        const char *k;
        va_list ap;
        bool first = true;

        fprintf(o->f, "%s%s", name, suffix);
        va_start(ap, value);
        while ((k = va_arg(ap, const char *))) {
                const char *v = va_arg(ap, const char *);

                fprintf(o->f, "%s%s=\"", first ? "{" : ",", k);
                om_label_value(o->f, v);
                fputc('"', o->f);
                first = false;
        }
        va_end(ap);
        fprintf(o->f, "%s %.17g\n", first ? "" : "}", value);
}

struct metrics {
        struct tlbctl t;                /* the caller's, with facts read now */
        bool have_facts;
        struct daemon_state daemon;
        struct module_state module;
        struct isolation iso;
        struct interrupts *ints;
        int ints_error;
};

static void metrics_done(struct metrics *m) {
        daemon_state_done(&m->daemon);
        module_state_done(&m->module);
        isolation_done(&m->iso);
        interrupts_free(m->ints);
        if (m->have_facts)
                isolation_facts_done(&m->t.facts);
}

/* Facts read at each scrape (a --serve process lives across isolation
 * changes), and the process moved onto the housekeeping CPUs of now
 * before it reads anything else. */
static int collect(const struct tlbctl *caller, struct metrics *m) {
        const struct tlbctl *t = &m->t;
        int r;

        m->t = *caller;
        r = isolation_facts_read(caller->fs, &m->t.facts, NULL);
        if (r < 0)
                return r;
        m->have_facts = true;
        if (!t->fixture_root) {
                struct isolation k = {};

                if (daemon_isolation(t, NULL, NULL, &k) >= 0 && !cpumap_is_empty(&k.housekeeping))
                        (void) task_set_affinity(0, &k.housekeeping);
                isolation_done(&k);
        }
        if (!t->fixture_root) {
                r = daemon_state_read(&m->daemon);
                if (r < 0)
                        return r;
        }
        r = module_state_read(t, &m->module);
        if (r < 0)
                return r;
        r = daemon_isolation(t, &m->daemon, NULL, &m->iso);
        if (r < 0)
                return r;
        if (!t->fixture_root && !cpumap_is_empty(&m->iso.housekeeping))
                (void) task_set_affinity(0, &m->iso.housekeeping);
        m->ints_error = interrupts_read(t->fs, &m->ints);
        return m->ints_error == -ENOMEM ? -ENOMEM : 0;
}

static int irq_cpus(const struct tlbctl *t, unsigned irq, struct cpumap *out) {
        char path[96];

        snprintf(path, sizeof(path), "/proc/irq/%u/effective_affinity_list", irq);
        if (sysinfo_read_cpulist(t->fs, path, t->facts.sys.ncpus, out) >= 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", irq);
        return sysinfo_read_cpulist(t->fs, path, t->facts.sys.ncpus, out);
}

/* A counter family with samples per isolated CPU, labelled cpu="N": for
 * each isolated CPU that has_cpu() has data for, samples() writes them. */
struct cpu_family {
        const char *name, *help;
        bool (*has_cpu)(const struct metrics *m, int cpu);
        void (*samples)(const struct metrics *m, const struct om *o, const char *name, int cpu, const char *cpu_s);
};

static void emit_cpu_family(const struct metrics *m, const struct om *o, const struct cpu_family *f) {
        char cpu_s[16];
        int cpu;

        om_family(o, f->name, OM_COUNTER, f->help);
        CPUMAP_FOREACH(cpu, &m->iso.isolated) {
                if (!f->has_cpu(m, cpu))
                        continue;
                snprintf(cpu_s, sizeof(cpu_s), "%d", cpu);
                f->samples(m, o, f->name, cpu, cpu_s);
        }
}

/* ---- /proc/interrupts ---- */

static bool cpu_online(const struct metrics *m, int cpu) {
        return cpumap_test(&m->ints->online, cpu);
}

static void interrupt_rows(const struct metrics *m, const struct om *o, const char *name,
                           int cpu, const char *cpu_s) {
        for (size_t i = 0; i < m->ints->nrows; i++) {
                const struct irq_row *row = &m->ints->rows[i];

                if (row->numeric || !row->per_cpu)
                        continue;
                om_sample(o, name, "_total", (double) irq_row_count(row, (unsigned) cpu),
                          "cpu", cpu_s, "kind", row->name, NULL);
        }
}

static void device_irq_rows(const struct metrics *m, const struct om *o, const char *name,
                            int cpu, const char *cpu_s) {
        char irq_s[16];

        for (size_t i = 0; i < m->ints->nrows; i++) {
                const struct irq_row *row = &m->ints->rows[i];
                uint64_t n = irq_row_count(row, (unsigned) cpu);
                struct cpumap aff;

                if (!row->numeric)
                        continue;
                if (n == 0 && (irq_cpus(&m->t, row->irq, &aff) < 0 || !cpumap_test(&aff, cpu)))
                        continue;
                snprintf(irq_s, sizeof(irq_s), "%u", row->irq);
                om_sample(o, name, "_total", (double) n, "cpu", cpu_s, "irq", irq_s, "name",
                          row->actions && *row->actions ? row->actions : row->desc, NULL);
        }
}

static const struct cpu_family interrupt_families[] = {
        { "tlbisol_interrupts",
          "Interrupts received by an isolated CPU since boot, by /proc/interrupts row (LOC: local timer; CAL, TLB, RES, IWI: IPIs).",
          cpu_online, interrupt_rows },
        { "tlbisol_device_interrupts",
          "Device IRQs received by an isolated CPU since boot, for IRQs affined to it or that it has received.",
          cpu_online, device_irq_rows },
};

static void emit_interrupts(const struct metrics *m, const struct om *o) {
        if (!m->ints)
                return;
        for (size_t i = 0; i < ELEMENTSOF(interrupt_families); i++)
                emit_cpu_family(m, o, &interrupt_families[i]);
}

/* ---- tlbisol.ko ---- */

static bool module_has_cpu(const struct metrics *m, int cpu) {
        return (unsigned) cpu < m->module.ncpus && m->module.cpu[cpu].present;
}

static void module_ipis(const struct metrics *m, const struct om *o, const char *name, int cpu, const char *cpu_s) {
        for (int k = 0; k < _IPI_KIND_MAX; k++)
                om_sample(o, name, "_total", (double) m->module.cpu[cpu].rx[k], "cpu", cpu_s,
                          "kind", ipi_kind_name(k), NULL);
}

static void module_sync_avoided(const struct metrics *m, const struct om *o, const char *name,
                                int cpu, const char *cpu_s) {
        om_sample(o, name, "_total", (double) m->module.cpu[cpu].avoided_sync, "cpu", cpu_s, NULL);
}

static void module_kflush_deferred(const struct metrics *m, const struct om *o, const char *name,
                                   int cpu, const char *cpu_s) {
        om_sample(o, name, "_total", (double) m->module.cpu[cpu].avoided_kflush, "cpu", cpu_s, NULL);
}

static void module_tsync_deferred(const struct metrics *m, const struct om *o, const char *name,
                                  int cpu, const char *cpu_s) {
        om_sample(o, name, "_total", (double) m->module.cpu[cpu].avoided_text_sync, "cpu", cpu_s, NULL);
}

static const struct cpu_family module_families[] = {
        { "tlbisol_module_ipis_received",
          "Function-call IPIs received by an isolated CPU, by what they carried (tlbisol.ko accounting).",
          module_has_cpu, module_ipis },
        { "tlbisol_module_sync_ipis_avoided",
          "Page-table sync IPIs tlbisol.ko did not send to an isolated CPU (it was in user mode or idle).",
          module_has_cpu, module_sync_avoided },
        { "tlbisol_module_kernel_flushes_deferred",
          "Kernel TLB flushes tlbisol.ko deferred to an isolated CPU's next kernel entry instead of an IPI.",
          module_has_cpu, module_kflush_deferred },
        { "tlbisol_module_text_syncs_deferred",
          "Text-patching syncs tlbisol.ko deferred to an isolated CPU's next kernel entry instead of an IPI.",
          module_has_cpu, module_tsync_deferred },
};

static void emit_module(const struct metrics *m, const struct om *o) {
        const struct module_state *ms = &m->module;
        const struct { const char *name; const char *state; } ctl[] = {
                { "targeted_sync", ms->sync }, { "kernel_flush_deferral", ms->defer }, { "accounting", ms->acct },
        };

        om_family(o, "tlbisol_module_loaded", OM_GAUGE, "1 if tlbisol.ko is loaded and answers.");
        om_sample(o, "tlbisol_module_loaded", "", ms->loaded ? 1 : 0, NULL);
        if (!ms->loaded)
                return;
        om_family(o, "tlbisol_module_control_enabled", OM_GAUGE,
                  "1 if a control of tlbisol.ko is on, 0 if off or unavailable on this kernel.");
        for (size_t i = 0; i < ELEMENTSOF(ctl); i++)
                om_sample(o, "tlbisol_module_control_enabled", "", ctl[i].state && streq(ctl[i].state, "on") ? 1 : 0,
                          "control", ctl[i].name, NULL);
        if (!ms->cpu)
                return;
        for (size_t i = 0; i < ELEMENTSOF(module_families); i++)
                emit_cpu_family(m, o, &module_families[i]);
}

static void emit_daemon(const struct metrics *m, const struct om *o) {
        const struct daemon_state *d = &m->daemon;

        om_family(o, "tlbisol_daemon_up", OM_GAUGE, "1 if tlbisold answers on the system bus.");
        om_sample(o, "tlbisol_daemon_up", "", d->running ? 1 : 0, NULL);
        if (!d->running)
                return;
        om_family(o, "tlbisol_daemon_last_apply_timestamp_seconds", OM_GAUGE,
                  "When tlbisold last applied the isolation (seconds since the epoch; 0: never).");
        om_sample(o, "tlbisol_daemon_last_apply_timestamp_seconds", "", (double) d->applied_at / 1e6, NULL);
        om_family(o, "tlbisol_daemon_error", OM_GAUGE,
                  "1 if tlbisold's last apply left an error (tlbctl status shows it).");
        om_sample(o, "tlbisol_daemon_error", "", d->last_error && *d->last_error ? 1 : 0, NULL);
        om_family(o, "tlbisol_daemon_unmovable_irqs", OM_GAUGE,
                  "IRQs tlbisold found it cannot move off the isolated CPUs (managed IRQs, chip refuses).");
        om_sample(o, "tlbisol_daemon_unmovable_irqs", "", (double) d->nunmovable, NULL);
}

static void emit_sets(const struct tlbctl *t, const struct metrics *m, const struct om *o) {
        _cleanup_free_ char *iso = NULL, *hk = NULL;
        char cpu_s[16];
        int cpu;

        om_family(o, "tlbisol_cpu_isolated", OM_GAUGE, "1 if the online CPU is isolated, 0 if it does housekeeping.");
        CPUMAP_FOREACH(cpu, &t->facts.sys.online) {
                snprintf(cpu_s, sizeof(cpu_s), "%d", cpu);
                om_sample(o, "tlbisol_cpu_isolated", "", cpumap_test(&m->iso.isolated, cpu) ? 1 : 0, "cpu", cpu_s, NULL);
        }
        (void) cpulist_format_alloc(&m->iso.isolated, &iso);
        (void) cpulist_format_alloc(&m->iso.housekeeping, &hk);
        om_family(o, "tlbisol_isolation", OM_INFO, "The isolated and housekeeping CPU lists.");
        om_sample(o, "tlbisol_isolation", "_info", 1, "isolated", iso ? iso : "", "housekeeping", hk ? hk : "", NULL);
        om_family(o, "tlbisol_build", OM_INFO, "tlbctl's version.");
        om_sample(o, "tlbisol_build", "_info", 1, "version", TLBISOL_VERSION, NULL);
}

static int metrics_write(const struct tlbctl *t, FILE *f, bool openmetrics, double started) {
        struct metrics m = {};
        struct om o = { f, openmetrics };
        int r;

        r = collect(t, &m);
        if (r < 0) {
                metrics_done(&m);
                return r;
        }
        emit_sets(&m.t, &m, &o);
        emit_interrupts(&m, &o);
        emit_module(&m, &o);
        emit_daemon(&m, &o);
        om_family(&o, "tlbisol_scrape_duration_seconds", OM_GAUGE, "Time tlbctl took to collect these metrics.");
        om_sample(&o, "tlbisol_scrape_duration_seconds", "", (double) mono_ns() / 1e9 - started, NULL);
        if (openmetrics)
                fputs("# EOF\n", f);
        metrics_done(&m);
        return ferror(f) ? -EIO : 0;
}

/* Written next to path, then renamed over it: the textfile collector never
 * sees half a file. */
static int write_textfile(const struct tlbctl *t, const char *path, bool openmetrics, double started) {
        _cleanup_free_ char *tmp = NULL;
        FILE *f;
        int r;

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        r = metrics_write(t, f, openmetrics, started);
        if (fclose(f) != 0 && r >= 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

/* The Accept header names OpenMetrics (Prometheus sends
 * "application/openmetrics-text;version=1.0.0,...;q=0.5,text/plain;..."). */
static bool accepts_openmetrics(const char *head) {
        const char *a = strcasestr(head, "\naccept:");
        char line[1024];
        size_t n;

        if (!a)
                return false;
        a += strlen("\naccept:");
        n = strcspn(a, "\r\n");
        if (n >= sizeof(line))
                n = sizeof(line) - 1;
        memcpy(line, a, n);
        line[n] = 0;
        return strstr(line, "application/openmetrics-text") != NULL;
}

/* Writes all of buf to fd (a socket: no SIGPIPE). */
static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == ENOTSOCK)
                        n = write(fd, buf, len);        /* a pipe, in tests */
                if (n < 0)
                        return -errno;
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

/* One HTTP/1.x request read from in, the answer written to out. Only the
 * request line and the Accept header are looked at: GET or HEAD of
 * /metrics (or /), OpenMetrics when the scraper accepts it, else text
 * 0.0.4. A client that sends nothing within 5 s is dropped. */
static int serve_http(const struct tlbctl *t, int in, int out) {
        char head[HTTP_HEAD_MAX + 1], method[16] = "", target[256] = "";
        const char *status = "200 OK", *ctype;
        _cleanup_free_ char *body = NULL, *hdr = NULL;
        size_t len = 0, blen = 0;
        double started = (double) mono_ns() / 1e9;
        bool om;
        FILE *mf;
        int r = 0;

        while (len < HTTP_HEAD_MAX) {
                struct pollfd p = { .fd = in, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, HTTP_TIMEOUT_MS) <= 0)
                        return -ETIMEDOUT;
                n = read(in, head + len, HTTP_HEAD_MAX - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -ECONNRESET;
                len += (size_t) n;
                head[len] = 0;
                if (strstr(head, "\r\n\r\n") || strstr(head, "\n\n"))
                        break;
        }
        head[len] = 0;
        if (sscanf(head, "%15s %255s HTTP/1.", method, target) != 2)
                status = "400 Bad Request";
        else if (!streq(method, "GET") && !streq(method, "HEAD"))
                status = "405 Method Not Allowed";
        else if (!streq(target, "/metrics") && !streq(target, "/"))
                status = "404 Not Found";
        om = accepts_openmetrics(head);
        ctype = om ? CT_OPENMETRICS : CT_PROMETHEUS;

        mf = open_memstream(&body, &blen);
        if (!mf)
                return -ENOMEM;
        if (streq(status, "200 OK")) {
                r = metrics_write(t, mf, om, started);
                if (r < 0) {
                        status = "500 Internal Server Error";
                        rewind(mf);
                }
        }
        if (!streq(status, "200 OK")) {
                ctype = "text/plain; charset=utf-8";
                fprintf(mf, "%s\n", status);
        }
        if (fclose(mf) != 0)
                return -ENOMEM;
        if (!streq(status, "200 OK") || r < 0)
                blen = strlen(body);
        if (asprintf(&hdr, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, ctype, blen) < 0)
                return -ENOMEM;
        r = write_all(out, hdr, strlen(hdr));
        if (r >= 0 && !streq(method, "HEAD"))
                r = write_all(out, body, blen);
        return r;
}

/* The socket-activated server (tlbisol-metrics.socket, Accept=no): one
 * process answers every scrape, one at a time, on the listening socket
 * systemd passes as fd 3, and exits after SERVE_IDLE_MS without a
 * connection (the socket stays, and starts it again). One long-lived
 * process, not one per scrape: no unit, cgroup, exec and exit per scrape,
 * whose kernel side can reach every CPU (attaching the first cgroup BPF
 * program of a kind flips a static key: text patching IPIs all CPUs). */
#define SERVE_IDLE_MS (5 * 60 * 1000)
static int serve_socket(const struct tlbctl *t) {
        const char *e = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
        unsigned nfds, lpid;

        if (!e || !pid || parse_uint(e, &nfds) < 0 || parse_uint(pid, &lpid) < 0 ||
            lpid != (unsigned) getpid() || nfds != 1) {
                tlbctl_error("metrics: --serve wants exactly one listening socket from systemd (LISTEN_FDS)");
                return -EBADF;
        }
        for (;;) {
                struct pollfd p = { .fd = 3, .events = POLLIN };
                int r, c;

                r = poll(&p, 1, SERVE_IDLE_MS);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return 0;               /* idle: systemd starts us again */
                c = accept4(3, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0) {
                        if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
                                continue;
                        return -errno;
                }
                r = serve_http(t, c, c);
                if (r < 0 && r != -ETIMEDOUT && r != -ECONNRESET && r != -EPIPE)
                        tlbctl_error("metrics: a scrape failed: %s", strerror(-r));
                close(c);
        }
}

static void metrics_help(void) {
        printf("Usage: tlbctl metrics [--format=openmetrics|prometheus] [--textfile=PATH | --http]\n"
               "\n"
               "Isolation metrics: interrupts received by each isolated CPU by kind and\n"
               "device, tlbisol.ko's per-CPU counters, tlbisold's state, the CPU sets.\n"
               "Collected from housekeeping CPUs only; nothing sent to isolated CPUs.\n"
               "\n"
               "  -f, --format=FORMAT  openmetrics (default on stdout) or prometheus (text 0.0.4;\n"
               "                       the default for --textfile, as node_exporter reads it)\n"
               "  -t, --textfile=PATH  write PATH atomically (node_exporter textfile collector,\n"
               "                       e.g. /var/lib/prometheus/node-exporter/tlbisol.prom)\n"
               "      --serve          answer HTTP scrapes on the listening socket systemd passes\n"
               "                       (tlbisol-metrics.socket); exits after 5 idle minutes\n"
               "      --http           answer one HTTP request on stdin/stdout (inetd style)\n"
               "  -h, --help           this help\n");
}

int verb_metrics(struct tlbctl *t, int argc, char **argv) {
        enum { ARG_HTTP = 0x100, ARG_SERVE };
        static const struct option opts[] = {
                { "format",   required_argument, NULL, 'f' },
                { "textfile", required_argument, NULL, 't' },
                { "http",     no_argument,       NULL, ARG_HTTP },
                { "serve",    no_argument,       NULL, ARG_SERVE },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        const char *format = NULL, *textfile = NULL;
        bool http = false, serve = false, om;
        double started = (double) mono_ns() / 1e9;
        int c, r;

        while ((c = getopt_long(argc, argv, "f:t:h", opts, NULL)) >= 0)
                switch (c) {
                case 'f':
                        if (!streq(optarg, "openmetrics") && !streq(optarg, "prometheus"))
                                return usage_error("metrics", "bad format '%s' (openmetrics or prometheus)", optarg);
                        format = optarg;
                        break;
                case 't':
                        if (!*optarg)
                                return usage_error("metrics", "empty --textfile path");
                        textfile = optarg;
                        break;
                case ARG_HTTP:
                        http = true;
                        break;
                case ARG_SERVE:
                        serve = true;
                        break;
                case 'h':
                        metrics_help();
                        return EXIT_OK;
                default:
                        return usage_error("metrics", "bad option");
                }
        if (optind < argc)
                return usage_error("metrics", "unexpected argument '%s'", argv[optind]);
        if ((http || serve) && (textfile || format || (http && serve)))
                return usage_error("metrics", "--http and --serve choose the format from the request; one of them, without --textfile or --format");

        if (serve)
                r = serve_socket(t);
        else if (http)
                r = serve_http(t, 0, 1);
        else if (textfile) {
                om = format && streq(format, "openmetrics");
                r = write_textfile(t, textfile, om, started);
        } else {
                om = !format || streq(format, "openmetrics");
                r = metrics_write(t, stdout, om, started);
                if (r >= 0 && fflush(stdout) != 0)
                        r = -EIO;
        }
        if (r < 0) {
                tlbctl_error("metrics: %s%s%s", textfile ? textfile : "", textfile ? ": " : "", strerror(-r));
                return EXIT_FAIL;
        }
        return EXIT_OK;
}
