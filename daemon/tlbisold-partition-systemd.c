/* tlbisold-partition-systemd.c — PARTITION_SLICE through systemd's D-Bus
 * API; see tlbisold-partition-systemd.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sdunit.h"
#include "tlbisold-partition-systemd.h"

#define DESCRIPTION "tlbisold: CPUs isolated at run time (isolated cpuset partition; tlbctl run puts work here)"

static int open_bus(struct partition_systemd *s) {
        if (s->bus)
                return 0;
        return sd_bus_open_system_with_description(&s->bus, "tlbisold-partition");
}

static int op_set_cpus(const struct cpumap *cpus, bool running, char *err, size_t errlen, void *userdata) {
        struct partition_systemd *s = userdata;
        int r = open_bus(s);

        if (r < 0) {
                snprintf(err, errlen, "cannot connect to the system bus: %s", strerror(-r));
                return r;
        }
        if (running)
                return sdunit_set_allowed_cpus(s->bus, PARTITION_SLICE, cpus, err, errlen);
        r = sdunit_start_transient(s->bus, PARTITION_SLICE,
                                   &(struct sdunit_props) { .description = DESCRIPTION, .allowed_cpus = cpus },
                                   err, errlen);
        if (r != -EEXIST)
                return r;
        /* loaded but not running (e.g. a stopped slice not yet collected):
         * change it and start it */
        r = sdunit_set_allowed_cpus(s->bus, PARTITION_SLICE, cpus, err, errlen);
        return r < 0 ? r : sdunit_job(s->bus, "StartUnit", PARTITION_SLICE, err, errlen);
}

static int op_stop(char *err, size_t errlen, void *userdata) {
        struct partition_systemd *s = userdata;
        int r = open_bus(s);

        if (r < 0) {
                snprintf(err, errlen, "cannot connect to the system bus: %s", strerror(-r));
                return r;
        }
        return sdunit_job(s->bus, "StopUnit", PARTITION_SLICE, err, errlen);
}

static void op_pause(unsigned ms, void *userdata) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        (void) userdata;

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

void partition_systemd_ops(struct partition_systemd *s, struct partition_ops *ops) {
        *ops = (struct partition_ops) { .set_cpus = op_set_cpus, .stop = op_stop, .pause = op_pause,
                                        .wait_ms = 5000, .userdata = s };
}

void partition_systemd_done(struct partition_systemd *s) {
        s->bus = sd_bus_flush_close_unref(s->bus);
}
