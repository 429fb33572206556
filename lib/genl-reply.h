/* genl-reply.h — validation of the messages tlbisol.ko sends (replies,
 * dump messages, events) before anything in them is read. Separate from the
 * socket (lib/genl.c) so that tests can feed crafted messages.
 *
 * Each attribute set of the family's spec (netlink/specs/tlbisol.yaml) has
 * a libnl policy here: exact sizes for integers, NUL-terminated strings,
 * CPU masks of 8..TLBISOL_MASK_MAX_BYTES bytes. A message passes when its
 * generic-netlink header is whole, names the expected command and the
 * family version this build speaks, every attribute the set knows matches
 * its policy, and no bytes are left over after the last attribute (a
 * truncated attribute). Attribute types the set does not know are skipped
 * (a newer module may add some at the end of a set).
 *
 * Usage:
 *   struct nlattr *tb[TLBISOL_A_INFO_MAX + 1];
 *   char why[160];
 *   r = tlbisol_reply_parse(nlh, TLBISOL_CMD_GET_INFO, &tlbisol_attrs_info, tb, why, sizeof(why));
 *   // -EBADMSG: why says what is wrong, e.g.
 *   // "GET_INFO reply: attribute sync-state (4) is malformed: 2 bytes"
 *
 * Returns 0 or a negative errno; nothing here logs. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <netlink/attr.h>

#include "genl.h"

struct tlbisol_attr_set {
        const char *what;                       /* "GET_INFO reply", for messages */
        int maxtype;
        const struct nla_policy *policy;        /* maxtype + 1 entries */
        const char *const *names;               /* maxtype + 1 entries, the spec's names */
};

extern const struct tlbisol_attr_set tlbisol_attrs_info, tlbisol_attrs_stats, tlbisol_attrs_event;

/* The extended ACK's attributes (NLMSGERR_ATTR_*) that are read: the
 * kernel's message (NUL-terminated string) and the offset (u32). */
extern const struct nla_policy tlbisol_extack_policy[NLMSGERR_ATTR_MAX + 1];

/* Validates nlh (a message of the family) against set; tb (set->maxtype + 1
 * entries) then holds the attributes. -EBADMSG with a reason in err (may
 * be NULL) when the message is malformed. */
int tlbisol_reply_parse(struct nlmsghdr *nlh, uint8_t cmd, const struct tlbisol_attr_set *set,
                        struct nlattr **tb, char *err, size_t errlen);

/* The GET_INFO reply into ret; the GET_STATS dump message of one CPU into
 * ret (TLBISOL_A_STATS_CPU required). -EBADMSG with a reason in err. */
int tlbisol_reply_info(struct nlmsghdr *nlh, struct tlbisol_info *ret, char *err, size_t errlen);
int tlbisol_reply_stats(struct nlmsghdr *nlh, struct tlbisol_cpu_stats *ret, char *err, size_t errlen);
