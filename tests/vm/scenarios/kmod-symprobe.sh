#!/bin/sh
# Scenario (diagnostic): list the kernel symbols tlbisol.ko depends on, as
# /proc/kallsyms and ftrace see them in the booted kernel.
set -u
. "$SCENARIO_LIB"
syms='tlb_remove_table_sync_one tlb_remove_table_smp_sync flush_tlb_func do_flush_tlb_all do_kernel_range_flush do_sync_core flush_tlb_kernel_range __purge_vmap_area_lazy _vm_unmap_aliases purge_vmap_node vtime_user_exit pmd_free_pte_page pud_free_pmd_page huge_pmd_unshare hugetlb_unshare_pmds kallsyms_lookup_name vm_unmap_aliases'
for s in $syms; do
	echo "== $s"
	grep -E " $s(\.[a-z0-9.]+)?( |\$)" /proc/kallsyms
	grep -E "^$s(\.[a-z0-9.]+)?( |\$)" /sys/kernel/tracing/available_filter_functions
done > "$RESULTS/syms.txt" 2>&1
cat "$RESULTS/syms.txt"
grep -c . /proc/kallsyms
metric done true
