// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_tsync.c — deferred text-patching syncs for nohz_full CPUs in user
 * mode (part of the deferral; DEFERRAL.md "Text-patching syncs").
 *
 * Purpose: text_poke_bp_batch() (arch/x86/kernel/alternative.c, 6.12)
 * makes every online CPU execute a serializing instruction three times per
 * batch (text_poke_sync() -> on_each_cpu(do_sync_core)), so that no CPU
 * runs stale instruction bytes of the sites it patches. Every module load
 * does several batches (its static calls and jump labels), ftrace and BPF
 * attach do: each one is three IPIs to every isolated CPU. A CPU running
 * user code runs no kernel text; it needs the serialization only before
 * it runs a patched site, i.e. at its next kernel entry, where the
 * deferral's catch-up now serializes (defer_flush_all()).
 *
 * Why that is enough, and when it is not: between the hardware entry and
 * the catch-up a skipped CPU runs only the code listed in DEFERRAL.md
 * "What runs on a skipped CPU before the catch-up" (noinstr and entry
 * text, the return thunks, vtime_user_exit()'s fentry site, our
 * trampoline; in NMIs also nmi_handle(), __rcu_read_lock(), sched_clock()
 * and the osnoise/hwlat callbacks), and after its state word turned USER
 * on the way out only noinstr and entry text. A sync is deferred only when
 * every site of the batch lies outside all of that:
 *   - in core kernel text below __noinstr_text_start (the linker puts
 *     noinstr, cpuidle, sched, lock, kprobes, softirq entry, the thunks,
 *     the static-call trampolines and the entry text after it, up to
 *     _etext: all refused at once), and not in a function the guard
 *     watches on the NMI path, not in vtime_user_exit() (with
 *     CONFIG_TRACE_IRQFLAGS, irq_disable probes would run in NMIs before
 *     our handler: refused);
 *   - or in module space outside tlbisol's own memory.
 * Anything else (BPF images, ftrace and kprobe trampolines, optprobe
 * buffers, our own text, a layout we do not recognise) gets the stock
 * IPIs. Sites are read from the batch itself (bp_desc, below).
 *
 * How: an IPMODIFY hook on on_each_cpu_cond_mask() (text_poke_sync() is
 * inlined into text_poke_bp_batch(); do_sync_core() is static, so only
 * alternative.c's text_poke_sync() copies pass it) redirects a call with
 * no condition and func == do_sync_core, made inside a batch whose sites
 * all pass, to tlbisol_text_sync(), which sends with the deferral's
 * protocol (tlbisol_defer_send(): pending, smp_mb(), skip user-mode EQS
 * CPUs) and do_sync_core as the IPI for the others. Anything else runs the
 * original.
 *
 * "Inside a batch": bp_desc.refs is set to 1 before the first sync of
 * text_poke_bp_batch() (after vec and nr_entries, atomic_set_release())
 * and back to 0 only after the last one; in between, poke_int3_handler()
 * can only raise it (atomic_inc_not_zero()). Every text_poke_sync() holds
 * text_mutex, so outside a batch (kprobe arming, livepatch relocations:
 * module.c) refs is 0 and nothing is deferred.
 *
 * What else runs where this code does:
 *  - on the sender (the patching task, process context, text_mutex held,
 *    IRQs on): other ftrace users of on_each_cpu_cond_mask() run beside
 *    our handler; an IPMODIFY one (livepatch, kprobe post handler) is
 *    refused while ours is attached, the others cannot undo the redirect.
 *    A kprobe or BPF program there runs in the sender's context before
 *    the IPIs and changes nothing for the skipped CPUs. Our handler and
 *    tlbisol_defer_send() take no lock (PREEMPT_RT: nothing here becomes a
 *    sleeping lock; preemption is off across on_each_cpu_cond_mask(),
 *    which disables it itself, as on_each_cpu() does).
 *  - on a skipped CPU: only what DEFERRAL.md lists before the catch-up;
 *    foreign code there (another ftrace user, kprobe or BPF on the entry
 *    or NMI path, a later NMI_FLAG_FIRST handler) trips the guard, which
 *    turns the deferral off and IPIs every deferral CPU (an IPI
 *    serializes) before that code is linked in. A nested NMI between the
 *    consumption of pending and the CR4 write is covered by catching_up,
 *    as for the flush (defer_catch_up()); #DB from user mode enters
 *    through the same catch-up; the TF+SYSENTER #DB and #MC windows are
 *    in DEFERRAL.md "Not guaranteed".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sched/task_stack.h>
#include <linux/smp.h>
#include "tlbisol.h"

#define OECM_SYM	"on_each_cpu_cond_mask"		/* kernel/smp.c */

/*
 * arch/x86/kernel/alternative.c (6.12), private there: the layout is
 * checked as far as it can be (tsync_batch_ok(): vec is tp_vec or one
 * on-stack entry; tsync_loc_sane(): opcode/length pairs; tsync_site_ok():
 * the range); a mismatch gives stock IPIs.
 */
struct tsync_text_poke_loc {
	s32 rel_addr;			/* addr := _stext + rel_addr */
	s32 disp;
	u8 len;
	u8 opcode;
	const u8 text[5];		/* POKE_MAX_OPCODE_SIZE */
	u8 old;
};
static_assert(sizeof(struct tsync_text_poke_loc) == 16);
struct tsync_bp_desc {
	struct tsync_text_poke_loc *vec;
	int nr_entries;
	atomic_t refs;
};
#define TSYNC_VEC_MAX	(PAGE_SIZE / sizeof(struct tsync_text_poke_loc))
#define TSYNC_SITE_MAX	6		/* Jcc.d32, the longest patch */

static struct tlbisol_range r_sync_core = { "do_sync_core" };	/* alternative.c */
static struct tlbisol_range r_bp_desc = { "bp_desc" };		/* alternative.c */
static struct tlbisol_range r_stext = { "_stext" };
static struct tlbisol_range r_noinstr = { "__noinstr_text_start" };
static struct tlbisol_range r_tp_vec = { "tp_vec" };		/* alternative.c */
/* the noinstr bound's cross-check: two noinstr functions, two ordinary ones */
static struct tlbisol_range r_ct_exit = { "__ct_user_exit" };	/* kernel/context_tracking.c */
static struct tlbisol_range r_exc_nmi = { "exc_nmi" };		/* arch/x86/kernel/nmi.c */
static struct tlbisol_range r_oecm = { "on_each_cpu_cond_mask" };	/* kernel/smp.c */
static struct tlbisol_range r_nmi_handle = { "nmi_handle" };	/* arch/x86/kernel/nmi.c */
static unsigned long noinstr_start;	/* rounded down, with a margin */
static const struct tlbisol_range *r_entry;	/* vtime_user_exit(), tlbisol_defer.c */

static void tlbisol_text_sync(smp_cond_func_t cond, smp_call_func_t func, void *info,
			      bool wait, const struct cpumask *mask)
{
	/* cond == NULL, func == do_sync_core, info == NULL, wait, online mask */
	tlbisol_defer_send_tsync(func);
}

static bool overlaps(unsigned long a, unsigned long len, const struct tlbisol_range *r)
{
	return a < r->end && a + len > r->start;
}

/*
 * May a CPU skipped now run @a..@a+TSYNC_SITE_MAX before its catch-up?
 * (head comment). Module space holds module text and also BPF images,
 * ftrace trampolines and kprobe slots (execmem): none of those runs
 * before the catch-up while the deferral is on (the guard keeps foreign
 * code off the entry and NMI paths), so the whole space but our own
 * module is accepted.
 */
static bool tsync_site_ok(unsigned long a)
{
	const unsigned long len = TSYNC_SITE_MAX;

	if (a >= r_stext.start && a + len <= noinstr_start)
		return !overlaps(a, len, r_entry) && !tlbisol_guard_watches(a, len);
	return a >= MODULES_VADDR && a + len <= MODULES_END &&
	       !within_module(a, THIS_MODULE) && !within_module(a + len - 1, THIS_MODULE);
}

/*
 * text_poke_loc_init() (6.12) leaves one of these opcode/length pairs: a
 * layout that is not 6.12's shows up here as garbage, and gets the IPIs.
 */
static bool tsync_loc_sane(const struct tsync_text_poke_loc *tp)
{
	switch (tp->opcode) {
	case 0xcc:				/* INT3 */
		return tp->len == 1;
	case 0xc3:				/* RET; static calls: RET + INT3 padding, 5 */
		return tp->len == 1 || tp->len == 5;
	case 0xeb:				/* JMP8 (also NOP2) */
		return tp->len == 2;
	case 0xe8: case 0xe9:			/* CALL, JMP32 (also NOP5) */
		return tp->len == 5;
	case 0x70 ... 0x7f:			/* Jcc.d8, Jcc.d32 */
		return tp->len == 2 || tp->len == 6;
	default:
		return false;
	}
}

/* Are we inside text_poke_bp_batch(), and may all its sites be deferred? */
static bool tsync_batch_ok(void)
{
	struct tsync_bp_desc *d = (struct tsync_bp_desc *)r_bp_desc.start;
	struct tsync_text_poke_loc *vec;
	int i, n;

	if (!atomic_read(&d->refs))
		return false;		/* not in a batch */
	smp_rmb();			/* pairs with its atomic_set_release() */
	vec = READ_ONCE(d->vec);
	n = READ_ONCE(d->nr_entries);
	/*
	 * The batch is tp_vec (text_poke_finish()) or text_poke_bp()'s
	 * on-stack entry; we run in the batch's task, on its stack. Anything
	 * else is not a 6.12 batch: not read (review m4).
	 */
	if (!vec || n <= 0 || n > TSYNC_VEC_MAX)
		return false;
	/* text_poke_bp()'s entry is one, on its stack (review 2: bound n) */
	if ((unsigned long)vec != r_tp_vec.start && (n != 1 || !object_is_on_stack(vec)))
		return false;
	for (i = 0; i < n; i++)
		if (!tsync_loc_sane(&vec[i]) ||
		    !tsync_site_ok(r_stext.start + vec[i].rel_addr))
			return false;
	return true;
}

static void notrace tsync_handler(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	if (!READ_ONCE(tlbisol_defer_on))
		return;
	/* on_each_cpu(do_sync_core, NULL, 1): cond NULL, func do_sync_core */
	if (ftrace_regs_get_argument(fregs, 0) ||
	    ftrace_regs_get_argument(fregs, 1) != r_sync_core.start)
		return;
	if (tsync_batch_ok())
		ftrace_regs_set_instruction_pointer(fregs, (unsigned long)tlbisol_text_sync);
}

static struct tlbisol_hook tsync_hook = TLBISOL_HOOK(OECM_SYM, tsync_handler);

static char why[96];

/* Preconditions (ctl lock held); @entry: vtime_user_exit()'s range. */
int tlbisol_tsync_check(const struct tlbisol_range *entry, const char **reason)
{
	struct tlbisol_range *need[] = { &r_sync_core, &r_bp_desc, &r_tp_vec, &r_stext, &r_noinstr,
					 &r_ct_exit, &r_exc_nmi, &r_oecm, &r_nmi_handle };
	unsigned int i;
	int r;

	/*
	 * With TRACE_IRQFLAGS, irqentry_nmi_enter() runs
	 * trace_hardirqs_off_finish() and the irq_disable tracepoint's probes
	 * (perf, BPF, trace events) before our NMI handler (review m2);
	 * Debian's kernels do not set it.
	 */
	if (IS_ENABLED(CONFIG_TRACE_IRQFLAGS)) {
		*reason = "CONFIG_TRACE_IRQFLAGS: irq_disable probes run in NMIs before the catch-up";
		return -EOPNOTSUPP;
	}
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		r = tlbisol_sym_range(need[i]->name, &need[i]->start, &need[i]->end);
		if (r) {
			snprintf(why, sizeof(why), "%s (text-patching syncs) %s",
				 need[i]->name, tlbisol_sym_why(r));
			*reason = why;
			return -EOPNOTSUPP;
		}
	}
	/*
	 * Linker symbols, address only (tlbisol_sym.c); a kprobe on a
	 * function start may have moved them past an ENDBR (+4). _stext is
	 * 2 MiB aligned on x86-64 (vmlinux.lds.S, __START_KERNEL plus the
	 * KASLR offset): anything else is refused. __noinstr_text_start is
	 * rounded down and lowered by 16: a few bytes of .text more get the
	 * IPIs, none of noinstr less. Cross-check (review M2): noinstr
	 * functions of the entry and NMI paths lie above the bound, ordinary
	 * ones below it.
	 */
	noinstr_start = (r_noinstr.start & ~15UL) - 16;
	if (r_stext.start & (PMD_SIZE - 1) || noinstr_start <= r_stext.start ||
	    entry->start <= r_stext.start || entry->end > noinstr_start ||
	    r_ct_exit.start < r_noinstr.start || r_exc_nmi.start < r_noinstr.start ||
	    r_oecm.end > noinstr_start || r_nmi_handle.end > noinstr_start) {
		*reason = "_stext / __noinstr_text_start look wrong (text-patching syncs)";
		return -EOPNOTSUPP;
	}
	if (r_bp_desc.end - r_bp_desc.start < sizeof(struct tsync_bp_desc)) {
		*reason = "bp_desc is smaller than 6.12's (text-patching syncs)";
		return -EOPNOTSUPP;
	}
	r_entry = entry;
	return 0;
}

int tlbisol_tsync_attach(const char **reason)
{
	int r = tlbisol_hook_attach(&tlbisol_redirect_ops, &tsync_hook);

	if (r)
		*reason = r == -EBUSY ?
			OECM_SYM " is already modified by livepatch or another tracer" :
			OECM_SYM " cannot be hooked";
	return r;
}

void tlbisol_tsync_detach(void)
{
	tlbisol_hook_detach(&tlbisol_redirect_ops, &tsync_hook);
}
