// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_hook.c — one ftrace hook on one kernel function.
 *
 * Purpose: the controls attach and detach their hooks many times in one
 * module lifetime (genetlink SET turns them on and off). The filter of an
 * ftrace_ops is therefore set ONCE, on the first attach, kept while the ops
 * is unregistered, and freed only by tlbisol_hook_release() at module exit.
 *
 * Why: ftrace_free_filter() (kernel/trace/ftrace.c, 6.12) frees the ops'
 * filter and notrace hashes but leaves ops->func_hash pointing at them. A
 * later ftrace_set_filter() on the same ops copies the freed hash and then
 * hands it to call_rcu() a second time. The VM saw exactly that: a crash in
 * free_ftrace_hash() from rcu_do_batch() after "sync off" then "sync on"
 * (tests/vm/scenarios/kmod-netlink.sh toggles the controls on purpose).
 *
 * Usage: struct tlbisol_hook h = TLBISOL_HOOK("sym", handler, flags);
 *        tlbisol_hook_attach(&h) / tlbisol_hook_detach(&h), under the ctl
 *        lock; tlbisol_hook_release(&h) at exit, after the last detach.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/string.h>
#include "tlbisol.h"

int tlbisol_hook_attach(struct tlbisol_hook *h)
{
	int r;

	if (h->registered)
		return 0;
	if (!h->filter_set) {
		r = ftrace_set_filter(&h->ops, (unsigned char *)h->sym,
				      strlen(h->sym), 1);
		if (r)
			return r;
		h->filter_set = true;
	}
	r = register_ftrace_function(&h->ops);
	if (r)
		return r;
	h->registered = true;
	return 0;
}

/*
 * After this returns no new call enters the handler; ftrace's unregister
 * of a DYNAMIC ops waits for callers already inside the trampoline.
 */
void tlbisol_hook_detach(struct tlbisol_hook *h)
{
	if (!h->registered)
		return;
	unregister_ftrace_function(&h->ops);
	h->registered = false;
}

void tlbisol_hook_release(struct tlbisol_hook *h)
{
	tlbisol_hook_detach(h);
	if (h->filter_set) {
		ftrace_free_filter(&h->ops);
		h->filter_set = false;
	}
}
