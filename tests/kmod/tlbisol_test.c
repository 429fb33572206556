// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_test.ko — test-only helper for the VM test bed. Never installed.
 *
 * Purpose: give VM scenarios kernel-side levers that user space cannot pull.
 * Usage:   insmod tlbisol_test.ko bug_on_load=1   (test-bed negative control:
 *          the bed must report the BUG and fail the scenario)
 *          insmod tlbisol_test.ko warn_on_load=1  (same, for a WARNING)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>
#include <linux/bug.h>

static bool bug_on_load;
module_param(bug_on_load, bool, 0444);
MODULE_PARM_DESC(bug_on_load, "Call BUG() from module init (test-bed negative control)");

static bool warn_on_load;
module_param(warn_on_load, bool, 0444);
MODULE_PARM_DESC(warn_on_load, "WARN() from module init (test-bed negative control)");

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
