/* genl-reply.c — validation of the family's messages before reading them;
 * see genl-reply.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "genl-reply.h"
#include "util.h"

#define U8      { .type = NLA_U8, .maxlen = 1 }
#define U32     { .type = NLA_U32, .maxlen = 4 }
#define U64     { .type = NLA_U64, .maxlen = 8 }
#define STRING  { .type = NLA_STRING }
#define MASK    { .type = NLA_UNSPEC, .minlen = 8, .maxlen = TLBISOL_MASK_MAX_BYTES }
#define PAD     { .type = NLA_UNSPEC }

static const struct nla_policy info_policy[TLBISOL_A_INFO_MAX + 1] = {
        [TLBISOL_A_INFO_RELEASE]        = { .type = NLA_STRING, .maxlen = sizeof(((struct tlbisol_info *) 0)->release) },
        [TLBISOL_A_INFO_NOHZ_FULL_MASK] = MASK,
        [TLBISOL_A_INFO_CT_ACTIVE_MASK] = MASK,
        [TLBISOL_A_INFO_SYNC_STATE]     = U32,
        [TLBISOL_A_INFO_SYNC_REASON]    = STRING,
        [TLBISOL_A_INFO_DEFER_STATE]    = U32,
        [TLBISOL_A_INFO_DEFER_REASON]   = STRING,
        [TLBISOL_A_INFO_ACCT_STATE]     = U32,
        [TLBISOL_A_INFO_ACCT_REASON]    = STRING,
        [TLBISOL_A_INFO_DEFER_MASK]     = MASK,
        [TLBISOL_A_INFO_PROTOCOL_CHECK] = U8,
        [TLBISOL_A_INFO_EVENTS_SENT]    = U64,
        [TLBISOL_A_INFO_EVENTS_DROPPED] = U64,
        [TLBISOL_A_INFO_PAD]            = PAD,
};
static const char *const info_names[TLBISOL_A_INFO_MAX + 1] = {
        [TLBISOL_A_INFO_RELEASE]        = "release",
        [TLBISOL_A_INFO_NOHZ_FULL_MASK] = "nohz-full-mask",
        [TLBISOL_A_INFO_CT_ACTIVE_MASK] = "ct-active-mask",
        [TLBISOL_A_INFO_SYNC_STATE]     = "sync-state",
        [TLBISOL_A_INFO_SYNC_REASON]    = "sync-reason",
        [TLBISOL_A_INFO_DEFER_STATE]    = "defer-state",
        [TLBISOL_A_INFO_DEFER_REASON]   = "defer-reason",
        [TLBISOL_A_INFO_ACCT_STATE]     = "acct-state",
        [TLBISOL_A_INFO_ACCT_REASON]    = "acct-reason",
        [TLBISOL_A_INFO_DEFER_MASK]     = "defer-mask",
        [TLBISOL_A_INFO_PROTOCOL_CHECK] = "protocol-check",
        [TLBISOL_A_INFO_EVENTS_SENT]    = "events-sent",
        [TLBISOL_A_INFO_EVENTS_DROPPED] = "events-dropped",
        [TLBISOL_A_INFO_PAD]            = "pad",
};
const struct tlbisol_attr_set tlbisol_attrs_info = {
        "GET_INFO reply", TLBISOL_A_INFO_MAX, info_policy, info_names,
};

static const struct nla_policy stats_policy[TLBISOL_A_STATS_MAX + 1] = {
        [TLBISOL_A_STATS_CPU]              = U32,
        [TLBISOL_A_STATS_RX_USER_FLUSH]    = U64,
        [TLBISOL_A_STATS_RX_KERNEL_FLUSH]  = U64,
        [TLBISOL_A_STATS_RX_TABLE_SYNC]    = U64,
        [TLBISOL_A_STATS_RX_TEXT_POKE]     = U64,
        [TLBISOL_A_STATS_RX_OTHER]         = U64,
        [TLBISOL_A_STATS_AVOIDED_SYNC]     = U64,
        [TLBISOL_A_STATS_AVOIDED_KFLUSH]   = U64,
        [TLBISOL_A_STATS_CATCHUP_ENTRY]    = U64,
        [TLBISOL_A_STATS_CATCHUP_NMI]      = U64,
        [TLBISOL_A_STATS_PROTO_CHECKS]     = U64,
        [TLBISOL_A_STATS_PROTO_VIOLATIONS] = U64,
        [TLBISOL_A_STATS_PROTO_FOREIGN]    = U64,
        [TLBISOL_A_STATS_NOTDEFERRED_KFLUSH] = U64,
        [TLBISOL_A_STATS_AVOIDED_TEXT_SYNC] = U64,
        [TLBISOL_A_STATS_PAD]              = PAD,
};
static const char *const stats_names[TLBISOL_A_STATS_MAX + 1] = {
        [TLBISOL_A_STATS_CPU]              = "cpu",
        [TLBISOL_A_STATS_RX_USER_FLUSH]    = "rx-user-flush",
        [TLBISOL_A_STATS_RX_KERNEL_FLUSH]  = "rx-kernel-flush",
        [TLBISOL_A_STATS_RX_TABLE_SYNC]    = "rx-table-sync",
        [TLBISOL_A_STATS_RX_TEXT_POKE]     = "rx-text-poke",
        [TLBISOL_A_STATS_RX_OTHER]         = "rx-other",
        [TLBISOL_A_STATS_AVOIDED_SYNC]     = "avoided-sync",
        [TLBISOL_A_STATS_AVOIDED_KFLUSH]   = "avoided-kflush",
        [TLBISOL_A_STATS_CATCHUP_ENTRY]    = "catchup-entry",
        [TLBISOL_A_STATS_CATCHUP_NMI]      = "catchup-nmi",
        [TLBISOL_A_STATS_PROTO_CHECKS]     = "proto-checks",
        [TLBISOL_A_STATS_PROTO_VIOLATIONS] = "proto-violations",
        [TLBISOL_A_STATS_PROTO_FOREIGN]    = "proto-foreign",
        [TLBISOL_A_STATS_NOTDEFERRED_KFLUSH] = "notdeferred-kflush",
        [TLBISOL_A_STATS_AVOIDED_TEXT_SYNC] = "avoided-text-sync",
        [TLBISOL_A_STATS_PAD]              = "pad",
};
const struct tlbisol_attr_set tlbisol_attrs_stats = {
        "GET_STATS message", TLBISOL_A_STATS_MAX, stats_policy, stats_names,
};

static const struct nla_policy event_policy[TLBISOL_A_EVENT_MAX + 1] = {
        [TLBISOL_A_EVENT_CPU]         = U32,
        [TLBISOL_A_EVENT_KIND]        = U32,
        [TLBISOL_A_EVENT_FUNC]        = STRING,
        [TLBISOL_A_EVENT_SENDER_PID]  = U32,
        [TLBISOL_A_EVENT_SENDER_COMM] = STRING,
        [TLBISOL_A_EVENT_SENDER_CPU]  = U32,
};
static const char *const event_names[TLBISOL_A_EVENT_MAX + 1] = {
        [TLBISOL_A_EVENT_CPU]         = "cpu",
        [TLBISOL_A_EVENT_KIND]        = "kind",
        [TLBISOL_A_EVENT_FUNC]        = "func",
        [TLBISOL_A_EVENT_SENDER_PID]  = "sender-pid",
        [TLBISOL_A_EVENT_SENDER_COMM] = "sender-comm",
        [TLBISOL_A_EVENT_SENDER_CPU]  = "sender-cpu",
};
const struct tlbisol_attr_set tlbisol_attrs_event = {
        "EVENT message", TLBISOL_A_EVENT_MAX, event_policy, event_names,
};

const struct nla_policy tlbisol_extack_policy[NLMSGERR_ATTR_MAX + 1] = {
        [NLMSGERR_ATTR_MSG]  = STRING,
        [NLMSGERR_ATTR_OFFS] = U32,
};

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;

        if (err && errlen) {
                va_start(ap, fmt);
                vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

/* Names the first attribute the policy refuses (nla_parse does not say). */
static int bad_attr(const struct tlbisol_attr_set *set, struct nlattr *head, int len,
                    char *err, size_t errlen) {
        struct nlattr *nla;
        int rem;

        nla_for_each_attr(nla, head, len, rem) {
                int type = nla_type(nla), r;

                if (type > set->maxtype)
                        continue;
                r = nla_validate(nla, nla->nla_len, set->maxtype, set->policy);
                if (r < 0)
                        return bad(err, errlen, "%s: attribute %s (%d) is malformed: %d bytes%s",
                                   set->what, set->names[type] ?: "?", type, nla_len(nla),
                                   set->policy[type].type == NLA_STRING && nla_len(nla) > 0 &&
                                   ((const char *) nla_data(nla))[nla_len(nla) - 1] ?
                                   ", not NUL-terminated" : "");
        }
        return bad(err, errlen, "%s: malformed attributes", set->what);
}

int tlbisol_reply_parse(struct nlmsghdr *nlh, uint8_t cmd, const struct tlbisol_attr_set *set,
                        struct nlattr **tb, char *err, size_t errlen) {
        struct genlmsghdr *gh;
        struct nlattr *head, *nla;
        int len, rem;

        if (err && errlen)
                err[0] = 0;
        if (!nlh || !set || !tb)
                return -EINVAL;
        if (nlh->nlmsg_len < NLMSG_HDRLEN || !genlmsg_valid_hdr(nlh, 0))
                return bad(err, errlen, "%s: message too short for a generic-netlink header (%u bytes)",
                           set->what, nlh->nlmsg_len);
        gh = genlmsg_hdr(nlh);
        if (gh->cmd != cmd)
                return bad(err, errlen, "%s: command %u, expected %u", set->what, gh->cmd, cmd);
        if (gh->version != TLBISOL_GENL_VERSION)
                return bad(err, errlen, "%s: family version %u, this build speaks version %d "
                           "(load the tlbisol.ko of the same release)", set->what, gh->version,
                           TLBISOL_GENL_VERSION);
        head = genlmsg_attrdata(gh, 0);
        len = genlmsg_attrlen(gh, 0);
        if (nla_parse(tb, set->maxtype, head, len, set->policy) < 0)
                return bad_attr(set, head, len, err, errlen);
        /* nla_parse stops silently at an attribute longer than what is left */
        nla_for_each_attr(nla, head, len, rem)
                ;
        if (rem > 0)
                return bad(err, errlen, "%s: %d bytes after the last attribute (truncated attribute)",
                           set->what, rem);
        return 0;
}

int tlbisol_mask_from_attr(const void *data, size_t len, struct cpumap *out) {
        struct cpumap m;
        const uint8_t *p = data;

        if (!out || (len && !data) || len % 8)
                return -EINVAL;
        cpumap_zero(&m);
        for (size_t w = 0; w < len / 8; w++) {
                uint64_t word;

                memcpy(&word, p + w * 8, 8);
                if (w >= CPUMAP_WORDS) {
                        if (word)
                                return -ERANGE;
                        continue;
                }
                m.bits[w] = word;
        }
        *out = m;
        return 0;
}

static int mask_from(const struct tlbisol_attr_set *set, struct nlattr **tb, int type,
                     struct cpumap *out, char *err, size_t errlen) {
        int r;

        if (!tb[type])
                return 0;
        r = tlbisol_mask_from_attr(nla_data(tb[type]), (size_t) nla_len(tb[type]), out);
        if (r == -EINVAL)
                return bad(err, errlen, "%s: attribute %s (%d) is malformed: %d bytes, not a multiple of 8",
                           set->what, set->names[type], type, nla_len(tb[type]));
        if (r < 0)
                return bad(err, errlen, "%s: attribute %s (%d) names CPUs beyond %d, more than this build handles",
                           set->what, set->names[type], type, CPUMAP_MAX_CPUS - 1);
        return 1;
}

static void ctl_from(struct nlattr **tb, int st, int why, struct tlbisol_ctl *c) {
        c->state = tb[st] ? (int) nla_get_u32(tb[st]) : -1;
        c->reason[0] = 0;
        if (tb[why])
                snprintf(c->reason, sizeof(c->reason), "%s", nla_get_string(tb[why]));
}

int tlbisol_reply_info(struct nlmsghdr *nlh, struct tlbisol_info *ret, char *err, size_t errlen) {
        const struct tlbisol_attr_set *set = &tlbisol_attrs_info;
        struct nlattr *tb[TLBISOL_A_INFO_MAX + 1];
        struct tlbisol_info info = {};
        int r;

        if (!ret)
                return -EINVAL;
        r = tlbisol_reply_parse(nlh, TLBISOL_CMD_GET_INFO, set, tb, err, errlen);
        if (r < 0)
                return r;
        if (tb[TLBISOL_A_INFO_RELEASE])
                snprintf(info.release, sizeof(info.release), "%s", nla_get_string(tb[TLBISOL_A_INFO_RELEASE]));
        if ((r = mask_from(set, tb, TLBISOL_A_INFO_NOHZ_FULL_MASK, &info.nohz_full, err, errlen)) < 0 ||
            (r = mask_from(set, tb, TLBISOL_A_INFO_CT_ACTIVE_MASK, &info.ct_active, err, errlen)) < 0 ||
            (r = mask_from(set, tb, TLBISOL_A_INFO_DEFER_MASK, &info.defer_mask, err, errlen)) < 0)
                return r;
        info.has_defer_mask = r > 0;
        ctl_from(tb, TLBISOL_A_INFO_SYNC_STATE, TLBISOL_A_INFO_SYNC_REASON, &info.sync);
        ctl_from(tb, TLBISOL_A_INFO_DEFER_STATE, TLBISOL_A_INFO_DEFER_REASON, &info.defer);
        ctl_from(tb, TLBISOL_A_INFO_ACCT_STATE, TLBISOL_A_INFO_ACCT_REASON, &info.acct);
        info.protocol_check = tb[TLBISOL_A_INFO_PROTOCOL_CHECK] ? nla_get_u8(tb[TLBISOL_A_INFO_PROTOCOL_CHECK]) : -1;
        *ret = info;
        return 0;
}

int tlbisol_reply_stats(struct nlmsghdr *nlh, struct tlbisol_cpu_stats *ret, char *err, size_t errlen) {
        struct nlattr *tb[TLBISOL_A_STATS_MAX + 1];
        struct tlbisol_cpu_stats s = {};
        int r;

        if (!ret)
                return -EINVAL;
        r = tlbisol_reply_parse(nlh, TLBISOL_CMD_GET_STATS, &tlbisol_attrs_stats, tb, err, errlen);
        if (r < 0)
                return r;
        if (!tb[TLBISOL_A_STATS_CPU])
                return bad(err, errlen, "%s: attribute cpu (%d) is missing",
                           tlbisol_attrs_stats.what, TLBISOL_A_STATS_CPU);
        s.cpu = nla_get_u32(tb[TLBISOL_A_STATS_CPU]);
        for (int i = TLBISOL_A_STATS_CPU + 1; i <= TLBISOL_A_STATS_MAX; i++)
                if (i != TLBISOL_A_STATS_PAD && tb[i])
                        s.v[i] = nla_get_u64(tb[i]);
        *ret = s;
        return 0;
}
