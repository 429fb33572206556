// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_nl.c — the generic-netlink family "tlbisol".
 *
 * Purpose: user space (tlbctl, tlbisold) reads the module's state and
 * counters and changes its controls. The family is described by its spec,
 * netlink/specs/tlbisol.yaml; the UAPI header and tlbisol_nl-gen.[ch] (the
 * request policies and the split-ops table) are generated from it by the
 * kernel's ynl-gen-c.py (scripts/nl-gen.sh). This file holds the handlers
 * the generated table names, and the family.
 *
 * Validation is strict everywhere: the ops are split ops without
 * GENL_DONT_VALIDATE_* flags, SET has the generated policy of its own
 * attribute set, and the ops without request attributes (GET_INFO, the
 * GET_STATS dump, RESET_STATS) get a reject-all policy (tlbisol_nl_init()),
 * so an attribute an op does not list is refused by the core with an
 * extack message. Mutating ops (SET, RESET_STATS) need CAP_NET_ADMIN
 * (GENL_ADMIN_PERM, from the spec's admin-perm); enabling the deferral or
 * changing its CPUs (an experimental mm mode) also needs CAP_SYS_ADMIN.
 * Semantic errors are explained through extack and leave the state
 * unchanged.
 *
 * parallel_ops: a SET can take seconds (synchronize_rcu(), text patching,
 * RCU-tasks grace periods when ftrace_ops are unregistered); under the
 * global genl_lock it would stall every other genetlink family, nlctrl
 * (family lookups) included. Our ops serialise on tlbisol_ctl_lock
 * instead; GET_STATS reads per-CPU counters and needs no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/tick.h>
#include <linux/utsname.h>
#include <net/genetlink.h>
#include "tlbisol.h"
#include "tlbisol_nl-gen.h"

static struct genl_family tlbisol_family;

/*
 * The groups, indexed as the generated header numbers them. Not the
 * generated tlbisol_nl_mcgrps[]: 6.12's ynl-gen-c drops the spec's
 * admin-perm flag. Events name the sending task (pid, comm) of IPIs that
 * reached isolated CPUs: joining needs CAP_NET_ADMIN, like the mutating ops.
 */
static const struct genl_multicast_group tlbisol_mcgrps[] = {
	[TLBISOL_NLGRP_EVENTS] = { .name = TLBISOL_MCGRP_EVENTS,
				   .flags = GENL_MCAST_CAP_NET_ADMIN },
};

bool tlbisol_nl_has_listeners(void)
{
	return genl_has_listeners(&tlbisol_family, &init_net,
				  TLBISOL_NLGRP_EVENTS);
}

static unsigned int mask_bytes(void)
{
	return BITS_TO_U64(nr_cpu_ids) * sizeof(u64);
}

static int put_mask(struct sk_buff *skb, int type, const struct cpumask *mask)
{
	unsigned int len = mask_bytes();
	struct nlattr *nla = nla_reserve(skb, type, len);

	if (!nla)
		return -EMSGSIZE;
	bitmap_to_arr64(nla_data(nla), cpumask_bits(mask), nr_cpu_ids);
	return 0;
}

/*
 * Parse a mask attribute; refuse a bad length and CPUs >= nr_cpu_ids. The
 * length range is checked here, not by the policy: 6.12's ynl-gen-c renders
 * no length range for a binary attribute (see the spec's defer-mask).
 */
static int get_mask(const struct nlattr *nla, struct cpumask *mask,
		    struct netlink_ext_ack *extack)
{
	unsigned int len = nla_len(nla), nbits = len * BITS_PER_BYTE;
	unsigned long *bits;
	unsigned long bad;

	if (!len || len % sizeof(u64) || len > TLBISOL_MASK_MAX_BYTES) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, nla,
					"CPU mask length must be a non-zero multiple of 8 bytes, at most %u",
					TLBISOL_MASK_MAX_BYTES);
		return -EINVAL;
	}
	bits = bitmap_zalloc(nbits, GFP_KERNEL);
	if (!bits)
		return -ENOMEM;
	bitmap_from_arr64(bits, nla_data(nla), nbits);
	bad = nbits > nr_cpu_ids ? find_next_bit(bits, nbits, nr_cpu_ids) : nbits;
	if (bad < nbits) {
		NL_SET_ERR_MSG_FMT(extack, "CPU %lu is out of range (nr_cpu_ids %u)",
				   bad, nr_cpu_ids);
		extack->bad_attr = nla;
		bitmap_free(bits);
		return -ERANGE;
	}
	cpumask_clear(mask);
	bitmap_copy(cpumask_bits(mask), bits, min_t(unsigned int, nbits, nr_cpu_ids));
	bitmap_free(bits);
	return 0;
}

static int put_ctl(struct sk_buff *skb, int state_attr, int reason_attr,
		   bool on, const char *reason)
{
	u32 st = on ? TLBISOL_STATE_ON :
		 reason ? TLBISOL_STATE_UNAVAILABLE : TLBISOL_STATE_OFF;

	if (nla_put_u32(skb, state_attr, st))
		return -EMSGSIZE;
	if (reason && nla_put_string(skb, reason_attr, reason))
		return -EMSGSIZE;
	return 0;
}

static int tlbisol_fill_info(struct sk_buff *skb)
{
	const char *acct_reason;
	cpumask_var_t ct;
	bool acct;
	int cpu, r;

	if (!zalloc_cpumask_var(&ct, GFP_KERNEL))
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		if (per_cpu(context_tracking.active, cpu))
			cpumask_set_cpu(cpu, ct);

	acct = tlbisol_acct_available(&acct_reason);
	r = -EMSGSIZE;
	if (nla_put_string(skb, TLBISOL_A_INFO_RELEASE, init_utsname()->release))
		goto out;
	if (put_mask(skb, TLBISOL_A_INFO_NOHZ_FULL_MASK,
		     tick_nohz_full_enabled() ? tick_nohz_full_mask : cpu_none_mask))
		goto out;
	if (put_mask(skb, TLBISOL_A_INFO_CT_ACTIVE_MASK, ct))
		goto out;
	if (put_ctl(skb, TLBISOL_A_INFO_SYNC_STATE, TLBISOL_A_INFO_SYNC_REASON,
		    tlbisol_sync_enabled(), tlbisol_sync_reason()))
		goto out;
	if (put_ctl(skb, TLBISOL_A_INFO_DEFER_STATE, TLBISOL_A_INFO_DEFER_REASON,
		    tlbisol_defer_enabled(), tlbisol_defer_reason()))
		goto out;
	if (put_ctl(skb, TLBISOL_A_INFO_ACCT_STATE, TLBISOL_A_INFO_ACCT_REASON,
		    acct, acct_reason))
		goto out;
	if (put_mask(skb, TLBISOL_A_INFO_DEFER_MASK, tlbisol_cfg_defer_mask()))
		goto out;
	if (nla_put_u8(skb, TLBISOL_A_INFO_PROTOCOL_CHECK, tlbisol_proto_check_enabled()))
		goto out;
	if (nla_put_u64_64bit(skb, TLBISOL_A_INFO_EVENTS_SENT,
			      atomic64_read(&tlbisol_ev_sent), TLBISOL_A_INFO_PAD) ||
	    nla_put_u64_64bit(skb, TLBISOL_A_INFO_EVENTS_DROPPED,
			      atomic64_read(&tlbisol_ev_dropped), TLBISOL_A_INFO_PAD))
		goto out;
	r = 0;
out:
	free_cpumask_var(ct);
	return r;
}

int tlbisol_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int r;

	msg = genlmsg_new(NLMSG_GOODSIZE + 3 * TLBISOL_MASK_MAX_BYTES, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_iput(msg, info);
	if (!hdr) {
		r = -EMSGSIZE;
		goto out_free;
	}
	/*
	 * Any user may ask: only a CAP_NET_ADMIN caller (tlbisold, tlbctl as
	 * root) re-runs a uniqueness check that failed transiently, which
	 * creates kprobe events (review 2 finding 5; review 3 finding 2: the
	 * daemon only asks, so without it a transient failure at load would
	 * last until the module is reloaded).
	 */
	mutex_lock(&tlbisol_ctl_lock);
	tlbisol_sym_allow_recheck(netlink_capable(skb, CAP_NET_ADMIN));
	r = tlbisol_fill_info(msg);
	tlbisol_sym_allow_recheck(true);
	mutex_unlock(&tlbisol_ctl_lock);
	if (r)
		goto out_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
	return r;
}

int tlbisol_nl_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	cpumask_var_t mask;
	int sync = -1, defer = -1, r;
	bool have_mask = a[TLBISOL_A_SET_DEFER_MASK];

	if (!a[TLBISOL_A_SET_SYNC_ENABLE] && !a[TLBISOL_A_SET_DEFER_ENABLE] && !have_mask) {
		NL_SET_ERR_MSG(info->extack, "nothing to set: give SYNC_ENABLE, DEFER_ENABLE or DEFER_MASK");
		return -EINVAL;
	}
	if (a[TLBISOL_A_SET_SYNC_ENABLE])
		sync = nla_get_u8(a[TLBISOL_A_SET_SYNC_ENABLE]);
	if (a[TLBISOL_A_SET_DEFER_ENABLE])
		defer = nla_get_u8(a[TLBISOL_A_SET_DEFER_ENABLE]);
	if ((defer == 1 || have_mask) && !netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "enabling the deferral or changing its CPUs needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	if (have_mask) {
		r = get_mask(a[TLBISOL_A_SET_DEFER_MASK], mask, info->extack);
		if (r)
			goto out;
		if (cpumask_empty(mask)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[TLBISOL_A_SET_DEFER_MASK],
					    "the deferral CPU mask is empty");
			r = -EINVAL;
			goto out;
		}
	}
	r = tlbisol_ctl_set(sync, defer, have_mask ? mask : NULL, info->extack);
out:
	free_cpumask_var(mask);
	return r;
}

int tlbisol_nl_reset_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	mutex_lock(&tlbisol_ctl_lock);
	tlbisol_acct_reset();
	mutex_unlock(&tlbisol_ctl_lock);
	return 0;
}

/* The counters follow TLBISOL_A_STATS_CPU; the pad attribute ends the set. */
static int put_stats(struct sk_buff *skb, int cpu)
{
	struct tlbisol_stats_snap s;
	int i;

	/* every attribute but CPU and PAD is a u64 counter (appended after PAD) */
	BUILD_BUG_ON(TLBISOL_A_STATS_AVOIDED_TEXT_SYNC != TLBISOL_A_STATS_MAX);
	tlbisol_acct_read(cpu, &s);
	if (nla_put_u32(skb, TLBISOL_A_STATS_CPU, cpu))
		return -EMSGSIZE;
	for (i = TLBISOL_A_STATS_CPU + 1; i <= TLBISOL_A_STATS_MAX; i++)
		if (i != TLBISOL_A_STATS_PAD &&
		    nla_put_u64_64bit(skb, i, s.v[i], TLBISOL_A_STATS_PAD))
			return -EMSGSIZE;
	return 0;
}

int tlbisol_nl_get_stats_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	int cpu;
	void *hdr;

	for (cpu = cb->args[0]; cpu < nr_cpu_ids; cpu++) {
		if (!cpu_possible(cpu))
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tlbisol_family,
				  NLM_F_MULTI, TLBISOL_CMD_GET_STATS);
		if (!hdr)
			break;
		if (put_stats(skb, cpu)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = cpu;
	return skb->len;
}

/*
 * The generated split ops, plus a reject-all policy for the ops whose spec
 * lists no request attribute (filled in by tlbisol_nl_init()). The core
 * gives classic genl_ops without a policy such a policy
 * (genl_op_fill_in_reject_policy() from genl_get_cmd_full(), 6.12), but not
 * split ops: genl_get_cmd_split() copies the op as it is, maxattr 0 makes
 * genl_family_rcv_msg_attrs_parse() skip parsing, and the attributes would
 * be ignored, not refused (kmod-netlink's info_attr, stats_attr and
 * reset_attr caught that).
 */
static const struct nla_policy tlbisol_reject_all[] = {
	{ .type = NLA_REJECT },
	{ .type = NLA_REJECT, .reject_message = "this operation takes no attributes" },
};
static struct genl_split_ops tlbisol_ops[ARRAY_SIZE(tlbisol_nl_ops)] __ro_after_init;

/*
 * Not the generated family (genetlink-legacy specs get none): the module's
 * state is the host's, so the family lives in the initial network namespace
 * only (netnsok false), and the groups carry their flags (above).
 */
static struct genl_family tlbisol_family __ro_after_init = {
	.name		= TLBISOL_GENL_NAME,
	.version	= TLBISOL_GENL_VERSION,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= tlbisol_ops,
	.n_split_ops	= ARRAY_SIZE(tlbisol_ops),
	.mcgrps		= tlbisol_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(tlbisol_mcgrps),
};

/* Process context (work item). Only called when someone listens. */
void tlbisol_nl_event(int cpu, enum tlbisol_ipi_class kind, void *func,
		      pid_t pid, const char *comm, int sender_cpu)
{
	char fname[KSYM_SYMBOL_LEN];
	struct sk_buff *msg;
	void *hdr;

	if (!tlbisol_nl_has_listeners())
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &tlbisol_family, 0, TLBISOL_CMD_EVENT);
	if (!hdr)
		goto out_free;
	snprintf(fname, sizeof(fname), "%ps", func);
	if (nla_put_u32(msg, TLBISOL_A_EVENT_CPU, cpu) ||
	    nla_put_u32(msg, TLBISOL_A_EVENT_KIND, kind) ||
	    nla_put_string(msg, TLBISOL_A_EVENT_FUNC, fname) ||
	    nla_put_u32(msg, TLBISOL_A_EVENT_SENDER_PID, pid) ||
	    nla_put_string(msg, TLBISOL_A_EVENT_SENDER_COMM, comm) ||
	    nla_put_u32(msg, TLBISOL_A_EVENT_SENDER_CPU, sender_cpu))
		goto out_free;
	genlmsg_end(msg, hdr);
	if (!genlmsg_multicast(&tlbisol_family, msg, 0, TLBISOL_NLGRP_EVENTS,
			       GFP_KERNEL))
		atomic64_inc(&tlbisol_ev_sent);
	else
		atomic64_inc(&tlbisol_ev_dropped);
	return;

out_free:
	nlmsg_free(msg);
}

/* Module init, before anything can reach the family. */
int tlbisol_nl_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tlbisol_ops); i++) {
		tlbisol_ops[i] = tlbisol_nl_ops[i];
		if (!tlbisol_ops[i].policy) {
			tlbisol_ops[i].policy = tlbisol_reject_all;
			tlbisol_ops[i].maxattr = ARRAY_SIZE(tlbisol_reject_all) - 1;
		}
	}
	return genl_register_family(&tlbisol_family);
}

void tlbisol_nl_exit(void)
{
	genl_unregister_family(&tlbisol_family);
}
