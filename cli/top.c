/* top.c — 'tlbctl top': a live view of the interrupts reaching isolated
 * CPUs, grouped by source as 'tlbctl noise' groups them (lib/attrib.h),
 * as rates, refreshed every interval.
 *
 * Housekeeping only: tlbctl pins itself to the CPUs it does not watch,
 * starts no workload, and reads the per-CPU buffers of a private tracing
 * instance without waiting on them (a waiting reader is woken with
 * irq_work on the traced CPU: noise). The receive side is the x86 vector
 * tracepoints (irq_vectors:*_entry/_exit) and irq:irq_handler_entry/exit,
 * present on every kernel (no osnoise needed: works on Debian's generic
 * kernel too); durations are exit minus entry. The sender side is
 * cli/trace-sources.c.
 *
 * One struct attrib lives across intervals (attrib_advance()): each round
 * matches the records up to 100 ms before it ends, and sends still
 * waiting for their interrupt carry over to the next round. Rates are per
 * second of the round; the first round after set-up is dropped (the
 * set-up's own text-poke IPIs).
 *
 * Restore: the instance is private; enabling tracepoints patches kernel
 * text once at start and once at exit (text-poke IPIs to every CPU, before
 * and after the view). SIGINT/SIGTERM/SIGHUP end the view cleanly.
 *
 * --json: a stream, one tlbctl envelope (command "top") per refresh, each
 * on one line (JSON Lines), flushed as it is written; schema $defs/top. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <tracefs.h>

#include "attrib.h"
#include "attrib-json.h"
#include "fsroot.h"
#include "ipikind.h"
#include "json-out.h"
#include "parse.h"
#include "task.h"
#include "tlbctl.h"
#include "trace-sources.h"
#include "util.h"

#define TOP_ROWS 15
#define TOP_LAG_NS UINT64_C(100000000)     /* 100 ms */

static volatile sig_atomic_t top_stop;

static void on_top_signal(int sig) {
        (void) sig;
        top_stop = 1;
}

#define TOP_VECTORS 16    /* >= the number of ipi_vectors() */

struct top_irq {                /* per traced CPU: the interrupt in progress */
        uint64_t entry;
        int num;
        char name[64];
};

struct top_run {
        const struct tlbctl *t;
        struct cpumap cpus;
        uint64_t interval_usec;
        unsigned iterations;            /* 0: until stopped */
        struct tracefs_instance *inst;
        struct tep_handle *tep;
        struct trace_sources src;
        struct attrib *attrib;
        struct top_irq irq[CPUMAP_MAX_CPUS / 64];      /* by CPU, the first 128 */
        int id_irq_entry, id_irq_exit;
        int vec_entry[TOP_VECTORS], vec_exit[TOP_VECTORS];
        unsigned nvec;
};

/* ---- receive side ---- */

static int receive_setup(struct top_run *tr) {
        unsigned nvec;
        const struct ipi_vector *v = ipi_vectors(&nvec);
        int ok = 0;

        for (unsigned i = 0; i < nvec && i < TOP_VECTORS; i++) {
                char ev[64];

                snprintf(ev, sizeof(ev), "%s_entry", v[i].desc);
                if (trace_event_enable_filtered(tr->inst, &tr->cpus, "irq_vectors", ev, "CPU", NULL) == 0)
                        ok++;
                snprintf(ev, sizeof(ev), "%s_exit", v[i].desc);
                (void) trace_event_enable_filtered(tr->inst, &tr->cpus, "irq_vectors", ev, "CPU", NULL);
        }
        (void) trace_event_enable_filtered(tr->inst, &tr->cpus, "irq", "irq_handler_entry", "CPU", NULL);
        (void) trace_event_enable_filtered(tr->inst, &tr->cpus, "irq", "irq_handler_exit", "CPU", NULL);
        return ok ? 0 : -ENOENT;
}

static void receive_bind(struct top_run *tr) {
        unsigned nvec;
        const struct ipi_vector *v = ipi_vectors(&nvec);

        tr->nvec = nvec < TOP_VECTORS ? nvec : TOP_VECTORS;
        for (unsigned i = 0; i < tr->nvec; i++) {
                char ev[64];

                snprintf(ev, sizeof(ev), "%s_entry", v[i].desc);
                tr->vec_entry[i] = trace_event_id(tr->tep, "irq_vectors", ev);
                snprintf(ev, sizeof(ev), "%s_exit", v[i].desc);
                tr->vec_exit[i] = trace_event_id(tr->tep, "irq_vectors", ev);
        }
        tr->id_irq_entry = trace_event_id(tr->tep, "irq", "irq_handler_entry");
        tr->id_irq_exit = trace_event_id(tr->tep, "irq", "irq_handler_exit");
}

static int on_top_record(struct tep_event *e, struct tep_record *r, int cpu, void *userdata) {
        struct top_run *tr = userdata;
        unsigned nvec;
        const struct ipi_vector *v = ipi_vectors(&nvec);
        struct top_irq *in = (unsigned) cpu < ELEMENTSOF(tr->irq) ? &tr->irq[cpu] : NULL;
        struct attrib_event ev = { .type = ATTRIB_EV_IRQ, .cpu = (unsigned) cpu, .ts = r->ts };
        int k = trace_sources_record(&tr->src, tr->attrib, e, r, cpu);

        if (k != 0)
                return k < 0 ? -1 : 0;
        if (!in)
                return 0;
        if (e->id == tr->id_irq_entry) {
                in->entry = r->ts;
                in->num = (int) trace_field_u64(e, r, "irq");
                if (!trace_field_str(e, r, "name", in->name, sizeof(in->name)))
                        snprintf(in->name, sizeof(in->name), "irq%d", in->num);
                return 0;
        }
        if (e->id == tr->id_irq_exit) {
                ev.name = in->name;
                ev.num = in->num;
        } else {
                unsigned i;

                for (i = 0; i < tr->nvec; i++)
                        if (e->id == tr->vec_entry[i] || e->id == tr->vec_exit[i])
                                break;
                if (i == tr->nvec)
                        return 0;
                if (e->id == tr->vec_entry[i]) {
                        in->entry = r->ts;
                        return 0;
                }
                ev.name = v[i].desc;
                ev.num = (int) trace_field_u64(e, r, "vector");
        }
        ev.duration = in->entry && in->entry <= r->ts ? r->ts - in->entry : 0;
        in->entry = 0;
        return attrib_add(tr->attrib, &ev) < 0 ? -1 : 0;
}

/* ---- set-up ---- */

static void top_teardown(struct top_run *tr) {
        if (!tr->inst)
                return;
        (void) tracefs_trace_off(tr->inst);
        trace_sources_disable(&tr->src, tr->inst);
        (void) tracefs_event_disable(tr->inst, NULL, NULL);
        (void) tracefs_instance_destroy(tr->inst);
        tracefs_instance_free(tr->inst);
        tr->inst = NULL;
}

static int top_setup(struct top_run *tr) {
        static const char *const systems[] = { "irq_vectors", "irq", TRACE_SOURCES_SYSTEMS, NULL };
        _cleanup_free_ char *name = NULL, *kallsyms = NULL;
        int r;

        if (!tracefs_tracing_dir()) {
                tlbctl_error("top: tracefs is not mounted");
                return -ENOENT;
        }
        if (asprintf(&name, "tlbctl-top-%d", (int) getpid()) < 0)
                return -ENOMEM;
        tr->inst = tracefs_instance_create(name);
        if (!tr->inst) {
                tlbctl_error("top: cannot create a tracing instance");
                return -EIO;
        }
        (void) tracefs_trace_off(tr->inst);
        if (tracefs_instance_file_write(tr->inst, "trace_clock", "mono") < 0 ||
            tracefs_instance_set_buffer_size(tr->inst, 2048, -1) < 0)
                return -EIO;
        if (receive_setup(tr) < 0) {
                tlbctl_error("top: no irq_vectors tracepoints in this kernel");
                return -ENOENT;
        }
        trace_sources_enable(&tr->src, tr->inst, &tr->cpus);
        tr->tep = tracefs_local_events_system(NULL, systems);
        if (!tr->tep)
                return -EIO;
        r = fsroot_path(tr->t->fs, "/proc/kallsyms", &kallsyms);
        trace_sources_bind(&tr->src, tr->tep, r >= 0 && trace_ksyms_check(kallsyms) >= 0);
        receive_bind(tr);
        return tracefs_trace_on(tr->inst) < 0 ? -EIO : 0;
}

/* Runs on the online CPUs it does not watch (every one of them, also
 * beyond CPU_SETSIZE's 1024). -EINVAL when none is left. */
static int pin_housekeeping(const struct top_run *tr) {
        struct cpumap hk;

        cpumap_andnot(&hk, &tr->t->iso.online, &tr->cpus);
        return task_set_affinity(0, &hk);
}

/* Reads what the buffers hold (without waiting: consuming reads from this
 * housekeeping CPU), matches it up to upto, and starts a new round of
 * counts; with discard, the round read is dropped. */
static int top_read(struct top_run *tr, uint64_t upto, bool discard) {
        int r;

        attrib_reset(tr->attrib);
        (void) tracefs_load_cmdlines(NULL, tr->tep);
        if (tracefs_iterate_raw_events(tr->tep, tr->inst, NULL, 0, on_top_record, tr) < 0)
                return -EIO;
        r = attrib_advance(tr->attrib, upto);
        if (r >= 0 && discard)
                attrib_reset(tr->attrib);
        return r;
}

/* ---- output ---- */

static void print_interval(const struct top_run *tr, double secs, unsigned iter, bool tty) {
        _cleanup_free_ char *list = NULL;
        int cpu;

        if (tty)
                printf("\033[H\033[2J");
        (void) cpulist_format_alloc(&tr->cpus, &list);
        printf("tlbctl top: CPUs %s, interval %.1f s, sample %u%s; rates per second; -> what removes it\n",
               list ? list : "?", secs, iter, tr->src.enabled ? "" : " (no sender events: sources unknown)");
        if (!tr->src.enabled && tr->src.reason)
                printf("  sources: %s\n", tr->src.reason);
        CPUMAP_FOREACH(cpu, &tr->cpus) {
                const struct attrib_cpu *c = attrib_cpu(tr->attrib, (unsigned) cpu);

                if (!c)
                        continue;
                printf("\nCPU %d: %.1f interrupts/s (tick %.1f/s), IPIs %.1f/s, unattributed %.1f/s\n", cpu,
                       (double) c->interrupts / secs, (double) c->ticks / secs, (double) c->ipis / secs,
                       (double) c->ipis_unattributed / secs);
                for (size_t i = 0, shown = 0; i < c->ngroups && shown < TOP_ROWS; i++) {
                        const struct attrib_group *g = &c->groups[i];

                        if (g->kind == ATTRIB_THREAD || g->kind == ATTRIB_SOFTIRQ)
                                continue;       /* not traced here */
                        shown++;
                        printf("  %7.2f  %-20s %-16s %-28s %s\n", (double) g->count / secs,
                               g->vector ? g->vector : attrib_kind_name(g->kind),
                               g->kind == ATTRIB_IPI ? (g->attributed ? g->sender : "unattributed") : "",
                               g->kind == ATTRIB_TICK ? attrib_tick_label(g->tick_state, g->tick_dep) :
                               g->origin ? g->origin : g->site ? g->site : "",
                               g->carried ? g->carried : g->woken ? g->woken : "");
                        printf("  %7s  -> %s\n", "", g->remedy);
                }
        }
        fflush(stdout);
}

static const char *top_sources_reason(const struct top_run *tr) {
        if (tr->src.enabled)
                return NULL;
        return tr->src.reason ? tr->src.reason : "not traced";
}

static void top_help(void) {
        printf("Usage: tlbctl top [-c CPULIST] [-i INTERVAL] [-n COUNT] [--json]\n"
               "\n"
               "Live view of the interrupts reaching isolated CPUs, grouped by source (sender\n"
               "task and CPU, call site, what it carried), as rates, with what removes each.\n"
               "Runs on the housekeeping CPUs only and starts no workload.\n"
               "\n"
               "  -c, --cpus=CPULIST        CPUs to watch (default: the isolated CPUs)\n"
               "  -i, --interval=DURATION   refresh period, e.g. 2s, 500ms (default 2s)\n"
               "  -n, --iterations=COUNT    stop after COUNT refreshes (default: until Ctrl-C)\n"
               "  -j, --json                one JSON document per refresh, one per line (JSON Lines)\n"
               "  -h, --help                this help\n");
}

int verb_top(struct tlbctl *t, int argc, char **argv) {
        static const struct option opts[] = {
                { "cpus",       required_argument, NULL, 'c' },
                { "interval",   required_argument, NULL, 'i' },
                { "iterations", required_argument, NULL, 'n' },
                { "json",       no_argument,       NULL, 'j' },
                { "help",       no_argument,       NULL, 'h' },
                {}
        };
        static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
        struct sigaction sa = { .sa_handler = on_top_signal }, old[3];
        struct top_run tr = { .t = t, .interval_usec = 2 * USEC_PER_SEC };
        bool have_cpus = false, json = t->json, tty = isatty(STDOUT_FILENO);
        unsigned iter = 0;
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "c:i:n:jh", opts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        if (parse_user_cpulist(t, "top", optarg, &tr.cpus) < 0)
                                return EXIT_USAGE;
                        have_cpus = true;
                        break;
                case 'i':
                        if (parse_duration(optarg, &tr.interval_usec) < 0 || tr.interval_usec < 100000 ||
                            tr.interval_usec > 3600 * USEC_PER_SEC)
                                return usage_error("top", "bad interval '%s' (100ms to 1h, e.g. 2s)", optarg);
                        break;
                case 'n':
                        if (parse_uint(optarg, &tr.iterations) < 0 || tr.iterations == 0)
                                return usage_error("top", "bad count '%s' (a positive number)", optarg);
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        top_help();
                        return EXIT_OK;
                default:
                        return usage_error("top", "bad option");
                }
        if (optind < argc)
                return usage_error("top", "unexpected argument '%s'", argv[optind]);
        if (!have_cpus) {
                tr.cpus = t->iso.isolated;
                if (cpumap_is_empty(&tr.cpus)) {
                        tlbctl_error("top: no CPU is isolated; name the CPUs to watch with -c CPULIST");
                        return EXIT_FAIL;
                }
        }
        if (t->fixture_root) {
                tlbctl_error("top: watches this machine; unset TLBISOL_ROOT");
                return EXIT_FAIL;
        }
        if (geteuid() != 0) {
                tlbctl_error("top: needs root (tracefs)");
                return EXIT_FAIL;
        }
        r = pin_housekeeping(&tr);
        if (r < 0) {
                if (r == -EINVAL)
                        tlbctl_error("top: no housekeeping CPU left to run on");
                else
                        tlbctl_error("top: cannot pin itself to the CPUs it does not watch: %s", strerror(-r));
                return EXIT_FAIL;
        }

        top_stop = 0;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &sa, &old[i]);
        r = top_setup(&tr);
        if (r >= 0)
                r = attrib_new(&tr.cpus, &tr.attrib);
        if (r >= 0)
                attrib_tick_stop_traced(tr.attrib, tr.src.tick_stop);
        /* what the set-up itself caused is not shown */
        if (r >= 0)
                r = top_read(&tr, mono_ns(), true);
        while (r >= 0 && !top_stop && (!tr.iterations || iter < tr.iterations)) {
                struct timespec ts = { (time_t) (tr.interval_usec / USEC_PER_SEC),
                                       (long) (tr.interval_usec % USEC_PER_SEC) * 1000 };
                uint64_t t0 = mono_ns(), t1;

                (void) nanosleep(&ts, NULL);            /* EINTR: the flag decides */
                t1 = mono_ns();
                /* records up to TOP_LAG ago: an interrupt whose send is
                 * still in a buffer not yet read waits for the next round */
                r = top_read(&tr, t1 - TOP_LAG_NS, false);
                if (r < 0)
                        break;
                iter++;
                if (json)
                        r = json_envelope_print_line(json_envelope_new("top"),
                                                     attrib_json_top(tr.attrib, &tr.cpus,
                                                                     (double) tr.interval_usec / 1e6,
                                                                     (double) (t1 - t0) / 1e9, iter,
                                                                     top_sources_reason(&tr)),
                                                     stdout);
                else
                        print_interval(&tr, (double) (t1 - t0) / 1e9, iter, tty);
        }
        top_teardown(&tr);
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &old[i], NULL);
        attrib_free(tr.attrib);
        if (tr.tep)
                tep_free(tr.tep);
        trace_sources_done(&tr.src);
        if (r < 0) {
                tlbctl_error("top: %s", strerror(-r));
                return EXIT_FAIL;
        }
        return EXIT_OK;
}
