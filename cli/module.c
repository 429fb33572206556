/* module.c — state and per-CPU counters of tlbisol.ko, through the shared
 * generic-netlink client (lib/genl.h). The module is optional: every
 * failure ends up as a reason in module_state.why_not. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "genl.h"
#include "ipikind.h"
#include "tlbctl.h"
#include "util.h"

static char *ctl_text(const struct tlbisol_ctl *c) {
        char *s = NULL;

        switch (c->state) {
        case TLBISOL_STATE_ON:
                return strdup("on");
        case TLBISOL_STATE_OFF:
                return strdup("off");
        case TLBISOL_STATE_UNAVAILABLE:
                if (asprintf(&s, "unavailable%s%s", c->reason[0] ? ": " : "", c->reason) < 0)
                        return NULL;
                return s;
        default:
                return strdup("unknown");
        }
}

static int stats_cb(const struct tlbisol_cpu_stats *s, void *userdata) {
        struct module_state *m = userdata;
        struct module_cpu *c;

        if (s->cpu >= m->ncpus)
                return 0;
        c = &m->cpu[s->cpu];
        c->present = true;
        c->rx[IPI_KIND_USER_FLUSH] = s->v[TLBISOL_A_STATS_RX_USER_FLUSH];
        c->rx[IPI_KIND_KERNEL_FLUSH] = s->v[TLBISOL_A_STATS_RX_KERNEL_FLUSH];
        c->rx[IPI_KIND_TABLE_SYNC] = s->v[TLBISOL_A_STATS_RX_TABLE_SYNC];
        c->rx[IPI_KIND_TEXT_POKE] = s->v[TLBISOL_A_STATS_RX_TEXT_POKE];
        c->rx[IPI_KIND_OTHER] = s->v[TLBISOL_A_STATS_RX_OTHER];
        c->avoided_sync = s->v[TLBISOL_A_STATS_AVOIDED_SYNC];
        c->avoided_kflush = s->v[TLBISOL_A_STATS_AVOIDED_KFLUSH];
        c->avoided_text_sync = s->v[TLBISOL_A_STATS_AVOIDED_TEXT_SYNC];
        c->catchup_entry = s->v[TLBISOL_A_STATS_CATCHUP_ENTRY];
        c->catchup_nmi = s->v[TLBISOL_A_STATS_CATCHUP_NMI];
        c->proto_violations = s->v[TLBISOL_A_STATS_PROTO_VIOLATIONS];
        return 0;
}

int module_state_read(const struct tlbctl *t, struct module_state *m) {
        _cleanup_(tlbisol_genl_closep) struct tlbisol_genl *g = NULL;
        struct tlbisol_info info;
        int r;

        *m = (struct module_state) {};
        if (t->fixture_root) {
                m->why_not = strdup("not queried (TLBISOL_ROOT is set)");
                return m->why_not ? 0 : -ENOMEM;
        }
        r = tlbisol_genl_open(&g);
        if (r == -ENOENT) {
                m->why_not = strdup("not loaded");
                return m->why_not ? 0 : -ENOMEM;
        }
        if (r == -EPROTO) {
                if (asprintf(&m->why_not, "speaks another netlink version than this tlbctl (%d): "
                             "load the tlbisol.ko of the same release", TLBISOL_GENL_VERSION) < 0)
                        return -ENOMEM;
                return 0;
        }
        if (r >= 0)
                r = tlbisol_genl_get_info(g, &info);
        if (r < 0) {
                if (asprintf(&m->why_not, "not answering (%s)", r == -EBADMSG && *tlbisol_genl_last_error(g) ?
                             tlbisol_genl_last_error(g) : strerror(-r)) < 0)
                        return -ENOMEM;
                return 0;
        }
        m->loaded = true;
        m->sync = ctl_text(&info.sync);
        m->defer = ctl_text(&info.defer);
        m->acct = ctl_text(&info.acct);
        if (!m->sync || !m->defer || !m->acct)
                return -ENOMEM;
        m->ncpus = t->facts.sys.ncpus;
        m->cpu = calloc(m->ncpus ? m->ncpus : 1, sizeof(*m->cpu));
        if (!m->cpu)
                return -ENOMEM;
        r = tlbisol_genl_get_stats(g, stats_cb, m);
        if (r < 0) {                    /* info without counters: keep the info */
                free(m->cpu);
                m->cpu = NULL;
                if (asprintf(&m->stats_why_not, "%s", r == -EBADMSG && *tlbisol_genl_last_error(g) ?
                             tlbisol_genl_last_error(g) : strerror(-r)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

void module_state_done(struct module_state *m) {
        free(m->why_not);
        free(m->sync);
        free(m->defer);
        free(m->acct);
        free(m->cpu);
        free(m->stats_why_not);
        *m = (struct module_state) {};
}
