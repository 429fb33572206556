/* noise.c — 'tlbctl noise': OS noise and IPIs by kind on isolated CPUs,
 * measured with the osnoise tracer in a private tracefs instance, or
 * counted from /proc/interrupts where the kernel has no osnoise. This file
 * is the verb (options, help, checks before anything is touched), the
 * run's lifecycle, and noise_summarize() for other verbs; the measurement
 * itself is noise-measure.c, the parts it uses are listed in noise.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event-parse.h>

#include "interrupts.h"
#include "json-out.h"
#include "noise.h"
#include "parse.h"
#include "util.h"

static void noise_help(void) {
        printf("Usage: tlbctl noise [-c CPULIST] [-d DURATION] [--workload=user|kernel|none] [--json]\n"
               "                    [-- COMMAND [ARG...]]\n"
               "\n"
               "Measure OS noise on isolated CPUs with the osnoise tracer (private tracing\n"
               "instance): total and largest noise per CPU, IPI noise by vector, and\n"
               "function-call IPIs attributed to what they carried (user/kernel TLB flush,\n"
               "page-table sync, text poke, other). Without osnoise: /proc/interrupts deltas.\n"
               "\n"
               "  -c, --cpus=CPULIST        CPUs to measure (default: the isolated CPUs)\n"
               "  -d, --duration=DURATION   how long, e.g. 10s, 500ms, 1m (default 10s)\n"
               "  -w, --workload=KIND       user: a user-space busy loop per CPU (default; sees\n"
               "                            user TLB shootdowns); kernel: osnoise's kernel\n"
               "                            threads; none: measure the application already\n"
               "                            running there: the run time of user threads\n"
               "                            pinned to measured CPUs is shown as WORKLOAD,\n"
               "                            every other thread counts as noise\n"
               "  -j, --json                JSON output\n"
               "  -h, --help                this help\n"
               "  -- COMMAND [ARG...]       run COMMAND once the window has opened and close the\n"
               "                            window when it exits: the noise of a fixed amount of\n"
               "                            work (e.g. a load on the housekeeping CPUs), however\n"
               "                            long it takes. DURATION (default then 10m) is the\n"
               "                            limit: COMMAND still running then gets SIGTERM. It\n"
               "                            runs with tlbctl's CPU affinity (with --json its\n"
               "                            output goes to stderr); exit status 1 when it fails\n");
}

void noise_run_done(struct noise_run *n) {
        if (n->tep)
                tep_free(n->tep);
        noise_acc_free(n->acc);
        attrib_free(n->attrib);
        trace_sources_done(&n->src);
        free(n->workers);
        free(n->saved_cpus);
        free(n->no_osnoise_reason);
        free(n->csd_reason);
        interrupts_free(n->before);
        interrupts_free(n->after);
        interrupts_free(n->delta);
        module_state_done(&n->mod_before);
        module_state_done(&n->mod_after);
}

/* The noise lock (noise-guard.c), or why not on stderr. */
static int noise_lock_or_say(int *ret_fd) {
        _cleanup_free_ char *holder = NULL;
        int r = noise_lock(ret_fd, &holder);

        if (r == -EBUSY)
                tlbctl_error("noise: in use by %s; one measurement at a time (osnoise's settings are global, "
                             "and two workloads on one CPU restart its tick), try again when it has finished",
                             holder);
        else if (r < 0)
                tlbctl_error("noise: cannot take the noise lock: %s", strerror(-r));
        return r;
}

int verb_noise(struct tlbctl *t, int argc, char **argv) {
        static const struct option opts[] = {
                { "cpus",     required_argument, NULL, 'c' },
                { "duration", required_argument, NULL, 'd' },
                { "workload", required_argument, NULL, 'w' },
                { "json",     no_argument,       NULL, 'j' },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        struct noise_run n = { .t = t, .json = t->json, .duration_usec = 10 * USEC_PER_SEC,
                               .saved_workload = -1, .wl = WL_USER };
        _cleanup_close_ int lock_fd = -EBADF;
        bool have_cpus = false, have_duration = false;
        int c, r, rc = EXIT_OK;

        /* "+": options end at the first non-option, so a command's own
         * options after "--" are never taken for ours */
        while ((c = getopt_long(argc, argv, "+c:d:w:jh", opts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        if (parse_user_cpulist(t, "noise", optarg, &n.cpus) < 0)
                                return EXIT_USAGE;
                        have_cpus = true;
                        break;
                case 'd':
                        if (parse_duration(optarg, &n.duration_usec) < 0 || n.duration_usec == 0 ||
                            n.duration_usec > 24 * 3600 * USEC_PER_SEC)
                                return usage_error("noise", "bad duration '%s' (e.g. 10s, 500ms, 2m)", optarg);
                        have_duration = true;
                        break;
                case 'w':
                        if (streq(optarg, "user"))
                                n.wl = WL_USER;
                        else if (streq(optarg, "kernel"))
                                n.wl = WL_KERNEL;
                        else if (streq(optarg, "none"))
                                n.wl = WL_NONE;
                        else
                                return usage_error("noise", "bad workload '%s' (user, kernel or none)", optarg);
                        break;
                case 'j':
                        n.json = true;
                        break;
                case 'h':
                        noise_help();
                        return EXIT_OK;
                default:
                        return usage_error("noise", "bad option");
                }
        if (optind < argc) {
                if (optind == 0 || !streq(argv[optind - 1], "--"))
                        return usage_error("noise", "unexpected argument '%s' (a command to run goes after '--')",
                                           argv[optind]);
                n.cmd = argv + optind;          /* argv is NULL-terminated */
                if (!have_duration)
                        n.duration_usec = 600 * USEC_PER_SEC;
        } else if (optind > 0 && streq(argv[optind - 1], "--"))
                return usage_error("noise", "no command after '--'");
        if (!have_cpus) {
                n.cpus = t->iso.isolated;
                if (cpumap_is_empty(&n.cpus)) {
                        tlbctl_error("noise: no CPU is isolated; name the CPUs to measure with -c CPULIST");
                        return EXIT_FAIL;
                }
        }
        if (!cpumap_is_subset(&n.cpus, &t->facts.sys.online)) {
                tlbctl_error("noise: CPUs to measure must be online");
                return EXIT_FAIL;
        }
        if (t->fixture_root) {
                tlbctl_error("noise: measures this machine; unset TLBISOL_ROOT");
                return EXIT_FAIL;
        }
        if (geteuid() != 0) {
                tlbctl_error("noise: needs root (tracefs and osnoise)");
                return EXIT_FAIL;
        }

        if (noise_lock_or_say(&lock_fd) < 0)
                return EXIT_FAIL;
        if (n.wl == WL_USER)
                noise_warn_pinned(t, &n.cpus);

        r = noise_measure_until_stopped(&n);
        if (r < 0) {
                tlbctl_error("noise: measurement failed: %s", strerror(-r));
                rc = EXIT_FAIL;
        } else if (n.json) {
                if (json_envelope_print(json_envelope_new("noise"), noise_json(&n), stdout) < 0)
                        rc = EXIT_FAIL;
        } else {
                noise_print(&n);
                if (fflush(stdout) != 0)
                        rc = EXIT_FAIL;
        }
        if (r >= 0 && n.cmd && !(n.cmd_exited && !n.cmd_stopped && WIFEXITED(n.cmd_status) &&
                                 WEXITSTATUS(n.cmd_status) == 0)) {
                char why[64];

                tlbctl_error("noise: '%s' %s", n.cmd[0], noise_cmd_outcome(&n, why));
                rc = EXIT_FAIL;
        }

        noise_run_done(&n);
        return rc;
}

/* ---- entry point for other verbs ('tlbctl check --noise') ---- */

int noise_summarize(const struct tlbctl *t, const struct cpumap *cpus, uint64_t duration_usec,
                    struct noise_summary *out) {
        struct noise_run n = { .t = t, .cpus = *cpus, .duration_usec = duration_usec,
                               .saved_workload = -1, .wl = WL_USER };
        _cleanup_close_ int lock_fd = -EBADF;
        int cpu, r;

        *out = (struct noise_summary) {};
        if (t->fixture_root)
                return -EPERM;
        r = noise_lock_or_say(&lock_fd);
        if (r < 0)
                return r;
        r = noise_measure_until_stopped(&n);

        if (r >= 0) {
                out->window_usec = n.measured_usec;
                out->osnoise = n.osnoise;
                out->interrupted = n.interrupted;
                if (n.no_osnoise_reason)
                        out->no_osnoise_reason = strdup(n.no_osnoise_reason);
                out->ncpus = t->facts.sys.ncpus;
                out->cpu = calloc(out->ncpus ? out->ncpus : 1, sizeof(*out->cpu));
                if (!out->cpu || (n.no_osnoise_reason && !out->no_osnoise_reason))
                        r = -ENOMEM;
        }
        if (r >= 0)
                CPUMAP_FOREACH(cpu, &n.cpus) {
                        struct noise_summary_cpu *c = &out->cpu[cpu];

                        c->measured = true;
                        for (size_t i = 0; n.delta && i < n.delta->nrows; i++)
                                if (n.delta->rows[i].per_cpu)
                                        c->interrupts += irq_row_count(&n.delta->rows[i], (unsigned) cpu);
                        if (n.osnoise)
                                c->max_noise_ns = noise_acc_cpu(n.acc, (unsigned) cpu)->max_ns;
                }

        noise_run_done(&n);
        if (r < 0)
                noise_summary_done(out);
        return r;
}

void noise_summary_done(struct noise_summary *s) {
        free(s->no_osnoise_reason);
        free(s->cpu);
        *s = (struct noise_summary) {};
}
