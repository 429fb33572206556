/* tlbisold-partition-systemd.c — PARTITION_SLICE through systemd's D-Bus
 * API; see tlbisold-partition-systemd.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tlbisold-partition-systemd.h"
#include "util.h"

#define SD_DEST  "org.freedesktop.systemd1"
#define SD_PATH  "/org/freedesktop/systemd1"
#define SD_IFACE "org.freedesktop.systemd1.Manager"
#define DESCRIPTION "tlbisold: CPUs isolated at run time (isolated cpuset partition; tlbctl run puts work here)"

static void msg_unrefp(sd_bus_message **m) { sd_bus_message_unref(*m); }

static int open_bus(struct partition_systemd *s) {
        if (s->bus)
                return 0;
        return sd_bus_open_system_with_description(&s->bus, "tlbisold-partition");
}

static void say(const sd_bus_error *e, int r, char *err, size_t errlen) {
        snprintf(err, errlen, "%s", sd_bus_error_is_set(e) && e->message ? e->message : strerror(-r));
}

/* ("AllowedCPUs", <ay>) */
static int append_cpus(sd_bus_message *m, const struct cpumap *cpus) {
        unsigned char bytes[CPUMAP_MAX_CPUS / 8];
        int n = partition_cpus_to_bytes(cpus, bytes, sizeof(bytes)), r;

        if (n < 0)
                return n;
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "AllowedCPUs");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "ay");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', bytes, (size_t) n);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int call(struct partition_systemd *s, sd_bus_message *m, char *err, size_t errlen) {
        _cleanup_(msg_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call(s->bus, m, 0, &e, &reply);

        if (r < 0) {
                say(&e, r, err, errlen);
                /* systemd's own error names are not in libsystemd's errno map */
                if (sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists"))
                        r = -EEXIST;
        }
        sd_bus_error_free(&e);
        return r;
}

static int start_transient(struct partition_systemd *s, const struct cpumap *cpus, char *err, size_t errlen) {
        _cleanup_(msg_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(s->bus, &m, SD_DEST, SD_PATH, SD_IFACE, "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", PARTITION_SLICE, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "Description", "s", DESCRIPTION);
        if (r >= 0)
                r = append_cpus(m, cpus);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0) {
                snprintf(err, errlen, "building the request: %s", strerror(-r));
                return r;
        }
        return call(s, m, err, errlen);
}

static int set_properties(struct partition_systemd *s, const struct cpumap *cpus, char *err, size_t errlen) {
        _cleanup_(msg_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(s->bus, &m, SD_DEST, SD_PATH, SD_IFACE, "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", PARTITION_SLICE, 1);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = append_cpus(m, cpus);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                snprintf(err, errlen, "building the request: %s", strerror(-r));
                return r;
        }
        return call(s, m, err, errlen);
}

static int unit_job(struct partition_systemd *s, const char *method, char *err, size_t errlen) {
        _cleanup_(msg_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(s->bus, &m, SD_DEST, SD_PATH, SD_IFACE, method);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", PARTITION_SLICE, "replace");
        if (r < 0) {
                snprintf(err, errlen, "building the request: %s", strerror(-r));
                return r;
        }
        return call(s, m, err, errlen);
}

static int op_set_cpus(const struct cpumap *cpus, bool running, char *err, size_t errlen, void *userdata) {
        struct partition_systemd *s = userdata;
        int r = open_bus(s);

        if (r < 0) {
                snprintf(err, errlen, "cannot connect to the system bus: %s", strerror(-r));
                return r;
        }
        if (running)
                return set_properties(s, cpus, err, errlen);
        r = start_transient(s, cpus, err, errlen);
        if (r != -EEXIST)
                return r;
        /* loaded but not running (e.g. a stopped slice not yet collected):
         * change it and start it */
        r = set_properties(s, cpus, err, errlen);
        return r < 0 ? r : unit_job(s, "StartUnit", err, errlen);
}

static int op_stop(char *err, size_t errlen, void *userdata) {
        struct partition_systemd *s = userdata;
        int r = open_bus(s);

        if (r < 0) {
                snprintf(err, errlen, "cannot connect to the system bus: %s", strerror(-r));
                return r;
        }
        return unit_job(s, "StopUnit", err, errlen);
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
