// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	netlink/specs/tlbisol.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "tlbisol_nl-gen.h"

#include <uapi/linux/tlbisol.h>

/* TLBISOL_CMD_SET - do */
static const struct nla_policy tlbisol_set_nl_policy[TLBISOL_A_SET_DEFER_MASK + 1] = {
	[TLBISOL_A_SET_SYNC_ENABLE] = NLA_POLICY_MAX(NLA_U8, 1),
	[TLBISOL_A_SET_DEFER_ENABLE] = NLA_POLICY_MAX(NLA_U8, 1),
	[TLBISOL_A_SET_DEFER_MASK] = { .type = NLA_BINARY, },
};

/* Ops table for tlbisol */
const struct genl_split_ops tlbisol_nl_ops[4] = {
	{
		.cmd	= TLBISOL_CMD_GET_INFO,
		.doit	= tlbisol_nl_get_info_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= TLBISOL_CMD_SET,
		.doit		= tlbisol_nl_set_doit,
		.policy		= tlbisol_set_nl_policy,
		.maxattr	= TLBISOL_A_SET_DEFER_MASK,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= TLBISOL_CMD_GET_STATS,
		.dumpit	= tlbisol_nl_get_stats_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= TLBISOL_CMD_RESET_STATS,
		.doit	= tlbisol_nl_reset_stats_doit,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group tlbisol_nl_mcgrps[] = {
	[TLBISOL_NLGRP_EVENTS] = { "events", },
};
