// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_test.ko — test-only helper for the VM test bed. Never installed.
 *
 * Purpose: give VM scenarios kernel-side levers that user space cannot pull.
 * Usage:   insmod tlbisol_test.ko bug_on_load=1   (test-bed negative control:
 *          the bed must report the BUG and fail the scenario)
 *          insmod tlbisol_test.ko warn_on_load=1  (same, for a WARNING)
 *          echo N > /sys/module/tlbisol_test/parameters/purge_churn
 *                  N rounds of vmalloc + vfree + vm_unmap_aliases(): each
 *                  round is one lazy purge, i.e. one flush_tlb_kernel_range()
 *                  from __purge_vmap_area_lazy() (mm/vmalloc.c, 6.12)
 *          echo 1 > /sys/module/tlbisol_test/parameters/skip_catchup
 *                  deferral negative control: tlbisol.ko stops flushing at
 *                  kernel entry (taints the kernel); its protocol check must
 *                  then report violations. Needs tlbisol.ko loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static bool bug_on_load;
module_param(bug_on_load, bool, 0444);
MODULE_PARM_DESC(bug_on_load, "Call BUG() from module init (test-bed negative control)");

static bool warn_on_load;
module_param(warn_on_load, bool, 0444);
MODULE_PARM_DESC(warn_on_load, "WARN() from module init (test-bed negative control)");

static int churn_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n, i;
	void *p;
	int r;

	r = kstrtouint(val, 0, &n);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		p = vmalloc(4 * PAGE_SIZE);
		if (!p)
			return -ENOMEM;
		memset(p, 0x5a, 4 * PAGE_SIZE);
		vfree(p);
		vm_unmap_aliases();	/* purge now: one kernel TLB flush */
		cond_resched();
	}
	return 0;
}

static const struct kernel_param_ops churn_ops = {
	.set = churn_set,
};
module_param_cb(purge_churn, &churn_ops, NULL, 0200);
MODULE_PARM_DESC(purge_churn, "Write N: run N vmalloc lazy purges (each flushes kernel TLBs)");

void tlbisol_test_skip_catchup(bool skip);	/* tlbisol.ko, tlbisol_defer.c */

static int skip_set(const char *val, const struct kernel_param *kp)
{
	void (*fn)(bool);
	bool skip;
	int r;

	r = kstrtobool(val, &skip);
	if (r)
		return r;
	fn = symbol_get(tlbisol_test_skip_catchup);
	if (!fn)
		return -ENOENT;
	fn(skip);
	symbol_put(tlbisol_test_skip_catchup);
	return 0;
}

static const struct kernel_param_ops skip_ops = {
	.set = skip_set,
};
module_param_cb(skip_catchup, &skip_ops, NULL, 0200);
MODULE_PARM_DESC(skip_catchup, "Write 1: tlbisol.ko skips its entry catch-up (deferral negative control; taints)");

static int __init tlbisol_test_init(void)
{
	if (bug_on_load) {
		pr_emerg("bug_on_load set: calling BUG() on purpose\n");
		BUG();
	}
	WARN(warn_on_load, "tlbisol_test: warn_on_load set: warning on purpose\n");
	pr_info("loaded\n");
	return 0;
}

static void __exit tlbisol_test_exit(void)
{
	pr_info("unloaded\n");
}

module_init(tlbisol_test_init);
module_exit(tlbisol_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tlbisol test-bed helper (test only)");
