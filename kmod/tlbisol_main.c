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
#include "tlbisol.h"

static bool sync = true;
module_param(sync, bool, 0444);
MODULE_PARM_DESC(sync, "Send tlb_remove_table_sync_one() IPIs only to CPUs not in an RCU extended quiescent state (default: on)");

static bool defer;
module_param(defer, bool, 0444);
MODULE_PARM_DESC(defer, "Experimental: defer vmalloc-purge kernel TLB flushes for nohz_full CPUs in user mode (default: off)");

static char *defer_cpus;
module_param(defer_cpus, charp, 0444);
MODULE_PARM_DESC(defer_cpus, "CPU list for the deferral (default: every nohz_full CPU with active context tracking)");

static bool protocol_check;
module_param(protocol_check, bool, 0444);
MODULE_PARM_DESC(protocol_check, "Testing: check that every deferred flush is caught up before the CPU runs kernel code past its entry (adds syscall tracepoint cost)");

DEFINE_MUTEX(tlbisol_ctl_lock);
static const char *sync_reason;		/* why sync could not be enabled */
static const char *defer_reason;	/* why deferral is unavailable */
static struct cpumask cfg_mask;		/* configured deferral mask */

const char *tlbisol_sync_reason(void)
{
	return tlbisol_sync_enabled() ? NULL : sync_reason;
}

const struct cpumask *tlbisol_cfg_defer_mask(void)
{
	return &cfg_mask;
}

const char *tlbisol_defer_reason(void)
{
	return tlbisol_defer_enabled() ? NULL : defer_reason;
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

/*
 * Apply a change: @sync_on/@defer_on are 1 (enable), 0 (disable) or -1
 * (unchanged); @mask, if given, replaces the deferral mask. Everything is
 * checked before anything changes; a failure half-way restores the
 * previous state. Returns 0 or -errno with the reason in @extack.
 */
int tlbisol_ctl_set(int sync_on, int defer_on, const struct cpumask *mask,
		    struct netlink_ext_ack *extack)
{
	bool old_defer, want_defer;
	const struct cpumask *new_mask;
	const char *reason = NULL;
	int r = 0;

	mutex_lock(&tlbisol_ctl_lock);
	old_defer = tlbisol_defer_enabled();
	new_mask = mask ?: &cfg_mask;
	want_defer = defer_on == 1 || (defer_on == -1 && old_defer);

	if (mask || want_defer) {
		r = tlbisol_defer_check(new_mask, &reason);
		if (r) {
			NL_SET_ERR_MSG_FMT(extack, "%s", reason);
			goto out;
		}
	}

	if (!want_defer) {
		tlbisol_defer_disable();
	} else if (!old_defer || mask) {
		r = tlbisol_defer_enable(new_mask, &reason);
		if (r) {
			NL_SET_ERR_MSG_FMT(extack, "%s", reason);
			if (old_defer && !tlbisol_defer_enable(&cfg_mask, &reason))
				goto out;
			goto out;
		}
	}

	if (sync_on == 1) {
		r = tlbisol_sync_enable(&reason);
		if (r) {
			sync_reason = reason;
			NL_SET_ERR_MSG_FMT(extack, "%s", reason);
			/* restore the deferral as it was */
			if (!old_defer)
				tlbisol_defer_disable();
			else if (mask)
				tlbisol_defer_enable(&cfg_mask, &reason);
			goto out;
		}
		sync_reason = NULL;
	} else if (sync_on == 0) {
		tlbisol_sync_disable();
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
	if (tlbisol_defer_check(&cfg_mask, &reason))
		defer_reason = reason;	/* unavailable with this mask / kernel */
	if (defer) {
		r = defer_reason ? -EINVAL : tlbisol_defer_enable(&cfg_mask, &reason);
		if (r) {
			defer_reason = reason;
			pr_warn("deferral not enabled: %s\n", reason);
		}
	}
	if (sync) {
		r = tlbisol_sync_enable(&reason);
		if (r) {
			sync_reason = reason;
			pr_warn("targeted sync not enabled: %s (%d)\n", reason, r);
		}
	}
	mutex_unlock(&tlbisol_ctl_lock);
	return 0;
}

static int __init tlbisol_init(void)
{
	int r;

	tlbisol_sym_init();
	tlbisol_acct_set_own(tlbisol_sync_ipi, tlbisol_defer_ipi);
	r = tlbisol_acct_init();
	if (r)
		return r;
	r = tlbisol_defer_init(protocol_check);
	if (r)
		goto out_acct_exit;
	r = tlbisol_apply_params();
	if (r)
		goto out_defer_exit;
	r = tlbisol_nl_init();
	if (r)
		goto out_disable;
	pr_info("loaded: sync %s, defer %s, genl family %s v%d\n",
		tlbisol_sync_enabled() ? "on" : "off",
		tlbisol_defer_enabled() ? "on" : "off",
		TLBISOL_GENL_NAME, TLBISOL_GENL_VERSION);
	return 0;

out_disable:
	mutex_lock(&tlbisol_ctl_lock);
	tlbisol_defer_disable();
	tlbisol_sync_disable();
	mutex_unlock(&tlbisol_ctl_lock);
	tlbisol_hook_release();
out_defer_exit:
	tlbisol_defer_exit();
out_acct_exit:
	tlbisol_acct_exit();
	return r;
}

static void __exit tlbisol_exit(void)
{
	tlbisol_nl_exit();
	mutex_lock(&tlbisol_ctl_lock);
	tlbisol_defer_disable();	/* flushes every deferral CPU first */
	tlbisol_sync_disable();
	mutex_unlock(&tlbisol_ctl_lock);
	/*
	 * No grace period of our own for tasks redirected into
	 * tlbisol_sync_one() or tlbisol_flush_kernel_range() and preempted
	 * there: the last hook detach unregistered the shared ftrace_ops, and
	 * ftrace_shutdown() waited for synchronize_rcu_tasks() after the last
	 * redirect could start (tlbisol_hook.c head comment).
	 */
	tlbisol_hook_release();
	tlbisol_defer_exit();
	tlbisol_acct_exit();
	pr_info("unloaded\n");
}

module_init(tlbisol_init);
module_exit(tlbisol_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keep TLB and sync IPIs away from isolated CPUs");
