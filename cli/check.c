/* check.c — 'tlbctl check': is this machine set up for isolated CPUs, and
 * (with --noise) are they quiet enough? One line per check with its
 * verdict, then why and the fix for everything that is not ok; --json
 * with the versioned envelope. Exit 0 when nothing fails, 1 when something
 * does, 2 for a usage error: made for CI and for tuned's verify. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-system.h"
#include "check.h"
#include "fsroot.h"
#include "json-out.h"
#include "parse.h"
#include "tlbctl.h"
#include "tlbisold-conf.h"
#include "util.h"

int daemon_isolation(const struct tlbctl *t, const struct daemon_state *d,
                     const struct config *cfg, struct isolation *iso) {
        struct cpumap runtime = {}, config = {};
        int r;

        if (cfg && !(d && d->running))
                config = cfg->cpus;
        if (d && d->running) {
                for (size_t i = 0; i < d->nsources; i++) {
                        struct cpumap m;

                        if (cpulist_parse_lenient(d->sources[i].cpus, t->facts.sys.ncpus, &m) < 0)
                                continue;
                        if (streq(d->sources[i].source, "runtime"))
                                cpumap_or(&runtime, &runtime, &m);
                        else if (streq(d->sources[i].source, "config"))
                                cpumap_or(&config, &config, &m);
                }
        }
        r = isolation_compute(&t->facts, &runtime, &config, iso);
        return r == -EXFULL ? 0 : r;
}

/* --noise: one measurement of the checked CPUs, judged by [Check]. */
struct noise_check {
        uint64_t duration_usec;         /* 0: not asked for */
        bool done;
        struct noise_summary s;
};

static int check_noise(const struct check_ctx *c, struct noise_check *nc, struct check_report *rep) {
        const struct config *cfg = c->config;
        struct cpumap cpus;
        char found[1024] = "", lim[96];
        enum check_verdict v = CHECK_OK;
        size_t off = 0;
        double secs;
        int cpu, r;

        cpumap_and(&cpus, &c->want, &c->t->facts.sys.online);
        if (c->t->fixture_root)
                return check_add(rep, "noise", CHECK_SKIP, false, "", NULL, "not measured (TLBISOL_ROOT is set)");
        if (cpumap_is_empty(&cpus))
                return check_add(rep, "noise", CHECK_SKIP, false, "", NULL, "no online isolated CPU to measure");
        r = noise_summarize(c->t, &cpus, nc->duration_usec, &nc->s);
        if (r == -ENOMEM)
                return r;
        if (r == -EBUSY)
                return check_add(rep, "noise", CHECK_FAIL, false,
                                 "Without a measurement the isolated CPUs cannot be shown quiet.",
                                 "run it again when the other measurement has finished",
                                 "not measured: another measurement is running (named above)");
        if (r < 0)
                return check_add(rep, "noise", CHECK_FAIL, false,
                                 "Without a measurement the isolated CPUs cannot be shown quiet.",
                                 "run as root; see 'tlbctl noise' for what failed",
                                 "the measurement failed: %s", strerror(-r));
        nc->done = true;
        secs = (double) nc->s.window_usec / 1e6;
        CPUMAP_FOREACH(cpu, &cpus) {
                double rate = secs > 0 ? (double) nc->s.cpu[cpu].interrupts / secs : 0;

                if (rate > cfg->check_max_irq_per_sec)
                        v = CHECK_FAIL;
                off += (size_t) snprintf(found + off, off < sizeof(found) ? sizeof(found) - off : 0,
                                         "%sCPU %d %.1f/s", off ? ", " : "", cpu, rate);
                if (off >= sizeof(found))
                        break;
        }
        snprintf(lim, sizeof(lim), "[Check] MaxInterruptsPerSec=%u", cfg->check_max_irq_per_sec);
        r = check_add(rep, "noise.interrupts", v, false,
                      "Every interrupt stops the application on the isolated CPU for its whole handler.",
                      v == CHECK_FAIL ? "tlbctl noise -c CPUS shows what they are and where they come from" : NULL,
                      "interrupts over %.1f s%s: %s (limit %s)", secs, nc->s.interrupted ? " (stopped early)" : "",
                      found, lim);
        if (r < 0)
                return r;
        if (!nc->s.osnoise)
                return check_add(rep, "noise.max", CHECK_SKIP, false, "", NULL,
                                 "longest noise not measured: %s",
                                 nc->s.no_osnoise_reason ? nc->s.no_osnoise_reason : "no osnoise tracer");
        v = CHECK_OK;
        off = 0;
        CPUMAP_FOREACH(cpu, &cpus) {
                uint64_t us = nc->s.cpu[cpu].max_noise_ns / 1000;

                if (us > cfg->check_max_noise_usec)
                        v = CHECK_FAIL;
                off += (size_t) snprintf(found + off, off < sizeof(found) ? sizeof(found) - off : 0,
                                         "%sCPU %d %" PRIu64 " us", off ? ", " : "", cpu, us);
                if (off >= sizeof(found))
                        break;
        }
        return check_add(rep, "noise.max", v, false,
                         "The longest single interruption is the latency the application sees.",
                         v == CHECK_FAIL ? "tlbctl noise -c CPUS names the longest noise sources" : NULL,
                         "longest single noise: %s (limit [Check] MaxNoise=%" PRIu64 "us)", found,
                         cfg->check_max_noise_usec);
}

static struct json_object *noise_check_json(const struct check_ctx *c, const struct noise_check *nc) {
        struct json_object *o, *cpus;
        double secs;
        int cpu;

        if (!nc->done)
                return NULL;
        o = json_object_new_object();
        cpus = json_object_new_array();
        secs = (double) nc->s.window_usec / 1e6;
        json_object_object_add(o, "window_s", json_rate(secs));
        json_object_object_add(o, "osnoise", json_object_new_boolean(nc->s.osnoise));
        json_object_object_add(o, "max_interrupts_per_s", json_object_new_int((int) c->config->check_max_irq_per_sec));
        json_object_object_add(o, "max_noise_us", json_u64(c->config->check_max_noise_usec));
        for (unsigned i = 0; i < nc->s.ncpus; i++) {
                struct json_object *e;

                if (!nc->s.cpu[i].measured)
                        continue;
                cpu = (int) i;
                e = json_object_new_object();
                json_object_object_add(e, "cpu", json_object_new_int(cpu));
                json_object_object_add(e, "interrupts", json_u64(nc->s.cpu[i].interrupts));
                json_object_object_add(e, "interrupts_per_s",
                                       json_rate(secs > 0 ? (double) nc->s.cpu[i].interrupts / secs : 0));
                json_object_object_add(e, "max_noise_us", nc->s.osnoise ?
                                       json_rate((double) nc->s.cpu[i].max_noise_ns / 1000.0) : NULL);
                json_object_array_add(cpus, e);
        }
        json_object_object_add(o, "cpus", cpus);
        return o;
}

static struct json_object *check_json(const struct check_ctx *c, const struct noise_check *nc,
                                      const struct check_report *rep) {
        struct json_object *o = json_object_new_object(), *items = json_object_new_array();
        struct json_object *counts = json_object_new_object();

        json_object_object_add(o, "verdict", json_object_new_string(
                check_report_worst(rep) == CHECK_FAIL ? "fail" : "pass"));
        json_object_object_add(o, "isolated", json_cpulist(&c->want));
        json_object_object_add(o, "housekeeping", json_cpulist(&c->iso.housekeeping));
        for (int v = 0; v < _CHECK_VERDICT_MAX; v++)
                json_object_object_add(counts, check_verdict_name(v), json_object_new_int((int) rep->count[v]));
        json_object_object_add(o, "counts", counts);
        for (size_t i = 0; i < rep->n; i++) {
                const struct check_item *it = &rep->items[i];
                struct json_object *e = json_object_new_object();

                json_object_object_add(e, "id", json_object_new_string(it->id));
                json_object_object_add(e, "verdict", json_object_new_string(check_verdict_name(it->verdict)));
                json_object_object_add(e, "found", json_object_new_string(it->found));
                json_object_object_add(e, "why", it->why && *it->why ? json_object_new_string(it->why) : NULL);
                json_object_object_add(e, "fix", it->fix ? json_object_new_string(it->fix) : NULL);
                json_object_object_add(e, "needs_reboot", json_object_new_boolean(it->needs_reboot));
                json_object_array_add(items, e);
        }
        json_object_object_add(o, "checks", items);
        json_object_object_add(o, "noise", noise_check_json(c, nc));
        return o;
}

static void check_print(const struct check_report *rep, bool verbose) {
        for (size_t i = 0; i < rep->n; i++) {
                const struct check_item *it = &rep->items[i];
                bool detail = verbose || it->verdict == CHECK_WARN || it->verdict == CHECK_FAIL;
                char v[8];

                snprintf(v, sizeof(v), "%s", check_verdict_name(it->verdict));
                if (it->verdict >= CHECK_WARN)
                        for (char *p = v; *p; p++)
                                *p = (char) (*p - 'a' + 'A');
                printf("%-5s %-27s %s\n", v, it->id, it->found);
                if (detail && it->why && *it->why)
                        printf("%-5s %-27s why: %s\n", "", "", it->why);
                if (detail && it->fix)
                        printf("%-5s %-27s fix: %s%s\n", "", "", it->fix,
                               it->needs_reboot ? " (needs a reboot)" : "");
        }
        printf("\n%s: %u fail, %u warn, %u ok, %u info, %u skipped\n",
               rep->count[CHECK_FAIL] ? "FAIL" : "PASS", rep->count[CHECK_FAIL], rep->count[CHECK_WARN],
               rep->count[CHECK_OK], rep->count[CHECK_INFO], rep->count[CHECK_SKIP]);
}

static void check_help(void) {
        printf("Usage: tlbctl check [--json] [-c CPULIST] [--noise=DURATION] [--verbose]\n"
               "\n"
               "Checks that this machine is set up for isolated CPUs: the boot command\n"
               "line, partitions, IRQs and the default affinity, the workqueue mask,\n"
               "kernel threads, the tunables tlbisold manages, tlbisol.ko, tlbisold,\n"
               "irqbalance and tuned; reports CPU frequency and idle settings. Each\n"
               "check says ok, warn or fail, what it found, why it matters and the fix.\n"
               "\n"
               "  -c, --cpus=CPULIST   the CPUs that must be isolated (default: those that are)\n"
               "  -n, --noise=DURATION also measure the CPUs (as 'tlbctl noise') and judge the\n"
               "                       interrupt rate and longest noise by tlbisold.conf [Check]\n"
               "  -j, --json           JSON output (see tlbctl(8))\n"
               "  -v, --verbose        why and fix for every check, not only warn/fail\n"
               "  -h, --help           this help\n"
               "\n"
               "Exit status: 0 nothing fails, 1 something fails, 2 usage error.\n");
}

int verb_check(struct tlbctl *t, int argc, char **argv) {
        static const struct option opts[] = {
                { "json",    no_argument,       NULL, 'j' },
                { "cpus",    required_argument, NULL, 'c' },
                { "verbose", no_argument,       NULL, 'v' },
                { "noise",   required_argument, NULL, 'n' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        struct daemon_state daemon = {};
        struct module_state module = {};
        struct check_report rep = {};
        struct check_ctx ctx = { .t = t };
        struct noise_check nc = {};
        struct config cfg;
        _cleanup_free_ char *conf_path = NULL;
        const char *cpus_arg = NULL;
        bool json = t->json, verbose = false;
        char err[512] = "";
        int c, r, ret = EXIT_FAIL;

        while ((c = getopt_long(argc, argv, "jc:vn:h", opts, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'c':
                        cpus_arg = optarg;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'n':
                        if (parse_duration(optarg, &nc.duration_usec) < 0 || nc.duration_usec == 0 ||
                            nc.duration_usec > 3600 * USEC_PER_SEC)
                                return usage_error("check", "bad noise duration '%s' (e.g. 10s, 1m; at most 1h)", optarg);
                        break;
                case 'h':
                        check_help();
                        return EXIT_OK;
                default:
                        return usage_error("check", "bad option");
                }
        if (optind < argc)
                return usage_error("check", "unexpected argument '%s'", argv[optind]);
        if (cpus_arg && parse_user_cpulist(t, "check", cpus_arg, &ctx.want) < 0)
                return EXIT_USAGE;

        /* tlbisold.conf as tlbisold reads it (under the fixture root too) */
        r = fsroot_path(t->fs, TLBISOLD_CONF, &conf_path);
        if (r < 0)
                goto oom;
        config_init(&cfg);              /* kept (the defaults) when the file has an error */
        ctx.config = &cfg;
        r = config_load(conf_path, t->facts.sys.ncpus, &cfg, err, sizeof(err));
        if (r == -ENOMEM)
                goto oom;

        if (!t->fixture_root) {
                if (daemon_state_read(&daemon) < 0)
                        goto oom;
                ctx.daemon = &daemon;
        }
        if (module_state_read(t, &module) < 0)
                goto oom;
        ctx.module = &module;
        r = daemon_isolation(t, ctx.daemon, &cfg, &ctx.iso);
        if (r < 0) {
                tlbctl_error("check: cannot compute the isolated CPUs: %s", strerror(-r));
                goto out;
        }
        if (!cpus_arg)
                ctx.want = ctx.iso.isolated;

        if (err[0])
                r = check_add(&rep, "config", CHECK_FAIL, false,
                              "tlbisold refuses a configuration with an error and keeps running with the old one (or does not start).",
                              "correct the file; then systemctl reload tlbisold", "%s", err);
        else
                r = check_add(&rep, "config", CHECK_OK, false, "", NULL, "%s: %s", TLBISOLD_CONF,
                              fsroot_exists(t->fs, TLBISOLD_CONF) > 0 ? "valid" : "absent, the defaults apply");
        if (r >= 0)
                r = check_system(&ctx, &rep);
        if (r >= 0 && nc.duration_usec)
                r = check_noise(&ctx, &nc, &rep);
        if (r < 0)
                goto oom;

        if (json)
                r = json_envelope_print(json_envelope_new("check"), check_json(&ctx, &nc, &rep), stdout);
        else {
                check_print(&rep, verbose);
                r = fflush(stdout) == 0 ? 0 : -EIO;
        }
        if (r < 0)
                tlbctl_error("check: cannot write the output: %s", strerror(-r));
        else
                ret = check_report_worst(&rep) == CHECK_FAIL ? EXIT_FAIL : EXIT_OK;
        goto out;

oom:
        tlbctl_error("check: out of memory");
out:
        check_report_done(&rep);
        noise_summary_done(&nc.s);
        isolation_done(&ctx.iso);
        daemon_state_done(&daemon);
        module_state_done(&module);
        if (ctx.config)
                config_done(&cfg);
        return ret;
}
