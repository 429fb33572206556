/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	netlink/specs/tlbisol.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_TLBISOL_GEN_H
#define _LINUX_TLBISOL_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/tlbisol.h>

/* Ops table for tlbisol */
extern const struct genl_split_ops tlbisol_nl_ops[4];

int tlbisol_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info);
int tlbisol_nl_set_doit(struct sk_buff *skb, struct genl_info *info);
int tlbisol_nl_get_stats_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int tlbisol_nl_reset_stats_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	TLBISOL_NLGRP_EVENTS,
};

#endif /* _LINUX_TLBISOL_GEN_H */
