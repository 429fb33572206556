// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol.ko — keep TLB and sync IPIs away from isolated CPUs.
 *
 * Purpose: on stock kernels (Debian 6.12, x86-64), without kernel patches:
 *   1. targeted table-sync IPIs (tlbisol_sync.c; on by default),
 *   2. deferred kernel TLB flush for nohz_full CPUs in user mode
 *      (tlbisol_defer.c, DEFERRAL.md; experimental, off by default),
 *   3. per-CPU IPI accounting by payload (tlbisol_acct.c),
 * controlled over the generic-netlink family "tlbisol" (tlbisol_nl.c).
 *
 * Usage: modprobe tlbisol [sync=1] [defer=0] [defer_cpus=<cpulist>]
 *        then tlbctl, or any genetlink client (include/uapi/linux/tlbisol.h).
 *
 * This file: module parameters, the control state machine (serialised by
 * tlbisol_ctl_lock), init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/rcupdate_wait.h>
#include <linux/tick.h>
#include <net/netlink.h>
#include <linux/kconfig.h>
#include <linux/delay.h>
#include "tlbisol.h"

static bool sync = true;
module_param(sync, bool, 0444);
MODULE_PARM_DESC(sync, "Send tlb_remove_table_sync_one() IPIs only to CPUs not in an RCU extended quiescent state (default: on)");

static bool defer;
module_param(defer, bool, 0444);
MODULE_PARM_DESC(defer, "Experimental: defer kernel TLB flushes (vmalloc lazy purge, freed module memory) and text-patching syncs for nohz_full CPUs in user mode (default: off)");

static char *defer_cpus;
module_param(defer_cpus, charp, 0444);
MODULE_PARM_DESC(defer_cpus, "CPU list for the deferral (default: every nohz_full CPU with active context tracking)");

#ifdef TLBISOL_TEST
static bool protocol_check;
module_param(protocol_check, bool, 0444);
MODULE_PARM_DESC(protocol_check, "Testing: check that every deferred flush is caught up before the CPU runs kernel code past its entry (adds syscall tracepoint cost)");
/* Test-only: SET holds the ctl lock this long (kmod-netlink.sh: parallel_ops). */
static unsigned int test_set_delay_ms;
module_param(test_set_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_set_delay_ms, "Testing: every SET sleeps this long holding the module's lock");
#else
static const bool protocol_check;
#endif

DEFINE_MUTEX(tlbisol_ctl_lock);
static struct cpumask cfg_mask;		/* configured deferral mask */
static bool closing;			/* module exit started: no more SET */

/*
 * Why sync is unavailable right now, or NULL (on, or off and available).
 * A failed enable is reported to its SET and logged, not remembered here:
 * the holder that made it fail may be gone. Caller holds the ctl lock.
 */
const char *tlbisol_sync_reason(void)
{
	return tlbisol_sync_enabled() ? NULL : tlbisol_sync_unavailable();
}

const struct cpumask *tlbisol_cfg_defer_mask(void)
{
	return &cfg_mask;
}

/*
 * Why the deferral cannot be enabled right now, or NULL (on, or off and
 * available). Evaluated at every GET_INFO, not remembered from load time.
 * Caller holds the ctl lock.
 */
const char *tlbisol_defer_reason(void)
{
	const char *reason;

	if (tlbisol_defer_enabled())
		return NULL;
	if (tlbisol_defer_check(&cfg_mask, &reason))
		return reason;
	return tlbisol_guard_reason_now();
}

static void default_defer_mask(struct cpumask *mask)
{
	int cpu;

	cpumask_clear(mask);
	if (!tick_nohz_full_enabled())
		return;
	for_each_cpu(cpu, tick_nohz_full_mask)
		if (per_cpu(context_tracking.active, cpu))
			cpumask_set_cpu(cpu, mask);
}

static void ctl_restore_sync(bool was_on, struct netlink_ext_ack *extack,
			     const char *why)
{
	const char *reason;

	if (!was_on) {
		tlbisol_sync_disable();
		return;
	}
	if (tlbisol_sync_enable(&reason)) {
		NL_SET_ERR_MSG_FMT(extack, "%s; and targeted sync could not be restored: %s",
				   why, reason);
		pr_warn("targeted sync could not be restored: %s\n", reason);
	}
}

/*
 * Apply a change: @sync_on/@defer_on are 1 (enable), 0 (disable) or -1
 * (unchanged); @mask, if given, replaces the deferral mask. Everything that
 * can be checked is checked before anything changes; sync is changed
 * first, then the deferral, and a failure of the deferral step restores
 * both. Returns 0 or -errno with the reason in @extack.
 */
int tlbisol_ctl_set(int sync_on, int defer_on, const struct cpumask *mask,
		    struct netlink_ext_ack *extack)
{
	bool old_sync, old_defer, want_defer, sync_changed = false;
	const struct cpumask *new_mask;
	const char *reason = NULL, *reason2;
	int r = 0;

	mutex_lock(&tlbisol_ctl_lock);
#ifdef TLBISOL_TEST
	if (READ_ONCE(test_set_delay_ms))
		msleep(READ_ONCE(test_set_delay_ms));
#endif
	if (closing) {
		NL_SET_ERR_MSG(extack, "tlbisol is being unloaded");
		r = -ENODEV;
		goto out;
	}
	old_sync = tlbisol_sync_enabled();
	old_defer = tlbisol_defer_enabled();
	new_mask = mask ?: &cfg_mask;
	want_defer = defer_on == 1 || (defer_on == -1 && old_defer);

	/*
	 * Not while the deferral stays on as it is (e.g. a SET of sync
	 * alone): the check rewrites what the armed guard and the redirect
	 * read without locks (review 2, finding 6). A new mask while on is
	 * still checked first; with the hooks attached the check resolves
	 * nothing again (tlbisol_defer_check(), review 3, finding 6).
	 */
	if ((mask || want_defer) && !(old_defer && want_defer && !mask)) {
		r = tlbisol_defer_check(new_mask, &reason);
		if (r) {
			NL_SET_ERR_MSG_FMT(extack, "%s", reason);
			goto out;
		}
	}

	if (sync_on == 1 && !old_sync) {
		r = tlbisol_sync_enable(&reason);
		if (r) {
			NL_SET_ERR_MSG_FMT(extack, "%s", reason);
			goto out;
		}
		sync_changed = true;
	} else if (sync_on == 0 && old_sync) {
		tlbisol_sync_disable();
		sync_changed = true;
	}

	if (!want_defer) {
		tlbisol_defer_disable();
	} else if (!old_defer || mask) {
		r = tlbisol_defer_enable(new_mask, &reason);
		if (r) {
			NL_SET_ERR_MSG_FMT(extack, "%s", reason);
			if (old_defer && tlbisol_defer_enable(&cfg_mask, &reason2)) {
				NL_SET_ERR_MSG_FMT(extack, "%s; and the previous deferral could not be restored: %s",
						   reason, reason2);
				pr_warn("deferral could not be restored: %s\n", reason2);
			}
			if (sync_changed)
				ctl_restore_sync(old_sync, extack, reason);
			goto out;
		}
	}
	if (mask)
		cpumask_copy(&cfg_mask, mask);
	pr_info("sync %s, defer %s (CPUs %*pbl)\n",
		tlbisol_sync_enabled() ? "on" : "off",
		tlbisol_defer_enabled() ? "on" : "off", cpumask_pr_args(&cfg_mask));
out:
	mutex_unlock(&tlbisol_ctl_lock);
	return r;
}

static int __init tlbisol_apply_params(void)
{
	const char *reason;
	int r;

	if (defer_cpus && *defer_cpus) {
		r = cpulist_parse(defer_cpus, &cfg_mask);
		if (r) {
			pr_err("defer_cpus=%s: not a valid CPU list (%d)\n", defer_cpus, r);
			return r;
		}
	} else {
		default_defer_mask(&cfg_mask);
	}

	mutex_lock(&tlbisol_ctl_lock);
	if (defer) {
		r = tlbisol_defer_check(&cfg_mask, &reason);
		if (!r)
			r = tlbisol_defer_enable(&cfg_mask, &reason);
		if (r)
			pr_warn("deferral not enabled: %s\n", reason);
	}
	if (sync) {
		r = tlbisol_sync_enable(&reason);
		if (r)
			pr_warn("targeted sync not enabled: %s (%d)\n", reason, r);
	}
	mutex_unlock(&tlbisol_ctl_lock);
	return 0;
}

/*
 * ftrace could not remove one of our hooks (the ops or direct call stays
 * registered, its site may still call module text): keep the module for
 * good. The only failure of a registered hook's removal in 6.12
 * (kernel/trace/ftrace.c; the others are "not registered") comes after
 * ftrace_kill() on an internal ftrace error (FTRACE_WARN_ON): then
 * ftrace_shutdown() returns -ENODEV before it touches any site. LIVE (a
 * SET, a guard trip's work item): __module_get(), rmmod refuses from now
 * on (only a forced rmmod, CONFIG_MODULE_FORCE_UNLOAD, could still free
 * it). COMING (an init that fails after enabling) or GOING (module exit):
 * the loader frees the text whatever the refcount says; say so. Callers
 * keep what the site uses (ops, filter) allocated. Caller holds the ctl
 * lock, or is module exit.
 */
void tlbisol_pin_module(const char *what, int err)
{
	static bool pinned;

	if (THIS_MODULE->state == MODULE_STATE_LIVE) {
		if (!pinned)
			__module_get(THIS_MODULE);
		pinned = true;
		pr_err("cannot remove the ftrace hook on %s (%d): the kernel may still call tlbisol's code; tlbisol stays loaded for good, reboot\n",
		       what, err);
	} else {
		pr_emerg("cannot remove the ftrace hook on %s (%d) while tlbisol is being loaded or unloaded: the kernel may call freed module text, reboot now\n",
			 what, err);
	}
}

static void tlbisol_disable_all(void)
{
	mutex_lock(&tlbisol_ctl_lock);
	closing = true;
	tlbisol_defer_disable();	/* flushes every deferral CPU first */
	tlbisol_sync_disable();
	mutex_unlock(&tlbisol_ctl_lock);
	/*
	 * No grace period of our own for tasks redirected into
	 * tlbisol_sync_one() or tlbisol_flush_kernel_range() and preempted
	 * there: the last hook detach unregistered the redirect ops, and
	 * ftrace_shutdown() waited for synchronize_rcu_tasks() after the last
	 * redirect could start (tlbisol_hook.c head comment).
	 */
	tlbisol_guard_exit();		/* the guard's work item, if queued */
	tlbisol_hook_release(&tlbisol_redirect_ops);
	tlbisol_defer_release();
}

static int __init tlbisol_init(void)
{
	int r;

	tlbisol_sym_init();
	tlbisol_acct_set_own(tlbisol_sync_ipi, tlbisol_defer_ipi);
	r = tlbisol_acct_init();
	if (r)
		return r;
	r = tlbisol_proto_init(protocol_check);
	if (r)
		goto out_acct_exit;
	r = tlbisol_apply_params();
	if (r)
		goto out_proto_exit;
	r = tlbisol_nl_init();
	if (r)
		goto out_disable;
	pr_info("loaded: sync %s, defer %s, genl family %s v%d%s\n",
		tlbisol_sync_enabled() ? "on" : "off",
		tlbisol_defer_enabled() ? "on" : "off",
		TLBISOL_GENL_NAME, TLBISOL_GENL_VERSION,
		IS_ENABLED(TLBISOL_TEST) ? " (TEST BUILD)" : "");
	return 0;

out_disable:
	tlbisol_disable_all();
out_proto_exit:
	tlbisol_proto_exit();
out_acct_exit:
	tlbisol_acct_stop();
	tlbisol_sym_exit();
	tlbisol_acct_free();
	return r;
}

/*
 * Unload order (issue 9 item 9): controls off and hooks gone, then the
 * tracepoint probes and the event work, then the genetlink family, so
 * that no event work item can run against an unregistered family. SET
 * requests that arrive meanwhile are refused (closing). The symbols and
 * the counters' memory go only after the family: genetlink does not pin
 * the module for doit ops (GET_INFO, GET_STATS, RESET_STATS), and
 * genl_unregister_family() is what waits for the ones still running.
 */
static void __exit tlbisol_exit(void)
{
	tlbisol_disable_all();
	tlbisol_proto_exit();
	tlbisol_acct_stop();
	tlbisol_nl_exit();
	tlbisol_sym_exit();
	tlbisol_acct_free();
	pr_info("unloaded\n");
}

module_init(tlbisol_init);
module_exit(tlbisol_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keep TLB and sync IPIs away from isolated CPUs");
