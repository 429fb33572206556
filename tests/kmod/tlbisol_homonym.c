// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_homonym.ko — test-only: gives kallsyms a second function named
 * like one tlbisol.ko's deferral depends on (reclaim_and_purge_vmap_areas,
 * static in mm/vmalloc.c). register_kprobe() would still resolve the name
 * (vmlinux first) without complaint; tlbisol.ko must see the name is not
 * unique and refuse the feature that needs it (issue 9 item 13,
 * tests/vm/scenarios/kmod-refuse.sh).
 */
#include <linux/module.h>

noinline void reclaim_and_purge_vmap_areas(void);
noinline void reclaim_and_purge_vmap_areas(void)
{
	barrier();
}

static int __init homonym_init(void)
{
	reclaim_and_purge_vmap_areas();
	return 0;
}

static void __exit homonym_exit(void)
{
}

module_init(homonym_init);
module_exit(homonym_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tlbisol test: a homonym of a kernel function (test only)");
