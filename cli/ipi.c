/* ipi.c — 'tlbctl ipi': live per-CPU IPI rates by kind from /proc/interrupts
 * (CAL TLB RES LOC IWI), plus the module's per-kind receive counters when
 * it is loaded. A refreshing table on a terminal, one line per CPU and
 * interval otherwise. Ctrl-C ends it (exit 0). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interrupts.h"
#include "ipikind.h"
#include "parse.h"
#include "tlbctl.h"
#include "util.h"

static const char *const rows[] = { "CAL", "TLB", "RES", "LOC", "IWI" };

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void) sig; stop_requested = 1; }

static void ipi_help(void) {
        printf("Usage: tlbctl ipi [-c CPULIST] [--interval=DURATION] [--count=N]\n"
               "\n"
               "Live IPI rates per CPU: CAL (function calls, incl. TLB shootdowns), TLB\n"
               "(user TLB shootdowns), RES (reschedule), LOC (local timer), IWI (irq work),\n"
               "and, with tlbisol.ko loaded, function-call IPIs by what they carried.\n"
               "\n"
               "  -c, --cpus=CPULIST        CPUs to show (default: isolated CPUs, else all)\n"
               "  -i, --interval=DURATION   refresh period (default 1s)\n"
               "  -n, --count=N             stop after N intervals (default: until Ctrl-C)\n"
               "  -h, --help                this help\n");
}

int verb_ipi(struct tlbctl *t, int argc, char **argv) {
        static const struct option opts[] = {
                { "cpus",     required_argument, NULL, 'c' },
                { "interval", required_argument, NULL, 'i' },
                { "count",    required_argument, NULL, 'n' },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        struct interrupts *prev = NULL, *cur = NULL, *d = NULL;
        struct module_state mprev = {}, mcur = {};
        struct sigaction sa = { .sa_handler = on_stop };
        uint64_t interval = USEC_PER_SEC;
        unsigned count = 0, done = 0;
        bool have_cpus = false, tty = isatty(STDOUT_FILENO);
        struct cpumap cpus;
        int c, cpu, r, rc = EXIT_OK;

        while ((c = getopt_long(argc, argv, "c:i:n:h", opts, NULL)) >= 0)
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
                        break;
                case 'n':
                        if (parse_uint(optarg, &count) < 0 || count == 0)
                                return usage_error("ipi", "bad count '%s' (a positive number)", optarg);
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

        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        r = interrupts_read(t->fs, &prev);
        if (r < 0) {
                log_error("ipi: cannot read /proc/interrupts: %s", strerror(-r));
                return EXIT_FAIL;
        }
        (void) module_state_read(t, &mprev);
        if (!tty) {
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
                        log_error("ipi: cannot read /proc/interrupts: %s", strerror(-r));
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
                CPUMAP_FOREACH(cpu, &cpus) {
                        if (!tty)
                                printf("%-8s ", when);
                        printf("%4d", cpu);
                        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                                const struct irq_row *ir = interrupts_find(d, rows[i]);

                                printf(" %10.1f", ir ? (double) irq_row_count(ir, (unsigned) cpu) / secs : 0.0);
                        }
                        if (mcur.cpu && mprev.cpu && (unsigned) cpu < mcur.ncpus && (unsigned) cpu < mprev.ncpus)
                                for (int k = 0; k < _IPI_KIND_MAX; k++)
                                        printf(tty ? " %16.1f" : " %.1f",
                                               (double) (mcur.cpu[cpu].rx[k] - mprev.cpu[cpu].rx[k]) / secs);
                        printf("\n");
                }
                fflush(stdout);
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
        interrupts_free(prev);
        interrupts_free(cur);
        interrupts_free(d);
        module_state_done(&mprev);
        module_state_done(&mcur);
        return rc;
}
