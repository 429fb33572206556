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
 *          echo "CPU N" > /sys/module/tlbisol_test/parameters/nmi_kick
 *                  send N NMIs to CPU (apic->send_IPI(cpu, NMI_VECTOR), the
 *                  path nmi_trigger_cpumask_backtrace() uses, without its
 *                  printing), 1-2 ms apart (sleeping); our NMI_LOCAL handler claims them
 *                  so they are not "unknown NMIs". QEMU TCG has no PMU, so
 *                  perf NMIs cannot exercise tlbisol's NMI catch-up; these do.
 *          cat /sys/module/tlbisol_test/parameters/nmi_kick
 *                  NMIs sent and NMIs received, summed over CPUs
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/delay.h>
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <asm/apic.h>
#include <asm/nmi.h>

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

static DEFINE_PER_CPU(atomic_t, nmi_expect);
static atomic_long_t nmi_sent, nmi_got;

static int test_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (atomic_dec_if_positive(this_cpu_ptr(&nmi_expect)) < 0)
		return NMI_DONE;
	atomic_long_inc(&nmi_got);
	return NMI_HANDLED;
}

static int nmi_kick_set(const char *val, const struct kernel_param *kp)
{
	unsigned int cpu, n, i;

	if (sscanf(val, "%u %u", &cpu, &n) != 2 || n > 100000)
		return -EINVAL;
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -ERANGE;
	for (i = 0; i < n; i++) {
		atomic_inc(per_cpu_ptr(&nmi_expect, cpu));
		apic->send_IPI(cpu, NMI_VECTOR);
		atomic_long_inc(&nmi_sent);
		usleep_range(1000, 2000);
	}
	return 0;
}

static int nmi_kick_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "sent=%ld received=%ld\n",
			  atomic_long_read(&nmi_sent), atomic_long_read(&nmi_got));
}

static const struct kernel_param_ops nmi_kick_ops = {
	.set = nmi_kick_set,
	.get = nmi_kick_get,
};
module_param_cb(nmi_kick, &nmi_kick_ops, NULL, 0600);
MODULE_PARM_DESC(nmi_kick, "Write \"CPU N\": send N NMIs to CPU; read: NMIs sent and received");

static int __init tlbisol_test_init(void)
{
	int r;

	if (bug_on_load) {
		pr_emerg("bug_on_load set: calling BUG() on purpose\n");
		BUG();
	}
	WARN(warn_on_load, "tlbisol_test: warn_on_load set: warning on purpose\n");
	r = register_nmi_handler(NMI_LOCAL, test_nmi_handler, 0, "tlbisol_test");
	if (r)
		return r;
	pr_info("loaded\n");
	return 0;
}

static void __exit tlbisol_test_exit(void)
{
	unregister_nmi_handler(NMI_LOCAL, "tlbisol_test");
	pr_info("unloaded\n");
}

module_init(tlbisol_test_init);
module_exit(tlbisol_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tlbisol test-bed helper (test only)");
