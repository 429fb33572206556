// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_guard.c — no foreign code before the deferral's catch-up.
 *
 * Purpose: a CPU that skipped flushes may hold stale TLB entries for
 * recycled vmalloc addresses until its catch-up flush. Code that runs
 * before the catch-up could use them: another ftrace user of
 * vtime_user_exit() (ftrace runs the newest ops first: function tracer,
 * kprobe-on-ftrace, BPF trampoline, livepatch, another module), or an
 * NMI_LOCAL handler registered with NMI_FLAG_FIRST after ours. This file
 * makes sure none can be there while CPUs are skipped (DEFERRAL.md
 * "Foreign code before the catch-up"):
 *
 *  - at enable, after our hooks are attached: the ftrace call site of
 *    vtime_user_exit() must call our entry ops' own trampoline, i.e. no
 *    other ftrace user is attached (tlbisol_guard_verify());
 *  - while the deferral is on: every change of that call site goes through
 *    text_poke_queue() (arch/x86/kernel/ftrace.c, 6.12:
 *    ftrace_replace_code() and ftrace_modify_code_direct()), and every new
 *    NMI handler through __register_nmi_handler(). Our entry ops traces
 *    both; at their entry, before the site changes or the handler is
 *    linked, a foreign change turns the deferral off (senders stop
 *    skipping) and IPI-flushes every deferral CPU, waiting for it; then a
 *    work item completes the disable and the reason is reported.
 *
 * Usage (tlbisol_defer.c, ctl lock held): tlbisol_guard_check() in the
 * preconditions, tlbisol_guard_attach() before the other hooks,
 * tlbisol_guard_verify() after them, tlbisol_guard_tripped() after
 * defer_on is set; tlbisol_guard_disarm() before our own detach,
 * tlbisol_guard_detach() last.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <asm/ibt.h>
#include <asm/nmi.h>
#include <asm/nops.h>
#include <asm/text-patching.h>
#include <linux/unaligned.h>
#include "tlbisol.h"

#define TPQ_SYM	"text_poke_queue"		/* arch/x86/kernel/alternative.c */
#define RNH_SYM	"__register_nmi_handler"	/* arch/x86/kernel/nmi.c */

unsigned long tlbisol_entry_site;	/* ftrace call site in vtime_user_exit() */
static struct tlbisol_hook tpq_hook = TLBISOL_HOOK(TPQ_SYM, NULL);
static struct tlbisol_hook rnh_hook = TLBISOL_HOOK(RNH_SYM, NULL);
static bool guard_armed;
static const char *guard_reason;	/* first trip since the last enable */
#ifdef TLBISOL_TEST
static bool test_guard_off;		/* negative control of the protocol check */
#endif

static void guard_work_fn(struct work_struct *w);
static DECLARE_WORK(guard_work, guard_work_fn);

static void guard_work_fn(struct work_struct *w)
{
	mutex_lock(&tlbisol_ctl_lock);
	if (!tlbisol_defer_enabled())
		tlbisol_defer_disable();	/* no-op if already done */
	mutex_unlock(&tlbisol_ctl_lock);
}

/*
 * Foreign code is about to be reachable before the catch-up. Stop skipping
 * and flush every deferral CPU now, before returning to the caller that is
 * about to link it in. Pairs with tlbisol_defer_enable(): either we see
 * defer_on, or it sees guard_reason.
 */
static void guard_trip(const char *why)
{
	cmpxchg(&guard_reason, NULL, why);
	smp_mb();
#ifdef TLBISOL_TEST
	if (READ_ONCE(test_guard_off)) {
		pr_warn("test: guard off, not acting on: %s\n", why);
		return;
	}
#endif
	if (!READ_ONCE(tlbisol_defer_on))
		return;
	WRITE_ONCE(tlbisol_defer_on, false);
	/*
	 * Senders re-read defer_on after their pending stores and smp_mb()
	 * (defer_cond()); one that still saw it set left its pending flag
	 * visible to the flush below.
	 */
	smp_mb();
	/*
	 * Every guarded function runs with IRQs on in 6.12 (text_mutex,
	 * nmi_reg_lock taken with irqsave inside). Should one not, we cannot
	 * wait for the flush: the foreign code is linked while skipped CPUs
	 * may still hold stale entries (DEFERRAL.md "Not guaranteed"); the
	 * WARN makes the test bed fail the run.
	 */
	if (!WARN_ONCE(irqs_disabled(), "tlbisol: guard tripped with IRQs off: cannot wait for the flush"))
		on_each_cpu_mask(&tlbisol_defer_mask, tlbisol_defer_ipi, NULL, true);
	pr_warn("deferral turned off: %s\n", why);
	schedule_work(&guard_work);
}

static bool in_hook(const struct tlbisol_hook *h, unsigned long ip)
{
	return ip >= h->start && ip < h->end;
}

/* Does @insn (5 bytes) call our entry ops' trampoline from @site? */
static bool calls_our_trampoline(unsigned long site, const u8 *insn)
{
	unsigned long tramp = READ_ONCE(tlbisol_entry_ops.ops.trampoline);

	return tramp && insn[0] == CALL_INSN_OPCODE &&
	       site + CALL_INSN_SIZE + (long)get_unaligned((const s32 *)(insn + 1)) == tramp;
}

/* Entry ops callback for the guarded functions (not the catch-up). */
void notrace tlbisol_guard_func(unsigned long ip, struct ftrace_regs *fregs)
{
	if (!READ_ONCE(guard_armed))
		return;
	if (in_hook(&tpq_hook, ip)) {
		/* text_poke_queue(addr, opcode, len, emulate) */
		unsigned long addr = ftrace_regs_get_argument(fregs, 0);
		const u8 *insn = (const u8 *)ftrace_regs_get_argument(fregs, 1);

		if (addr != tlbisol_entry_site || calls_our_trampoline(addr, insn))
			return;
		guard_trip("another ftrace user is attaching to vtime_user_exit");
	} else if (in_hook(&rnh_hook, ip)) {
		/* __register_nmi_handler(type, action) */
		unsigned int type = ftrace_regs_get_argument(fregs, 0);
		const struct nmiaction *a = (const void *)ftrace_regs_get_argument(fregs, 1);

		if (type != NMI_LOCAL || !(a->flags & NMI_FLAG_FIRST) ||
		    a->handler == tlbisol_defer_nmi_fn())
			return;
		guard_trip("a late NMI_FLAG_FIRST handler would run before the NMI catch-up");
	}
}

/* Preconditions: the guarded functions and the entry site. */
int tlbisol_guard_check(const char **reason)
{
	unsigned long start, end;
	u32 insn;

	if (tlbisol_sym_range(TPQ_SYM, &start, &end) ||
	    tlbisol_sym_range(RNH_SYM, &start, &end)) {
		*reason = TPQ_SYM "/" RNH_SYM " missing or not unique (the guard)";
		return -EOPNOTSUPP;
	}
	if (tlbisol_sym_range("vtime_user_exit", &start, &end)) {
		*reason = "vtime_user_exit not found (or not unique)";
		return -EOPNOTSUPP;
	}
	/* the fentry call is the first instruction, after ENDBR64 with IBT */
	if (copy_from_kernel_nofault(&insn, (void *)start, sizeof(insn))) {
		*reason = "cannot read vtime_user_exit";
		return -EFAULT;
	}
	WRITE_ONCE(tlbisol_entry_site, is_endbr(insn) ? start + ENDBR_INSN_SIZE : start);
	return 0;
}

/* Attach the guard hooks to the entry ops and arm them. */
int tlbisol_guard_attach(const char **reason)
{
	int r;

	WRITE_ONCE(guard_reason, NULL);
	r = tlbisol_hook_attach(&tlbisol_entry_ops, &tpq_hook);
	if (!r)
		r = tlbisol_hook_attach(&tlbisol_entry_ops, &rnh_hook);
	if (r) {
		*reason = r == -EBUSY ?
			"ftrace is disabled (kernel.ftrace_enabled=0): the catch-up needs it" :
			"cannot trace " TPQ_SYM "/" RNH_SYM " (the guard)";
		tlbisol_guard_detach();
		return r;
	}
	WRITE_ONCE(guard_armed, true);
	smp_mb();
	return 0;
}

/*
 * After every hook is attached: the entry site must call our trampoline
 * (we are its only ftrace user) and nothing may have tripped the guard.
 */
int tlbisol_guard_verify(unsigned long entry_start, const char **reason)
{
	u8 insn[CALL_INSN_SIZE];

	if (copy_from_kernel_nofault(insn, (void *)tlbisol_entry_site, sizeof(insn)) ||
	    !calls_our_trampoline(tlbisol_entry_site, insn)) {
		*reason = "another ftrace user on vtime_user_exit would run before the catch-up";
		return -EBUSY;
	}
	return tlbisol_guard_tripped(reason);
}

int tlbisol_guard_tripped(const char **reason)
{
	const char *why = READ_ONCE(guard_reason);

	if (!why)
		return 0;
	*reason = why;
	return -EBUSY;
}

/* For GET_INFO while the deferral is off: would enabling be refused now? */
const char *tlbisol_guard_reason_now(void)
{
	static const u8 nop5[CALL_INSN_SIZE] = { BYTES_NOP5 };
	u8 insn[CALL_INSN_SIZE];

	if (!tlbisol_entry_site ||
	    copy_from_kernel_nofault(insn, (void *)tlbisol_entry_site, sizeof(insn)))
		return NULL;
	if (memcmp(insn, nop5, CALL_INSN_SIZE) &&
	    !calls_our_trampoline(tlbisol_entry_site, insn))
		return "another ftrace user on vtime_user_exit would run before the catch-up";
	return NULL;
}

/* The reason the guard turned the deferral off, or NULL. */
const char *tlbisol_guard_last_trip(void)
{
	return READ_ONCE(guard_reason);
}

void tlbisol_guard_disarm(void)
{
	WRITE_ONCE(guard_armed, false);
}

void tlbisol_guard_detach(void)
{
	WRITE_ONCE(guard_armed, false);
	tlbisol_hook_detach(&tlbisol_entry_ops, &rnh_hook);
	tlbisol_hook_detach(&tlbisol_entry_ops, &tpq_hook);
}

/* Module exit: no trip can queue the work any more (hooks detached). */
void tlbisol_guard_exit(void)
{
	cancel_work_sync(&guard_work);
}

#ifdef TLBISOL_TEST
/* Test-only: the guard notes but does not act (taints). */
void tlbisol_test_guard_off(bool off)
{
	if (off)
		add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
	WRITE_ONCE(test_guard_off, off);
	pr_warn("test: guard %s\n", off ? "OFF (unsafe)" : "on");
}
EXPORT_SYMBOL_GPL(tlbisol_test_guard_off);
#endif
