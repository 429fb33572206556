/* ipi.c — 'tlbctl ipi': live per-CPU IPI rates by kind from /proc/interrupts
 * (CAL TLB RES LOC IWI), plus the module's per-kind receive counters when
 * it is loaded. A refreshing table on a terminal, one line per CPU and
 * interval otherwise. Ctrl-C ends it (exit 0). --events: the module's
 * events instead (ipi-events.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interrupts.h"
#include "ipikind.h"
#include "json-out.h"
#include "parse.h"
#include "tlbctl.h"
#include "util.h"

static const char *const rows[] = { "CAL", "TLB", "RES", "LOC", "IWI" };

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void) sig; stop_requested = 1; }

static void ipi_help(void) {
        printf("Usage: tlbctl ipi [-c CPULIST] [--interval=DURATION] [--count=N] [--json]\n"
               "       tlbctl ipi --events [-c CPULIST] [--duration=DURATION] [--json]\n"
               "\n"
               "Live IPI rates per CPU: CAL (function calls, incl. TLB shootdowns), TLB\n"
               "(user TLB shootdowns), RES (reschedule), LOC (local timer), IWI (irq work),\n"
               "and, with tlbisol.ko loaded, function-call IPIs by what they carried.\n"
               "\n"
               "  -c, --cpus=CPULIST        CPUs to show (default: isolated CPUs, else all)\n"
               "  -i, --interval=DURATION   refresh period (default 1s)\n"
               "  -n, --count=N             stop after N intervals (default: until Ctrl-C)\n"
               "  -j, --json                one JSON document at the end (needs --count);\n"
               "                            with --events one per event and line (JSON Lines)\n"
               "  -e, --events              each IPI that reached an isolated CPU although a\n"
               "                            tlbisol.ko control was on: what it ran, the sending\n"
               "                            task and CPU (the module sends at most 10/s; root)\n"
               "  -d, --duration=DURATION   with --events: stop after this long (default: Ctrl-C)\n"
               "  -h, --help                this help\n");
}

/* One CPU's rates over an interval: /proc/interrupts rows, and the
 * module's per-kind counters when it was there at both ends (else null). */
static struct json_object *cpu_json(const struct interrupts *d, const struct module_state *a,
                                    const struct module_state *b, unsigned cpu, double secs) {
        struct json_object *o = json_object_new_object(), *rates = json_object_new_object(), *mod = NULL;

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const struct irq_row *ir = interrupts_find(d, rows[i]);

                json_object_object_add(rates, rows[i], json_rate(ir ? (double) irq_row_count(ir, cpu) / secs : 0.0));
        }
        if (a->cpu && b->cpu && cpu < a->ncpus && cpu < b->ncpus) {
                mod = json_object_new_object();
                for (int k = 0; k < _IPI_KIND_MAX; k++)
                        json_object_object_add(mod, ipi_kind_name(k),
                                               json_rate((double) (b->cpu[cpu].rx[k] - a->cpu[cpu].rx[k]) / secs));
        }
        json_object_object_add(o, "cpu", json_object_new_int((int) cpu));
        json_object_object_add(o, "rates", rates);
        json_object_object_add(o, "module", mod);
        return o;
}

static struct json_object *sample_json(const char *when, const struct cpumap *cpus, const struct interrupts *d,
                                       const struct module_state *a, const struct module_state *b, double secs) {
        struct json_object *sample = json_object_new_object(), *per = json_object_new_array();
        int cpu;

        CPUMAP_FOREACH(cpu, cpus)
                json_object_array_add(per, cpu_json(d, a, b, (unsigned) cpu, secs));
        json_object_object_add(sample, "time", json_object_new_string(when));
        json_object_object_add(sample, "per_cpu", per);
        return sample;
}

/* One line: a table row on a terminal, time-stamped columns otherwise. */
static void print_cpu(bool tty, const char *when, const struct interrupts *d, const struct module_state *a,
                      const struct module_state *b, unsigned cpu, double secs) {
        if (!tty)
                printf("%-8s ", when);
        printf("%4u", cpu);
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const struct irq_row *ir = interrupts_find(d, rows[i]);

                printf(" %10.1f", ir ? (double) irq_row_count(ir, cpu) / secs : 0.0);
        }
        if (b->cpu && a->cpu && cpu < b->ncpus && cpu < a->ncpus)
                for (int k = 0; k < _IPI_KIND_MAX; k++)
                        printf(tty ? " %16.1f" : " %.1f", (double) (b->cpu[cpu].rx[k] - a->cpu[cpu].rx[k]) / secs);
        printf("\n");
}

int verb_ipi(struct tlbctl *t, int argc, char **argv) {
        static const struct option opts[] = {
                { "cpus",     required_argument, NULL, 'c' },
                { "interval", required_argument, NULL, 'i' },
                { "count",    required_argument, NULL, 'n' },
                { "json",     no_argument,       NULL, 'j' },
                { "events",   no_argument,       NULL, 'e' },
                { "duration", required_argument, NULL, 'd' },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        struct interrupts *prev = NULL, *cur = NULL, *d = NULL;
        struct module_state mprev = {}, mcur = {};
        struct sigaction sa = { .sa_handler = on_stop };
        uint64_t interval = USEC_PER_SEC, duration = 0;
        unsigned count = 0, done = 0;
        bool have_cpus = false, json = t->json, events = false, have_interval = false, tty;
        struct json_object *samples = NULL;
        struct cpumap cpus;
        int c, cpu, r, rc = EXIT_OK;

        while ((c = getopt_long(argc, argv, "c:i:n:jed:h", opts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        if (parse_user_cpulist(t, "ipi", optarg, &cpus) < 0)
                                return EXIT_USAGE;
                        have_cpus = true;
                        break;
                case 'i':
                        if (parse_duration(optarg, &interval) < 0 || interval < 10 * USEC_PER_MSEC ||
                            interval > 3600 * USEC_PER_SEC)
                                return usage_error("ipi", "bad interval '%s' (10ms to 1h)", optarg);
                        have_interval = true;
                        break;
                case 'n':
                        if (parse_uint(optarg, &count) < 0 || count == 0)
                                return usage_error("ipi", "bad count '%s' (a positive number)", optarg);
                        break;
                case 'j':
                        json = true;
                        break;
                case 'e':
                        events = true;
                        break;
                case 'd':
                        if (parse_duration(optarg, &duration) < 0 || duration == 0)
                                return usage_error("ipi", "bad duration '%s' (e.g. 30s, 5m)", optarg);
                        break;
                case 'h':
                        ipi_help();
                        return EXIT_OK;
                default:
                        return usage_error("ipi", "bad option");
                }
        if (optind < argc)
                return usage_error("ipi", "unexpected argument '%s'", argv[optind]);
        if (!have_cpus)
                cpus = cpumap_is_empty(&t->iso.isolated) ? t->facts.sys.online : t->iso.isolated;
        if (events) {
                if (count || have_interval)
                        return usage_error("ipi", "--events prints each event: no --count or --interval (--duration stops it)");
                if (t->fixture_root) {
                        tlbctl_error("ipi: --events listens to this machine's tlbisol.ko; unset TLBISOL_ROOT");
                        return EXIT_FAIL;
                }
                return ipi_events(t, &cpus, duration, json);
        }
        if (duration)
                return usage_error("ipi", "--duration goes with --events (intervals: --count)");
        if (json && count == 0)
                return usage_error("ipi", "--json needs --count=N (one document, written at the end)");
        tty = !json && isatty(STDOUT_FILENO);
        if (json && !(samples = json_object_new_array()))
                return EXIT_FAIL;

        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        r = interrupts_read(t->fs, &prev);
        if (r < 0) {
                tlbctl_error("ipi: cannot read /proc/interrupts: %s", strerror(-r));
                return EXIT_FAIL;
        }
        (void) module_state_read(t, &mprev);
        if (mprev.loaded && !mprev.cpu)
                tlbctl_error("ipi: tlbisol.ko's counters are left out: %s",
                             mprev.stats_why_not ? mprev.stats_why_not : "not answering");
        if (!tty && !json) {
                printf("%-8s %4s %10s %10s %10s %10s %10s", "TIME", "CPU", "CAL/s", "TLB/s", "RES/s", "LOC/s", "IWI/s");
                if (mprev.cpu)
                        for (int k = 0; k < _IPI_KIND_MAX; k++)
                                printf(" %s/s", ipi_kind_name(k));
                printf("\n");
        }
        while (!stop_requested && (count == 0 || done < count)) {
                struct timespec ts = { (time_t) (interval / USEC_PER_SEC), (long) (interval % USEC_PER_SEC) * 1000 };
                double secs = (double) interval / 1e6;
                char when[16];
                time_t now;
                struct tm tm;

                if (nanosleep(&ts, NULL) < 0 && stop_requested)
                        break;
                r = interrupts_read(t->fs, &cur);
                if (r >= 0)
                        r = interrupts_delta(prev, cur, &d);
                if (r < 0) {
                        tlbctl_error("ipi: cannot read /proc/interrupts: %s", strerror(-r));
                        rc = EXIT_FAIL;
                        break;
                }
                (void) module_state_read(t, &mcur);
                now = time(NULL);
                localtime_r(&now, &tm);
                strftime(when, sizeof(when), "%H:%M:%S", &tm);
                if (tty) {
                        printf("\033[H\033[2J%s  IPIs per second over %.1f s (Ctrl-C to stop)\n\n%4s %10s %10s %10s %10s %10s",
                               when, secs, "CPU", "CAL", "TLB", "RES", "LOC", "IWI");
                        if (mcur.cpu)
                                for (int k = 0; k < _IPI_KIND_MAX; k++)
                                        printf(" %16s", ipi_kind_name(k));
                        printf("\n");
                }
                if (json)
                        json_object_array_add(samples, sample_json(when, &cpus, d, &mprev, &mcur, secs));
                else
                        CPUMAP_FOREACH(cpu, &cpus)
                                print_cpu(tty, when, d, &mprev, &mcur, (unsigned) cpu, secs);
                r = flush_stdout();
                if (r < 0) {
                        tlbctl_error("ipi: cannot write the output: %s", strerror(-r));
                        rc = EXIT_FAIL;
                        break;
                }
                interrupts_free(prev);
                interrupts_free(d);
                d = NULL;
                prev = cur;
                cur = NULL;
                module_state_done(&mprev);
                mprev = mcur;
                mcur = (struct module_state) {};
                done++;
        }
        if (json && rc == EXIT_OK) {
                struct json_object *data = json_object_new_object();

                json_object_object_add(data, "interval_s", json_rate((double) interval / 1e6));
                json_object_object_add(data, "cpus", json_cpulist(&cpus));
                json_object_object_add(data, "samples", json_object_get(samples));
                r = json_envelope_print(json_envelope_new("ipi"), data, stdout);
                if (r < 0) {
                        tlbctl_error("ipi: cannot write the output: %s", strerror(-r));
                        rc = EXIT_FAIL;
                }
        }
        json_object_put(samples);
        interrupts_free(prev);
        interrupts_free(cur);
        interrupts_free(d);
        module_state_done(&mprev);
        module_state_done(&mcur);
        return rc;
}
