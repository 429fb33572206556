// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_acct.c — per-CPU IPI accounting and "IPI despite control" events.
 *
 * Purpose: count, on every CPU, the function-call IPIs it receives, by what
 * they carry, and report (multicast, rate limited) when an isolated CPU is
 * sent a table-sync or kernel-flush IPI although a control is on.
 *
 * How: probes on two unexported tracepoints found with
 * for_each_kernel_tracepoint() (include/trace/events/csd.h, kernel/smp.c):
 *   csd:csd_function_entry(func, csd)  runs on the receiving CPU, in
 *       csd_do_func(); csd == NULL when the sender runs func locally, which
 *       is not an IPI and is not counted;
 *   csd:csd_queue_cpu(cpu, callsite, func, csd)  runs on the sender for
 *       each target CPU (__smp_call_single_queue(),
 *       smp_call_function_many_cond()); it gives the event its sender.
 * The hot path is a this_cpu_inc() on the receiving CPU: no lock, no atomic.
 * Counters are never written by another CPU except the "avoided" ones, which
 * senders bump with atomic64_inc(). Reset keeps a baseline snapshot instead
 * of writing other CPUs' counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tick.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include "tlbisol.h"

DEFINE_PER_CPU(struct tlbisol_stats, tlbisol_stats);

/* Baseline taken by tlbisol_acct_reset(), per CPU; read under ctl lock. */
static struct tlbisol_stats_snap __percpu *acct_base;

/* Callback addresses, resolved at load; 0 = not found in this kernel. */
static const struct {
	const char *name;
	enum tlbisol_ipi_class cls;
} acct_fn_names[] = {
	{ "flush_tlb_func",		TLBISOL_IPI_USER_FLUSH },	/* arch/x86/mm/tlb.c */
	{ "do_flush_tlb_all",		TLBISOL_IPI_KERNEL_FLUSH },	/* arch/x86/mm/tlb.c */
	{ "do_kernel_range_flush",	TLBISOL_IPI_KERNEL_FLUSH },	/* arch/x86/mm/tlb.c */
	{ "tlb_remove_table_smp_sync",	TLBISOL_IPI_TABLE_SYNC },	/* mm/mmu_gather.c */
	{ "do_sync_core",		TLBISOL_IPI_TEXT_POKE },	/* arch/x86/kernel/alternative.c */
};
#define ACCT_NR_FN (ARRAY_SIZE(acct_fn_names) + 2)
static unsigned long acct_fn_addr[ACCT_NR_FN];
static enum tlbisol_ipi_class acct_fn_cls[ACCT_NR_FN];

static struct tracepoint *tp_entry, *tp_queue;
static bool acct_on;
static const char *acct_reason = "not initialised";

static __always_inline enum tlbisol_ipi_class acct_classify(void *func)
{
	unsigned long f = (unsigned long)func;
	unsigned int i;

	for (i = 0; i < ACCT_NR_FN; i++)
		if (acct_fn_addr[i] == f)
			return acct_fn_cls[i];
	return TLBISOL_IPI_OTHER;
}

void tlbisol_acct_set_own(void *sync_fn, void *flush_fn)
{
	acct_fn_addr[ARRAY_SIZE(acct_fn_names)] = (unsigned long)sync_fn;
	acct_fn_cls[ARRAY_SIZE(acct_fn_names)] = TLBISOL_IPI_TABLE_SYNC;
	acct_fn_addr[ARRAY_SIZE(acct_fn_names) + 1] = (unsigned long)flush_fn;
	acct_fn_cls[ARRAY_SIZE(acct_fn_names) + 1] = TLBISOL_IPI_KERNEL_FLUSH;
}

/* csd:csd_function_entry, on the receiving CPU (IRQs off). */
static void notrace acct_probe_entry(void *data, smp_call_func_t func,
				     call_single_data_t *csd)
{
	if (!csd)	/* run locally by the sender: not an IPI */
		return;
	this_cpu_inc(tlbisol_stats.rx[acct_classify(func)]);
	tlbisol_proto_checkpoint();
}

/* --- events: ring of pending notifications, drained by a work item --- */
struct acct_event {
	int cpu, sender_cpu;
	enum tlbisol_ipi_class kind;
	void *func;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};
#define ACCT_EV_RING 16
static struct acct_event ev_ring[ACCT_EV_RING];
static unsigned int ev_head, ev_tail;
static DEFINE_RAW_SPINLOCK(ev_lock);
static DEFINE_RATELIMIT_STATE(ev_rs, HZ, 10);
atomic64_t tlbisol_ev_sent, tlbisol_ev_dropped;
static void acct_ev_work_fn(struct work_struct *w);
static DECLARE_WORK(ev_work, acct_ev_work_fn);
static void acct_ev_irq_work_fn(struct irq_work *w);
static struct irq_work ev_irq_work = IRQ_WORK_INIT_HARD(acct_ev_irq_work_fn);

static void acct_ev_irq_work_fn(struct irq_work *w)
{
	schedule_work(&ev_work);
}

static void acct_ev_work_fn(struct work_struct *w)
{
	struct acct_event ev;
	unsigned long flags;

	for (;;) {
		raw_spin_lock_irqsave(&ev_lock, flags);
		if (ev_tail == ev_head) {
			raw_spin_unlock_irqrestore(&ev_lock, flags);
			return;
		}
		ev = ev_ring[ev_tail++ % ACCT_EV_RING];
		raw_spin_unlock_irqrestore(&ev_lock, flags);
		tlbisol_nl_event(ev.cpu, ev.kind, ev.func, ev.pid, ev.comm,
				 ev.sender_cpu);
	}
}

static bool acct_despite_control(int cpu, enum tlbisol_ipi_class cls)
{
	if (cls == TLBISOL_IPI_TABLE_SYNC)
		return tlbisol_sync_enabled() && tick_nohz_full_cpu(cpu);
	if (cls == TLBISOL_IPI_KERNEL_FLUSH)
		return tlbisol_defer_enabled() && tlbisol_defer_cpu_in_mask(cpu);
	return false;
}

/* csd:csd_queue_cpu, on the sender (preemption off, IRQs maybe off). */
static void notrace acct_probe_queue(void *data, unsigned int cpu,
				     unsigned long callsite, smp_call_func_t func,
				     call_single_data_t *csd)
{
	enum tlbisol_ipi_class cls = acct_classify(func);
	struct acct_event *ev;
	unsigned long flags;

	if (cls != TLBISOL_IPI_TABLE_SYNC && cls != TLBISOL_IPI_KERNEL_FLUSH)
		return;
	/* nothing is built, counted or queued while nobody listens */
	if (!acct_despite_control(cpu, cls) || !tlbisol_nl_has_listeners())
		return;
	if (!__ratelimit(&ev_rs)) {
		atomic64_inc(&tlbisol_ev_dropped);
		return;
	}

	raw_spin_lock_irqsave(&ev_lock, flags);
	if (ev_head - ev_tail >= ACCT_EV_RING) {
		atomic64_inc(&tlbisol_ev_dropped);
	} else {
		ev = &ev_ring[ev_head++ % ACCT_EV_RING];
		ev->cpu = cpu;
		ev->sender_cpu = smp_processor_id();
		ev->kind = cls;
		ev->func = func;
		ev->pid = task_pid_nr(current);
		/*
		 * Not get_task_comm(): it takes task_lock(), a sleeping
		 * lock on PREEMPT_RT, and we hold a raw spinlock with IRQs
		 * off. Copy without the lock, as the sched tracepoints do
		 * (include/trace/events/sched.h: memcpy of ->comm); a
		 * concurrent rename can give a mix of two names, never an
		 * unterminated one.
		 */
		memcpy(ev->comm, current->comm, TASK_COMM_LEN);
		ev->comm[TASK_COMM_LEN - 1] = '\0';
	}
	raw_spin_unlock_irqrestore(&ev_lock, flags);
	irq_work_queue(&ev_irq_work);
}

static void acct_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "csd_function_entry"))
		tp_entry = tp;
	else if (!strcmp(tp->name, "csd_queue_cpu"))
		tp_queue = tp;
}

bool tlbisol_acct_available(const char **reason)
{
	*reason = acct_on ? NULL : acct_reason;
	return acct_on;
}

void tlbisol_acct_read(int cpu, struct tlbisol_stats_snap *s)
{
	struct tlbisol_stats *st = per_cpu_ptr(&tlbisol_stats, cpu);
	struct tlbisol_stats_snap *b = per_cpu_ptr(acct_base, cpu);
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->v[TLBISOL_A_STATS_RX_USER_FLUSH] = READ_ONCE(st->rx[TLBISOL_IPI_USER_FLUSH]);
	s->v[TLBISOL_A_STATS_RX_KERNEL_FLUSH] = READ_ONCE(st->rx[TLBISOL_IPI_KERNEL_FLUSH]);
	s->v[TLBISOL_A_STATS_RX_TABLE_SYNC] = READ_ONCE(st->rx[TLBISOL_IPI_TABLE_SYNC]);
	s->v[TLBISOL_A_STATS_RX_TEXT_POKE] = READ_ONCE(st->rx[TLBISOL_IPI_TEXT_POKE]);
	s->v[TLBISOL_A_STATS_RX_OTHER] = READ_ONCE(st->rx[TLBISOL_IPI_OTHER]);
	s->v[TLBISOL_A_STATS_AVOIDED_SYNC] = atomic64_read(&st->avoided_sync);
	s->v[TLBISOL_A_STATS_AVOIDED_KFLUSH] = atomic64_read(&st->avoided_kflush);
	s->v[TLBISOL_A_STATS_NOTDEFERRED_KFLUSH] = atomic64_read(&st->notdeferred_kflush);
	s->v[TLBISOL_A_STATS_AVOIDED_TEXT_SYNC] = atomic64_read(&st->avoided_text_sync);
	s->v[TLBISOL_A_STATS_CATCHUP_ENTRY] = READ_ONCE(st->catchup_entry);
	s->v[TLBISOL_A_STATS_CATCHUP_NMI] = READ_ONCE(st->catchup_nmi);
	s->v[TLBISOL_A_STATS_PROTO_CHECKS] = READ_ONCE(st->proto_checks);
	s->v[TLBISOL_A_STATS_PROTO_VIOLATIONS] = READ_ONCE(st->proto_violations);
	s->v[TLBISOL_A_STATS_PROTO_FOREIGN] = READ_ONCE(st->proto_foreign);
	for (i = 0; i < __TLBISOL_A_STATS_MAX; i++)
		s->v[i] -= b->v[i];
	s->v[TLBISOL_A_STATS_CPU] = cpu;
}

/* Caller holds tlbisol_ctl_lock. */
void tlbisol_acct_reset(void)
{
	struct tlbisol_stats_snap s;
	int cpu;

	for_each_possible_cpu(cpu) {
		memset(per_cpu_ptr(acct_base, cpu), 0, sizeof(s));
		tlbisol_acct_read(cpu, &s);
		*per_cpu_ptr(acct_base, cpu) = s;
	}
}

int tlbisol_acct_init(void)
{
	unsigned int i;
	int r;

	acct_base = alloc_percpu(struct tlbisol_stats_snap);
	if (!acct_base)
		return -ENOMEM;
	/* suppressed events are counted in events_dropped, not logged */
	ratelimit_set_flags(&ev_rs, RATELIMIT_MSG_ON_RELEASE);

	for (i = 0; i < ARRAY_SIZE(acct_fn_names); i++) {
		acct_fn_addr[i] = tlbisol_sym_addr(acct_fn_names[i].name);
		acct_fn_cls[i] = acct_fn_names[i].cls;
		if (!acct_fn_addr[i])
			pr_warn("IPI callback %s not found: its IPIs count as 'other'\n",
				acct_fn_names[i].name);
	}

	for_each_kernel_tracepoint(acct_find_tp, NULL);
	if (!tp_entry || !tp_queue) {
		acct_reason = "csd tracepoints not found in this kernel";
		pr_warn("IPI accounting unavailable: %s\n", acct_reason);
		return 0;
	}
	r = tracepoint_probe_register(tp_entry, acct_probe_entry, NULL);
	if (r) {
		acct_reason = "cannot attach to csd:csd_function_entry";
		goto out_fail;
	}
	r = tracepoint_probe_register(tp_queue, acct_probe_queue, NULL);
	if (r) {
		acct_reason = "cannot attach to csd:csd_queue_cpu";
		goto out_unregister_entry;
	}
	acct_on = true;
	return 0;

out_unregister_entry:
	tracepoint_probe_unregister(tp_entry, acct_probe_entry, NULL);
out_fail:
	pr_warn("IPI accounting unavailable: %s (%d)\n", acct_reason, r);
	tracepoint_synchronize_unregister();
	return 0;
}

/* Also waits for the protocol check's probes (tlbisol_proto_exit() first). */
/*
 * Module exit, in two steps. tlbisol_acct_stop(): no probe, irq_work or
 * event work runs after it returns. tlbisol_acct_free(): the counters'
 * memory, only once nothing can read or write it any more — GET_STATS and
 * RESET_STATS are doit ops, which genetlink does not pin the module for
 * (only dumps are), so the family must be unregistered (which waits for
 * running doit ops under cb_lock) before the memory goes.
 */
void tlbisol_acct_stop(void)
{
	if (acct_on) {
		tracepoint_probe_unregister(tp_queue, acct_probe_queue, NULL);
		tracepoint_probe_unregister(tp_entry, acct_probe_entry, NULL);
		acct_on = false;
	}
	tracepoint_synchronize_unregister();
	irq_work_sync(&ev_irq_work);
	cancel_work_sync(&ev_work);
}

void tlbisol_acct_free(void)
{
	free_percpu(acct_base);
	acct_base = NULL;
}

#ifdef TLBISOL_TEST
/*
 * Test-only: the positive control of tlbisol_test.ko's sleeping-lock watch
 * (kmod-events.sh, rt): exactly the bug item 7 was about, a spinlock_t
 * (an rtmutex on PREEMPT_RT) taken under a raw lock with IRQs off.
 * Uncontended, so it does not actually sleep.
 */
void tlbisol_test_sleep_bait(void)
{
	static DEFINE_SPINLOCK(bait);
	unsigned long flags;

	raw_spin_lock_irqsave(&ev_lock, flags);
	spin_lock(&bait);
	spin_unlock(&bait);
	raw_spin_unlock_irqrestore(&ev_lock, flags);
}
EXPORT_SYMBOL_GPL(tlbisol_test_sleep_bait);
#endif
