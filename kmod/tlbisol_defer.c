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
 * Protocol check (module parameter protocol_check, for tests): senders record
 * the context-tracking value of the EQS they skipped, flushes record the value
 * at the flush; check points after kernel entry (raw_syscalls:sys_enter,
 * exceptions:page_fault_user, csd:csd_function_entry) count a violation when
 * a skip is newer than the last flush. The state word only grows (ct_state_inc()),
 * so a flush made after leaving the skipped EQS always carries a larger value.
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

/* Protocol check state (only touched when proto_on). */
static bool proto_on;
static DEFINE_PER_CPU(atomic_t, proto_skip_seq);
static DEFINE_PER_CPU(int, proto_skip_valid);
static DEFINE_PER_CPU(int, proto_flush_seq);
static struct tracepoint *tp_sys_enter, *tp_pf_user;

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

static __always_inline void proto_record_flush(void)
{
	if (proto_on)
		this_cpu_write(proto_flush_seq, tlbisol_ct_state(smp_processor_id()));
}

static void proto_record_skip(int cpu, int seq)
{
	atomic_t *s = per_cpu_ptr(&proto_skip_seq, cpu);
	int old = atomic_read(s);

	/* keep the newest skipped EQS (values only grow, wrap-safe compare) */
	do {
		if (READ_ONCE(per_cpu(proto_skip_valid, cpu)) && (int)(seq - old) <= 0)
			break;
	} while (!atomic_try_cmpxchg(s, &old, seq));
	WRITE_ONCE(per_cpu(proto_skip_valid, cpu), 1);
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
	if (this_cpu_read(proto_skip_valid) &&
	    (int)(atomic_read(this_cpu_ptr(&proto_skip_seq)) -
		  this_cpu_read(proto_flush_seq)) >= 0)
		this_cpu_inc(tlbisol_stats.proto_violations);
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

static void proto_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_enter"))
		tp_sys_enter = tp;
	else if (!strcmp(tp->name, "page_fault_user"))
		tp_pf_user = tp;
}

/* ---- catch-up on the deferred CPU ---- */

static __always_inline void defer_catch_up(bool nmi)
{
	if (likely(!this_cpu_read(defer_pending)))
		return;
	this_cpu_write(defer_pending, 0);
	if (!nmi && unlikely(READ_ONCE(test_skip_catchup)))
		return;		/* negative control: the protocol check must fail */
	__flush_tlb_all();
	if (nmi)
		this_cpu_inc(tlbisol_stats.catchup_nmi);
	else
		this_cpu_inc(tlbisol_stats.catchup_entry);
	proto_record_flush();
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
	this_cpu_write(defer_pending, 0);
	__flush_tlb_all();
	proto_record_flush();
}

/* ---- sender ---- */

static bool defer_cond(int cpu, void *info)
{
	int state;

	if (!cpumask_test_cpu(cpu, &defer_mask) || cpu == smp_processor_id())
		return true;
	/* after the smp_mb() in tlbisol_flush_kernel_range() */
	state = tlbisol_ct_state(cpu);
	if (!tlbisol_ct_user_eqs(state))
		return true;	/* kernel, idle, guest, or RCU watching: IPI */
	atomic64_inc(&per_cpu(tlbisol_stats, cpu).avoided_kflush);
	if (proto_on)
		proto_record_skip(cpu, state);
	return false;
}

/* Replacement for flush_tlb_kernel_range(start, end) from allowlisted callers. */
static void tlbisol_flush_kernel_range(unsigned long start, unsigned long end)
{
	bool defer;
	int cpu, this;

	preempt_disable();	/* an RCU-sched reader: disable waits for us */
	defer = READ_ONCE(defer_on);
	if (defer) {
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
	on_each_cpu_cond_mask(defer ? defer_cond : NULL, tlbisol_defer_ipi, NULL,
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

static struct tlbisol_hook entry_hook =
	TLBISOL_HOOK(ENTRY_SYM, defer_entry_handler,
		     FTRACE_OPS_FL_PERMANENT | FTRACE_OPS_FL_DYNAMIC);

static struct tlbisol_hook kflush_hook =
	TLBISOL_HOOK(KFLUSH_SYM, defer_kflush_handler,
		     FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT |
		     FTRACE_OPS_FL_DYNAMIC);

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

/* Module exit, after the last disable: free the hooks' filters. */
void tlbisol_defer_release(void)
{
	tlbisol_hook_release(&kflush_hook);
	tlbisol_hook_release(&entry_hook);
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
		per_cpu(proto_skip_valid, cpu) = 0;
		per_cpu(proto_flush_seq, cpu) = tlbisol_ct_state(cpu) - 4;
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

int tlbisol_defer_init(bool protocol_check)
{
	int r;

	if (!protocol_check)
		return 0;
	for_each_kernel_tracepoint(proto_find_tp, NULL);
	if (!tp_sys_enter || !tp_pf_user) {
		pr_warn("protocol check: tracepoints not found\n");
		return -ENOENT;
	}
	r = tracepoint_probe_register(tp_sys_enter, proto_probe_sys_enter, NULL);
	if (r)
		return r;
	r = tracepoint_probe_register(tp_pf_user, proto_probe_pf_user, NULL);
	if (r) {
		tracepoint_probe_unregister(tp_sys_enter, proto_probe_sys_enter, NULL);
		tracepoint_synchronize_unregister();
		return r;
	}
	proto_on = true;
	pr_info("deferral protocol check on\n");
	return 0;
}

void tlbisol_defer_exit(void)
{
	if (proto_on) {
		tracepoint_probe_unregister(tp_pf_user, proto_probe_pf_user, NULL);
		tracepoint_probe_unregister(tp_sys_enter, proto_probe_sys_enter, NULL);
		tracepoint_synchronize_unregister();
		proto_on = false;
	}
}
