/* bus.c — tlbctl's side of the tlbisold D-Bus API (org.tlbisol1.Manager):
 * read every property in one GetAll call, and call Isolate/Release.
 * "Not running" covers no system bus and a bus name without an owner. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "tlbctl.h"
#include "tlbisol-bus.h"
#include "util.h"


static void bus_unrefp(sd_bus **b) { sd_bus_flush_close_unref(*b); }
static void msg_unrefp(sd_bus_message **m) { sd_bus_message_unref(*m); }

static bool error_is_not_running(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                      SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      "org.freedesktop.systemd1.NoSuchUnit");
}

static int open_bus(sd_bus **ret, char **why) {
        int r = sd_bus_open_system(ret);

        if (r < 0) {
                if (asprintf(why, "no system bus (%s)", strerror(-r)) < 0)
                        *why = NULL;
        }
        return r;
}

static int read_string(sd_bus_message *m, char **out) {
        const char *s;
        int r = sd_bus_message_read(m, "v", "s", &s);

        if (r < 0)
                return r;
        free(*out);
        *out = strdup(s);
        return *out ? 0 : -ENOMEM;
}

static int read_sources(sd_bus_message *m, struct daemon_state *s) {
        const char *a, *b;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(ss)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ss)", &a, &b)) > 0) {
                struct daemon_source *n = realloc(s->sources, (s->nsources + 1) * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                s->sources = n;
                n[s->nsources] = (struct daemon_source) { strdup(a), strdup(b) };
                if (!n[s->nsources].source || !n[s->nsources].cpus)
                        return -ENOMEM;
                s->nsources++;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_unmovable(sd_bus_message *m, struct daemon_state *s) {
        const char *why;
        uint32_t irq;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(us)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(us)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(us)", &irq, &why)) > 0) {
                struct daemon_irq *n = realloc(s->unmovable, (s->nunmovable + 1) * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                s->unmovable = n;
                n[s->nunmovable] = (struct daemon_irq) { irq, strdup(why) };
                if (!n[s->nunmovable].reason)
                        return -ENOMEM;
                s->nunmovable++;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int parse_all(sd_bus_message *m, struct daemon_state *s) {
        const char *name;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                if (streq(name, "Version"))
                        r = read_string(m, &s->version);
                else if (streq(name, "IsolatedCPUs"))
                        r = read_string(m, &s->isolated);
                else if (streq(name, "HousekeepingCPUs"))
                        r = read_string(m, &s->housekeeping);
                else if (streq(name, "ModuleState"))
                        r = read_string(m, &s->module_state);
                else if (streq(name, "LastError"))
                        r = read_string(m, &s->last_error);
                else if (streq(name, "RestoreOnStop")) {
                        int b;

                        r = sd_bus_message_read(m, "v", "b", &b);
                        s->restore_on_stop = b;
                } else if (streq(name, "AppliedAt"))
                        r = sd_bus_message_read(m, "v", "t", &s->applied_at);
                else if (streq(name, "Sources"))
                        r = read_sources(m, s);
                else if (streq(name, "UnmovableIRQs"))
                        r = read_unmovable(m, s);
                else
                        r = sd_bus_message_skip(m, "v");  /* newer daemon */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int daemon_state_read(struct daemon_state *s) {
        _cleanup_(bus_unrefp) sd_bus *bus = NULL;
        _cleanup_(msg_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        *s = (struct daemon_state) {};
        if (open_bus(&bus, &s->why_not) < 0)
                return s->why_not ? 0 : -ENOMEM;
        r = sd_bus_call_method(bus, TLBISOL_BUS_NAME, TLBISOL_BUS_PATH, "org.freedesktop.DBus.Properties",
                               "GetAll", &error, &reply, "s", TLBISOL_BUS_IFACE);
        if (r < 0) {
                if (error_is_not_running(&error))
                        s->why_not = strdup("not running");
                else if (asprintf(&s->why_not, "not answering (%s)",
                                  error.message ? error.message : strerror(-r)) < 0)
                        s->why_not = NULL;
                sd_bus_error_free(&error);
                return s->why_not ? 0 : -ENOMEM;
        }
        r = parse_all(reply, s);
        if (r < 0) {
                daemon_state_done(s);
                if (asprintf(&s->why_not, "unexpected reply to GetAll (%s)", strerror(-r)) < 0)
                        return -ENOMEM;
                return 0;
        }
        s->running = true;
        return 0;
}

void daemon_state_done(struct daemon_state *s) {
        free(s->why_not);
        free(s->version);
        free(s->isolated);
        free(s->housekeeping);
        free(s->module_state);
        free(s->last_error);
        for (size_t i = 0; i < s->nsources; i++) {
                free(s->sources[i].source);
                free(s->sources[i].cpus);
        }
        free(s->sources);
        for (size_t i = 0; i < s->nunmovable; i++)
                free(s->unmovable[i].reason);
        free(s->unmovable);
        *s = (struct daemon_state) {};
}

int daemon_call(const char *method, const char *cpulist, char **msg) {
        _cleanup_(bus_unrefp) sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *why = NULL;
        int r;

        *msg = NULL;
        if (open_bus(&bus, &why) < 0)
                return -ESRCH;
        (void) sd_bus_set_allow_interactive_authorization(bus, true);
        r = sd_bus_call_method(bus, TLBISOL_BUS_NAME, TLBISOL_BUS_PATH, TLBISOL_BUS_IFACE, method, &error, NULL,
                               "s", cpulist);
        if (r >= 0)
                return 0;
        if (error_is_not_running(&error))
                r = -ESRCH;
        else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED)) {
                /* the bus policy or tlbisold itself: only root may change isolation */
                *msg = strdup(error.message ? error.message : "access denied");
                r = -EACCES;
        } else {
                *msg = strdup(error.message ? error.message : strerror(-r));
                r = -EIO;
        }
        sd_bus_error_free(&error);
        return r;
}
