/* tlbisold-manager-bus.c — the D-Bus face of the Manager: one static
 * vtable on /org/tlbisol1, interface org.tlbisol1.Manager (names in
 * lib/tlbisol-bus.h, shared with tlbctl). Properties are read through
 * offsetof where they are plain fields. The mutating methods are
 * privileged: sd-bus lets only callers with CAP_SYS_ADMIN (root) in, and
 * the bus policy (systemd/org.tlbisol1.conf) keeps everyone else from
 * even sending them. This file alone turns the Manager's negative errno
 * into D-Bus error names. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tlbisol-bus.h"
#include "tlbisold-log.h"
#include "tlbisold-manager-bus.h"
#include "tlbisold-manager.h"
#include "util.h"

static const char *error_name(int r) {
        switch (r) {
        case -EINVAL:
                return TLBISOL_ERROR_INVALID_CPULIST;
        case -EXFULL:
                return TLBISOL_ERROR_NO_HOUSEKEEPING;
        case -EPERM:
                return TLBISOL_ERROR_NOT_RELEASABLE;
        case -ENOENT:
                return TLBISOL_ERROR_NOT_ISOLATED;
        case -EBUSY:
                return TLBISOL_ERROR_FOREIGN_PARTITION;
        default:
                return TLBISOL_ERROR_FAILED;
        }
}

static int reply(sd_bus_message *msg, sd_bus_error *error, int r, const char *what, const char *msg_text) {
        if (r < 0) {
                log_field(LOG_NOTICE, 0, "REQUEST=1", "Refused %s: %s", what, msg_text ? msg_text : strerror(-r));
                return sd_bus_error_set(error, error_name(r), msg_text ? msg_text : strerror(-r));
        }
        log_info("%s: done", what);
        return sd_bus_reply_method_return(msg, NULL);
}

typedef int (*request_fn)(Manager *m, const char *cpulist, char **ret_msg);

static int request(sd_bus_message *msg, Manager *m, sd_bus_error *error, request_fn fn, const char *verb) {
        _cleanup_free_ char *text = NULL, *what = NULL;
        const char *cpulist;
        int r;

        r = sd_bus_message_read(msg, "s", &cpulist);
        if (r < 0)
                return r;
        if (asprintf(&what, "%s %s", verb, cpulist) < 0)
                return -ENOMEM;
        r = fn(m, cpulist, &text);
        return reply(msg, error, r, what, text);
}

static int method_isolate(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return request(msg, userdata, error, manager_isolate, "Isolate");
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return request(msg, userdata, error, manager_release, "Release");
}

static int method_reapply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *text = NULL;

        return reply(msg, error, manager_reapply(userdata, &text), "Reapply", text);
}

static int prop_version(sd_bus *bus, const char *path, const char *iface, const char *prop,
                        sd_bus_message *reply_msg, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply_msg, "s", TLBISOL_VERSION);
}

/* a C bool: the default getter of "b" reads an int */
static int prop_restore_on_stop(sd_bus *bus, const char *path, const char *iface, const char *prop,
                                sd_bus_message *reply_msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply_msg, "b", (int) m->config.restore_on_stop);
}

static int prop_sources(sd_bus *bus, const char *path, const char *iface, const char *prop,
                        sd_bus_message *reply_msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply_msg, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < m->iso.n_sources; i++) {
                _cleanup_free_ char *s = NULL;

                r = cpulist_format_alloc(&m->iso.sources[i].cpus, &s);
                if (r >= 0)
                        r = sd_bus_message_append(reply_msg, "(ss)", m->iso.sources[i].name, s);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply_msg);
        return r;
}

static int prop_unmovable(sd_bus *bus, const char *path, const char *iface, const char *prop,
                          sd_bus_message *reply_msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply_msg, 'a', "(us)");
        for (size_t i = 0; r >= 0 && i < m->n_unmovable; i++)
                r = sd_bus_message_append(reply_msg, "(us)", m->unmovable[i].irq, m->unmovable[i].reason);
        if (r >= 0)
                r = sd_bus_message_close_container(reply_msg);
        return r;
}

static int prop_moved_tasks(sd_bus *bus, const char *path, const char *iface, const char *prop,
                            sd_bus_message *reply_msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply_msg, "u", (uint32_t) m->state.n_tasks);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", prop_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IsolatedCPUs", "s", NULL, offsetof(Manager, isolated_text),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HousekeepingCPUs", "s", NULL, offsetof(Manager, housekeeping_text),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Sources", "a(ss)", prop_sources, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ModuleState", "s", NULL, offsetof(Manager, module_state),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastError", "s", NULL, offsetof(Manager, last_error), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RestoreOnStop", "b", prop_restore_on_stop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UnmovableIRQs", "a(us)", prop_unmovable, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AppliedAt", "t", NULL, offsetof(Manager, applied_at), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MovedTasks", "u", prop_moved_tasks, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("Isolate", "s", SD_BUS_PARAM(cpulist), "", , method_isolate, 0),
        SD_BUS_METHOD_WITH_NAMES("Release", "s", SD_BUS_PARAM(cpulist), "", , method_release, 0),
        SD_BUS_METHOD("Reapply", "", "", method_reapply, 0),
        SD_BUS_SIGNAL_WITH_NAMES("IsolationChanged", "ss", SD_BUS_PARAM(isolated) SD_BUS_PARAM(housekeeping), 0),
        SD_BUS_VTABLE_END
};

static void bus_send_changed(Manager *m, bool isolation_changed) {
        int r;

        if (!m->bus)
                return;
        r = sd_bus_emit_properties_changed(m->bus, TLBISOL_BUS_PATH, TLBISOL_BUS_IFACE, "IsolatedCPUs",
                                           "HousekeepingCPUs", "Sources", "ModuleState", "LastError",
                                           "RestoreOnStop", "UnmovableIRQs", "AppliedAt", "MovedTasks", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged, ignoring: %m");
        if (isolation_changed) {
                r = sd_bus_emit_signal(m->bus, TLBISOL_BUS_PATH, TLBISOL_BUS_IFACE, "IsolationChanged", "ss",
                                       m->isolated_text, m->housekeeping_text);
                if (r < 0)
                        log_warning_errno(r, "Failed to emit IsolationChanged, ignoring: %m");
        }
}

int manager_connect_bus(Manager *m) {
        int r;

        r = sd_bus_default_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        m->on_changed = bus_send_changed;
        r = sd_bus_add_object_vtable(m->bus, NULL, TLBISOL_BUS_PATH, TLBISOL_BUS_IFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the D-Bus object: %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = sd_bus_request_name(m->bus, TLBISOL_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to own the bus name %s (is the policy file installed?): %m",
                                       TLBISOL_BUS_NAME);
        return 0;
}
