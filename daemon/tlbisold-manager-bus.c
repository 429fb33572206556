/* tlbisold-manager-bus.c — the D-Bus face of the Manager: one static
 * vtable on /org/tlbisol1, interface org.tlbisol1.Manager. Mutating
 * methods are for root only (checked here and in the bus policy file
 * systemd/org.tlbisol1.conf). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tlbisold-log.h"
#include "tlbisold-manager.h"
#include "util.h"

#define BUS_NAME "org.tlbisol1"
#define BUS_PATH "/org/tlbisol1"
#define BUS_IFACE "org.tlbisol1.Manager"

static int check_root(sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *c = NULL;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &c);
        if (r >= 0)
                r = sd_bus_creds_get_euid(c, &uid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot identify the caller: %s", strerror(-r));
        if (uid != 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Only root may change CPU isolation (caller uid %u)", (unsigned) uid);
        return 0;
}

typedef int (*request_fn)(Manager *m, const char *cpulist, const char **ename, char *err, size_t errlen);

static int request(sd_bus_message *msg, void *userdata, sd_bus_error *error, request_fn fn, const char *verb) {
        Manager *m = userdata;
        const char *cpulist, *ename = "org.tlbisol1.Error.Failed";
        char err[512] = "";
        int r;

        r = check_root(msg, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &cpulist);
        if (r < 0)
                return r;
        r = fn(m, cpulist, &ename, err, sizeof(err));
        if (r < 0) {
                log_field(LOG_NOTICE, 0, "REQUEST=1", "Refused %s %s: %s", verb, cpulist, err);
                return sd_bus_error_set(error, ename, err);
        }
        log_info("%s %s: done", verb, cpulist);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_isolate(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return request(msg, userdata, error, manager_isolate, "Isolate");
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return request(msg, userdata, error, manager_release, "Release");
}

static int method_reapply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = check_root(msg, error);
        if (r < 0)
                return r;
        manager_forget_unmovable(m);
        r = manager_apply(m, "Reapply request");
        if (r < 0)
                return sd_bus_error_set(error, r == -EXFULL ? "org.tlbisol1.Error.NoHousekeeping" :
                                        "org.tlbisol1.Error.Failed", m->last_error);
        return sd_bus_reply_method_return(msg, NULL);
}

static int prop_string(sd_bus *bus, const char *path, const char *iface, const char *prop,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *v = "";

        if (streq(prop, "Version"))
                v = TLBISOL_VERSION;
        else if (streq(prop, "IsolatedCPUs"))
                v = m->isolated_text;
        else if (streq(prop, "HousekeepingCPUs"))
                v = m->housekeeping_text;
        else if (streq(prop, "ModuleState"))
                v = m->module_state;
        else if (streq(prop, "LastError"))
                v = m->last_error;
        return sd_bus_message_append(reply, "s", v ? v : "");
}

static int prop_sources(sd_bus *bus, const char *path, const char *iface, const char *prop,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < m->iso.n_sources; i++) {
                _cleanup_free_ char *s = NULL;

                r = cpulist_format_alloc(&m->iso.sources[i].cpus, &s);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "(ss)", m->iso.sources[i].name, s);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int prop_restore(sd_bus *bus, const char *path, const char *iface, const char *prop,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "b", (int) m->config.restore_on_stop);
}

static int prop_unmovable(sd_bus *bus, const char *path, const char *iface, const char *prop,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(us)");
        for (size_t i = 0; r >= 0 && i < m->n_unmovable; i++)
                r = sd_bus_message_append(reply, "(us)", m->unmovable[i].irq, m->unmovable[i].reason);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int prop_moved_tasks(sd_bus *bus, const char *path, const char *iface, const char *prop,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "u", (uint32_t) m->state.n_tasks);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IsolatedCPUs", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HousekeepingCPUs", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Sources", "a(ss)", prop_sources, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ModuleState", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastError", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RestoreOnStop", "b", prop_restore, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UnmovableIRQs", "a(us)", prop_unmovable, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AppliedAt", "t", NULL, offsetof(Manager, applied_at), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MovedTasks", "u", prop_moved_tasks, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("Isolate", "s", SD_BUS_PARAM(cpulist), "", , method_isolate,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Release", "s", SD_BUS_PARAM(cpulist), "", , method_release,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reapply", "", "", method_reapply, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("IsolationChanged", "ss", SD_BUS_PARAM(isolated) SD_BUS_PARAM(housekeeping), 0),
        SD_BUS_VTABLE_END
};

void manager_send_changed(Manager *m, bool isolation_changed) {
        int r;

        if (!m->bus)
                return;
        r = sd_bus_emit_properties_changed(m->bus, BUS_PATH, BUS_IFACE, "IsolatedCPUs", "HousekeepingCPUs",
                                           "Sources", "ModuleState", "LastError", "RestoreOnStop",
                                           "UnmovableIRQs", "AppliedAt", "MovedTasks", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged, ignoring: %m");
        if (isolation_changed) {
                r = sd_bus_emit_signal(m->bus, BUS_PATH, BUS_IFACE, "IsolationChanged", "ss",
                                       m->isolated_text ? m->isolated_text : "",
                                       m->housekeeping_text ? m->housekeeping_text : "");
                if (r < 0)
                        log_warning_errno(r, "Failed to emit IsolationChanged, ignoring: %m");
        }
}

int manager_connect_bus(Manager *m) {
        int r;

        r = sd_bus_default_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_add_object_vtable(m->bus, NULL, BUS_PATH, BUS_IFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the D-Bus object: %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = sd_bus_request_name(m->bus, BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to own the bus name %s (is the policy file installed?): %m",
                                       BUS_NAME);
        return 0;
}
