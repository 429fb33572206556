// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_defer.c — deferred kernel TLB flush for nohz_full CPUs in user mode.
 *
 * Purpose: the vmalloc lazy purge and vfree() of module memory flush kernel
 * TLB entries on every online CPU (arch/x86/mm/tlb.c:
 * flush_tlb_kernel_range() -> on_each_cpu()). A
 * nohz_full CPU running user code does not use kernel translations until it
 * enters the kernel, so its flush can wait for that entry and many flushes
 * coalesce into one. Experimental, off by default. The safety argument, its
 * preconditions and what runs on a skipped CPU before the catch-up are in
 * DEFERRAL.md next to this file; the comments here name its sections.
 *
 * Pieces:
 *  - redirect (redirect ops, IPMODIFY): flush_tlb_kernel_range() calls made
 *    by __purge_vmap_area_lazy() on behalf of the lazy purge (its caller is
 *    drain_vmap_area_work() or reclaim_and_purge_vmap_areas()), and those
 *    of vm_reset_perms() when vfree() frees module memory, both checked by
 *    unwinding, go to tlbisol_flush_kernel_range(); every other call runs
 *    the original (DEFERRAL.md "What is deferred", "Freed module memory");
 *  - sender: for each CPU of the deferral mask, set its pending flag, one
 *    smp_mb(), then read its context-tracking state word; skip it only in
 *    USER state with RCU not watching and no hardware breakpoint armed;
 *    IPI everyone else (DEFERRAL.md "Protocol");
 *  - catch-up: an ftrace direct call from the fentry site of
 *    vtime_user_exit() (kernel/sched/cputime.c, the first instrumentable
 *    call of __ct_user_exit()) to our asm trampoline, two per-CPU compares
 *    when nothing is pending, and an NMI_FLAG_FIRST NMI handler; both flush with
 *    an inline INVPCID or CR4.PGE toggle, no call before the flush
 *    (DEFERRAL.md "The flush"; the build checks the object code,
 *    tests/kmod/check-inline-flush.sh); a per-CPU catching_up state makes an
 *    NMI that lands between consuming the flag and the flush flush too;
 *  - guard (tlbisol_guard.c): foreign code that could run before the
 *    catch-up turns the deferral off first;
 *  - disable/unload: stop deferring, wait for in-flight senders
 *    (synchronize_rcu()), IPI-flush every deferral CPU, and only then remove
 *    the catch-up hooks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tick.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/ibt.h>
#include <asm/invpcid.h>
#include <asm/nmi.h>
#include <asm/nospec-branch.h>
#include <asm/paravirt.h>
#include <asm/processor-flags.h>
#include "tlbisol.h"

#define KFLUSH_SYM	"flush_tlb_kernel_range"	/* arch/x86/mm/tlb.c */
#define ENTRY_SYM	"vtime_user_exit"		/* kernel/sched/cputime.c */
#define PURGE_SYM	"__purge_vmap_area_lazy"	/* mm/vmalloc.c */

/*
 * DEFERRAL.md "What is deferred": __purge_vmap_area_lazy() is deferred
 * when called by these (the lazy purge); from _vm_unmap_aliases() only as
 * below.
 */
static struct tlbisol_range purge = { PURGE_SYM };
static struct tlbisol_range purge_callers[] = {
	{ "drain_vmap_area_work" },		/* mm/vmalloc.c */
	{ "reclaim_and_purge_vmap_areas" },	/* mm/vmalloc.c */
};

/*
 * DEFERRAL.md "Freed module memory": _vm_unmap_aliases()'s flush (its own,
 * or the one of the __purge_vmap_area_lazy() it calls) is deferred only
 * when _vm_unmap_aliases() was called from vfree(), i.e. by
 * vm_reset_perms() (mm/vmalloc.c, 6.12: static, inlined into vfree() or
 * its .part.0 clone; the only call of _vm_unmap_aliases() in vfree()'s
 * body, and nothing vfree() calls reaches it: remove_vm_area(),
 * set_direct_map_*_noflush() -> __change_page_attr_set_clr() (not
 * change_page_attr_set_clr(), the one that calls vm_unmap_aliases()),
 * __free_page(), kvfree(), kfree()). vm_unmap_aliases() (CPA's
 * set_memory_*(), which may change cache attributes, and any other
 * caller) is a tail call, so its caller is the frame after
 * _vm_unmap_aliases(): never vfree(). Optional, each: a name this kernel
 * lacks (vfree.part.0 on rt, vm_reset_perms when inlined) or cannot
 * confirm unique matches nothing; without _vm_unmap_aliases or vfree this
 * rule is off, and those flushes IPI everyone as before.
 */
static struct tlbisol_range aliases = { "_vm_unmap_aliases" };
static struct tlbisol_range reset_perms_callers[] = {
	{ "vfree" },		/* mm/vmalloc.c; vm_reset_perms() inlined (rt) */
	{ "vfree.part.0" },	/* its partial-inlining clone (generic) */
	{ "vm_reset_perms" },	/* a build that keeps it out of line */
};
static bool reset_perms_on;	/* aliases and vfree resolved */

bool tlbisol_defer_on;			/* senders may skip CPUs */
static bool hooks_on;			/* catch-up hooks and redirect attached */
struct cpumask tlbisol_defer_mask;	/* changes only while !defer_on */
DEFINE_PER_CPU(struct tlbisol_defer_cpu, tlbisol_defer_cpu);
static bool flush_invpcid __read_mostly;	/* else CR4.PGE toggle */

#ifdef TLBISOL_TEST
/*
 * Test-only negative control, set through tlbisol_test_skip_catchup():
 * TLBISOL_TEST_SKIP_ENTRY or _NMI makes that catch-up consume the flag
 * without flushing (and without recording a flush).
 */
static int test_skip_catchup;
#endif

bool tlbisol_defer_enabled(void)
{
	return READ_ONCE(tlbisol_defer_on);
}

bool tlbisol_defer_cpu_in_mask(int cpu)
{
	return cpumask_test_cpu(cpu, &tlbisol_defer_mask);
}

/* ---- the flush: inline, no call (DEFERRAL.md "The flush") ---- */

static __always_inline void cr4_write_inline(unsigned long val)
{
	asm volatile("mov %0,%%cr4" : : "r" (val) : "memory");
}

static __always_inline unsigned long cr4_read_inline(void)
{
	unsigned long val;

	asm volatile("mov %%cr4,%0" : "=r" (val) : : "memory");
	return val;
}

/*
 * Flush every TLB entry of this CPU, global ones and all PCIDs included,
 * with IRQs off. INVPCID type 2 does that in one instruction. Otherwise a
 * change of CR4.PGE invalidates all entries for all PCIDs (SDM vol. 3,
 * 4.10.4.1); CR4 is read from the register, not the kernel's shadow, so an
 * NMI between another CR4 writer's shadow update and its write, or between
 * our two writes, restores exactly the value it found.
 */
static __always_inline void defer_flush_all(void)
{
	unsigned long cr4;

	if (likely(flush_invpcid))
		invpcid_flush_all();
	/*
	 * Serialize (DEFERRAL.md "Text-patching syncs"): a deferred
	 * text_poke_bp_batch() sync asks this CPU to execute a serializing
	 * instruction before it runs any patched code. MOV to CR4 is one
	 * (SDM vol. 3, "Serializing Instructions"); INVPCID is not, so after
	 * it CR4 is written back unchanged (no flush, the same value). The
	 * PGE toggle below serializes and flushes at once.
	 */
	cr4 = cr4_read_inline();
	if (likely(flush_invpcid)) {
		cr4_write_inline(cr4);
		return;
	}
	cr4_write_inline(cr4 ^ X86_CR4_PGE);
	cr4_write_inline(cr4);
}

/* ---- catch-up on the deferred CPU ---- */

/*
 * Consume this CPU's pending flag and flush (DEFERRAL.md "Protocol",
 * "Nested NMI"). xchg() is a full barrier: the flush is ordered after the
 * store that set the flag, hence after the sender's PTE clears.
 * catching_up covers the window between the xchg() and the flush: an NMI
 * landing there sees it and flushes itself before any NMI handler after
 * ours runs. Everything here is inline; the first call is after the flush.
 * Returns true if this call flushed.
 */
static __always_inline bool defer_catch_up(bool always)
{
	/*
	 * raw_cpu_ptr(), not this_cpu_ptr(): with CONFIG_DEBUG_PREEMPT the
	 * latter calls check_preemption_disabled() (lib/smp_processor_id.c),
	 * a call before the flush. Both callers run with IRQs off (kernel
	 * entry, NMI), so the CPU cannot change under us.
	 */
	struct tlbisol_defer_cpu *dc = raw_cpu_ptr(&tlbisol_defer_cpu);
	bool nested = READ_ONCE(dc->catching_up);
	int seen;

	if (!always && likely(!READ_ONCE(dc->pending) && !nested))
		return false;
	WRITE_ONCE(dc->catching_up, true);
	barrier();
	if (!xchg(&dc->pending, 0) && !nested && !always) {
		/* an NMI consumed it (and flushed) since our first read */
		barrier();
		WRITE_ONCE(dc->catching_up, false);
		return false;
	}
	seen = tlbisol_proto_flush_begin();
#ifdef TLBISOL_TEST
	if (unlikely(READ_ONCE(test_skip_catchup) ==
		     (in_nmi() ? TLBISOL_TEST_SKIP_NMI : TLBISOL_TEST_SKIP_ENTRY)) && !always) {
		/* negative control: consumed, not flushed, not recorded */
		barrier();
		WRITE_ONCE(dc->catching_up, nested);
		return true;
	}
#endif
	defer_flush_all();
	barrier();
	WRITE_ONCE(dc->catching_up, nested);
	tlbisol_proto_flush_done(seen);
	return true;
}

/*
 * The catch-up at kernel entry is an ftrace direct call (DEFERRAL.md "The
 * entry hook"): the fentry site of vtime_user_exit() (kernel/sched/
 * cputime.c, the first instrumentable call of __ct_user_exit(), IRQs off,
 * RCU watching, the context-tracking word already KERNEL) calls
 * tlbisol_entry_tramp directly. It replaces ftrace's per-ops trampoline
 * (save/restore of the argument registers, ops load, an indirect-free
 * call to a C callback, two returns: 38 guest instructions of the 48 the
 * previous hook added to a getpid(), kmod-defer.sh under --icount) by two
 * per-CPU compares when nothing is pending.
 *
 * Fast path: pending and catching_up both zero -> return. Only the flags
 * change (not live at a call). Per-CPU access: %gs:sym, an absolute
 * 32-bit displacement (R_X86_64_32S). Not the kernel's idiom: PER_CPU_VAR()
 * (arch/x86/include/asm/percpu.h) and gcc's this_cpu_inc() in
 * defer_entry_slow() below use %gs:sym(%rip) (R_X86_64_PC32). Both are
 * valid on 6.12 x86-64: the per-CPU area is zero-based (vmlinux.lds.S,
 * PERCPU_VADDR(..., 0, ...)) and a module's static per-CPU variables live
 * in the first chunk's reserved part, so the symbol's value is a small
 * offset (the __percpu address, addr - pcpu_base_addr + __per_cpu_start).
 * The absolute form is kept because the loader range-checks R_X86_64_32S
 * (arch/x86/kernel/module.c, __write_relocate_add(): "goto overflow") and
 * not R_X86_64_PC32: a layout where it did not fit fails insmod instead
 * of reading the wrong address.
 * Slow path: save every caller-saved register (the argument registers of
 * vtime_user_exit() are live, r10/r11 cheaply too) and call
 * defer_entry_slow(), whose first call comes after its inline flush (the
 * build checks both functions, tests/kmod/check-inline-flush.sh).
 * CALL_DEPTH_ACCOUNT: with retbleed=stuff the fentry call is not accounted
 * by a call thunk (ftrace writes a plain call: arch/x86/kernel/ftrace.c
 * ftrace_call_replace(), "the trampoline does the depth accounting
 * itself"), as in samples/ftrace/ftrace-direct.c; ASM_RET is the return
 * thunk under RETHUNK (patched at load, apply_returns()). ENDBR: not
 * needed -- the trampoline is reached by the fentry site's direct call,
 * or, on a shared site, by ftrace_regs_caller's RET (ftrace_64.S: the
 * direct address is put in the return slot, then RET), never by an
 * indirect call or jump; kept as samples/ftrace/ftrace-direct.c has it.
 * .p2align 4: the 0x28-byte fast path starts on a 16-byte boundary
 * whatever precedes it in .text (review 4 m8).
 */
static_assert(offsetof(struct tlbisol_defer_cpu, pending) == 0);
static_assert(offsetof(struct tlbisol_defer_cpu, catching_up) == 4);
static_assert(sizeof(((struct tlbisol_defer_cpu *)0)->pending) == 4);
static_assert(sizeof(((struct tlbisol_defer_cpu *)0)->catching_up) == 1);

asmlinkage __visible void defer_entry_slow(void);

asm (
"	.pushsection	.text, \"ax\", @progbits\n"
"	.p2align	4\n"
"	.type		tlbisol_entry_tramp, @function\n"
"	.globl		tlbisol_entry_tramp\n"
"tlbisol_entry_tramp:\n"
	ASM_ENDBR
	CALL_DEPTH_ACCOUNT
"	cmpl	$0, %gs:tlbisol_defer_cpu\n"		/* pending */
"	jne	1f\n"
"	cmpb	$0, %gs:tlbisol_defer_cpu+4\n"		/* catching_up */
"	jne	1f\n"
	ASM_RET
"1:	pushq	%rbp\n"
"	movq	%rsp, %rbp\n"
"	pushq	%rax\n"
"	pushq	%rcx\n"
"	pushq	%rdx\n"
"	pushq	%rsi\n"
"	pushq	%rdi\n"
"	pushq	%r8\n"
"	pushq	%r9\n"
"	pushq	%r10\n"
"	pushq	%r11\n"
"	call	defer_entry_slow\n"
"	popq	%r11\n"
"	popq	%r10\n"
"	popq	%r9\n"
"	popq	%r8\n"
"	popq	%rdi\n"
"	popq	%rsi\n"
"	popq	%rdx\n"
"	popq	%rcx\n"
"	popq	%rax\n"
"	popq	%rbp\n"
	ASM_RET
"	.size		tlbisol_entry_tramp, .-tlbisol_entry_tramp\n"
"	.popsection\n"
);

/*
 * Slow path of the trampoline. The flush comes first and calls nothing
 * before it; no stack protector: its failure path is a call (INVPCID's
 * descriptor is a local).
 */
asmlinkage __visible void notrace __no_stack_protector defer_entry_slow(void)
{
	if (defer_catch_up(false)) {
		this_cpu_inc(tlbisol_stats.catchup_entry);
		tlbisol_proto_entry_site();
	}
}
/*
 * The catch-up functions have no fentry (notrace, or asm: no ftrace, no
 * BPF fentry; kprobe events refuse them), but a module's register_kprobe()
 * could still put an int3 in them, before the flush: its handler would
 * run first. Refused.
 */
NOKPROBE_SYMBOL(tlbisol_entry_tramp);
NOKPROBE_SYMBOL(defer_entry_slow);

/*
 * ops_func: ftrace asks before an IPMODIFY user (livepatch, a kprobe with
 * a post handler) shares vtime_user_exit with our direct call. PEER (it
 * comes after us): allowed; the site then changes to ftrace_regs_caller
 * through text_poke_queue(), which trips the guard first (deferral off,
 * every CPU flushed) -- the same as any other foreign user; our
 * trampoline, entered by ftrace_regs_caller's RET (it puts the direct
 * address in the return slot; the IPMODIFY user's regs->ip is copied to
 * the slot above), returns to whatever regs->ip that user chose, which is
 * correct. SELF (it was there before us): refused, the other user would
 * run first (tlbisol_guard_verify() would refuse it too).
 *
 * SELF is asked only from our own ftrace_startup() (ftrace_hash_ipmodify_
 * enable() -> __ftrace_hash_update_ipmodify(), kernel/trace/ftrace.c;
 * we never change the filter or the target while registered), i.e.
 * inside defer_entry_attach()'s register_ftrace_direct(), under the ctl
 * lock: entry_self_refused tells that refusal apart from a second direct
 * call's (both -EBUSY) for the reason given to the operator. PEER comes
 * from another task's registration and touches nothing here.
 */
static bool entry_self_refused;

static int entry_direct_ops_func(struct ftrace_ops *op, enum ftrace_ops_cmd cmd)
{
	if (cmd != FTRACE_OPS_CMD_ENABLE_SHARE_IPMODIFY_SELF)
		return 0;
	entry_self_refused = true;
	return -EBUSY;
}

/* register_ftrace_direct() sets its flags (DIRECT | SAVE_REGS) and func */
static struct ftrace_ops entry_direct_ops = {
	.ops_func = entry_direct_ops_func,
};
/*
 * entry_attached: registered, or its unregister failed (then the fentry
 * site may still call the trampoline: entry_stuck, the module pinned).
 */
static bool entry_filter_set, entry_attached, entry_stuck;

/*
 * NMIs do not go through __ct_user_exit(). NMI_FLAG_FIRST puts us at the
 * head of the NMI_LOCAL list, which nmi_handle() walks first; the guard
 * turns the deferral off before a later NMI_FLAG_FIRST handler is added
 * (DEFERRAL.md "NMI").
 */
static int notrace __no_stack_protector defer_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (defer_catch_up(false))
		this_cpu_inc(tlbisol_stats.catchup_nmi);
	tlbisol_proto_nmi_seen();
	return NMI_DONE;
}

NOKPROBE_SYMBOL(defer_nmi_handler);

nmi_handler_t tlbisol_defer_nmi_fn(void)
{
	return defer_nmi_handler;
}

/* IPI callback for CPUs not skipped (and for the final flush on disable). */
void notrace __no_stack_protector tlbisol_defer_ipi(void *info)
{
	defer_catch_up(true);
}
NOKPROBE_SYMBOL(tlbisol_defer_ipi);

/* ---- sender ---- */

/* A CPU of the deferral mask other than the sender's */
static bool defer_candidate(int cpu)
{
	return cpumask_test_cpu(cpu, &tlbisol_defer_mask) && cpu != smp_processor_id();
}

/*
 * May @cpu skip this IPI and catch up at its next kernel entry? Only in
 * USER state with RCU not watching, no hardware breakpoint armed, the
 * deferral still on, and in the mask. Called after the smp_mb() of
 * tlbisol_defer_send().
 */
static bool defer_may_skip(int cpu, void *info)
{
	int state;

	if (!defer_candidate(cpu))
		return false;
	/*
	 * defer_on is read again: the guard clears it, then flushes every
	 * deferral CPU; a sender that still sees it set stored its pending
	 * flags before, so that flush consumes them (DEFERRAL.md "Foreign
	 * code").
	 */
	if (!READ_ONCE(tlbisol_defer_on))
		return false;
	state = tlbisol_ct_state(cpu);
	if (!tlbisol_ct_user_eqs(state))
		return false;	/* kernel, idle, guest, or RCU watching */
	/*
	 * A hardware breakpoint armed on the CPU could fire (#DB, perf, BPF)
	 * in the entry code before the catch-up. cpu_dr7 is written by the
	 * CPU itself, in the kernel, before its EQS entry's full barrier; our
	 * read of the state word came first (DEFERRAL.md "#DB").
	 */
	smp_rmb();
	if (per_cpu(cpu_dr7, cpu) & (DR_LOCAL_ENABLE_MASK | DR_GLOBAL_ENABLE_MASK))
		return false;
	tlbisol_proto_skip(cpu, info, state);
	return true;
}

/* on_each_cpu_cond_mask() condition of the kernel-flush sender */
static bool defer_cond(int cpu, void *info)
{
	if (defer_may_skip(cpu, info)) {
		atomic64_inc(&per_cpu(tlbisol_stats, cpu).avoided_kflush);
		return false;
	}
	/* told apart from the kernel's own kernel-flush IPIs (not deferrable) */
	if (defer_candidate(cpu))
		atomic64_inc(&per_cpu(tlbisol_stats, cpu).notdeferred_kflush);
	return true;
}

/* on_each_cpu_cond_mask() condition of the text-patching sync sender */
static bool defer_cond_tsync(int cpu, void *info)
{
	if (defer_may_skip(cpu, info)) {
		atomic64_inc(&per_cpu(tlbisol_stats, cpu).avoided_text_sync);
		return false;
	}
	return true;
}

/*
 * The sender (DEFERRAL.md "Protocol"): with the deferral on, mark every
 * other CPU of the mask pending, one full barrier, then IPI @func on the
 * CPUs @cond does not skip; off, IPI every online CPU. The caller's
 * changes (PTE clears, text writes) come before this call. Preemption is
 * disabled across: an RCU-sched reader, tlbisol_defer_disable() waits for
 * senders in flight.
 */
void tlbisol_defer_send(smp_cond_func_t cond, smp_call_func_t func)
{
	int cpu, this;
	void *proto = NULL;
	bool defer;

	preempt_disable();
	defer = READ_ONCE(tlbisol_defer_on);
	if (defer) {
		proto = tlbisol_proto_request();	/* after the caller's changes */
		this = smp_processor_id();
		for_each_cpu_and(cpu, &tlbisol_defer_mask, cpu_online_mask)
			if (cpu != this)
				WRITE_ONCE(per_cpu(tlbisol_defer_cpu, cpu).pending, 1);
		/*
		 * Orders the caller's changes and our pending stores before
		 * the state reads in defer_may_skip(); pairs with the fully
		 * ordered atomic of the CPU's EQS exit.
		 */
		smp_mb();
	}
	on_each_cpu_cond_mask(defer ? cond : NULL, func, proto, true, cpu_online_mask);
	preempt_enable();
}

/* text_poke_bp_batch()'s syncs (tlbisol_tsync.c) */
void tlbisol_defer_send_tsync(smp_call_func_t func)
{
	tlbisol_defer_send(defer_cond_tsync, func);
}

/* Replacement for flush_tlb_kernel_range(start, end) when deferrable. */
static void tlbisol_flush_kernel_range(unsigned long start, unsigned long end)
{
	/* A full flush covers [start, end); the range is not needed. */
	tlbisol_defer_send(defer_cond, tlbisol_defer_ipi);
}

/*
 * Is this flush_tlb_kernel_range() call deferrable? parent_ip is its
 * caller; the callers above it are found by unwinding (ORC unwinds through
 * ftrace trampolines). Deferred (DEFERRAL.md "What is deferred"):
 *   __purge_vmap_area_lazy <- drain_vmap_area_work | reclaim_and_purge_vmap_areas
 *   __purge_vmap_area_lazy <- _vm_unmap_aliases <- vfree (vm_reset_perms)
 *   _vm_unmap_aliases <- vfree (vm_reset_perms)
 * Anything else, or a stack that does not unwind that far: not deferred.
 */
static bool defer_deferrable(unsigned long parent_ip)
{
	unsigned long e[16];
	unsigned int i, n;
	bool from_purge = tlbisol_in_ranges(&purge, 1, parent_ip);

	if (!from_purge && !(reset_perms_on && tlbisol_in_ranges(&aliases, 1, parent_ip)))
		return false;
	n = stack_trace_save(e, ARRAY_SIZE(e), 0);
	/* our handler's and ftrace's frames first, then parent_ip's */
	for (i = 0; i < n && e[i] != parent_ip; i++)
		;
	if (i + 1 >= n)
		return false;
	if (from_purge) {
		if (tlbisol_in_ranges(purge_callers, ARRAY_SIZE(purge_callers), e[i + 1]))
			return true;
		if (!reset_perms_on || !tlbisol_in_ranges(&aliases, 1, e[i + 1]))
			return false;
		i++;
		if (i + 1 >= n)
			return false;
	}
	return tlbisol_in_ranges(reset_perms_callers, ARRAY_SIZE(reset_perms_callers), e[i + 1]);
}

/*
 * The redirect, on the sender (the caller of flush_tlb_kernel_range(): a
 * kworker of the lazy purge, or a task in vfree(), process context).
 * What else runs there: other ftrace users of flush_tlb_kernel_range()
 * (tracers, kprobe-on-ftrace, BPF fentry) are called from the same list
 * and only observe; another IPMODIFY user (livepatch, BPF fmod_ret) is
 * refused by ftrace while we hold the function, so the IP we set is the
 * only change of course; a kprobe in the original's body does not run
 * once we redirect, as the original does not. An NMI here cannot flush
 * (flush_tlb_kernel_range() is not NMI-safe). PREEMPT_RT: no lock is
 * taken; stack_trace_save() unwinds this task's own stack (ORC, lock-free)
 * and may be preempted like the caller. The skipped CPUs' side is the
 * catch-up (DEFERRAL.md "What runs on a skipped CPU before the catch-up").
 */
static void notrace defer_kflush_handler(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *ops,
					 struct ftrace_regs *fregs)
{
	if (!READ_ONCE(tlbisol_defer_on) || !defer_deferrable(parent_ip))
		return;
	ftrace_regs_set_instruction_pointer(fregs,
		(unsigned long)tlbisol_flush_kernel_range);
}

static struct tlbisol_range entry_fn = { ENTRY_SYM };
static struct tlbisol_hook kflush_hook = TLBISOL_HOOK(KFLUSH_SYM, defer_kflush_handler);

/*
 * The vm_reset_perms() rule's ranges (optional: what is missing or not
 * confirmed unique matches nothing). Resolved before the hooks attach,
 * never while they are (tlbisol_defer_check()).
 */
static void defer_resolve_reset_perms(void)
{
	unsigned int i;

	reset_perms_on = !tlbisol_sym_range(aliases.name, &aliases.start, &aliases.end);
	for (i = 0; i < ARRAY_SIZE(reset_perms_callers); i++) {
		struct tlbisol_range *r = &reset_perms_callers[i];

		if (tlbisol_sym_range(r->name, &r->start, &r->end)) {
			r->start = r->end = 0;
			if (i == 0)
				reset_perms_on = false;	/* vfree itself */
		}
	}
	if (!reset_perms_on)
		pr_info_once("freed module memory: %s or vfree not resolved, its flushes are not deferred\n",
			aliases.name);
}

/* ---- enable / disable ---- */

static char why[128];		/* a reason; ctl lock held */

/* Resolves @name; on failure *reason is "<name><role> <why>". */
static int sym_or_reason(const char *name, const char *role, unsigned long *start,
			 unsigned long *end, const char **reason)
{
	int r = tlbisol_sym_range(name, start, end);

	if (r) {
		snprintf(why, sizeof(why), "%s%s %s", name, role, tlbisol_sym_why(r));
		*reason = why;
	}
	return r;
}

/* DEFERRAL.md "Preconditions". Caller holds the ctl lock. */
int tlbisol_defer_check(const struct cpumask *mask, const char **reason)
{
	unsigned long native_flush, end;
	unsigned int i;
	int cpu, r;

	if (IS_ENABLED(CONFIG_KASAN_VMALLOC)) {
		*reason = "CONFIG_KASAN_VMALLOC: the purge frees shadow page tables";
		return -EOPNOTSUPP;
	}
	/*
	 * Between the EQS exit and vtime_user_exit(), ct_kernel_enter()
	 * (kernel/context_tracking.c, 6.12) runs trace_rcu_watching(), a
	 * tracepoint (BPF) with RCU_TRACE, and instrument_atomic_write(),
	 * out-of-line calls with KASAN, KCSAN or KMSAN: code before the
	 * catch-up (DEFERRAL.md "Preconditions").
	 */
	if (IS_ENABLED(CONFIG_RCU_TRACE)) {
		*reason = "CONFIG_RCU_TRACE: a tracepoint runs on kernel entry before the catch-up";
		return -EOPNOTSUPP;
	}
	if (IS_ENABLED(CONFIG_KASAN) || IS_ENABLED(CONFIG_KCSAN) || IS_ENABLED(CONFIG_KMSAN)) {
		*reason = "CONFIG_KASAN/KCSAN/KMSAN: instrumentation runs on entry before the catch-up";
		return -EOPNOTSUPP;
	}
	if (!IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)) {
		*reason = "no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS (the entry catch-up needs it)";
		return -EOPNOTSUPP;
	}
	if (!boot_cpu_has(X86_FEATURE_INVPCID) && !boot_cpu_has(X86_FEATURE_PGE)) {
		*reason = "the CPU has neither INVPCID nor PGE (no inline full TLB flush)";
		return -EOPNOTSUPP;
	}
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
	if (sym_or_reason("native_flush_tlb_global", "", &native_flush, &end, reason))
		return -EOPNOTSUPP;
	if ((unsigned long)pv_ops.mmu.flush_tlb_kernel != native_flush) {
		*reason = "the kernel TLB flush is paravirtualised (not native_flush_tlb_global)";
		return -EOPNOTSUPP;
	}
	if (sym_or_reason(KFLUSH_SYM, " (the redirected flush)", &native_flush, &end, reason))
		return -EOPNOTSUPP;
	/*
	 * While the hooks are attached, the redirect (purge, purge_callers),
	 * the direct call's filter (entry_fn) and the armed guard
	 * (tlbisol_guard_check()'s watch[], batch[], entry site, kprobe
	 * table) read what the rest resolves, without a lock. The enable that
	 * attached them resolved all of it, and tlbisol_sym.c's cache keeps
	 * every answer that enable accepted (a name confirmed unique, a
	 * missing optional one), so resolving again could only write the same
	 * values: it is not done, and a SET with a new mask while the deferral
	 * is on, or a GET_INFO between a guard trip and its work item, no
	 * longer races the lockless readers with equal stores (review 3,
	 * finding 6). The checks above, which read only the kernel's present
	 * state, still run every time.
	 */
	if (hooks_on)
		return 0;
	if (sym_or_reason(entry_fn.name, " (the entry catch-up)", &entry_fn.start, &entry_fn.end, reason))
		return -EOPNOTSUPP;
	r = tlbisol_tsync_check(&entry_fn, reason);
	if (r)
		return r;
	r = tlbisol_sym_range(purge.name, &purge.start, &purge.end);
	for (i = 0; !r && i < ARRAY_SIZE(purge_callers); i++)
		r = tlbisol_sym_range(purge_callers[i].name, &purge_callers[i].start,
				      &purge_callers[i].end);
	if (r) {
		snprintf(why, sizeof(why), "%s (the lazy purge) %s",
			 i ? purge_callers[i - 1].name : purge.name, tlbisol_sym_why(r));
		*reason = why;
		return -EOPNOTSUPP;
	}
	defer_resolve_reset_perms();
	return tlbisol_guard_check(reason);
}

/* The direct call on vtime_user_exit(). Caller holds the ctl lock. */
static int defer_entry_attach(const char **reason)
{
	int r;

	if (entry_stuck) {
		*reason = "ftrace failed to remove our direct call on " ENTRY_SYM " earlier: reboot";
		return -EIO;
	}
	/*
	 * kernel.ftrace_enabled=0 would stop the direct call too (ftrace_
	 * shutdown_sysctl() NOPs every site); it is refused only while a
	 * PERMANENT ops is registered (ftrace_enable_sysctl(),
	 * is_permanent_ops_registered()), and register_ftrace_direct()
	 * overwrites our flags (MULTI_FLAGS, no PERMANENT). The guard ops is
	 * PERMANENT and attached first (defer_hooks_attach()); a reorder that
	 * lost that would lose the protection silently (review 4 m6).
	 */
	if (WARN_ON_ONCE(!tlbisol_guard_ops.registered)) {
		*reason = "internal: the guard's PERMANENT ops is not registered";
		return -EINVAL;
	}
	if (!entry_filter_set) {
		/* kept until module exit: ftrace_free_filter() leaves it dangling (tlbisol_hook.c) */
		r = ftrace_set_filter_ip(&entry_direct_ops, entry_fn.start, 0, 0);
		if (r) {
			*reason = ENTRY_SYM " cannot be hooked (not traceable)";
			return r;
		}
		entry_filter_set = true;
	}
	/*
	 * A refusal leaves nothing behind (kernel/trace/ftrace.c, 6.12): a
	 * second direct call is found before anything changes
	 * (ftrace_find_rec_direct() -> -EBUSY); a SELF refusal rolls
	 * ftrace_startup() back and register_ftrace_direct() runs
	 * reset_direct() (func, trampoline and the direct_functions entry
	 * gone, ENABLED clear), so the next enable registers afresh; the
	 * filter stays set (entry_filter_set).
	 */
	entry_self_refused = false;
	r = register_ftrace_direct(&entry_direct_ops, (unsigned long)tlbisol_entry_tramp);
	if (r) {
		/* at most 79 characters: the extack (NETLINK_MAX_FMTMSG_LEN) */
		*reason = entry_self_refused ?
			"an IPMODIFY user (livepatch, kprobe post handler) is on " ENTRY_SYM :
			r == -EBUSY ?
			"another direct call (a BPF fentry/fexit trampoline) is on " ENTRY_SYM :
			ENTRY_SYM " cannot be hooked by a direct call";
		/*
		 * ftrace_startup() can fail after it patched the site: with
		 * ftrace_disabled set meanwhile (ftrace_kill() after another
		 * user's internal error) it returns -ENODEV and only unlinks
		 * the ops (kernel/trace/ftrace.c, "instead of totally rolling
		 * it back"). If the site still calls us, treat it as a failed
		 * removal: keep everything and pin the module (review 6 m1).
		 */
		if (tlbisol_entry_site_ours()) {
			entry_attached = true;
			entry_stuck = true;
			tlbisol_pin_module(ENTRY_SYM " (direct call, failed attach)", r);
		}
		return r;
	}
	entry_attached = true;
	return 0;
}

/*
 * unregister_ftrace_direct() waits for RCU-tasks (ftrace_shutdown()):
 * no task is left inside the trampoline or defer_entry_slow().
 *
 * If it fails, the site may still call us (review 4 m3). The realistic
 * case is ftrace_kill() after an internal ftrace error (FTRACE_WARN_ON,
 * kernel/trace/ftrace.c): ftrace_shutdown() returns -ENODEV before
 * touching the site, unregister_ftrace_direct() still runs reset_direct(),
 * and vtime_user_exit()'s fentry keeps "call tlbisol_entry_tramp". Then
 * the module text, entry_direct_ops and its filter hash (still on
 * ftrace_ops_list) must outlive every later kernel entry: the module takes
 * a reference on itself (tlbisol_pin_module(): __module_get(), rmmod
 * refuses), entry_attached stays set so tlbisol_defer_release() does not
 * free the filter, and no enable is accepted any more. With defer_on off
 * and nothing pending the trampoline takes its fast path: harmless while
 * the module stays. At module exit (the refcount was already checked) the
 * text goes all the same (as after an init that fails once enabled):
 * logged, only a reboot is safe then.
 */
static void defer_entry_detach(void)
{
	int r;

	if (!entry_attached || entry_stuck)
		return;
	r = unregister_ftrace_direct(&entry_direct_ops, (unsigned long)tlbisol_entry_tramp, false);
	if (!r) {
		entry_attached = false;
		return;
	}
	entry_stuck = true;
	tlbisol_pin_module(ENTRY_SYM " (direct call)", r);
}

static int defer_hooks_attach(const char **reason)
{
	int r;

	/* the guard first: nothing foreign may slip in after our checks */
	r = tlbisol_guard_attach(reason);
	if (r)
		return r;
	/*
	 * A __register_nmi_handler() that passed its (now hooked) entry
	 * before the guard was armed, or whose trip an earlier enable saw
	 * and tlbisol_guard_attach() forgot, may still be on its way to
	 * list_add under desc->lock, preempted for any time on PREEMPT_RT:
	 * its NMI_FLAG_FIRST handler would land ahead of ours with no trip
	 * (review 3, finding 1). Such a task has not switched voluntarily
	 * since (nothing there sleeps), so an RCU-tasks grace period waits
	 * until it has linked its handler; ours, registered after, goes
	 * first. Registrations that start later hit the armed guard.
	 */
	synchronize_rcu_tasks();
	r = register_nmi_handler(NMI_LOCAL, defer_nmi_handler, NMI_FLAG_FIRST,
				 "tlbisol");
	if (r) {
		*reason = "cannot register the NMI catch-up handler";
		goto out_guard;
	}
	r = defer_entry_attach(reason);
	if (r)
		goto out_unregister_nmi;
	r = tlbisol_hook_attach(&tlbisol_redirect_ops, &kflush_hook);
	if (r) {
		*reason = r == -EBUSY ?
			KFLUSH_SYM " is already modified by livepatch or another tracer" :
			KFLUSH_SYM " cannot be hooked";
		goto out_detach_entry;
	}
	r = tlbisol_tsync_attach(reason);
	if (r)
		goto out_detach_kflush;
	hooks_on = true;
	return 0;

out_detach_kflush:
	tlbisol_hook_detach(&tlbisol_redirect_ops, &kflush_hook);
out_detach_entry:
	defer_entry_detach();
out_unregister_nmi:
	unregister_nmi_handler(NMI_LOCAL, "tlbisol");
out_guard:
	tlbisol_guard_detach();
	return r;
}

static void defer_hooks_detach(void)
{
	if (!hooks_on)
		return;
	tlbisol_guard_disarm();		/* our own patching is not foreign */
	tlbisol_tsync_detach();
	tlbisol_hook_detach(&tlbisol_redirect_ops, &kflush_hook);
	defer_entry_detach();
	unregister_nmi_handler(NMI_LOCAL, "tlbisol");
	tlbisol_guard_detach();
	hooks_on = false;
}

/* Caller holds the ctl lock and ran tlbisol_defer_check(mask). */
int tlbisol_defer_enable(const struct cpumask *mask, const char **reason)
{
	int r;

	/*
	 * hooks_on, not defer_on: after a guard trip defer_on is already off
	 * while the hooks (and our NMI handler) stay until its work item ran.
	 */
	if (hooks_on)
		tlbisol_defer_disable();
	flush_invpcid = boot_cpu_has(X86_FEATURE_INVPCID);
	r = defer_hooks_attach(reason);
	if (r)
		return r;
	/* nothing foreign on the entry paths now, and the guard watches */
	r = tlbisol_guard_verify(entry_fn.start, reason);
	if (r)
		goto out_detach;
	cpumask_copy(&tlbisol_defer_mask, mask);
	tlbisol_proto_reset();
	/* hooks are live on every CPU (ftrace patched text with sync IPIs) */
	smp_mb();
	/* under the guard's lock: a trip either came first, or flushes */
	if (!tlbisol_guard_start_deferral()) {
		/* defer_on was never set: no CPU skipped, nothing to flush */
		cpumask_clear(&tlbisol_defer_mask);
		r = tlbisol_guard_tripped(reason);
		goto out_detach;
	}
	return 0;

out_detach:
	defer_hooks_detach();
	return r;
}

/* Caller holds the ctl lock. Flushes every deferral CPU before returning. */
void tlbisol_defer_disable(void)
{
	if (!hooks_on)
		return;
	WRITE_ONCE(tlbisol_defer_on, false);
	/* senders decide inside preempt_disable(): wait for those in flight */
	synchronize_rcu();
	/* nobody defers any more; flush whatever is pending, wait for it */
	on_each_cpu_mask(&tlbisol_defer_mask, tlbisol_defer_ipi, NULL, true);
	defer_hooks_detach();
	cpumask_clear(&tlbisol_defer_mask);
}

/* Module exit, after the last disable. */
void tlbisol_defer_release(void)
{
	tlbisol_hook_release(&tlbisol_guard_ops);
	/* not while the site may still call us (defer_entry_detach()) */
	if (entry_filter_set && !entry_attached)
		ftrace_free_filter(&entry_direct_ops);
}

#ifdef TLBISOL_TEST
/* Test-only negative control; taints the kernel (TAINT_TEST). */
void tlbisol_test_skip_catchup(int where)
{
	if (where)
		add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
	WRITE_ONCE(test_skip_catchup, where);
	pr_warn("test: catch-up %s\n", where == TLBISOL_TEST_SKIP_ENTRY ? "at kernel entry SKIPPED (unsafe)" :
		where == TLBISOL_TEST_SKIP_NMI ? "in NMI SKIPPED (unsafe)" : "restored");
}
EXPORT_SYMBOL_GPL(tlbisol_test_skip_catchup);
#endif
