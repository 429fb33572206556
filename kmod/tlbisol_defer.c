// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_defer.c — deferred kernel TLB flush for nohz_full CPUs in user mode.
 *
 * Purpose: the vmalloc lazy purge flushes kernel TLB entries on every online
 * CPU (arch/x86/mm/tlb.c: flush_tlb_kernel_range() -> on_each_cpu()). A
 * nohz_full CPU running user code does not use kernel translations until it
 * enters the kernel, so its flush can wait for that entry and many flushes
 * coalesce into one. Experimental, off by default. The full safety argument,
 * its preconditions and what runs on a skipped CPU before the catch-up are in
 * DEFERRAL.md next to this file; the comments here point at its sections.
 *
 * Pieces:
 *  - redirect: ftrace IPMODIFY ops on flush_tlb_kernel_range(); only calls
 *    whose return address lies in an allowlisted caller (DEFERRAL.md
 *    "Allowlist") go to tlbisol_flush_kernel_range(); every other caller
 *    runs the original, untouched;
 *  - sender: for each CPU of the deferral mask, set its pending flag, one
 *    smp_mb(), then read its context-tracking state word; skip it only in
 *    USER state with RCU not watching; IPI everyone else (DEFERRAL.md
 *    "Protocol");
 *  - catch-up: an ftrace callback on vtime_user_exit() (kernel/sched/
 *    cputime.c, called from __ct_user_exit() right after the state word
 *    turned to kernel) and an NMI_FLAG_FIRST NMI handler; each flushes with
 *    __flush_tlb_all() when the CPU's pending flag is set;
 *  - disable/unload: stop deferring, wait for in-flight senders
 *    (synchronize_rcu()), IPI-flush every deferral CPU, and only then remove
 *    the catch-up hooks.
 *
 * Protocol check (module parameter protocol_check, for tests; DEFERRAL.md
 * "Protocol check"): each deferring request takes a number from proto_gen
 * after the caller's PTE clears and before its pending stores; a sender
 * that skips a CPU records that number for it; a flush, after consuming the
 * pending flag with a full barrier, records the newest number it covers.
 * Check points after kernel entry (raw_syscalls:sys_enter,
 * exceptions:page_fault_user, irq_vectors:{local_timer,reschedule,irq_work}
 * _entry, signal:signal_deliver, csd:csd_function_entry) count a violation
 * when a skip is newer than everything the CPU's flushes covered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/tick.h>
#include <linux/tracepoint.h>
#include <asm/nmi.h>
#include <asm/paravirt.h>
#include <asm/tlbflush.h>
#include "tlbisol.h"

#define KFLUSH_SYM	"flush_tlb_kernel_range"	/* arch/x86/mm/tlb.c */
#define ENTRY_SYM	"vtime_user_exit"		/* kernel/sched/cputime.c */

/* DEFERRAL.md "Allowlist": callers that only clear leaf PTEs of freed areas. */
static struct {
	const char *name;
	unsigned long start, end;
} allow[] = {
	{ "__purge_vmap_area_lazy" },	/* mm/vmalloc.c */
	{ "_vm_unmap_aliases" },	/* mm/vmalloc.c */
};

static bool defer_on;			/* senders may skip CPUs */
static bool hooks_on;			/* catch-up hooks and redirect attached */
static struct cpumask defer_mask;	/* changes only while !defer_on */
static DEFINE_PER_CPU(int, defer_pending);

/* Test-only negative control, set through tlbisol_test_skip_catchup(). */
static bool test_skip_catchup;

/*
 * Protocol check state (only touched when proto_on; DEFERRAL.md "Protocol
 * check"). proto_gen numbers the deferring flush requests. A sender takes a
 * number after the caller's PTE clears and before its pending stores; a
 * flush consumes the pending flag with a full barrier and then reads
 * proto_gen: every request numbered up to that value had its PTE clears
 * visible before this flush.
 */
static bool proto_on;
static atomic_t proto_gen;
static DEFINE_PER_CPU(atomic_t, proto_skip_max);	/* senders: newest request that skipped the CPU */
static DEFINE_PER_CPU(int, proto_flushed);		/* owning CPU: newest request its flushes cover */
/*
 * The previous check compared context-tracking values (skip newer than the
 * last flush); it reports a deferral whose pending flag the CPU consumed
 * before the sender read its state. Counted for the record, not a failure.
 */
static DEFINE_PER_CPU(atomic_t, proto_ct_skip);
static DEFINE_PER_CPU(int, proto_ct_flush);
static DEFINE_PER_CPU(unsigned long, proto_ct_only);

bool tlbisol_defer_enabled(void)
{
	return READ_ONCE(defer_on);
}

bool tlbisol_defer_cpu(int cpu)
{
	return cpumask_test_cpu(cpu, &defer_mask);
}

const struct cpumask *tlbisol_defer_mask(void)
{
	return &defer_mask;
}

bool tlbisol_proto_check_enabled(void)
{
	return proto_on;
}

/* ---- protocol check ---- */

/* wrap-safe "a is newer than b" */
static __always_inline bool proto_newer(int a, int b)
{
	return (int)(a - b) > 0;
}

/*
 * On the flushing CPU, after it consumed its pending flag with a full
 * barrier and before the flush. NMI-safe: this_cpu_try_cmpxchg() is one
 * instruction, so an NMI's newer value is never overwritten by an older one.
 */
static __always_inline int proto_flush_begin(void)
{
	return proto_on ? atomic_read(&proto_gen) : 0;
}

static __always_inline void proto_flush_done(int seen)
{
	int old;

	if (!proto_on)
		return;
	old = this_cpu_read(proto_flushed);
	do {
		if (!proto_newer(seen, old))
			break;
	} while (!this_cpu_try_cmpxchg(proto_flushed, &old, seen));
	this_cpu_write(proto_ct_flush, tlbisol_ct_state(smp_processor_id()));
}

static void proto_atomic_max(atomic_t *v, int seq)
{
	int old = atomic_read(v);

	do {
		if (!proto_newer(seq, old))
			break;
	} while (!atomic_try_cmpxchg(v, &old, seq));
}

/* Called on a CPU that runs kernel code past its entry. */
void notrace tlbisol_proto_checkpoint(void)
{
	int cpu;

	if (!proto_on)
		return;
	cpu = smp_processor_id();
	if (!cpumask_test_cpu(cpu, &defer_mask))
		return;
	this_cpu_inc(tlbisol_stats.proto_checks);
	if (proto_newer(atomic_read(this_cpu_ptr(&proto_skip_max)),
			this_cpu_read(proto_flushed)))
		this_cpu_inc(tlbisol_stats.proto_violations);
	else if (!proto_newer(this_cpu_read(proto_ct_flush),
			      atomic_read(this_cpu_ptr(&proto_ct_skip))))
		this_cpu_inc(proto_ct_only);
}

static void notrace proto_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	tlbisol_proto_checkpoint();
}

static void notrace proto_probe_pf_user(void *data, unsigned long address,
					struct pt_regs *regs, unsigned long error_code)
{
	tlbisol_proto_checkpoint();
}

/* irq_vectors:{local_timer,reschedule,irq_work}_entry: IRQs, also from user */
static void notrace proto_probe_vector(void *data, int vector)
{
	tlbisol_proto_checkpoint();
}

/* signal:signal_deliver: on the way back to user after any entry */
static void notrace proto_probe_signal(void *data, int sig, void *info, void *ka)
{
	tlbisol_proto_checkpoint();
}

/* Check points; the first two are required, the others add coverage. */
static struct {
	const char *name;
	void *probe;
	bool required;
	struct tracepoint *tp;
	bool registered;
} proto_tps[] = {
	{ "sys_enter",		proto_probe_sys_enter,	true },	/* raw_syscalls */
	{ "page_fault_user",	proto_probe_pf_user,	true },	/* exceptions */
	{ "local_timer_entry",	proto_probe_vector },		/* irq_vectors */
	{ "reschedule_entry",	proto_probe_vector },		/* irq_vectors */
	{ "irq_work_entry",	proto_probe_vector },		/* irq_vectors */
	{ "signal_deliver",	proto_probe_signal },		/* signal */
};

static void proto_find_tp(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(proto_tps); i++)
		if (!strcmp(tp->name, proto_tps[i].name))
			proto_tps[i].tp = tp;
}

/* ---- catch-up on the deferred CPU ---- */

/*
 * Consume this CPU's pending flag and flush. xchg() is a full barrier: the
 * flush (and the protocol check's read of proto_gen) is ordered after the
 * store that set the flag, hence after the sender's PTE clears
 * (DEFERRAL.md "Protocol").
 */
static __always_inline void defer_catch_up(bool nmi)
{
	int seen;

	if (likely(!this_cpu_read(defer_pending)))
		return;
	if (!xchg(this_cpu_ptr(&defer_pending), 0))
		return;		/* an NMI consumed it meanwhile */
	if (!nmi && unlikely(READ_ONCE(test_skip_catchup)))
		return;		/* negative control: the protocol check must fail */
	seen = proto_flush_begin();
	__flush_tlb_all();
	if (nmi)
		this_cpu_inc(tlbisol_stats.catchup_nmi);
	else
		this_cpu_inc(tlbisol_stats.catchup_entry);
	proto_flush_done(seen);
}

/*
 * ftrace callback on vtime_user_exit(): IRQs are off, RCU is watching, the
 * context-tracking word already says KERNEL (DEFERRAL.md "Catch-up").
 */
static void notrace defer_entry_handler(unsigned long ip, unsigned long parent_ip,
					struct ftrace_ops *ops,
					struct ftrace_regs *fregs)
{
	defer_catch_up(false);
}

/*
 * NMIs do not go through __ct_user_exit(). NMI_FLAG_FIRST puts us before
 * perf's handler. We catch up whatever mode the NMI interrupted: it may have
 * hit the entry code before the catch-up (DEFERRAL.md "NMI").
 */
static int defer_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	defer_catch_up(true);
	return NMI_DONE;
}

/* IPI callback for CPUs not skipped (and for the final flush on disable). */
void tlbisol_defer_ipi(void *info)
{
	int seen;

	xchg(this_cpu_ptr(&defer_pending), 0);
	seen = proto_flush_begin();
	__flush_tlb_all();
	proto_flush_done(seen);
}

/* ---- sender ---- */

static bool defer_cond(int cpu, void *info)
{
	int state, *gen = info;

	if (!cpumask_test_cpu(cpu, &defer_mask) || cpu == smp_processor_id())
		return true;
	/* after the smp_mb() in tlbisol_flush_kernel_range() */
	state = tlbisol_ct_state(cpu);
	if (!tlbisol_ct_user_eqs(state))
		return true;	/* kernel, idle, guest, or RCU watching: IPI */
	atomic64_inc(&per_cpu(tlbisol_stats, cpu).avoided_kflush);
	if (gen) {	/* protocol check on */
		proto_atomic_max(per_cpu_ptr(&proto_skip_max, cpu), *gen);
		proto_atomic_max(per_cpu_ptr(&proto_ct_skip, cpu), state);
	}
	return false;
}

/* Replacement for flush_tlb_kernel_range(start, end) from allowlisted callers. */
static void tlbisol_flush_kernel_range(unsigned long start, unsigned long end)
{
	int cpu, this, gen, *genp = NULL;
	bool defer;

	preempt_disable();	/* an RCU-sched reader: disable waits for us */
	defer = READ_ONCE(defer_on);
	if (defer) {
		if (proto_on) {	/* after the PTE clears, before the pending stores */
			gen = atomic_inc_return(&proto_gen);
			genp = &gen;
		}
		this = smp_processor_id();
		for_each_cpu_and(cpu, &defer_mask, cpu_online_mask)
			if (cpu != this)
				WRITE_ONCE(per_cpu(defer_pending, cpu), 1);
		/*
		 * Orders the caller's PTE clears and our pending stores before
		 * the state reads in defer_cond(); pairs with the fully ordered
		 * atomic of the CPU's EQS exit (DEFERRAL.md "Protocol").
		 */
		smp_mb();
	}
	/* A full flush covers [start, end); the range is not needed. */
	on_each_cpu_cond_mask(defer ? defer_cond : NULL, tlbisol_defer_ipi, genp,
			      true, cpu_online_mask);
	preempt_enable();
}

static void notrace defer_kflush_handler(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *ops,
					 struct ftrace_regs *fregs)
{
	unsigned int i;

	if (!READ_ONCE(defer_on))
		return;
	for (i = 0; i < ARRAY_SIZE(allow); i++) {
		if (parent_ip >= allow[i].start && parent_ip < allow[i].end) {
			ftrace_regs_set_instruction_pointer(fregs,
				(unsigned long)tlbisol_flush_kernel_range);
			return;
		}
	}
}

static struct tlbisol_hook entry_hook = TLBISOL_HOOK(ENTRY_SYM, defer_entry_handler);
static struct tlbisol_hook kflush_hook = TLBISOL_HOOK(KFLUSH_SYM, defer_kflush_handler);

/* ---- enable / disable ---- */

/* DEFERRAL.md "Preconditions". Caller holds the ctl lock. */
int tlbisol_defer_check(const struct cpumask *mask, const char **reason)
{
	unsigned long native_flush;
	unsigned int i;
	int cpu;

	if (cpumask_empty(mask)) {
		*reason = "the deferral CPU mask is empty";
		return -EINVAL;
	}
	if (!tick_nohz_full_enabled()) {
		*reason = "no nohz_full CPUs (boot with nohz_full=)";
		return -EOPNOTSUPP;
	}
	for_each_cpu(cpu, mask) {
		if (!tick_nohz_full_cpu(cpu)) {
			*reason = "the deferral mask names a CPU that is not nohz_full";
			return -EINVAL;
		}
		if (!per_cpu(context_tracking.active, cpu)) {
			*reason = "the deferral mask names a CPU without active context tracking";
			return -EINVAL;
		}
	}
	native_flush = tlbisol_sym_addr("native_flush_tlb_global");
	if (!native_flush ||
	    (unsigned long)pv_ops.mmu.flush_tlb_kernel != native_flush) {
		*reason = "the kernel TLB flush is paravirtualised (not native_flush_tlb_global)";
		return -EOPNOTSUPP;
	}
	for (i = 0; i < ARRAY_SIZE(allow); i++) {
		if (tlbisol_sym_range(allow[i].name, &allow[i].start, &allow[i].end)) {
			*reason = "an allowlisted vmalloc purge caller is not found in this kernel";
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int defer_hooks_attach(const char **reason)
{
	int r;

	r = register_nmi_handler(NMI_LOCAL, defer_nmi_handler, NMI_FLAG_FIRST,
				 "tlbisol");
	if (r) {
		*reason = "cannot register the NMI catch-up handler";
		return r;
	}
	r = tlbisol_hook_attach(&entry_hook);
	if (r) {
		*reason = ENTRY_SYM " cannot be hooked (not traceable, or ftrace disabled)";
		goto out_unregister_nmi;
	}
	r = tlbisol_hook_attach(&kflush_hook);
	if (r) {
		*reason = r == -EBUSY ?
			KFLUSH_SYM " is already modified by livepatch or another tracer" :
			KFLUSH_SYM " cannot be hooked";
		goto out_detach_entry;
	}
	hooks_on = true;
	return 0;

out_detach_entry:
	tlbisol_hook_detach(&entry_hook);
out_unregister_nmi:
	unregister_nmi_handler(NMI_LOCAL, "tlbisol");
	return r;
}

static void defer_hooks_detach(void)
{
	if (!hooks_on)
		return;
	tlbisol_hook_detach(&kflush_hook);
	tlbisol_hook_detach(&entry_hook);
	unregister_nmi_handler(NMI_LOCAL, "tlbisol");
	hooks_on = false;
}

/* Caller holds the ctl lock and ran tlbisol_defer_check(mask). */
int tlbisol_defer_enable(const struct cpumask *mask, const char **reason)
{
	int cpu, r;

	if (defer_on)
		tlbisol_defer_disable();
	r = defer_hooks_attach(reason);
	if (r)
		return r;
	cpumask_copy(&defer_mask, mask);
	for_each_possible_cpu(cpu) {
		int ct = tlbisol_ct_state(cpu);

		atomic_set(per_cpu_ptr(&proto_skip_max, cpu), atomic_read(&proto_gen));
		per_cpu(proto_flushed, cpu) = atomic_read(&proto_gen);
		atomic_set(per_cpu_ptr(&proto_ct_skip, cpu), ct - 4);
		per_cpu(proto_ct_flush, cpu) = ct;
		per_cpu(proto_ct_only, cpu) = 0;
	}
	/* hooks are live on every CPU (ftrace patched text with sync IPIs) */
	smp_mb();
	WRITE_ONCE(defer_on, true);
	return 0;
}

/* Caller holds the ctl lock. Flushes every deferral CPU before returning. */
void tlbisol_defer_disable(void)
{
	if (!hooks_on)
		return;
	WRITE_ONCE(defer_on, false);
	/* senders decide inside preempt_disable(): wait for those in flight */
	synchronize_rcu();
	/* nobody defers any more; flush whatever is pending, wait for it */
	on_each_cpu_mask(&defer_mask, tlbisol_defer_ipi, NULL, true);
	defer_hooks_detach();
	if (proto_on) {
		int cpu;

		for_each_cpu(cpu, &defer_mask)
			pr_info("protocol check: CPU %d: %lu check points passed that the context-tracking comparison would have failed (pending flag consumed before the sender read the state; not violations)\n",
				cpu, per_cpu(proto_ct_only, cpu));
	}
	cpumask_clear(&defer_mask);
}

/* Test-only negative control; taints the kernel (TAINT_TEST). */
void tlbisol_test_skip_catchup(bool skip)
{
	if (skip)
		add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
	WRITE_ONCE(test_skip_catchup, skip);
	pr_warn("test: catch-up at kernel entry %s\n", skip ? "SKIPPED (unsafe)" : "restored");
}
EXPORT_SYMBOL_GPL(tlbisol_test_skip_catchup);

/* The caller waits with tracepoint_synchronize_unregister(). */
static void proto_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(proto_tps); i++)
		if (proto_tps[i].registered) {
			tracepoint_probe_unregister(proto_tps[i].tp,
						    proto_tps[i].probe, NULL);
			proto_tps[i].registered = false;
		}
}

int tlbisol_defer_init(bool protocol_check)
{
	unsigned int i;
	int r;

	if (!protocol_check)
		return 0;
	for_each_kernel_tracepoint(proto_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(proto_tps); i++) {
		if (!proto_tps[i].tp) {
			pr_warn("protocol check: tracepoint %s not found\n",
				proto_tps[i].name);
			if (proto_tps[i].required) {
				r = -ENOENT;
				goto out_unregister;
			}
			continue;
		}
		r = tracepoint_probe_register(proto_tps[i].tp, proto_tps[i].probe, NULL);
		if (r)
			goto out_unregister;
		proto_tps[i].registered = true;
	}
	proto_on = true;
	pr_info("deferral protocol check on\n");
	return 0;

out_unregister:
	proto_unregister();
	tracepoint_synchronize_unregister();
	return r;
}

/* Module exit: the caller then waits (tlbisol_acct_exit() does). */
void tlbisol_defer_exit(void)
{
	if (proto_on) {
		proto_unregister();
		proto_on = false;
	}
}
