// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_test.ko — test-only helper for the VM test bed. Never installed.
 *
 * Purpose: give VM scenarios kernel-side levers that user space cannot pull.
 * Usage:   insmod tlbisol_test.ko bug_on_load=1   (test-bed negative control:
 *          the bed must report the BUG and fail the scenario)
 *          insmod tlbisol_test.ko warn_on_load=1  (same, for a WARNING)
 *          echo N > /sys/module/tlbisol_test/parameters/purge_churn
 *                  N lazy purges (drain_vmap_area_work(), the path the
 *                  deferral defers), one flush_tlb_kernel_range() each
 *          echo N > /sys/module/tlbisol_test/parameters/unmap_aliases_churn
 *                  N purges through vm_unmap_aliases() (CPA's path: not
 *                  deferred)
 *          echo 1 > .../guard_off, .../nmi_first,
 *                  echo FUNCTION|redirect > .../ipmodify_grab,
 *                  echo SYMBOL > .../raw_kprobe
 *                  see the parameter descriptions below
 *          echo 1|2 > /sys/module/tlbisol_test/parameters/skip_catchup
 *                  deferral negative control: tlbisol.ko stops flushing at
 *                  kernel entry (1) or in its NMI handler (2) (taints the
 *                  kernel); its protocol check must then report
 *                  violations. 0 restores. Needs tlbisol.ko loaded.
 *          echo "CPU N" > /sys/module/tlbisol_test/parameters/nmi_kick
 *                  send N NMIs to CPU (apic->send_IPI(cpu, NMI_VECTOR), the
 *                  path nmi_trigger_cpumask_backtrace() uses, without its
 *                  printing), 1-2 ms apart (sleeping); our NMI_LOCAL handler claims them
 *                  so they are not "unknown NMIs". QEMU TCG has no PMU, so
 *                  perf NMIs cannot exercise tlbisol's NMI catch-up; these do.
 *          cat /sys/module/tlbisol_test/parameters/nmi_kick
 *                  NMIs sent and NMIs received, summed over CPUs
 *          echo 1 > /sys/module/tlbisol_test/parameters/mark_tsc_unstable
 *                  mark the TSC unstable (mark_tsc_unstable()), as the
 *                  clocksource watchdog does in a guest its host could not
 *                  run on time: the tick then runs on every nohz_full CPU
 *                  (tick dependency CLOCK_UNSTABLE) until reboot. Only for
 *                  a boot of its own (tests/vm/scenarios/tick-record.sh).
 *          echo ftrace|direct|0 > /sys/module/tlbisol_test/parameters/entry_hook
 *                  cost controls of the deferral's entry hook on
 *                  vtime_user_exit(): an empty ftrace ops with tlbisol's
 *                  entry-ops flags, or a direct call doing the deferral's
 *                  fast-path test; 0 detaches (kmod-defer.sh §4)
 *          echo 1|2 > /sys/module/tlbisol_test/parameters/sleep_watch
 *                  (2: count only; echo 1 > .../sleep_bait is its positive
 *                  control, with the TEST build of tlbisol.ko)
 *                  PREEMPT_RT only: report a sleeping lock (rt_spin_lock(),
 *                  the RT spinlock_t) taken with IRQs disabled from a call
 *                  chain through tlbisol.ko, the check
 *                  CONFIG_DEBUG_ATOMIC_SLEEP would make (Debian's kernels
 *                  do not enable it); prints "BUG: sleeping lock ..." once,
 *                  which the bed counts as a splat. Read: hits in tlbisol
 *                  and elsewhere. 0 disarms. See sleep_watch_pre().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/init.h>
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/delay.h>
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/ftrace.h>
#include <linux/stacktrace.h>
#include <linux/vtime.h>
#include <asm/apic.h>
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
#include <asm/nmi.h>
#include <asm/tsc.h>

static bool bug_on_load;
module_param(bug_on_load, bool, 0444);
MODULE_PARM_DESC(bug_on_load, "Call BUG() from module init (test-bed negative control)");

static bool warn_on_load;
module_param(warn_on_load, bool, 0444);
MODULE_PARM_DESC(warn_on_load, "WARN() from module init (test-bed negative control)");

/*
 * purge_churn: N lazy purges, the path the deferral defers. Each round
 * reserves and frees a vmalloc area larger than lazy_max_pages()
 * (mm/vmalloc.c: 32 MB * fls(online CPUs) of address space; nothing is
 * mapped, so it is cheap), which makes free_vmap_area_noflush() schedule
 * drain_vmap_work -> drain_vmap_area_work() -> __purge_vmap_area_lazy() ->
 * flush_tlb_kernel_range(). The round waits until the purge has started
 * (a kprobe on __purge_vmap_area_lazy counts entries) plus 2 ms.
 */
static atomic_long_t purges_started;

static int purge_kp_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic_long_inc(&purges_started);
	return 0;
}

static struct kprobe purge_kp = {
	.symbol_name = "__purge_vmap_area_lazy",
	.pre_handler = purge_kp_pre,
};
static bool purge_kp_on;

static int churn_set(const char *val, const struct kernel_param *kp)
{
	unsigned long npages = ((32UL << 20) * fls(num_online_cpus()) + (4UL << 20)) >> PAGE_SHIFT;
	struct page **pages, *pg;
	unsigned int n, i, waited;
	unsigned long j;
	void *va;
	long seen;
	int r;

	r = kstrtouint(val, 0, &n);
	if (r)
		return r;
	if (!purge_kp_on)
		return -ENOENT;
	pg = alloc_page(GFP_KERNEL);
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pg || !pages) {
		r = -ENOMEM;
		goto out;
	}
	for (j = 0; j < npages; j++)
		pages[j] = pg;
	for (i = 0; i < n; i++) {
		seen = atomic_long_read(&purges_started);
		va = vmap(pages, npages, VM_MAP, PAGE_KERNEL);
		if (!va) {
			r = -ENOMEM;
			goto out;
		}
		vunmap(va);
		for (waited = 0; atomic_long_read(&purges_started) == seen; waited++) {
			if (waited > 2000) {
				r = -ETIMEDOUT;
				goto out;
			}
			usleep_range(1000, 2000);
		}
		usleep_range(2000, 3000);
	}
out:
	kvfree(pages);
	if (pg)
		__free_page(pg);
	return r;
}

static const struct kernel_param_ops churn_ops = {
	.set = churn_set,
};
module_param_cb(purge_churn, &churn_ops, NULL, 0200);
MODULE_PARM_DESC(purge_churn, "Write N: run N vmalloc lazy purges (drain_vmap_area_work; each flushes kernel TLBs)");

/*
 * unmap_aliases_churn: N purges through vm_unmap_aliases() (CPA's path,
 * set_memory_*()), which tlbisol.ko must NOT defer.
 */
static int aliases_set(const char *val, const struct kernel_param *kp)
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

static const struct kernel_param_ops aliases_ops = {
	.set = aliases_set,
};
module_param_cb(unmap_aliases_churn, &aliases_ops, NULL, 0200);
MODULE_PARM_DESC(unmap_aliases_churn, "Write N: run N purges through vm_unmap_aliases() (CPA's path: not deferrable)");

/*
 * key_churn: N enables and N disables of a static key whose only site is
 * in this module's text: 2N text_poke_bp_batch() runs (jump_label_update()
 * -> text_poke_finish()), three text_poke_sync()s each, all sites in a
 * module: deferrable by tlbisol.ko (DEFERRAL.md "Text-patching syncs").
 * The read shows the site's use count, so the branch is not optimised out.
 */
static DEFINE_STATIC_KEY_FALSE(tsync_key);
static unsigned long tsync_hits;

static noinline void tsync_site(void)
{
	if (static_branch_unlikely(&tsync_key))
		tsync_hits++;
}

static int key_churn_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n, i;
	int r;

	r = kstrtouint(val, 0, &n);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		static_branch_enable(&tsync_key);
		tsync_site();
		static_branch_disable(&tsync_key);
		tsync_site();
		cond_resched();
	}
	return 0;
}

static int key_churn_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "hits=%lu\n", tsync_hits);
}

static const struct kernel_param_ops key_churn_ops = {
	.set = key_churn_set,
	.get = key_churn_get,
};
module_param_cb(key_churn, &key_churn_ops, NULL, 0600);
MODULE_PARM_DESC(key_churn, "Write N: toggle a static key with a site in this module N times (2N text-patching batches)");

void tlbisol_test_skip_catchup(int where);	/* tlbisol.ko TEST build: 1 entry, 2 NMI */
void tlbisol_test_guard_off(bool off);		/* tlbisol.ko TEST build */

/*
 * mark_tsc_unstable: the path a clocksource watchdog verdict takes
 * (tsc_cs_mark_unstable() and mark_tsc_unstable() both end in
 * clear_sched_clock_stable(), which sets TICK_DEP_BIT_CLOCK_UNSTABLE on
 * every CPU). One way: nothing makes the TSC stable again before reboot.
 */
static int tsc_unstable_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int r = kstrtobool(val, &on);

	if (r)
		return r;
	if (on)
		mark_tsc_unstable("tlbisol_test mark_tsc_unstable=1");
	return 0;
}

static const struct kernel_param_ops tsc_unstable_ops = {
	.set = tsc_unstable_set,
};
module_param_cb(mark_tsc_unstable, &tsc_unstable_ops, NULL, 0200);
MODULE_PARM_DESC(mark_tsc_unstable, "Write 1: mark the TSC unstable until reboot (the tick then runs on every nohz_full CPU)");

static int skip_set(const char *val, const struct kernel_param *kp)
{
	void (*fn)(int);
	unsigned int where;
	int r;

	r = kstrtouint(val, 0, &where);
	if (r)
		return r;
	if (where > 2)
		return -EINVAL;
	fn = symbol_get(tlbisol_test_skip_catchup);
	if (!fn)
		return -ENOENT;
	fn(where);
	symbol_put(tlbisol_test_skip_catchup);
	return 0;
}

static const struct kernel_param_ops skip_ops = {
	.set = skip_set,
};
module_param_cb(skip_catchup, &skip_ops, NULL, 0200);
MODULE_PARM_DESC(skip_catchup, "Write 1 (entry) or 2 (NMI): tlbisol.ko (TEST build) skips that catch-up's flush (deferral negative control; taints); 0 restores");

static int guard_off_set(const char *val, const struct kernel_param *kp)
{
	void (*fn)(bool);
	bool off;
	int r;

	r = kstrtobool(val, &off);
	if (r)
		return r;
	fn = symbol_get(tlbisol_test_guard_off);
	if (!fn)
		return -ENOENT;
	fn(off);
	symbol_put(tlbisol_test_guard_off);
	return 0;
}

static const struct kernel_param_ops guard_off_ops = {
	.set = guard_off_set,
};
module_param_cb(guard_off, &guard_off_ops, NULL, 0200);
MODULE_PARM_DESC(guard_off, "Write 1: tlbisol.ko (TEST build) notes but does not act on foreign code (negative control of the protocol check's foreign count; taints)");

/* nmi_first: an NMI_LOCAL handler registered with NMI_FLAG_FIRST, late. */
static int first_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	return NMI_DONE;
}
static bool nmi_first_on;

static int nmi_first_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int r;

	r = kstrtobool(val, &on);
	if (r)
		return r;
	if (on == nmi_first_on)
		return 0;
	if (on) {
		r = register_nmi_handler(NMI_LOCAL, first_nmi_handler, NMI_FLAG_FIRST,
					 "tlbisol_test_first");
		if (r)
			return r;
	} else {
		unregister_nmi_handler(NMI_LOCAL, "tlbisol_test_first");
	}
	nmi_first_on = on;
	return 0;
}

static const struct kernel_param_ops nmi_first_ops = {
	.set = nmi_first_set,
};
module_param_cb(nmi_first, &nmi_first_ops, NULL, 0200);
MODULE_PARM_DESC(nmi_first, "Write 1/0: register/unregister a late NMI_FLAG_FIRST NMI_LOCAL handler");

/*
 * ipmodify_grab: hold a function with an IPMODIFY ftrace ops, as livepatch
 * does: "tlb_remove_table_sync_one" keeps tlbisol.ko from enabling its
 * sync; "vtime_user_exit" must be possible while tlbisol defers (and make
 * it turn the deferral off); "0" releases. The flags are livepatch's
 * (kernel/livepatch/patch.c, less DYNAMIC: grab_ops is module data).
 *
 * "redirect" grabs vtime_user_exit and, as a livepatch does, sets
 * regs->ip to a replacement, grab_vtime_user_exit() (review 6 M1): with
 * tlbisol's direct call on the same site, ftrace_regs_caller runs
 * grab_func and RETs into tlbisol_entry_tramp, whose own RET must land on
 * the replacement (arch/x86/kernel/ftrace_64.S: the return slot is
 * regs->ip). The replacement counts per CPU (read ipmodify_grab) and does
 * vtime_user_exit()'s work (kernel/sched/cputime.c, VIRT_CPU_ACCOUNTING_GEN)
 * through vtime_guest_exit(), exported, its twin: under the same
 * seqcount it adds get_vtime_delta() (the user time since the last
 * transition) to the task, sets vtime->state = VTIME_SYS and clears
 * PF_VCPU (never set here: KVM sets it between vtime_guest_enter() and
 * vtime_guest_exit(), never across a return to user mode). The one
 * difference is the bucket: account_guest_time() adds the time to the
 * task's utime and its cgroup's CPUTIME_USER as account_user_time()
 * would, and to gtime and cpustat[CPUTIME_GUEST] besides, so the guest
 * counters of CPUs 2-3 grow by their user time while the redirect is on
 * (seconds, in a test boot). Context as the original's: __ct_user_exit()
 * inside instrumentation_begin/end, IRQs off, argument in %rdi (the
 * fentry site is the first instruction; ftrace restores it).
 */
static DEFINE_PER_CPU(unsigned long, grab_redirected);
static bool grab_redirect;

static void notrace grab_vtime_user_exit(struct task_struct *tsk)
{
	this_cpu_inc(grab_redirected);
	vtime_guest_exit(tsk);
}

static void notrace grab_func(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	if (READ_ONCE(grab_redirect))
		ftrace_regs_set_instruction_pointer(fregs, (unsigned long)grab_vtime_user_exit);
}

static struct ftrace_ops grab_ops = {
	.func	= grab_func,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY,
};
static bool grab_on;

static int grab_set(const char *val, const struct kernel_param *kp)
{
	char name[KSYM_NAME_LEN];
	bool redirect;
	int r;

	if (sscanf(val, "%127s", name) != 1)
		return -EINVAL;
	if (grab_on) {
		unregister_ftrace_function(&grab_ops);
		grab_on = false;
	}
	WRITE_ONCE(grab_redirect, false);
	if (!strcmp(name, "0"))
		return 0;
	redirect = !strcmp(name, "redirect");
	if (redirect)
		strscpy(name, "vtime_user_exit");
	r = ftrace_set_filter(&grab_ops, name, strlen(name), 1);
	if (r)
		return r;
	WRITE_ONCE(grab_redirect, redirect);	/* before the site calls us */
	r = register_ftrace_function(&grab_ops);
	if (r) {
		WRITE_ONCE(grab_redirect, false);
		return r;
	}
	grab_on = true;
	return 0;
}

static int grab_get(char *buf, const struct kernel_param *kp)
{
	int cpu, n;

	n = sysfs_emit(buf, "on=%d redirect=%d redirected", grab_on, READ_ONCE(grab_redirect));
	for_each_possible_cpu(cpu)
		n += sysfs_emit_at(buf, n, " %lu", per_cpu(grab_redirected, cpu));
	return n + sysfs_emit_at(buf, n, "\n");
}

static const struct kernel_param_ops grab_ops_param = {
	.set = grab_set,
	.get = grab_get,
};
module_param_cb(ipmodify_grab, &grab_ops_param, NULL, 0600);
MODULE_PARM_DESC(ipmodify_grab, "Write FUNCTION: hold it with an IPMODIFY ftrace ops (as livepatch does); redirect: vtime_user_exit, redirected to a counting replacement; 0 releases. Read: state, calls of the replacement per CPU");

/*
 * raw_kprobe: a kprobe registered from a module (register_kprobe()), as
 * another module would do. Kprobe *events* (tracefs, perf, BPF kprobes)
 * refuse notrace functions such as sched_clock() (trace_kprobe.c:
 * within_notrace_func() with KPROBES_ON_FTRACE); a module's kprobe does
 * not. "SYMBOL[+OFFSET]" registers (an int3 unless on an fentry site),
 * "0" unregisters. Read: hits.
 */
static atomic_long_t rkp_hits;
static bool rkp_on;

static int rkp_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic_long_inc(&rkp_hits);
	return 0;
}

static struct kprobe rkp;
static char rkp_sym[KSYM_NAME_LEN];

static int rkp_set(const char *val, const struct kernel_param *kp)
{
	unsigned int off = 0;
	char *plus;
	int r;

	if (rkp_on) {
		unregister_kprobe(&rkp);
		rkp_on = false;
	}
	if (sscanf(val, "%127s", rkp_sym) != 1)
		return -EINVAL;
	if (!strcmp(rkp_sym, "0"))
		return 0;
	plus = strchr(rkp_sym, '+');
	if (plus) {
		*plus = '\0';
		r = kstrtouint(plus + 1, 0, &off);
		if (r)
			return r;
	}
	memset(&rkp, 0, sizeof(rkp));
	rkp.symbol_name = rkp_sym;
	rkp.offset = off;
	rkp.pre_handler = rkp_pre;
	r = register_kprobe(&rkp);
	if (r)
		return r;
	rkp_on = true;
	return 0;
}

static int rkp_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "on=%d hits=%ld\n", rkp_on, atomic_long_read(&rkp_hits));
}

static const struct kernel_param_ops rkp_ops = {
	.set = rkp_set,
	.get = rkp_get,
};
module_param_cb(raw_kprobe, &rkp_ops, NULL, 0600);
MODULE_PARM_DESC(raw_kprobe, "Write SYMBOL[+OFFSET]: register a kprobe there from this module; 0 unregisters");

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

/*
 * sleep_watch: on PREEMPT_RT, spinlock_t is an rtmutex (rt_spin_lock(),
 * kernel/locking/spinlock_rt.c) that may schedule; taking it with IRQs off
 * (e.g. under raw_spin_lock_irqsave()) is "scheduling while atomic" as
 * soon as it is contended. __might_resched() catches that only with
 * CONFIG_DEBUG_ATOMIC_SLEEP. We probe rt_spin_lock() and look at the
 * caller's IRQ flag (regs->flags: valid for kprobes on ftrace and on int3);
 * a hit whose stack passes through tlbisol.ko code is reported.
 */
static atomic_long_t sw_tlbisol, sw_other;
static bool sw_reported, sw_armed, sw_quiet;

static bool sw_stack_in_tlbisol(void)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long e[24];
	unsigned int i, n;

	n = stack_trace_save(e, ARRAY_SIZE(e), 0);
	for (i = 0; i < n; i++) {
		sprint_symbol(buf, e[i]);
		if (strstr(buf, " [tlbisol]"))
			return true;
	}
	return false;
}

static int sleep_watch_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (!irqs_disabled_flags(regs->flags) || system_state != SYSTEM_RUNNING)
		return 0;
	if (!sw_stack_in_tlbisol()) {
		atomic_long_inc(&sw_other);
		return 0;
	}
	atomic_long_inc(&sw_tlbisol);
	if (!READ_ONCE(sw_quiet) && !xchg(&sw_reported, true)) {
		pr_err("BUG: sleeping lock rt_spin_lock() taken with IRQs disabled from tlbisol.ko (what CONFIG_DEBUG_ATOMIC_SLEEP reports as 'sleeping function called from invalid context')\n");
		dump_stack();
	}
	return 0;
}

static struct kprobe sw_kp = {
	.symbol_name = "rt_spin_lock",
	.pre_handler = sleep_watch_pre,
};

static int sleep_watch_set(const char *val, const struct kernel_param *kp)
{
	unsigned int mode;
	bool on;
	int r;

	r = kstrtouint(val, 0, &mode);
	if (r)
		return r;
	if (mode > 2)
		return -EINVAL;
	on = mode != 0;
	WRITE_ONCE(sw_quiet, mode == 2);
	if (on == sw_armed)
		return 0;
	if (on) {
		atomic_long_set(&sw_tlbisol, 0);
		atomic_long_set(&sw_other, 0);
		r = register_kprobe(&sw_kp);
		if (r)
			return r;	/* -ENOENT on non-RT kernels */
	} else {
		unregister_kprobe(&sw_kp);
		memset(&sw_kp, 0, sizeof(sw_kp));
		sw_kp.symbol_name = "rt_spin_lock";
		sw_kp.pre_handler = sleep_watch_pre;
	}
	sw_armed = on;
	return 0;
}

static int sleep_watch_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "armed=%d tlbisol=%ld other=%ld\n", sw_armed,
			  atomic_long_read(&sw_tlbisol), atomic_long_read(&sw_other));
}

static const struct kernel_param_ops sleep_watch_ops = {
	.set = sleep_watch_set,
	.get = sleep_watch_get,
};
module_param_cb(sleep_watch, &sleep_watch_ops, NULL, 0600);
MODULE_PARM_DESC(sleep_watch, "PREEMPT_RT: report sleeping locks taken with IRQs off from tlbisol.ko (write 1; 2: count only, no report; 0 disarms; arming resets the counts; read counts)");

void tlbisol_test_sleep_bait(void);	/* tlbisol.ko TEST build */

static int sleep_bait_set(const char *val, const struct kernel_param *kp)
{
	void (*fn)(void);

	fn = symbol_get(tlbisol_test_sleep_bait);
	if (!fn)
		return -ENOENT;
	fn();
	symbol_put(tlbisol_test_sleep_bait);
	return 0;
}

static const struct kernel_param_ops sleep_bait_ops = {
	.set = sleep_bait_set,
};
module_param_cb(sleep_bait, &sleep_bait_ops, NULL, 0200);
MODULE_PARM_DESC(sleep_bait, "Write 1: tlbisol.ko (TEST build) takes a spinlock_t under a raw lock with IRQs off (sleep_watch's positive control)");

/*
 * entry_hook: the cost controls of the deferral's entry hook (issue 9,
 * "an extra <= 5 % on a getpid loop"). kmod-defer.sh measures getpid() on
 * a nohz_full CPU with nothing on vtime_user_exit(), with one of these,
 * and with tlbisol.ko's deferral on, in one boot; nothing here defers or
 * flushes anything, and tlbisol.ko's deferral must be off while one is
 * attached (its guard would see a foreign user on vtime_user_exit and turn
 * the deferral off; kmod-defer.sh detaches first).
 *
 *   "ftrace"  an ftrace_ops with an empty callback and the flags of
 *             tlbisol's previous entry hook, the ftrace_ops the direct
 *             call replaced (PERMANENT only: no RECURSION flag, so
 *             ftrace calls the callback straight from the ops' own
 *             trampoline, no ftrace_ops_assist_func()). What ftrace's
 *             mechanism costs: fentry call, per-ops trampoline (save and
 *             restore of the argument registers), indirect-free call of
 *             the callback, returns.
 *   "direct"  an ftrace direct call (register_ftrace_direct()): the fentry
 *             site calls entry_direct_tramp below, which does what the
 *             deferral's fast path does (two per-CPU loads and compares,
 *             on this module's copy of struct tlbisol_defer_cpu, always
 *             zero) and returns: the cost a direct-call catch-up would add
 *             when nothing is pending. Its slow path only counts (never
 *             taken: nothing sets the fields). Also kmod-guard.sh's
 *             "second direct call": refused (EBUSY) while tlbisol.ko's
 *             deferral is on, and the deferral refuses to start while
 *             this one is attached.
 *   "0"       detach.
 * Read: the mode and the slow-path count.
 */
struct entry_test_cpu {		/* the layout of struct tlbisol_defer_cpu */
	int pending;
	bool catching_up;
};
DEFINE_PER_CPU(struct entry_test_cpu, entry_test_cpu);	/* used from asm */
static DEFINE_PER_CPU(unsigned long, entry_test_slow);

void entry_direct_tramp(void);

/*
 * Called by the fentry site of vtime_user_exit() (a direct call), or on
 * a shared site by ftrace_regs_caller's RET: never an indirect branch, no
 * ENDBR needed, kept as the kernel's sample has it. On entry the argument
 * registers of vtime_user_exit() are live; the fast path touches only the
 * flags (dead at a call) and returns. CALL_DEPTH_ACCOUNT: with
 * retbleed=stuff, the call from the fentry site is not accounted by a
 * call thunk (samples/ftrace/ftrace-direct.c does the same). ASM_RET: the
 * return thunk under RETHUNK, patched at load. %gs:sym: an absolute
 * 32-bit displacement (R_X86_64_32S), the same instructions as
 * tlbisol.ko's tlbisol_entry_tramp (see its comment: valid on a
 * zero-based per-CPU area, range-checked by the module loader; gcc itself
 * emits %gs:sym(%rip)). .p2align 4 as there.
 */
asm (
"	.pushsection	.text, \"ax\", @progbits\n"
"	.p2align	4\n"
"	.type		entry_direct_tramp, @function\n"
"	.globl		entry_direct_tramp\n"
"entry_direct_tramp:\n"
	ASM_ENDBR
	CALL_DEPTH_ACCOUNT
"	cmpl	$0, %gs:entry_test_cpu\n"
"	jne	1f\n"
"	cmpb	$0, %gs:entry_test_cpu+4\n"
"	jne	1f\n"
	ASM_RET
"1:	incq	%gs:entry_test_slow\n"
	ASM_RET
"	.size		entry_direct_tramp, .-entry_direct_tramp\n"
"	.popsection\n"
);

static void notrace entry_empty_func(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op, struct ftrace_regs *fregs)
{
}

static struct ftrace_ops entry_empty_ops = {
	.func	= entry_empty_func,
	.flags	= FTRACE_OPS_FL_PERMANENT,	/* as tlbisol's previous entry ops */
};
static struct ftrace_ops entry_direct_ops;	/* register_ftrace_direct() fills it */
static bool entry_filters_set;
static enum { ENTRY_NONE, ENTRY_FTRACE, ENTRY_DIRECT } entry_mode;

static void entry_detach(void)
{
	if (entry_mode == ENTRY_FTRACE)
		unregister_ftrace_function(&entry_empty_ops);
	else if (entry_mode == ENTRY_DIRECT)
		/* keep the filter: ftrace_free_filter() leaves it dangling (tlbisol_hook.c) */
		unregister_ftrace_direct(&entry_direct_ops, (unsigned long)entry_direct_tramp, false);
	entry_mode = ENTRY_NONE;
}

static int entry_hook_set(const char *val, const struct kernel_param *kp)
{
	static char sym[] = "vtime_user_exit";
	char mode[16];
	int r;

	if (sscanf(val, "%15s", mode) != 1)
		return -EINVAL;
	if (strcmp(mode, "0") && strcmp(mode, "ftrace") && strcmp(mode, "direct"))
		return -EINVAL;
	entry_detach();
	if (!strcmp(mode, "0"))
		return 0;
	if (!entry_filters_set) {
		r = ftrace_set_filter(&entry_empty_ops, sym, strlen(sym), 1);
		if (!r)
			r = ftrace_set_filter(&entry_direct_ops, sym, strlen(sym), 1);
		if (r)
			return r;
		entry_filters_set = true;
	}
	if (!strcmp(mode, "ftrace")) {
		r = register_ftrace_function(&entry_empty_ops);
		if (!r)
			entry_mode = ENTRY_FTRACE;
	} else {
		r = register_ftrace_direct(&entry_direct_ops, (unsigned long)entry_direct_tramp);
		if (!r)
			entry_mode = ENTRY_DIRECT;
	}
	return r;
}

static int entry_hook_get(char *buf, const struct kernel_param *kp)
{
	unsigned long slow = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		slow += per_cpu(entry_test_slow, cpu);
	return sysfs_emit(buf, "mode=%s slow=%lu\n", entry_mode == ENTRY_FTRACE ? "ftrace" :
			  entry_mode == ENTRY_DIRECT ? "direct" : "0", slow);
}

static const struct kernel_param_ops entry_hook_ops = {
	.set = entry_hook_set,
	.get = entry_hook_get,
};
module_param_cb(entry_hook, &entry_hook_ops, NULL, 0600);
MODULE_PARM_DESC(entry_hook, "Write ftrace|direct|0: attach an empty ftrace ops / a direct call doing the deferral's fast-path check on vtime_user_exit (cost controls), or detach");

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
	purge_kp_on = !register_kprobe(&purge_kp);
	if (!purge_kp_on)
		pr_warn("no kprobe on __purge_vmap_area_lazy: purge_churn unavailable\n");
	pr_info("loaded\n");
	return 0;
}

static void __exit tlbisol_test_exit(void)
{
	if (sw_armed)
		unregister_kprobe(&sw_kp);
	if (purge_kp_on)
		unregister_kprobe(&purge_kp);
	if (nmi_first_on)
		unregister_nmi_handler(NMI_LOCAL, "tlbisol_test_first");
	if (grab_on)
		unregister_ftrace_function(&grab_ops);
	ftrace_free_filter(&grab_ops);
	entry_detach();
	if (entry_filters_set) {
		ftrace_free_filter(&entry_empty_ops);
		ftrace_free_filter(&entry_direct_ops);
	}
	if (rkp_on)
		unregister_kprobe(&rkp);
	unregister_nmi_handler(NMI_LOCAL, "tlbisol_test");
	pr_info("unloaded\n");
}

module_init(tlbisol_test_init);
module_exit(tlbisol_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tlbisol test-bed helper (test only)");
