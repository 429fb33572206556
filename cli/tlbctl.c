/* tlbctl — show and change CPU isolation, measure IPI noise.
 *
 * Purpose: the command people type. main() parses the global options,
 * reads the isolation facts once, pins itself to housekeeping CPUs (so
 * that measuring does not disturb what is measured) and dispatches through
 * the verb table. Exit codes: 0 ok, 1 failure, 2 usage error.
 *
 * Usage: tlbctl [--json] [VERB [ARGS]]     (no verb: status) */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "task.h"
#include "tlbctl.h"
#include "util.h"

static const struct verb {
        const char *name;
        int (*fn)(struct tlbctl *t, int argc, char **argv);
        const char *args;
        const char *help;
} verbs[] = {
        { "status",  verb_status,  "[--json] [--interval=DURATION]",
          "Show per-CPU isolation, IRQs and IPI rates, module and daemon state" },
        { "isolate", verb_isolate, "[--json] CPULIST",
          "Ask tlbisold to isolate CPUs at runtime" },
        { "release", verb_release, "[--json] CPULIST",
          "Ask tlbisold to release runtime-isolated CPUs" },
        { "noise",   verb_noise,   "[-c CPULIST] [-d DURATION] [--workload=user|kernel|none] [--json]",
          "Measure OS noise and IPIs by kind with the osnoise tracer" },
        { "ipi",     verb_ipi,     "[-c CPULIST] [--interval=DURATION] [--count=N [--json]] | --events [--json]",
          "Show live per-CPU IPI rates, or the module's events" },
        { "top",     verb_top,     "[-c CPULIST] [-i INTERVAL] [-n COUNT] [--json]",
          "Show live interrupt rates on isolated CPUs by source, from housekeeping CPUs" },
        { "check",   verb_check,   "[--json] [-c CPULIST] [--verbose]",
          "Check the isolation setup; exit 1 when a check fails (for CI)" },
        { "metrics", verb_metrics, "[--format=openmetrics|prometheus] [--textfile=PATH | --http]",
          "Isolation metrics as OpenMetrics text (socket, node_exporter textfile)" },
        { "run",     verb_run,     "-c CPULIST [--] COMMAND [ARGS...]",
          "Run a command in tlbisold's isolated partition, on CPUs it isolates" },
};

void tlbctl_error(const char *fmt, ...) {
        va_list ap;

        fputs("tlbctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int flush_stdout(void) {
        errno = 0;
        if (fflush(stdout) == 0 && !ferror(stdout))
                return 0;
        return errno > 0 ? -errno : -EIO;
}

int usage_error(const char *verb, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "tlbctl: %s%s", verb ? verb : "", verb ? ": " : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'tlbctl %s%s--help'.\n", verb ? verb : "", verb ? " " : "");
        return EXIT_USAGE;
}

int parse_user_cpulist(const struct tlbctl *t, const char *verb, const char *arg,
                       struct cpumap *out) {
        char why[160];
        int r;

        r = cpulist_parse_err(arg, t->facts.sys.ncpus, out, why, sizeof(why));
        if (r < 0) {
                tlbctl_error("%s: bad CPU list '%s': %s", verb, arg, why);
                return r;
        }
        if (cpumap_is_empty(out)) {
                tlbctl_error("%s: the CPU list is empty", verb);
                return -EINVAL;
        }
        return 0;
}

static void help(FILE *f) {
        fprintf(f,
                "Usage: tlbctl [--json] [VERB [ARGS...]]\n"
                "\n"
                "Show and change CPU isolation, and measure the IPIs and OS noise that\n"
                "still reach isolated CPUs. Without a verb, 'status'.\n"
                "\n"
                "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-8s %s\n           %s\n", verbs[i].name, verbs[i].args, verbs[i].help);
        fprintf(f,
                "\n"
                "Options:\n"
                "  -j, --json      machine-readable output (status, noise, ipi, top, check, isolate, release)\n"
                "  -h, --help      show this help ('tlbctl VERB --help' for a verb)\n"
                "  -V, --version   show the version\n"
                "\n"
                "Exit status: 0 success, 1 failure, 2 usage error. See tlbctl(8).\n");
}

/* Runs on housekeeping CPUs only, like rtla's auto_house_keeping: reading
 * counters from an isolated CPU would be noise on it. Not fatal; when
 * every online CPU is isolated there is nowhere better to run. */
static void pin_to_housekeeping(const struct tlbctl *t) {
        if (t->fixture_root || cpumap_is_empty(&t->iso.housekeeping) ||
            cpumap_equal(&t->iso.housekeeping, &t->facts.sys.online))
                return;
        (void) task_set_affinity(0, &t->iso.housekeeping);
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "help",    no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "json",    no_argument, NULL, 'j' },
                {}
        };
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        struct tlbctl t = {};
        const char *verb = "status";
        char *defargv[] = { (char *) "status", NULL };
        const char *root;
        int c, r;

        while ((c = getopt_long(argc, argv, "+hVj", opts, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("tlbctl %s\n", TLBISOL_VERSION);
                        return EXIT_OK;
                case 'j':
                        t.json = true;
                        break;
                default:
                        fprintf(stderr, "Try 'tlbctl --help'.\n");
                        return EXIT_USAGE;
                }
        if (optind < argc)
                verb = argv[optind];
        else {
                argc = 1;
                argv = defargv;
                optind = 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verb, verbs[i].name))
                        continue;
                r = fsroot_new_from_env(&fs);
                if (r < 0) {
                        tlbctl_error("cannot set up the file-system root: %s", strerror(-r));
                        return EXIT_FAIL;
                }
                t.fs = fs;
                root = getenv(FSROOT_ENV);
                t.fixture_root = root && *root;
                r = isolation_facts_read(fs, &t.facts, NULL);
                if (r < 0) {
                        tlbctl_error("cannot read the CPU topology from %s/sys and %s/proc: %s",
                                  fsroot_prefix(fs), fsroot_prefix(fs), strerror(-r));
                        return EXIT_FAIL;
                }
                r = isolation_compute(&t.facts, NULL, NULL, &t.iso);
                if (r < 0 && r != -EXFULL) {
                        tlbctl_error("cannot compute the isolated CPUs: %s", strerror(-r));
                        return EXIT_FAIL;
                }
                pin_to_housekeeping(&t);
                argc -= optind;
                argv += optind;
                optind = 0;             /* the verb parses its own options */
                r = verbs[i].fn(&t, argc, argv);
                isolation_done(&t.iso);
                isolation_facts_done(&t.facts);
                return r;
        }
        return usage_error(NULL, "unknown verb '%s'", verb);
}
