/* sdunit.c — transient systemd units over D-Bus; see sdunit.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sdunit.h"
#include "util.h"

#define SD_DEST  "org.freedesktop.systemd1"
#define SD_PATH  "/org/freedesktop/systemd1"
#define SD_IFACE "org.freedesktop.systemd1.Manager"

static void msg_unrefp(sd_bus_message **m) { sd_bus_message_unref(*m); }

/* ("AllowedCPUs", <ay>) */
static int append_cpus(sd_bus_message *m, const struct cpumap *cpus) {
        unsigned char bytes[CPUMAP_MAX_CPUS / 8];
        int n = cpumap_to_bytes(cpus, bytes, sizeof(bytes)), r;

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

/* Calls m (or says why it could not be built: r < 0 on entry). */
static int call(sd_bus *bus, sd_bus_message *m, int r, char *err, size_t errlen) {
        _cleanup_(msg_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (r < 0) {
                snprintf(err, errlen, "building the request: %s", strerror(-r));
                return r;
        }
        r = sd_bus_call(bus, m, 0, &e, &reply);
        if (r < 0) {
                snprintf(err, errlen, "%s", sd_bus_error_is_set(&e) && e.message ? e.message : strerror(-r));
                /* systemd's own error names are not in libsystemd's errno map */
                if (sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists"))
                        r = -EEXIST;
        }
        sd_bus_error_free(&e);
        return r;
}

int sdunit_start_transient(sd_bus *bus, const char *unit, const struct sdunit_props *p, char *err, size_t errlen) {
        _cleanup_(msg_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_IFACE, "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0 && p->description)
                r = sd_bus_message_append(m, "(sv)", "Description", "s", p->description);
        if (r >= 0 && p->slice)
                r = sd_bus_message_append(m, "(sv)", "Slice", "s", p->slice);
        if (r >= 0 && p->pid > 0)
                r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t) p->pid);
        if (r >= 0 && p->allowed_cpus)
                r = append_cpus(m, p->allowed_cpus);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        return call(bus, m, r, err, errlen);
}

int sdunit_set_allowed_cpus(sd_bus *bus, const char *unit, const struct cpumap *cpus, char *err, size_t errlen) {
        _cleanup_(msg_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_IFACE, "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", unit, 1);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = append_cpus(m, cpus);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return call(bus, m, r, err, errlen);
}

int sdunit_job(sd_bus *bus, const char *method, const char *unit, char *err, size_t errlen) {
        _cleanup_(msg_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_IFACE, method);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "replace");
        return call(bus, m, r, err, errlen);
}
