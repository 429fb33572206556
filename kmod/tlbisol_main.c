// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol.ko — module entry point (skeleton; grows with issue 3).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>
#include <uapi/linux/tlbisol.h>

static int __init tlbisol_init(void)
{
	pr_info("loaded (genl family %s v%d)\n", TLBISOL_GENL_NAME, TLBISOL_GENL_VERSION);
	return 0;
}

static void __exit tlbisol_exit(void)
{
	pr_info("unloaded\n");
}

module_init(tlbisol_init);
module_exit(tlbisol_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keep TLB and sync IPIs away from isolated CPUs");
