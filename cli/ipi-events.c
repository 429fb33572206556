/* ipi-events.c — 'tlbctl ipi --events': the IPIs that reached an isolated
 * CPU although a tlbisol.ko control was on, one line each, as the module
 * multicasts them (the "events" group: the CPU, what the IPI ran, the
 * sending task and CPU; at most 10 a second, built only while someone
 * listens). Needs CAP_NET_ADMIN: events name other users' tasks.
 *
 * --json: one envelope per event (command "ipi", data.event), one per
 * line (JSON Lines), schema $defs/ipi_event. Ends after --duration, or on
 * SIGINT/SIGTERM (exit 0). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "genl.h"
#include "ipikind.h"
#include "json-out.h"
#include "parse.h"
#include "tlbctl.h"
#include "util.h"

static volatile sig_atomic_t events_stop;
static void on_events_signal(int sig) { (void) sig; events_stop = 1; }

struct events_out {
        const struct cpumap *cpus;
        bool json;
        unsigned shown;
};

static const char *kind_name(int kind) {
        const char *n = kind >= 0 ? ipi_kind_name((enum ipi_kind) kind) : NULL;

        return n ? n : "unknown";
}

static struct json_object *event_json(const struct tlbisol_event *ev) {
        struct json_object *o = json_object_new_object(), *d = json_object_new_object();

        json_object_object_add(o, "cpu", json_object_new_int((int) ev->cpu));
        json_object_object_add(o, "kind", json_object_new_string(kind_name(ev->kind)));
        json_object_object_add(o, "function", ev->func[0] ? json_object_new_string(ev->func) : NULL);
        json_object_object_add(o, "sender_pid", ev->sender_pid >= 0 ? json_object_new_int(ev->sender_pid) : NULL);
        json_object_object_add(o, "sender_comm", ev->sender_comm[0] ? json_object_new_string(ev->sender_comm) : NULL);
        json_object_object_add(o, "sender_cpu", ev->sender_cpu >= 0 ? json_object_new_int(ev->sender_cpu) : NULL);
        json_object_object_add(d, "event", o);
        return d;
}

static int on_ipi_event(const struct tlbisol_event *ev, void *userdata) {
        struct events_out *out = userdata;
        char when[16];
        time_t now = time(NULL);
        struct tm tm;

        if (!cpumap_test(out->cpus, ev->cpu))
                return 0;
        out->shown++;
        if (out->json)
                return json_envelope_print_line(json_envelope_new("ipi"), event_json(ev), stdout);
        localtime_r(&now, &tm);
        strftime(when, sizeof(when), "%H:%M:%S", &tm);
        printf("%s CPU %u <- %s: %s from %s (pid %d) on CPU %d\n", when, ev->cpu, kind_name(ev->kind),
               ev->func[0] ? ev->func : "?", ev->sender_comm[0] ? ev->sender_comm : "?",
               ev->sender_pid, ev->sender_cpu);
        return flush_stdout();
}

int ipi_events(struct tlbctl *t, const struct cpumap *cpus, uint64_t duration_usec, bool json) {
        _cleanup_(tlbisol_genl_closep) struct tlbisol_genl *g = NULL;
        struct events_out out = { .cpus = cpus, .json = json };
        struct sigaction sa = { .sa_handler = on_events_signal }, old_int, old_term;
        uint64_t t0;
        int r;

        (void) t;
        r = tlbisol_genl_open(&g);
        if (r == -ENOENT) {
                tlbctl_error("ipi: --events needs tlbisol.ko, which is not loaded (modprobe tlbisol)");
                return EXIT_FAIL;
        }
        if (r == -EPROTO) {
                tlbctl_error("ipi: the loaded tlbisol.ko speaks another netlink version than this tlbctl (%d): "
                             "load the module of the same release", TLBISOL_GENL_VERSION);
                return EXIT_FAIL;
        }
        if (r >= 0)
                r = tlbisol_genl_join_events(g);
        if (r == -EPERM || r == -EACCES) {
                tlbctl_error("ipi: --events needs root (CAP_NET_ADMIN): the events name other users' tasks");
                return EXIT_FAIL;
        }
        if (r < 0) {
                tlbctl_error("ipi: cannot listen to tlbisol.ko's events: %s", strerror(-r));
                return EXIT_FAIL;
        }
        if (!json) {
                printf("Listening for IPIs that reached an isolated CPU despite a tlbisol.ko control (Ctrl-C to stop)\n");
                (void) flush_stdout();
        }
        events_stop = 0;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        t0 = mono_ns();
        while (!events_stop) {
                struct pollfd p = { .fd = tlbisol_genl_fd(g), .events = POLLIN };
                int timeout = 500;

                if (duration_usec) {
                        uint64_t el = (mono_ns() - t0) / 1000;

                        if (el >= duration_usec)
                                break;
                        if (duration_usec - el < 500 * USEC_PER_MSEC)
                                timeout = (int) ((duration_usec - el) / USEC_PER_MSEC) + 1;
                }
                if (poll(&p, 1, timeout) <= 0)
                        continue;               /* timeout, or EINTR: the flag decides */
                r = tlbisol_genl_read_events(g, on_ipi_event, &out);
                if (r < 0)
                        break;
        }
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        if (r < 0) {
                tlbctl_error("ipi: --events: %s", r == -EBADMSG && *tlbisol_genl_last_error(g) ?
                             tlbisol_genl_last_error(g) : strerror(-r));
                return EXIT_FAIL;
        }
        if (!json)
                printf("%u events\n", out.shown);
        return flush_stdout() < 0 ? EXIT_FAIL : EXIT_OK;
}
