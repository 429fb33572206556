/* tlbisold-module.c — the tlbisol module's controls, driven by the
 * Manager: targeted table-sync IPIs on while CPUs are isolated, deferral of
 * kernel TLB flushes to the isolated nohz_full CPUs in user mode; the
 * module's values before tlbisold changed them are saved in the state and
 * put back on restore. A module that is not loaded is not an error; a
 * deferral the module refuses is reported with its reason, once. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlbisold-log.h"
#include "tlbisold-module.h"
#include "util.h"

static void set_module_state(Manager *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_module_state(Manager *m, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        free_and_vformat(&m->module_state, fmt, ap);
        va_end(ap);
}

static const char *ctl_word(const struct tlbisol_ctl *c) {
        return c->state == TLBISOL_STATE_ON ? "on" : c->state == TLBISOL_STATE_OFF ? "off" : "unavailable";
}

static void module_forget_saved(struct state *s) {
        s->module_sync = s->module_defer = -1;
        s->module_has_mask = false;
}

void manager_module_drop(Manager *m) {
        tlbisol_genl_close(m->genl);
        m->genl = NULL;
}

static int module_connect(Manager *m) {
        int r;

        if (m->genl)
                return 0;
        r = tlbisol_genl_open(&m->genl);
        if (r < 0) {
                if (r == -EPROTO)
                        set_module_state(m, "not usable: the loaded tlbisol module speaks another netlink "
                                         "version than this tlbisold (%d); load the module of the same release",
                                         TLBISOL_GENL_VERSION);
                else
                        set_module_state(m, "not loaded: %s", r == -ENOENT ? "the tlbisol module is not loaded "
                                         "(modprobe tlbisol)" : strerror(-r));
                /* a reloaded module starts from its defaults: nothing to restore */
                module_forget_saved(&m->state);
        }
        return r;
}

/* The module's controls now, reconnecting once (the module may have been
 * reloaded since). -ENOENT: not there; module_state says why. */
static int module_info(Manager *m, struct tlbisol_info *info) {
        int r;

        r = module_connect(m);
        if (r < 0)
                return -ENOENT;
        r = tlbisol_genl_get_info(m->genl, info);
        if (r >= 0)
                return 0;
        manager_module_drop(m);
        if (module_connect(m) < 0)
                return -ENOENT;         /* module_state says why */
        r = tlbisol_genl_get_info(m->genl, info);
        if (r < 0) {
                /* a malformed reply is named, not just "Bad message" */
                set_module_state(m, "not answering: %s", r == -EBADMSG && *tlbisol_genl_last_error(m->genl) ?
                                 tlbisol_genl_last_error(m->genl) : strerror(-r));
                manager_module_drop(m);
                return -ENOENT;
        }
        return 0;
}

/* What to send to go back to the saved values. */
static void want_restored(const Manager *m, struct tlbisol_set *set) {
        set->sync_enable = m->state.module_sync;
        if (m->state.module_defer >= 0)
                set->defer_enable = m->state.module_defer;
        if (m->state.module_has_mask)
                set->defer_mask = &m->state.module_defer_mask;
}

/* What to send for the isolated set; saves (and persists) the module's
 * values before the first change. defer_mask is the storage for the mask. */
static int want_isolated(Manager *m, const struct tlbisol_info *info, struct tlbisol_set *set,
                         struct cpumap *defer_mask) {
        bool want_sync = m->config.module_sync && !cpumap_is_empty(&m->iso.isolated), changed = false;

        if (info->sync.state != TLBISOL_STATE_UNAVAILABLE && want_sync != (info->sync.state == TLBISOL_STATE_ON)) {
                if (m->state.module_sync < 0) {
                        m->state.module_sync = info->sync.state == TLBISOL_STATE_ON;
                        changed = true;
                }
                set->sync_enable = want_sync;
        }
        /* deferral: only isolated nohz_full CPUs with context tracking */
        cpumap_and(defer_mask, &m->iso.isolated, &info->nohz_full);
        cpumap_and(defer_mask, defer_mask, &info->ct_active);
        if (m->config.module_defer && info->defer.state != TLBISOL_STATE_UNAVAILABLE) {
                if (m->state.module_defer < 0) {
                        m->state.module_defer = info->defer.state == TLBISOL_STATE_ON;
                        m->state.module_has_mask = info->has_defer_mask;
                        m->state.module_defer_mask = info->defer_mask;
                        changed = true;
                }
                if (!info->has_defer_mask || !cpumap_equal(defer_mask, &info->defer_mask))
                        set->defer_mask = defer_mask;
                if (info->defer.state != TLBISOL_STATE_ON && !cpumap_is_empty(defer_mask))
                        set->defer_enable = 1;
        } else if (m->state.module_defer >= 0) {
                /* deferral no longer wanted: give back what it was */
                set->defer_enable = m->state.module_defer;
                if (m->state.module_has_mask)
                        set->defer_mask = &m->state.module_defer_mask;
        }
        return changed ? manager_save_state(m) : 0;
}

/* Deferral refused by the module: remembered so that the same refusal on
 * every apply is logged once. */
static void defer_refused(Manager *m, int r, const char *why) {
        _cleanup_free_ char *msg = NULL;

        if (asprintf(&msg, "%s%s%s", why, *why ? ": " : "", strerror(-r)) < 0)
                return;
        if (!m->defer_refused || !streq(m->defer_refused, msg))
                log_warning_errno(r, "The tlbisol module refused deferral: %s", msg);
        free(m->defer_refused);
        m->defer_refused = TAKE_PTR(msg);
}

/* Targeted sync and deferral go in separate requests, so that a deferral
 * the module refuses (with its reason) never holds back targeted sync.
 * Returns whether anything was sent. */
static bool module_send(Manager *m, const struct tlbisol_set *set, bool restore) {
        struct tlbisol_set sync = TLBISOL_SET_INIT, defer = *set;
        bool sent = false, refused = false;
        char why[256];
        int r;

        sync.ncpus = set->ncpus;
        sync.sync_enable = set->sync_enable;
        defer.sync_enable = -1;
        if (sync.sync_enable >= 0) {
                sent = true;
                r = tlbisol_genl_set(m->genl, &sync, why, sizeof(why));
                if (r < 0) {
                        log_warning_errno(r, "Failed to configure targeted sync in the tlbisol module: %s%s%m",
                                          why, *why ? ": " : "");
                        manager_set_error(m, "module: targeted sync: %s", *why ? why : strerror(-r));
                }
        }
        if (defer.defer_enable >= 0 || defer.defer_mask) {
                sent = true;
                r = tlbisol_genl_set(m->genl, &defer, why, sizeof(why));
                if (r < 0) {
                        defer_refused(m, r, why);
                        refused = true;
                } else if (!restore && !m->config.module_defer && m->state.module_defer >= 0)
                        m->state.module_defer = -1, m->state.module_has_mask = false;  /* given back */
        }
        if (!refused && sent) {
                free(m->defer_refused);
                m->defer_refused = NULL;
        }
        if (refused && !restore && m->defer_refused)
                manager_set_error(m, "module: deferral refused: %s", m->defer_refused);
        return sent;
}

/* ModuleState: "loaded: targeted-sync on, defer off mask 2-3 (defer: ...)" */
static void module_describe(Manager *m, const struct tlbisol_info *info, bool restore) {
        _cleanup_free_ char *mask = NULL;
        char reason[700] = "";
        size_t off = 0;

        if (*info->sync.reason && info->sync.state != TLBISOL_STATE_ON)
                off += (size_t) snprintf(reason + off, sizeof(reason) - off, " (targeted-sync: %s)",
                                         info->sync.reason);
        if (off < sizeof(reason) && *info->defer.reason && info->defer.state != TLBISOL_STATE_ON)
                off += (size_t) snprintf(reason + off, sizeof(reason) - off, " (defer: %s)", info->defer.reason);
        if (off < sizeof(reason) && m->defer_refused && m->config.module_defer && !restore)
                off += (size_t) snprintf(reason + off, sizeof(reason) - off, " (defer refused: %s)",
                                         m->defer_refused);
        if (info->has_defer_mask)
                (void) cpulist_format_alloc(&info->defer_mask, &mask);
        set_module_state(m, "loaded: targeted-sync %s, defer %s%s%s%s", ctl_word(&info->sync),
                         ctl_word(&info->defer), mask ? " mask " : "", mask ? (*mask ? mask : "none") : "", reason);
}

int manager_module_apply(Manager *m, bool restore) {
        struct tlbisol_set set = TLBISOL_SET_INIT;
        struct tlbisol_info info;
        struct cpumap defer_mask;
        int r;

        if (module_info(m, &info) < 0)
                return 0;       /* not loaded: nothing to do, ModuleState says so */
        set.ncpus = m->facts.sys.ncpus;
        if (restore)
                want_restored(m, &set);
        else {
                r = want_isolated(m, &info, &set, &defer_mask);
                if (r < 0)
                        return r;
        }
        if (module_send(m, &set, restore) && tlbisol_genl_get_info(m->genl, &info) < 0)
                info.sync.state = info.defer.state = -1;
        if (restore)
                module_forget_saved(&m->state);
        module_describe(m, &info, restore);
        return 0;
}
