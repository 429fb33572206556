// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_hook.c — all of tlbisol's ftrace hooks on ONE ftrace_ops.
 *
 * Purpose: the controls attach and detach hooks on three kernel functions
 * (tlb_remove_table_sync_one, flush_tlb_kernel_range, vtime_user_exit),
 * many times in one module lifetime. They share one ftrace_ops whose
 * filter holds the functions of the hooks currently attached; its callback
 * dispatches on the traced address to the hook's handler.
 *
 * Why one ops: an ftrace_ops in module memory is always DYNAMIC, and
 * unregistering a DYNAMIC ops waits for synchronize_rcu_tasks_rude() and
 * synchronize_rcu_tasks() (kernel/trace/ftrace.c, 6.12: ftrace_shutdown()).
 * Under QEMU TCG each RCU-tasks grace period takes many seconds; with one
 * ops per hook, an unload waited for three pairs. Adding or removing a
 * function from the filter of a registered ops only patches text
 * (ftrace_hash_move_and_update_ops()) and waits for no RCU-tasks grace
 * period; the handler of a detached hook is a no-op from the moment it is
 * marked inactive, and a call already past that check finishes on module
 * text, which stays until exit (see below).
 *
 * The ops is unregistered when the last hook detaches. That unregister's
 * synchronize_rcu_tasks() also waits for tasks preempted inside functions
 * the hooks redirected to (tlbisol_sync_one(), tlbisol_flush_kernel_range()):
 * no redirect can start after the unregister, and an RCU-tasks grace period
 * ends only when every such task has scheduled voluntarily or gone to user
 * space. So module exit needs no grace period of its own for them.
 *
 * The filter is never freed while the module runs: ftrace_free_filter()
 * (6.12) frees the hashes but leaves ops->func_hash pointing at them, and a
 * later filter change on the same ops handed the freed hash to call_rcu()
 * a second time (the VM saw the crash; kmod-netlink.sh toggles controls).
 * Hooks are removed from the filter one address at a time instead, and
 * tlbisol_hook_release() frees it once, at exit.
 *
 * Usage: static struct tlbisol_hook h = TLBISOL_HOOK("sym", handler);
 *        tlbisol_hook_attach(&h) / tlbisol_hook_detach(&h), under the ctl
 *        lock; tlbisol_hook_release() at exit, after the last detach.
 *        The ops carries IPMODIFY (two hooks redirect their function), so
 *        attaching fails with -EBUSY when livepatch or another IPMODIFY
 *        user owns one of the functions.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/string.h>
#include "tlbisol.h"

#define HOOK_MAX 4

static struct tlbisol_hook *hook_tab[HOOK_MAX];	/* slots, filled once */
static unsigned int hook_nr_filter;		/* hooks in the filter */
static bool hook_registered;

static void notrace hook_dispatch(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *ops,
				  struct ftrace_regs *fregs)
{
	struct tlbisol_hook *h;
	unsigned int i;

	for (i = 0; i < HOOK_MAX; i++) {
		h = READ_ONCE(hook_tab[i]);
		if (h && ip >= h->start && ip < h->end) {
			if (READ_ONCE(h->active))
				h->func(ip, parent_ip, ops, fregs);
			return;
		}
	}
}

static struct ftrace_ops hook_ops = {
	.func	= hook_dispatch,
	.flags	= FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

static int hook_slot(struct tlbisol_hook *h)
{
	unsigned int i;
	int r;

	for (i = 0; i < HOOK_MAX; i++)
		if (hook_tab[i] == h)
			return 0;
	for (i = 0; i < HOOK_MAX && hook_tab[i]; i++)
		;
	if (i == HOOK_MAX)
		return -ENOSPC;
	r = tlbisol_sym_range(h->sym, &h->start, &h->end);
	if (r)
		return r;
	WRITE_ONCE(hook_tab[i], h);
	return 0;
}

int tlbisol_hook_attach(struct tlbisol_hook *h)
{
	int r;

	if (h->active)
		return 0;
	r = hook_slot(h);
	if (r)
		return r;
	WRITE_ONCE(h->active, true);
	r = ftrace_set_filter_ip(&hook_ops, h->start, 0, 0);
	if (r)
		goto out_inactive;
	hook_nr_filter++;
	if (!hook_registered) {
		r = register_ftrace_function(&hook_ops);
		if (r)
			goto out_remove;
		hook_registered = true;
	}
	return 0;

out_remove:
	ftrace_set_filter_ip(&hook_ops, h->start, 1, 0);
	hook_nr_filter--;
out_inactive:
	WRITE_ONCE(h->active, false);
	return r;
}

/*
 * After this returns no new call enters @h's handler. The last detach
 * unregisters the ops and waits (see the head comment); never remove the
 * last address from the filter of a registered ops: an empty filter means
 * "every function".
 */
void tlbisol_hook_detach(struct tlbisol_hook *h)
{
	if (!h->active)
		return;
	WRITE_ONCE(h->active, false);
	if (hook_nr_filter == 1 && hook_registered) {
		unregister_ftrace_function(&hook_ops);
		hook_registered = false;
	}
	if (ftrace_set_filter_ip(&hook_ops, h->start, 1, 0))
		pr_warn("cannot remove %s from the ftrace filter\n", h->sym);
	hook_nr_filter--;
}

/* Module exit, after every hook was detached: free the filter once. */
void tlbisol_hook_release(void)
{
	if (hook_registered) {		/* not reached: detach unregisters */
		unregister_ftrace_function(&hook_ops);
		hook_registered = false;
	}
	ftrace_free_filter(&hook_ops);
}
