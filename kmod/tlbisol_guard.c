// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_guard.c — no foreign code before the deferral's catch-up.
 *
 * Purpose: a CPU that skipped flushes may hold stale TLB entries for
 * recycled vmalloc addresses until its catch-up flush. Code that runs
 * before the catch-up could use them (module text, BPF images and ftrace
 * trampolines all live in vmalloc space). This file makes sure none is
 * there while CPUs are skipped (DEFERRAL.md "Foreign code before the
 * catch-up"). Two windows:
 *
 *  - kernel entry: another ftrace user of vtime_user_exit() (our catch-up
 *    is a direct call; with another user there ftrace calls
 *    ftrace_regs_caller, which runs every ops — function tracer,
 *    kprobe-on-ftrace, livepatch, another module — and only then RETs
 *    into the direct trampoline, arch/x86/kernel/ftrace_64.S; a second
 *    direct call, i.e. a BPF trampoline, is refused by ftrace itself,
 *    -EBUSY, and so is enabling the deferral while one is there);
 *  - NMI (arch/x86/kernel/nmi.c, 6.12): before our NMI_FLAG_FIRST handler
 *    exc_nmi() and default_do_nmi() run noinstr code (no ftrace, no
 *    kprobes), then nmi_handle() (or its .part.0 clone): its fentry site,
 *    rcu_read_lock() = the out-of-line __rcu_read_lock() with PREEMPT_RCU
 *    (fentry, and kprobe-able), sched_clock() (notrace, kprobe-able); with
 *    the osnoise or hwlat tracer running, ftrace_nmi_enter() calls
 *    trace_osnoise_callback()/trace_hwlat_callback() and
 *    trace_clock_local() (notrace, kprobe-able); and any NMI_LOCAL handler
 *    registered with NMI_FLAG_FIRST after ours. Hardware breakpoints are
 *    off in NMIs (local_db_save());
 *  - both: the return thunks and untraining sequences the entry code and
 *    our trampoline run (kprobe-able; see the watch table).
 *
 * How:
 *  - at enable, after our hooks are attached: the fentry site of
 *    vtime_user_exit() must call our direct trampoline (tlbisol_entry_tramp:
 *    no other ftrace user there, or ftrace would call ftrace_regs_caller,
 *    which runs the others first), the fentry
 *    sites of the NMI path must be NOPs, and no enabled kprobe may sit in
 *    the NMI path's functions or the return thunks (kprobe_table is read)
 *    (tlbisol_guard_verify());
 *  - while the deferral is on: foreign code reaches those places only by
 *    patching text: ftrace through text_poke_queue() (arch/x86/kernel/
 *    ftrace.c, 6.12: ftrace_replace_code(), ftrace_modify_code_direct()),
 *    a kprobe by text_poke() (arch_arm_kprobe(); optimising comes later,
 *    through text_poke_bp()), anything else through text_poke_bp(); a new
 *    NMI handler through __register_nmi_handler(). Our guard ops traces
 *    all four; at their entry, before the text changes or the handler is
 *    linked, a foreign change turns the deferral off (senders stop
 *    skipping) and IPI-flushes every deferral CPU, waiting for it; then a
 *    work item completes the disable and the reason is reported.
 *    text_poke() calls made by text_poke_bp_batch() (the int3 writes of a
 *    batch already seen at text_poke_queue() or text_poke_bp()) are not
 *    judged again, so the kernel's own tracepoint switches inside
 *    nmi_handle() (after our handler) do not trip the guard.
 *
 * Usage (tlbisol_defer.c, ctl lock held): tlbisol_guard_check() in the
 * preconditions, tlbisol_guard_attach() before the other hooks,
 * tlbisol_guard_verify() after them, tlbisol_guard_start_deferral() to set
 * defer_on; tlbisol_guard_disarm() before our own detach,
 * tlbisol_guard_detach() last.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/panic.h>
#include <linux/rculist.h>
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
#define TPB_SYM	"text_poke_bp"			/* arch/x86/kernel/alternative.c */
#define TP_SYM	"text_poke"			/* arch/x86/kernel/alternative.c */
#define RNH_SYM	"__register_nmi_handler"	/* arch/x86/kernel/nmi.c */

unsigned long tlbisol_entry_site;	/* ftrace call site in vtime_user_exit() */
static struct tlbisol_hook tpq_hook = TLBISOL_HOOK(TPQ_SYM, NULL);
static struct tlbisol_hook tpb_hook = TLBISOL_HOOK(TPB_SYM, NULL);
static struct tlbisol_hook tp_hook = TLBISOL_HOOK(TP_SYM, NULL);
static struct tlbisol_hook rnh_hook = TLBISOL_HOOK(RNH_SYM, NULL);

/* text_poke()'s callers inside a batch (alternative.c; gcc may inline) */
static struct tlbisol_range batch[] = {
	{ "text_poke_bp_batch" }, { TPB_SYM }, { TPQ_SYM }, { "text_poke_finish" },
};

/*
 * What an NMI runs before our handler (head comment). W_FENTRY: its fentry
 * site must stay a NOP; W_BODY: no kprobe anywhere in it. @needed: refuse
 * the deferral if the function cannot be found (else it is not built in).
 */
#define W_FENTRY 1
#define W_BODY	 2
#define WATCH(_sym, _what, _needed) { .sym = _sym, .what = _what, .needed = _needed, \
	.why_ftrace = "an ftrace user (tracer, BPF, livepatch) on " _sym " would run in NMIs before the catch-up", \
	.why_kprobe = "a kprobe in " _sym " would run in NMIs before the catch-up" }
#define THUNK(_sym) { .sym = _sym, .what = W_BODY, .needed = false, \
	.why_kprobe = "a kprobe in " _sym " would run before the catch-up" }
static struct guard_watch {
	const char *sym, *why_ftrace, *why_kprobe;
	unsigned int what;
	bool needed;
	bool present;			/* resolved at the last check */
	unsigned long start, end, site;
} watch[] = {
	WATCH("nmi_handle", W_FENTRY | W_BODY, true),
	WATCH("nmi_handle.part.0", W_FENTRY | W_BODY, false),
	WATCH("__rcu_read_lock", W_FENTRY | W_BODY, IS_ENABLED(CONFIG_PREEMPT_RCU)),
	WATCH("sched_clock", W_BODY, true),
	WATCH("trace_osnoise_callback", W_BODY, IS_ENABLED(CONFIG_OSNOISE_TRACER)),
	WATCH("trace_hwlat_callback", W_BODY, IS_ENABLED(CONFIG_HWLAT_TRACER)),
	WATCH("trace_clock_local", W_BODY,
	      IS_ENABLED(CONFIG_OSNOISE_TRACER) || IS_ENABLED(CONFIG_HWLAT_TRACER)),
	/*
	 * Return thunks and untraining sequences (arch/x86/lib/retpoline.S,
	 * 6.12): with a return-thunk mitigation (retbleed, SRSO, ITS,
	 * call-depth stuffing) every RET of the entry code (noinstr or not)
	 * and of our own trampoline is "jmp __x86_return_thunk", patched at
	 * boot to jump to the chosen thunk, and entry runs UNTRAIN_RET
	 * (entry_untrain_ret -> *_untrain_ret); all before the catch-up, at
	 * kernel entry and in NMIs. Kprobes accept them: only the
	 * __EXPORT_THUNK symbols (indirect thunks, entry_untrain_ret) are
	 * NOKPROBE, and .text..__x86.return_thunk lies outside the entry,
	 * noinstr and kprobes text (kernel/kprobes.c, the x86 blacklist);
	 * kmod-guard.sh §3d shows a module's kprobe accepted on each that
	 * exists (srso_alias_untrain_ret sits in the entry text: refused).
	 * W_BODY, not needed: each exists only with its CONFIG_MITIGATION_*.
	 * No false trips: the kernel patches them only at boot (alternatives)
	 * and they have no fentry site. A kprobe armed on one the CPU does
	 * not use (our TCG guests use none) trips all the same: which thunk
	 * runs depends on the machine, not on the probe.
	 */
	THUNK("__x86_return_thunk"),
	THUNK("call_depth_return_thunk"),
	THUNK("retbleed_return_thunk"),
	THUNK("retbleed_untrain_ret"),
	THUNK("srso_return_thunk"),
	THUNK("srso_safe_ret"),
	THUNK("srso_untrain_ret"),
	THUNK("srso_alias_return_thunk"),
	THUNK("srso_alias_safe_ret"),
	THUNK("its_return_thunk"),
};
static struct hlist_head *kp_table;	/* kernel/kprobes.c kprobe_table[] */
static unsigned int kp_table_n;
static bool guard_armed;
static const char *guard_reason;	/* first trip since the last enable */
#ifdef TLBISOL_TEST
static bool test_guard_off;		/* negative control of the protocol check */
#endif

static void guard_work_fn(struct work_struct *w);
static DECLARE_WORK(guard_work, guard_work_fn);

#ifdef TLBISOL_TEST
/* Test-only: the work item waits this long (kmod-guard.sh: finding 3). */
static unsigned int test_guard_work_delay_ms;
module_param(test_guard_work_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_guard_work_delay_ms, "Testing: the guard's disable work item sleeps this long first");
#endif

/*
 * Completes a trip's disable, unless a SET enabled the deferral again in
 * the meantime: tlbisol_defer_enable() tests hooks_on, not defer_on, so it
 * fully disabled (and re-registered everything) itself (review finding 3).
 */
static void guard_work_fn(struct work_struct *w)
{
#ifdef TLBISOL_TEST
	if (READ_ONCE(test_guard_work_delay_ms))
		msleep(READ_ONCE(test_guard_work_delay_ms));
#endif
	mutex_lock(&tlbisol_ctl_lock);
	if (!tlbisol_defer_enabled())
		tlbisol_defer_disable();	/* no-op if already done */
	mutex_unlock(&tlbisol_ctl_lock);
}

/*
 * "The guard trips" and "enable sets defer_on" are mutually exclusive, not
 * merely ordered (review 2, finding 2). With store-buffering barriers alone
 * one side only had to notice the other: a trip that still read defer_on
 * false returned without flushing, its caller linked the foreign code in,
 * enable then set defer_on, a sender skipped a CPU, and that CPU ran the
 * foreign code before its catch-up until enable's re-check turned the
 * deferral off again. Under this lock either the trip comes first
 * (guard_reason is set, enable does not set defer_on) or enable does (the
 * trip reads defer_on set and flushes every skipped CPU before its caller
 * changes the text). Raw: guard_trip() may run with IRQs off, and
 * PREEMPT_RT turns a spinlock_t into a sleeping lock. Held for a few
 * stores only; never taken in NMI (none of the guarded functions runs
 * there).
 */
static DEFINE_RAW_SPINLOCK(guard_lock);

/* Set defer_on unless the guard tripped since it was attached. */
bool tlbisol_guard_start_deferral(void)
{
	unsigned long flags;
	bool on;

	raw_spin_lock_irqsave(&guard_lock, flags);
	on = !READ_ONCE(guard_reason);
	if (on)
		WRITE_ONCE(tlbisol_defer_on, true);
	raw_spin_unlock_irqrestore(&guard_lock, flags);
	return on;
}

/*
 * The system is going down: panic() or reboot/halt/poweroff. Stopping the
 * other CPUs then falls back, when a CPU did not answer the reboot IPI
 * within a second, to registering an NMI_FLAG_FIRST handler with IRQs off
 * (native_stop_other_cpus() "smp_stop", arch/x86/kernel/smp.c, 6.12; the
 * kdump path, nmi_shootdown_cpus(), uses set_emergency_nmi_handler() and
 * never reaches the guard). Not suspend, not an oops elsewhere: an
 * IRQs-off trip there keeps its WARN.
 */
static bool going_down(void)
{
	return panic_in_progress() ||
	       (system_state >= SYSTEM_HALT && system_state <= SYSTEM_RESTART);
}

/*
 * Foreign code is about to be reachable before the catch-up. Stop skipping
 * and flush every deferral CPU now, before returning to the caller that is
 * about to link it in.
 */
static void guard_trip(const char *why)
{
	unsigned long flags;
	bool was_on;

	if (irqs_disabled() && going_down()) {
		/*
		 * Stopping CPUs. A CPU that needs the NMI fallback ignored the
		 * reboot IPI: it runs in the kernel with IRQs off, so it is
		 * not one a sender skips (skipped CPUs are in user mode, and
		 * take the IPI). We can neither wait for a flush with IRQs off
		 * nor take guard_lock (a CPU already stopped may hold it).
		 * Senders stop skipping; no WARN inside a panic.
		 */
		cmpxchg(&guard_reason, NULL, why);
		WRITE_ONCE(tlbisol_defer_on, false);
		return;
	}
	raw_spin_lock_irqsave(&guard_lock, flags);
	cmpxchg(&guard_reason, NULL, why);
#ifdef TLBISOL_TEST
	if (READ_ONCE(test_guard_off)) {
		raw_spin_unlock_irqrestore(&guard_lock, flags);
		pr_warn("test: guard off, not acting on: %s\n", why);
		return;
	}
#endif
	was_on = READ_ONCE(tlbisol_defer_on);
	WRITE_ONCE(tlbisol_defer_on, false);
	raw_spin_unlock_irqrestore(&guard_lock, flags);
	if (!was_on)
		return;		/* never set (enable will refuse) or already off */
	/*
	 * Senders re-read defer_on after their pending stores and smp_mb()
	 * (defer_cond()); one that still saw it set left its pending flag
	 * visible to the flush below.
	 */
	smp_mb();
	/*
	 * Outside a shutdown, every guarded function runs with IRQs on in
	 * 6.12 (text_mutex, nmi_reg_lock taken with irqsave inside). Should
	 * one not, we cannot wait for the flush: the foreign code is linked
	 * while skipped CPUs may still hold stale entries (DEFERRAL.md "Not
	 * guaranteed"); the WARN makes the test bed fail the run.
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

/* Does @insn (5 bytes) call our direct trampoline from @site? */
static bool calls_our_trampoline(unsigned long site, const u8 *insn)
{
	return insn[0] == CALL_INSN_OPCODE &&
	       site + CALL_INSN_SIZE + (long)get_unaligned((const s32 *)(insn + 1)) ==
	       (unsigned long)tlbisol_entry_tramp;
}

/*
 * Does the fentry site of vtime_user_exit() call our direct trampoline now
 * (the protocol check's foreign count in the test build; a failed
 * attach, defer_entry_attach())? Kernel text: always
 * mapped, read without a fault handler being needed; nofault all the same.
 */
bool notrace tlbisol_entry_site_ours(void)
{
	u8 insn[CALL_INSN_SIZE];

	return !copy_from_kernel_nofault(insn, (void *)tlbisol_entry_site, sizeof(insn)) &&
	       calls_our_trampoline(tlbisol_entry_site, insn);
}

static bool overlaps(unsigned long a, size_t alen, unsigned long b, size_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Does writing @len bytes at @addr put foreign code in the NMI path? */
static const char *watch_hit(unsigned long addr, size_t len, bool plain)
{
	const struct guard_watch *w;

	for (w = watch; w < watch + ARRAY_SIZE(watch); w++) {
		if (!w->present)
			continue;
		if ((w->what & W_FENTRY) && overlaps(addr, len, w->site, CALL_INSN_SIZE))
			return w->why_ftrace;
		if (plain && (w->what & W_BODY) && overlaps(addr, len, w->start, w->end - w->start))
			return w->why_kprobe;
	}
	return NULL;
}

/* text_poke_queue(), text_poke_bp(), text_poke(): (addr, opcode, len, ...) */
static void guard_text(unsigned long ip, unsigned long parent_ip, struct ftrace_regs *fregs)
{
	unsigned long addr = ftrace_regs_get_argument(fregs, 0);
	const u8 *insn = (const u8 *)ftrace_regs_get_argument(fregs, 1);
	size_t len = ftrace_regs_get_argument(fregs, 2);
	bool plain = in_hook(&tp_hook, ip);
	const char *why;

	if (plain && tlbisol_in_ranges(batch, ARRAY_SIZE(batch), parent_ip))
		return;	/* judged at the batch's entry */
	if (overlaps(addr, len, tlbisol_entry_site, CALL_INSN_SIZE)) {
		if (!plain && addr == tlbisol_entry_site && len == CALL_INSN_SIZE &&
		    calls_our_trampoline(addr, insn))
			return;		/* our own entry hook */
		guard_trip("another ftrace user is attaching to vtime_user_exit");
		return;
	}
	why = watch_hit(addr, len, plain);
	if (why)
		guard_trip(why);
}

/* Guard ops callback: text_poke*() and __register_nmi_handler() entry. */
static void notrace guard_func(unsigned long ip, unsigned long parent_ip,
			       struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	if (!READ_ONCE(guard_armed))
		return;
	if (in_hook(&tpq_hook, ip) || in_hook(&tpb_hook, ip) || in_hook(&tp_hook, ip)) {
		guard_text(ip, parent_ip, fregs);
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

/*
 * PERMANENT: kernel.ftrace_enabled=0 is refused while it is registered,
 * i.e. while the deferral is on (it would turn the catch-up's direct call
 * off too). Not IPMODIFY: livepatch is not blocked (tlbisol_hook.c).
 */
struct tlbisol_hook_ops tlbisol_guard_ops = {
	.ops = {
		.func	= guard_func,
		.flags	= FTRACE_OPS_FL_PERMANENT,
	},
};

/* The fentry site: the first instruction, after ENDBR64 (or its seal) with IBT. */
static int fentry_site(unsigned long start, unsigned long *site)
{
	u32 insn;

	if (copy_from_kernel_nofault(&insn, (void *)start, sizeof(insn)))
		return -EFAULT;
	*site = is_endbr(insn) ? start + ENDBR_INSN_SIZE : start;
	return 0;
}


/*
 * Does [@a, @a+@len) overlap a function this table says runs before the
 * catch-up (NMI path, return thunks)? For tlbisol_tsync.c: a text-patching
 * sync for a site there is never deferred. Read without a lock while the
 * hooks are attached (resolved by the check that attached them).
 */
bool tlbisol_guard_watches(unsigned long a, unsigned long len)
{
	const struct guard_watch *w;

	for (w = watch; w < watch + ARRAY_SIZE(watch); w++)
		if (w->present && a < w->end && a + len > w->start)
			return true;
	return false;
}

/*
 * Preconditions: the guarded functions, the entry site, the NMI path's
 * functions and the kprobe table. A reason names the first problem.
 */
int tlbisol_guard_check(const char **reason)
{
	static char why[160];
	/* vtime_user_exit last: its start is used after the loop */
	const char *names[] = { TPQ_SYM, TPB_SYM, TP_SYM, RNH_SYM, "vtime_user_exit" };
	unsigned long start, end, site;
	struct guard_watch *w;
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		r = tlbisol_sym_range(names[i], &start, &end);
		if (r) {
			snprintf(why, sizeof(why), "%s (the deferral's guard) %s", names[i], tlbisol_sym_why(r));
			*reason = why;
			return -EOPNOTSUPP;
		}
	}
	if (fentry_site(start, &site)) {
		*reason = "cannot read vtime_user_exit";
		return -EFAULT;
	}
	WRITE_ONCE(tlbisol_entry_site, site);
	for (i = 0; i < ARRAY_SIZE(batch); i++) {
		r = tlbisol_sym_range(batch[i].name, &batch[i].start, &batch[i].end);
		if (r) {
			snprintf(why, sizeof(why), "%s (the deferral's guard) %s", batch[i].name, tlbisol_sym_why(r));
			*reason = why;
			return -EOPNOTSUPP;
		}
	}
	for (w = watch; w < watch + ARRAY_SIZE(watch); w++) {
		r = tlbisol_sym_range(w->sym, &w->start, &w->end);
		w->present = !r;
		if (r == -ENOENT && !w->needed)
			continue;
		if (!r)
			r = fentry_site(w->start, &w->site);
		if (r) {
			w->present = false;
			snprintf(why, sizeof(why), "%s (run before the catch-up) %s",
				 w->sym, tlbisol_sym_why(r));
			*reason = why;
			return -EOPNOTSUPP;
		}
	}
	if (tlbisol_sym_range("kprobe_table", &start, &end) ||
	    (end - start) % sizeof(struct hlist_head) ||
	    (end - start) / sizeof(struct hlist_head) > 4096) {
		*reason = "cannot list kprobes (kprobe_table not found: CONFIG_KALLSYMS_ALL?)";
		return -EOPNOTSUPP;
	}
	kp_table = (struct hlist_head *)start;
	kp_table_n = (end - start) / sizeof(struct hlist_head);
	return 0;
}

/* Is an enabled kprobe registered in [start, end)? RCU reader of the table. */
static bool kprobe_in(unsigned long start, unsigned long end)
{
	struct kprobe *p;
	unsigned int i;
	bool found = false;

	rcu_read_lock();
	for (i = 0; i < kp_table_n && !found; i++)
		hlist_for_each_entry_rcu(p, &kp_table[i], hlist) {
			if ((unsigned long)p->addr >= start && (unsigned long)p->addr < end &&
			    !kprobe_disabled(p)) {
				found = true;
				break;
			}
		}
	rcu_read_unlock();
	return found;
}

/* Is foreign code in the NMI path now? The reason, or NULL. */
static const char *nmi_path_foreign(void)
{
	static const u8 nop5[CALL_INSN_SIZE] = { BYTES_NOP5 };
	const struct guard_watch *w;
	u8 insn[CALL_INSN_SIZE];

	for (w = watch; w < watch + ARRAY_SIZE(watch); w++) {
		if (!w->present)
			continue;
		if ((w->what & W_FENTRY) &&
		    (copy_from_kernel_nofault(insn, (void *)w->site, sizeof(insn)) ||
		     memcmp(insn, nop5, CALL_INSN_SIZE)))
			return w->why_ftrace;
		if ((w->what & W_BODY) && kp_table && kprobe_in(w->start, w->end))
			return w->why_kprobe;
	}
	return NULL;
}

/* Attach the guard hooks to the guard ops and arm them. */
int tlbisol_guard_attach(const char **reason)
{
	int r;

	WRITE_ONCE(guard_reason, NULL);
	r = tlbisol_hook_attach(&tlbisol_guard_ops, &tpq_hook);
	if (!r)
		r = tlbisol_hook_attach(&tlbisol_guard_ops, &tpb_hook);
	if (!r)
		r = tlbisol_hook_attach(&tlbisol_guard_ops, &tp_hook);
	if (!r)
		r = tlbisol_hook_attach(&tlbisol_guard_ops, &rnh_hook);
	if (r) {
		*reason = r == -EBUSY ?
			"ftrace is disabled (kernel.ftrace_enabled=0): the catch-up needs it" :
			"cannot trace " TPQ_SYM "/" TPB_SYM "/" TP_SYM "/" RNH_SYM " (the guard)";
		tlbisol_guard_detach();
		return r;
	}
	WRITE_ONCE(guard_armed, true);
	smp_mb();
	return 0;
}

/*
 * After every hook is attached (the guard armed first): the entry site must
 * call our direct trampoline (we are its only ftrace user), nothing foreign may
 * be in the NMI path, and nothing may have tripped the guard.
 */
int tlbisol_guard_verify(unsigned long entry_start, const char **reason)
{
	u8 insn[CALL_INSN_SIZE];
	const char *why;

	if (copy_from_kernel_nofault(insn, (void *)tlbisol_entry_site, sizeof(insn)) ||
	    !calls_our_trampoline(tlbisol_entry_site, insn)) {
		*reason = "another ftrace user on vtime_user_exit would run before the catch-up";
		return -EBUSY;
	}
	why = nmi_path_foreign();
	if (why) {
		*reason = why;
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
	return nmi_path_foreign();
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
	tlbisol_hook_detach(&tlbisol_guard_ops, &rnh_hook);
	tlbisol_hook_detach(&tlbisol_guard_ops, &tp_hook);
	tlbisol_hook_detach(&tlbisol_guard_ops, &tpb_hook);
	tlbisol_hook_detach(&tlbisol_guard_ops, &tpq_hook);
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
