/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlbisol.ko internal interfaces between its files.
 *
 *   tlbisol_main.c   module init/exit, parameters, the control state machine
 *   tlbisol_sym.c    symbol addresses of unexported kernel functions
 *   tlbisol_hook.c   hooks on two ftrace_ops (redirect, entry), dispatch on ip
 *   tlbisol_acct.c   per-CPU IPI accounting (csd tracepoints) and events
 *   tlbisol_sync.c   targeted tlb_remove_table_sync_one()
 *   tlbisol_defer.c  deferred kernel TLB flush (see DEFERRAL.md)
 *   tlbisol_guard.c  nothing foreign may run before the deferral's catch-up
 *   tlbisol_proto.c  the deferral's protocol check (test build only)
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
void tlbisol_sym_exit(void);
unsigned long tlbisol_sym_addr(const char *name);
void tlbisol_sym_allow_recheck(bool allow);
int tlbisol_sym_range(const char *name, unsigned long *start, unsigned long *end);
const char *tlbisol_sym_why(int err);

/* --- tlbisol_acct.c --- */
struct tlbisol_stats {
	u64 rx[__TLBISOL_IPI_MAX];	/* written by the owning CPU only */
	u64 catchup_entry;		/* owning CPU only */
	u64 catchup_nmi;		/* owning CPU only */
	u64 proto_checks;		/* owning CPU only */
	u64 proto_violations;		/* owning CPU only */
	u64 proto_foreign;		/* owning CPU only */
	atomic64_t avoided_sync;	/* written by senders */
	atomic64_t avoided_kflush;	/* written by senders */
	atomic64_t notdeferred_kflush;	/* written by senders */
	atomic64_t avoided_text_sync;	/* written by senders */
};
DECLARE_PER_CPU(struct tlbisol_stats, tlbisol_stats);

struct tlbisol_stats_snap {
	u64 v[__TLBISOL_A_STATS_MAX];	/* indexed by TLBISOL_A_STATS_* */
};

int tlbisol_acct_init(void);
void tlbisol_acct_stop(void);
void tlbisol_acct_free(void);
bool tlbisol_acct_available(const char **reason);
void tlbisol_acct_read(int cpu, struct tlbisol_stats_snap *s);
void tlbisol_acct_reset(void);
/* Address of the callback tlbisol's own IPIs run, for classification. */
void tlbisol_acct_set_own(void *sync_fn, void *flush_fn);

/* ftrace could not remove a hook: pin the module, log "reboot" (tlbisol_main.c) */
void tlbisol_pin_module(const char *what, int err);

/* --- tlbisol_hook.c: hooks on two ftrace_ops (redirect, guard) --- */
#include <linux/ftrace.h>
struct tlbisol_hook {
	const char *sym;
	ftrace_func_t func;
	unsigned long start, end;	/* the function's text, resolved once */
	bool active;
};
#define TLBISOL_HOOK(_sym, _func) { .sym = (_sym), .func = (_func) }
#define TLBISOL_HOOK_MAX 6
struct tlbisol_hook_ops {
	struct ftrace_ops ops;
	struct tlbisol_hook *tab[TLBISOL_HOOK_MAX];	/* slots, filled once */
	unsigned int nr_filter;				/* hooks in the filter */
	bool registered;
};
extern struct tlbisol_hook_ops tlbisol_redirect_ops;	/* IPMODIFY */
int tlbisol_hook_attach(struct tlbisol_hook_ops *ho, struct tlbisol_hook *h);
void tlbisol_hook_detach(struct tlbisol_hook_ops *ho, struct tlbisol_hook *h);
void tlbisol_hook_release(struct tlbisol_hook_ops *ho);

/* --- tlbisol_sync.c --- */
int tlbisol_sync_enable(const char **reason);
void tlbisol_sync_disable(void);
bool tlbisol_sync_enabled(void);
const char *tlbisol_sync_unavailable(void);
void tlbisol_sync_ipi(void *info);

/* --- tlbisol_defer.c --- */
struct tlbisol_range {
	const char *name;
	unsigned long start, end;
};
/* Is @ip in one of the @n ranges at @r? (an unresolved range, 0-0, holds
 * nothing.) Always inlined: called from ftrace callbacks, it gets no fentry. */
static __always_inline bool tlbisol_in_ranges(const struct tlbisol_range *r, unsigned int n,
				     unsigned long ip)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ip >= r[i].start && ip < r[i].end)
			return true;
	return false;
}
struct tlbisol_defer_cpu {
	int pending;		/* set by senders that skipped us; xchg'd here */
	bool catching_up;	/* between consuming pending and the flush */
};
DECLARE_PER_CPU(struct tlbisol_defer_cpu, tlbisol_defer_cpu);
extern bool tlbisol_defer_on;
extern struct cpumask tlbisol_defer_mask;
/* the catch-up at kernel entry: an ftrace direct call (tlbisol_defer.c) */
void tlbisol_entry_tramp(void);
int tlbisol_defer_check(const struct cpumask *mask, const char **reason);
int tlbisol_defer_enable(const struct cpumask *mask, const char **reason);
void tlbisol_defer_disable(void);
void tlbisol_defer_release(void);
bool tlbisol_defer_enabled(void);
bool tlbisol_defer_cpu_in_mask(int cpu);
void tlbisol_defer_ipi(void *info);
void tlbisol_defer_send(smp_cond_func_t cond, smp_call_func_t func);
void tlbisol_defer_send_tsync(smp_call_func_t func);
#include <asm/nmi.h>

/* --- tlbisol_tsync.c: deferred text-patching syncs (part of the deferral) --- */
int tlbisol_tsync_check(const struct tlbisol_range *entry, const char **reason);
int tlbisol_tsync_attach(const char **reason);
void tlbisol_tsync_detach(void);
nmi_handler_t tlbisol_defer_nmi_fn(void);

/* --- tlbisol_guard.c: nothing foreign before the catch-up --- */
extern unsigned long tlbisol_entry_site;
extern struct tlbisol_hook_ops tlbisol_guard_ops;	/* PERMANENT */
bool tlbisol_entry_site_ours(void);
bool tlbisol_guard_watches(unsigned long a, unsigned long len);
int tlbisol_guard_check(const char **reason);
int tlbisol_guard_attach(const char **reason);
int tlbisol_guard_verify(unsigned long entry_start, const char **reason);
int tlbisol_guard_tripped(const char **reason);
bool tlbisol_guard_start_deferral(void);
const char *tlbisol_guard_reason_now(void);
const char *tlbisol_guard_last_trip(void);
void tlbisol_guard_disarm(void);
void tlbisol_guard_detach(void);
void tlbisol_guard_exit(void);

/* --- tlbisol_proto.c: protocol check, test build only --- */
#ifdef TLBISOL_TEST
extern bool tlbisol_proto_on;
extern atomic_t tlbisol_proto_gen;
/* inline: it runs before the flush, where no call is allowed */
static __always_inline int tlbisol_proto_flush_begin(void)
{
	return READ_ONCE(tlbisol_proto_on) ? atomic_read(&tlbisol_proto_gen) : 0;
}
void tlbisol_proto_flush_done(int seen);
void tlbisol_proto_entry_site(void);
void tlbisol_proto_nmi_seen(void);
void *tlbisol_proto_request(void);
void tlbisol_proto_skip(int cpu, void *info, int state);
void tlbisol_proto_reset(void);
void tlbisol_proto_checkpoint(void);
bool tlbisol_proto_check_enabled(void);
int tlbisol_proto_init(bool on);
void tlbisol_proto_exit(void);
/* Test-only negative controls, exported for tests/kmod/tlbisol_test.ko. */
enum { TLBISOL_TEST_SKIP_ENTRY = 1, TLBISOL_TEST_SKIP_NMI = 2 };
void tlbisol_test_skip_catchup(int where);
void tlbisol_test_guard_off(bool off);
void tlbisol_test_sleep_bait(void);
#else
static __always_inline int tlbisol_proto_flush_begin(void) { return 0; }
static inline void tlbisol_proto_flush_done(int seen) { }
static inline void tlbisol_proto_entry_site(void) { }
static inline void tlbisol_proto_nmi_seen(void) { }
static inline void *tlbisol_proto_request(void) { return NULL; }
static inline void tlbisol_proto_skip(int cpu, void *info, int state) { }
static inline void tlbisol_proto_reset(void) { }
static inline void tlbisol_proto_checkpoint(void) { }
static inline bool tlbisol_proto_check_enabled(void) { return false; }
static inline int tlbisol_proto_init(bool on) { return on ? -EOPNOTSUPP : 0; }
static inline void tlbisol_proto_exit(void) { }
#endif

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
