// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_proto.c — the deferral's protocol check (test build only).
 *
 * Purpose: QEMU TCG does not model stale TLB entries, so the VM tests check
 * the protocol instead (DEFERRAL.md "Protocol check"). Compiled only into
 * the test build of tlbisol.ko (TLBISOL_TEST, tests/kmod/Kbuild) and on
 * with its module parameter protocol_check=1.
 *
 *  - ordering: each deferring flush request takes a number from proto_gen
 *    after the caller's PTE clears and before its pending stores; a sender
 *    that skips a CPU records that number for it (a max); a flush, after
 *    consuming the pending flag with its full barrier, reads proto_gen and
 *    records the newest number it covers. Check points after kernel entry
 *    (raw_syscalls:sys_enter, exceptions:page_fault_user,
 *    irq_vectors:{local_timer,reschedule,irq_work}_entry,
 *    signal:signal_deliver, nmi:nmi_handler after each NMI handler,
 *    csd:csd_function_entry from tlbisol_acct.c) count a violation when a skip is newer than everything the CPU's
 *    flushes covered;
 *  - foreign code before the flush (issue 9 item 6): a catch-up at entry
 *    while the fentry site of vtime_user_exit() does not call our direct
 *    trampoline ran behind ftrace_regs_caller, i.e. after any other ftrace
 *    user of vtime_user_exit(); an NMI in which another NMI handler ran before ours
 *    (tracepoint nmi:nmi_handler, NMIs told apart by irq_stat.__nmi_count).
 *    Both count in proto_foreign on deferral CPUs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hardirq.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include "tlbisol.h"

bool tlbisol_proto_on;
atomic_t tlbisol_proto_gen;
static DEFINE_PER_CPU(atomic_t, proto_skip_max);	/* senders: newest request that skipped the CPU */
static DEFINE_PER_CPU(int, proto_flushed);		/* owning CPU: newest request its flushes cover */
static DEFINE_PER_CPU(unsigned int, proto_nmi_seq);	/* __nmi_count of the last NMI we handled */
static DEFINE_PER_CPU(int, proto_req);		/* request number handed to defer_cond() */

bool tlbisol_proto_check_enabled(void)
{
	return tlbisol_proto_on;
}

/* wrap-safe "a is newer than b" */
static bool proto_newer(int a, int b)
{
	return (int)(a - b) > 0;
}

static void proto_atomic_max(atomic_t *v, int seq)
{
	int old = atomic_read(v);

	do {
		if (!proto_newer(seq, old))
			break;
	} while (!atomic_try_cmpxchg(v, &old, seq));
}

/* Sender, before its pending stores: a number for this request. */
void *tlbisol_proto_request(void)
{
	int *gen = this_cpu_ptr(&proto_req);	/* preemption is off */

	if (!tlbisol_proto_on)
		return NULL;
	*gen = atomic_inc_return(&tlbisol_proto_gen);
	return gen;
}

void tlbisol_proto_skip(int cpu, void *info, int state)
{
	if (info)
		proto_atomic_max(per_cpu_ptr(&proto_skip_max, cpu), *(int *)info);
}

/*
 * After a flush that read @seen before it. NMI-safe: this_cpu_try_cmpxchg()
 * is one instruction, so an NMI's newer value is never overwritten.
 */
void notrace tlbisol_proto_flush_done(int seen)
{
	int old;

	if (!tlbisol_proto_on)
		return;
	old = this_cpu_read(proto_flushed);
	do {
		if (!proto_newer(seen, old))
			break;
	} while (!this_cpu_try_cmpxchg(proto_flushed, &old, seen));
}

/*
 * After an entry catch-up: did the fentry site of vtime_user_exit() call
 * our direct trampoline itself? Another ftrace user on it makes ftrace
 * call ftrace_regs_caller there, which runs that user's code first and
 * then RETs into our trampoline (the return address seen by the
 * trampoline is the same either way, so the site is read instead).
 * Limits (review 4 m5): this is a site check, the same predicate
 * tlbisol_guard_verify() enforces (calls_our_trampoline()), not an
 * observation of the path taken, so a wrong predicate would blind both;
 * and it races with a site change (a catch-up around text_poke_queue()
 * may count or not). Its negative control (guard off, a kprobe on
 * vtime_user_exit: kmod-guard.sh §8) shows it counts what it should.
 */
void notrace tlbisol_proto_entry_site(void)
{
	if (tlbisol_proto_on && !tlbisol_entry_site_ours())
		this_cpu_inc(tlbisol_stats.proto_foreign);
}

/* Our NMI handler ran in this NMI. */
void notrace tlbisol_proto_nmi_seen(void)
{
	if (tlbisol_proto_on)
		this_cpu_write(proto_nmi_seq, this_cpu_read(irq_stat.__nmi_count));
}

/* Called on a CPU that runs kernel code past its entry. */
void notrace tlbisol_proto_checkpoint(void)
{
	int cpu;

	if (!tlbisol_proto_on || !tlbisol_defer_enabled())
		return;
	cpu = smp_processor_id();
	if (!tlbisol_defer_cpu_in_mask(cpu))
		return;
	this_cpu_inc(tlbisol_stats.proto_checks);
	if (proto_newer(atomic_read(this_cpu_ptr(&proto_skip_max)),
			this_cpu_read(proto_flushed)))
		this_cpu_inc(tlbisol_stats.proto_violations);
}

static void notrace proto_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	tlbisol_proto_checkpoint();
}

static void notrace proto_probe_pf_user(void *data, unsigned long address,
					struct pt_regs *regs, unsigned long error_code)
{
	tlbisol_proto_checkpoint();
}

/* irq_vectors:{local_timer,reschedule,irq_work}_entry: IRQs, also from user */
static void notrace proto_probe_vector(void *data, int vector)
{
	tlbisol_proto_checkpoint();
}

/* signal:signal_deliver: on the way back to user after any entry */
static void notrace proto_probe_signal(void *data, int sig, void *info, void *ka)
{
	tlbisol_proto_checkpoint();
}

/*
 * nmi:nmi_handler, after each NMI handler (ours first): a check point in
 * NMI context, so an NMI catch-up that consumed the flag without flushing
 * is a violation here; and did another handler run before ours?
 */
static void notrace proto_probe_nmi_handler(void *data, void *handler,
					    s64 delta_ns, int handled)
{
	if (!tlbisol_proto_on || !tlbisol_defer_enabled() ||
	    !tlbisol_defer_cpu_in_mask(smp_processor_id()))
		return;
	tlbisol_proto_checkpoint();
	if (handler == tlbisol_defer_nmi_fn())
		return;
	if (this_cpu_read(proto_nmi_seq) != this_cpu_read(irq_stat.__nmi_count))
		this_cpu_inc(tlbisol_stats.proto_foreign);
}

/* Check points; the first two are required, the others add coverage. */
static struct {
	const char *name;
	void *probe;
	bool required;
	struct tracepoint *tp;
	bool registered;
} proto_tps[] = {
	{ "sys_enter",		proto_probe_sys_enter,	true },	/* raw_syscalls */
	{ "page_fault_user",	proto_probe_pf_user,	true },	/* exceptions */
	{ "nmi_handler",	proto_probe_nmi_handler, true },/* nmi */
	{ "local_timer_entry",	proto_probe_vector },		/* irq_vectors */
	{ "reschedule_entry",	proto_probe_vector },		/* irq_vectors */
	{ "irq_work_entry",	proto_probe_vector },		/* irq_vectors */
	{ "signal_deliver",	proto_probe_signal },		/* signal */
};

static void proto_find_tp(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(proto_tps); i++)
		if (!strcmp(tp->name, proto_tps[i].name))
			proto_tps[i].tp = tp;
}

/* At enable, before defer_on: start from a clean slate. */
void tlbisol_proto_reset(void)
{
	int cpu, gen = atomic_read(&tlbisol_proto_gen);

	for_each_possible_cpu(cpu) {
		atomic_set(per_cpu_ptr(&proto_skip_max, cpu), gen);
		per_cpu(proto_flushed, cpu) = gen;
	}
}

/* The caller waits with tracepoint_synchronize_unregister(). */
static void proto_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(proto_tps); i++)
		if (proto_tps[i].registered) {
			tracepoint_probe_unregister(proto_tps[i].tp,
						    proto_tps[i].probe, NULL);
			proto_tps[i].registered = false;
		}
}

int tlbisol_proto_init(bool on)
{
	unsigned int i;
	int r;

	if (!on)
		return 0;
	for_each_kernel_tracepoint(proto_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(proto_tps); i++) {
		if (!proto_tps[i].tp) {
			pr_warn("protocol check: tracepoint %s not found\n",
				proto_tps[i].name);
			if (proto_tps[i].required) {
				r = -ENOENT;
				goto out_unregister;
			}
			continue;
		}
		r = tracepoint_probe_register(proto_tps[i].tp, proto_tps[i].probe, NULL);
		if (r)
			goto out_unregister;
		proto_tps[i].registered = true;
	}
	tlbisol_proto_on = true;
	pr_info("deferral protocol check on\n");
	return 0;

out_unregister:
	proto_unregister();
	tracepoint_synchronize_unregister();
	return r;
}

/* Module exit: the caller then waits (tlbisol_acct_stop() does). */
void tlbisol_proto_exit(void)
{
	if (tlbisol_proto_on) {
		proto_unregister();
		tlbisol_proto_on = false;
	}
}
