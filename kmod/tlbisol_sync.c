// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_sync.c — targeted tlb_remove_table_sync_one().
 *
 * Purpose: tlb_remove_table_sync_one() (mm/mmu_gather.c, 6.12) broadcasts an
 * empty IPI to every online CPU, waiting for lockless page-table walkers
 * (GUP-fast) that rely on IRQs being disabled. Callers: khugepaged
 * collapse_huge_page() (mm/khugepaged.c) and hugetlb PMD unsharing
 * tlb_flush_unshared_tables() (include/asm-generic/tlb.h). The function is
 * not exported; we redirect it with an ftrace ops carrying
 * FTRACE_OPS_FL_IPMODIFY (the livepatch mechanism, kernel/livepatch/patch.c:
 * klp_ftrace_handler()) to tlbisol_sync_one(), which sends the IPI only to
 * CPUs that RCU sees watching.
 *
 * Not covered: the page-table-free fallback tlb_remove_table_one()
 * (mm/mmu_gather.c, when the batch page cannot be allocated). In Debian's
 * 6.12.117 build it and tlb_remove_table_sync_one() are inlined into
 * tlb_remove_table(), which calls smp_call_function(tlb_remove_table_smp_sync)
 * itself (objdump of the vmlinux): one IPI to every other online CPU per
 * page-table page freed that way, isolated CPUs included, counted by the
 * accounting as a table sync and never avoided.
 *
 * Why it is sound: a walker that relies on disabled IRQs runs inside an RCU
 * read-side critical section (IRQs off is one), so while a CPU is in an RCU
 * extended quiescent state (context_tracking.state bit CT_RCU_WATCHING clear:
 * idle, or user mode on a nohz_full CPU) it is not inside such a walk. The
 * caller has unlinked the page table before calling; we then execute
 * smp_mb() and read each CPU's state word. A CPU that leaves the EQS does so
 * with a fully ordered atomic RMW on that word (ct_kernel_enter_state() /
 * ct_nmi_enter()), so by the store-buffering pattern either we see it
 * watching (and IPI it, as before), or any walk it starts afterwards sees the
 * table already unlinked. This is the check RCU's expedited grace periods
 * make (kernel/rcu/tree_exp.h: sync_rcu_exp_select_node_cpus()).
 *
 * Usage: tlbisol_sync_enable() / tlbisol_sync_disable(), under the ctl lock.
 * Enabling fails cleanly (-EBUSY) if another IPMODIFY user (livepatch, BPF
 * trampoline, another module) already owns the function.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/string.h>
#include "tlbisol.h"

#define SYNC_SYM "tlb_remove_table_sync_one"

static bool sync_on;

/* Our IPI callback: like tlb_remove_table_smp_sync(), delivery is the point. */
void tlbisol_sync_ipi(void *info)
{
}

static bool sync_cond(int cpu, void *info)
{
	if (cpu == smp_processor_id())	/* smp_call_function() skips self */
		return false;
	if (tlbisol_ct_in_eqs(tlbisol_ct_state(cpu))) {
		atomic64_inc(&per_cpu(tlbisol_stats, cpu).avoided_sync);
		return false;
	}
	return true;
}

/* Replacement for tlb_remove_table_sync_one(void); same context rules. */
static void tlbisol_sync_one(void)
{
	/* Order the caller's page-table unlink before reading CPU states. */
	smp_mb();
	on_each_cpu_cond_mask(sync_cond, tlbisol_sync_ipi, NULL, true,
			      cpu_online_mask);
}

static void notrace sync_ftrace_handler(unsigned long ip, unsigned long parent_ip,
					struct ftrace_ops *ops,
					struct ftrace_regs *fregs)
{
	ftrace_regs_set_instruction_pointer(fregs, (unsigned long)tlbisol_sync_one);
}

static struct tlbisol_hook sync_hook = TLBISOL_HOOK(SYNC_SYM, sync_ftrace_handler);

bool tlbisol_sync_enabled(void)
{
	return READ_ONCE(sync_on);
}

/*
 * Why sync cannot be enabled now (a condition that holds now, not the
 * last failure: that one was returned to the SET that hit it), or NULL.
 */
const char *tlbisol_sync_unavailable(void)
{
	static char why[128];		/* ctl lock held */
	unsigned long start, end;
	int r;

	r = tlbisol_sym_range(SYNC_SYM, &start, &end);
	if (!r)
		return NULL;
	snprintf(why, sizeof(why), SYNC_SYM " %s", tlbisol_sym_why(r));
	return why;
}

int tlbisol_sync_enable(const char **reason)
{
	int r;

	if (sync_on)
		return 0;
	/* a symbol that cannot be used says why (not an ftrace conflict) */
	*reason = tlbisol_sync_unavailable();
	if (*reason)
		return -EOPNOTSUPP;
	r = tlbisol_hook_attach(&tlbisol_redirect_ops, &sync_hook);
	if (r) {
		*reason = r == -EBUSY ?
			SYNC_SYM " is already modified by livepatch or another tracer" :
			SYNC_SYM " cannot be hooked (not traceable, or ftrace disabled)";
		return r;
	}
	WRITE_ONCE(sync_on, true);
	return 0;
}

void tlbisol_sync_disable(void)
{
	if (!sync_on)
		return;
	/*
	 * After the detach no new call is redirected. A task may still be
	 * inside tlbisol_sync_one() (preempted before on_each_cpu_cond_mask()
	 * disables preemption); that is harmless while the module stays, and
	 * the unregister of the shared ftrace_ops, at the latest when the
	 * last hook detaches, waits for such tasks (tlbisol_hook.c).
	 */
	tlbisol_hook_detach(&tlbisol_redirect_ops, &sync_hook);
	WRITE_ONCE(sync_on, false);
}
