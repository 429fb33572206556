// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_hook.c — tlbisol's ftrace hooks, on two ftrace_ops.
 *
 * Purpose: the controls attach and detach hooks on kernel functions many
 * times in one module lifetime. A struct tlbisol_hook_ops is one
 * ftrace_ops whose filter holds the functions of the hooks currently
 * attached; its callback dispatches on the traced address to the hook's
 * handler (or, for the guard ops, is the guard's own callback).
 *
 * Two ops, because the hooks need different flags (issue 9 item 12):
 *   redirect  IPMODIFY, not PERMANENT: tlb_remove_table_sync_one() and
 *             flush_tlb_kernel_range() are redirected. IPMODIFY is what
 *             makes the redirect exclusive (livepatch of those two
 *             functions is refused while we hold them). Not PERMANENT:
 *             with kernel.ftrace_enabled=0 the redirects simply stop and
 *             both functions behave as stock (IPI everyone), which is safe.
 *   guard     PERMANENT, not IPMODIFY (tlbisol_guard.c): the deferral's
 *             guard on text_poke*() and __register_nmi_handler(). The
 *             catch-up itself is not on these ops but an ftrace direct
 *             call on vtime_user_exit() (tlbisol_defer.c), which ftrace
 *             registers with its own flags; PERMANENT here because the
 *             catch-up must not stop while senders skip CPUs:
 *             kernel.ftrace_enabled=0 (which would turn the direct call
 *             off too) is refused while any PERMANENT ops is registered,
 *             i.e. while the deferral is on. Not IPMODIFY: a livepatch
 *             is not blocked (the deferral's guard turns the deferral off
 *             first, DEFERRAL.md "Foreign code before the catch-up").
 *
 * Unregistering an ops in module memory (always DYNAMIC) waits for
 * synchronize_rcu_tasks_rude() and synchronize_rcu_tasks() (kernel/trace/
 * ftrace.c, 6.12: ftrace_shutdown()); under QEMU TCG each takes seconds,
 * so hooks on one ops share it, and adding or removing a function from the
 * filter of a registered ops only patches text. The handler of a detached
 * hook is a no-op from the moment it is marked inactive, and a call
 * already past that check finishes on module text, which stays until exit.
 * The unregister of the redirect ops, when its last hook detaches, also
 * waits for tasks preempted inside the functions the redirects point to
 * (tlbisol_sync_one(), tlbisol_flush_kernel_range()): no redirect can
 * start after it, and an RCU-tasks grace period ends only when every such
 * task has scheduled voluntarily or gone to user space.
 *
 * The filter is never freed while the module runs: ftrace_free_filter()
 * (6.12) frees the hashes but leaves ops->func_hash pointing at them, and a
 * later filter change on the same ops handed the freed hash to call_rcu()
 * a second time. Hooks are removed from the filter one address at a time,
 * and tlbisol_hook_release() frees each filter once, at exit.
 *
 * Usage: static struct tlbisol_hook h = TLBISOL_HOOK("sym", handler);
 *        tlbisol_hook_attach(&tlbisol_redirect_ops, &h) / _detach(), under
 *        the ctl lock; tlbisol_hook_release() at exit, after the last
 *        detach. An ops may also carry its own .func (guard ops): then the
 *        hooks' handlers are not used, only their filter entries.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/string.h>
#include "tlbisol.h"

static void notrace hook_dispatch(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *ops,
				  struct ftrace_regs *fregs)
{
	struct tlbisol_hook_ops *ho = container_of(ops, struct tlbisol_hook_ops, ops);
	struct tlbisol_hook *h;
	unsigned int i;

	for (i = 0; i < TLBISOL_HOOK_MAX; i++) {
		h = READ_ONCE(ho->tab[i]);
		if (h && ip >= h->start && ip < h->end) {
			if (READ_ONCE(h->active))
				h->func(ip, parent_ip, ops, fregs);
			return;
		}
	}
}

struct tlbisol_hook_ops tlbisol_redirect_ops = {
	.ops = {
		.func	= hook_dispatch,
		.flags	= FTRACE_OPS_FL_IPMODIFY,
	},
};

static int hook_slot(struct tlbisol_hook_ops *ho, struct tlbisol_hook *h)
{
	unsigned int i;
	int r;

	for (i = 0; i < TLBISOL_HOOK_MAX; i++)
		if (ho->tab[i] == h)
			return 0;
	for (i = 0; i < TLBISOL_HOOK_MAX && ho->tab[i]; i++)
		;
	if (i == TLBISOL_HOOK_MAX)
		return -ENOSPC;
	r = tlbisol_sym_range(h->sym, &h->start, &h->end);
	if (r)
		return r;
	WRITE_ONCE(ho->tab[i], h);
	return 0;
}

int tlbisol_hook_attach(struct tlbisol_hook_ops *ho, struct tlbisol_hook *h)
{
	int r;

	if (h->active)
		return 0;
	r = hook_slot(ho, h);
	if (r)
		return r;
	WRITE_ONCE(h->active, true);
	r = ftrace_set_filter_ip(&ho->ops, h->start, 0, 0);
	if (r)
		goto out_inactive;
	ho->nr_filter++;
	if (!ho->registered) {
		r = register_ftrace_function(&ho->ops);
		if (r)
			goto out_remove;
		ho->registered = true;
	}
	return 0;

out_remove:
	ftrace_set_filter_ip(&ho->ops, h->start, 1, 0);
	ho->nr_filter--;
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
void tlbisol_hook_detach(struct tlbisol_hook_ops *ho, struct tlbisol_hook *h)
{
	int r;

	if (!h->active)
		return;
	WRITE_ONCE(h->active, false);
	if (ho->nr_filter == 1 && ho->registered) {
		r = unregister_ftrace_function(&ho->ops);
		if (r) {
			/*
			 * Still registered, its sites may call hook_dispatch()
			 * or the guard: keep the ops, its filter (emptying it
			 * would mean "every function") and the module.
			 */
			tlbisol_pin_module(h->sym, r);
			return;
		}
		ho->registered = false;
	}
	if (ftrace_set_filter_ip(&ho->ops, h->start, 1, 0))
		pr_warn("cannot remove %s from the ftrace filter\n", h->sym);
	ho->nr_filter--;
}

/* Module exit, after every hook was detached: free the filter once. */
void tlbisol_hook_release(struct tlbisol_hook_ops *ho)
{
	if (ho->registered) {		/* only after a failed unregister */
		int r = unregister_ftrace_function(&ho->ops);

		if (r) {
			tlbisol_pin_module(ho->tab[0] ? ho->tab[0]->sym : "?", r);
			return;		/* its sites may still use the filter */
		}
		ho->registered = false;
	}
	ftrace_free_filter(&ho->ops);
}
