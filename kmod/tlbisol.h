/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlbisol.ko internal interfaces between its files.
 *
 *   tlbisol_main.c   module init/exit, parameters, the control state machine
 *   tlbisol_sym.c    symbol addresses of unexported kernel functions
 *   tlbisol_hook.c   one ftrace_ops carrying every hook, dispatch on ip
 *   tlbisol_acct.c   per-CPU IPI accounting (csd tracepoints) and events
 *   tlbisol_sync.c   targeted tlb_remove_table_sync_one()
 *   tlbisol_defer.c  deferred kernel TLB flush (see DEFERRAL.md)
 *   tlbisol_nl.c     generic-netlink family "tlbisol"
 */
#ifndef TLBISOL_H
#define TLBISOL_H

#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/percpu.h>
#include <linux/atomic.h>
#include <linux/context_tracking_state.h>
#include <uapi/linux/tlbisol.h>

/* --- tlbisol_sym.c --- */
void tlbisol_sym_init(void);
unsigned long tlbisol_sym_addr(const char *name);
int tlbisol_sym_range(const char *name, unsigned long *start, unsigned long *end);

/* --- tlbisol_acct.c --- */
struct tlbisol_stats {
	u64 rx[__TLBISOL_IPI_NR];	/* written by the owning CPU only */
	u64 catchup_entry;		/* owning CPU only */
	u64 catchup_nmi;		/* owning CPU only */
	u64 proto_checks;		/* owning CPU only */
	u64 proto_violations;		/* owning CPU only */
	atomic64_t avoided_sync;	/* written by senders */
	atomic64_t avoided_kflush;	/* written by senders */
};
DECLARE_PER_CPU(struct tlbisol_stats, tlbisol_stats);

struct tlbisol_stats_snap {
	u64 v[__TLBISOL_STAT_MAX];	/* indexed by enum tlbisol_stat_attr */
};

int tlbisol_acct_init(void);
void tlbisol_acct_exit(void);
bool tlbisol_acct_available(const char **reason);
void tlbisol_acct_read(int cpu, struct tlbisol_stats_snap *s);
void tlbisol_acct_reset(void);
/* Address of the callback tlbisol's own IPIs run, for classification. */
void tlbisol_acct_set_own(void *sync_fn, void *flush_fn);

/* --- tlbisol_hook.c: one ftrace_ops for every hook, dispatch on ip --- */
#include <linux/ftrace.h>
struct tlbisol_hook {
	const char *sym;
	ftrace_func_t func;
	unsigned long start, end;	/* the function's text, resolved once */
	bool active;
};
#define TLBISOL_HOOK(_sym, _func) { .sym = (_sym), .func = (_func) }
int tlbisol_hook_attach(struct tlbisol_hook *h);
void tlbisol_hook_detach(struct tlbisol_hook *h);
void tlbisol_hook_release(void);

/* --- tlbisol_sync.c --- */
int tlbisol_sync_enable(const char **reason);
void tlbisol_sync_disable(void);
bool tlbisol_sync_enabled(void);
void tlbisol_sync_ipi(void *info);

/* --- tlbisol_defer.c --- */
int tlbisol_defer_check(const struct cpumask *mask, const char **reason);
int tlbisol_defer_enable(const struct cpumask *mask, const char **reason);
void tlbisol_defer_disable(void);
bool tlbisol_defer_enabled(void);
bool tlbisol_defer_cpu(int cpu);
const struct cpumask *tlbisol_defer_mask(void);
bool tlbisol_proto_check_enabled(void);
int tlbisol_defer_init(bool protocol_check);
void tlbisol_defer_exit(void);
void tlbisol_defer_ipi(void *info);
void tlbisol_proto_checkpoint(void);
/* Test-only negative control, exported for tests/kmod/tlbisol_test.ko. */
void tlbisol_test_skip_catchup(bool skip);

/* --- tlbisol_nl.c --- */
int tlbisol_nl_init(void);
void tlbisol_nl_exit(void);
bool tlbisol_nl_has_listeners(void);
/* Event messages multicast / not sent (rate limited, queue full). */
extern atomic64_t tlbisol_ev_sent, tlbisol_ev_dropped;
void tlbisol_nl_event(int cpu, enum tlbisol_ipi_class kind, void *func,
		      pid_t pid, const char *comm, int sender_cpu);

/* --- tlbisol_main.c: the control state, serialised by tlbisol_ctl_lock --- */
extern struct mutex tlbisol_ctl_lock;
const char *tlbisol_sync_reason(void);
const char *tlbisol_defer_reason(void);
const struct cpumask *tlbisol_cfg_defer_mask(void);
int tlbisol_ctl_set(int sync, int defer, const struct cpumask *mask,
		    struct netlink_ext_ack *extack);

/*
 * Context-tracking helpers (include/linux/context_tracking_state.h, 6.12):
 * the per-CPU context_tracking.state word holds the CT_STATE_* value in bits
 * 1:0 and the RCU watching counter above; bit 2 (CT_RCU_WATCHING) set means
 * RCU is watching. The word is changed with fully ordered atomics on every
 * EQS entry and exit (kernel/context_tracking.c: ct_kernel_enter_state(),
 * ct_kernel_exit_state(), ct_state_inc()).
 */
static inline int tlbisol_ct_state(int cpu)
{
	return atomic_read(&per_cpu(context_tracking, cpu).state);
}

static inline bool tlbisol_ct_in_eqs(int state)
{
	return !(state & CT_RCU_WATCHING);
}

static inline bool tlbisol_ct_user_eqs(int state)
{
	return (state & CT_STATE_MASK) == CT_STATE_USER && tlbisol_ct_in_eqs(state);
}

#endif /* TLBISOL_H */
