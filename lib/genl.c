/* genl.c — libnl-genl-3 client of the "tlbisol" family; see genl.h. */
#include <errno.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <string.h>

#include "genl-reply.h"
#include "genl.h"
#include "util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct tlbisol_genl {
        struct nl_sock *sock;
        int family;
        char error[256];        /* why the last message was refused */
};

int tlbisol_nlerr_to_errno(int nlerr) {
        switch (nlerr < 0 ? -nlerr : nlerr) {
        case 0:                 return 0;
        case NLE_INTR:          return -EINTR;
        case NLE_BAD_SOCK:      return -EBADF;
        case NLE_AGAIN:         return -EAGAIN;
        case NLE_NOMEM:         return -ENOMEM;
        case NLE_EXIST:         return -EEXIST;
        case NLE_INVAL:         return -EINVAL;
        case NLE_RANGE:         return -ERANGE;
        case NLE_MSGSIZE:       return -EMSGSIZE;
        case NLE_OPNOTSUPP:     return -EOPNOTSUPP;
        case NLE_AF_NOSUPPORT:  return -EAFNOSUPPORT;
        case NLE_OBJ_NOTFOUND:  return -ENOENT;
        case NLE_NOATTR:        return -ENOENT;
        case NLE_MISSING_ATTR:  return -EINVAL;
        case NLE_AF_MISMATCH:   return -EAFNOSUPPORT;
        case NLE_SEQ_MISMATCH:  return -EILSEQ;
        case NLE_MSG_OVERFLOW:  return -EOVERFLOW;
        case NLE_MSG_TRUNC:     return -EMSGSIZE;
        case NLE_NOADDR:        return -EADDRNOTAVAIL;
        case NLE_SRCRT_NOSUPPORT: return -EOPNOTSUPP;
        case NLE_MSG_TOOSHORT:  return -EBADMSG;
        case NLE_MSGTYPE_NOSUPPORT: return -EOPNOTSUPP;
        case NLE_OBJ_MISMATCH:  return -EINVAL;
        case NLE_NOCACHE:       return -ENOENT;
        case NLE_BUSY:          return -EBUSY;
        case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
        case NLE_NOACCESS:      return -EACCES;
        case NLE_PERM:          return -EPERM;
        case NLE_PKTLOC_FILE:   return -ENOENT;
        case NLE_PARSE_ERR:     return -EBADMSG;
        case NLE_NODEV:         return -ENODEV;
        case NLE_IMMUTABLE:     return -EPERM;
        case NLE_DUMP_INTR:     return -EINTR;
        case NLE_ATTRSIZE:      return -EMSGSIZE;
        default:                return -EIO;
        }
}

static void cache_freep(struct nl_cache **c) { if (*c) nl_cache_free(*c); }

/* The family's id and version, from the controller's list of families. */
static int resolve(struct tlbisol_genl *g) {
        _cleanup_(cache_freep) struct nl_cache *cache = NULL;
        struct genl_family *f;
        int r, version;

        r = genl_ctrl_alloc_cache(g->sock, &cache);
        if (r < 0)
                return tlbisol_nlerr_to_errno(r);
        f = genl_ctrl_search_by_name(cache, TLBISOL_GENL_NAME);
        if (!f)
                return -ENOENT;
        g->family = genl_family_get_id(f);
        version = genl_family_get_version(f);
        genl_family_put(f);
        return version == TLBISOL_GENL_VERSION ? 0 : -EPROTO;
}

int tlbisol_genl_open(struct tlbisol_genl **ret) {
        _cleanup_free_ struct tlbisol_genl *g = NULL;
        int r, one = 1;

        if (!ret)
                return -EINVAL;
        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->sock = nl_socket_alloc();
        if (!g->sock)
                return -ENOMEM;
        r = genl_connect(g->sock);
        if (r < 0)
                goto fail;
        /* extended ACKs carry the kernel's reason; cap the echo of our request */
        (void) setsockopt(nl_socket_get_fd(g->sock), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) setsockopt(nl_socket_get_fd(g->sock), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
        r = resolve(g);
        if (r < 0) {
                nl_socket_free(g->sock);
                return r;
        }
        *ret = TAKE_PTR(g);
        return 0;
fail:
        nl_socket_free(g->sock);
        return tlbisol_nlerr_to_errno(r);
}

const char *tlbisol_genl_last_error(const struct tlbisol_genl *g) {
        return g ? g->error : "";
}

void tlbisol_genl_close(struct tlbisol_genl *g) {
        if (!g)
                return;
        nl_socket_free(g->sock);
        free(g);
}

/* One request/response exchange. */
struct xfer {
        int error;              /* kernel errno (negative) or 0 */
        bool done;
        char *err;
        size_t errlen;
        int (*valid)(struct nl_msg *msg, void *userdata);
        void *userdata;
        int cb_error;
};

static int on_valid(struct nl_msg *msg, void *arg) {
        struct xfer *x = arg;

        if (x->valid && x->cb_error >= 0) {
                int r = x->valid(msg, x->userdata);

                if (r < 0) {
                        x->cb_error = r;
                        return NL_SKIP;
                }
        }
        return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg) {
        ((struct xfer *) arg)->done = true;
        return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg) {
        struct xfer *x = arg;
        struct nlmsghdr *nlh = (struct nlmsghdr *) ((char *) e - NLMSG_HDRLEN);

        x->error = e->error;
        x->done = true;
        if (x->err && x->errlen && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
                size_t off = sizeof(*e);
                int len;
                struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

                if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
                        off += e->msg.nlmsg_len - sizeof(e->msg);
                len = (int) nlh->nlmsg_len - NLMSG_HDRLEN - (int) off;
                if (len > 0 && nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *) ((char *) e + off),
                                         len, tlbisol_extack_policy) >= 0 && tb[NLMSGERR_ATTR_MSG])
                        snprintf(x->err, x->errlen, "%s", (const char *) nla_data(tb[NLMSGERR_ATTR_MSG]));
        }
        return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg) {
        ((struct xfer *) arg)->done = true;
        return NL_STOP;
}

static int transact(struct tlbisol_genl *g, struct nl_msg *msg, struct xfer *x) {
        struct nl_cb *cb;
        int r;

        if (x->err && x->errlen)
                x->err[0] = 0;
        cb = nl_cb_alloc(NL_CB_DEFAULT);
        if (!cb)
                return -ENOMEM;
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, x);
        nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, x);
        nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, x);
        nl_cb_err(cb, NL_CB_CUSTOM, on_error, x);

        r = nl_send_auto(g->sock, msg);
        while (r >= 0 && !x->done)
                r = nl_recvmsgs(g->sock, cb);
        nl_cb_put(cb);
        if (r < 0)
                return tlbisol_nlerr_to_errno(r);
        if (x->error < 0)
                return x->error;
        return x->cb_error < 0 ? x->cb_error : 0;
}

static void nlmsg_freep(struct nl_msg **m) { if (*m) nlmsg_free(*m); }

static int new_msg(struct tlbisol_genl *g, uint8_t cmd, int flags, struct nl_msg **ret) {
        struct nl_msg *msg = nlmsg_alloc();

        if (!msg)
                return -ENOMEM;
        if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0, flags | NLM_F_ACK,
                         cmd, TLBISOL_GENL_VERSION)) {
                nlmsg_free(msg);
                return -EMSGSIZE;
        }
        *ret = msg;
        return 0;
}

struct info_ctx {
        struct tlbisol_genl *g;
        struct tlbisol_info *info;
};

static int parse_info(struct nl_msg *msg, void *userdata) {
        struct info_ctx *c = userdata;

        return tlbisol_reply_info(nlmsg_hdr(msg), c->info, c->g->error, sizeof(c->g->error));
}

int tlbisol_genl_get_info(struct tlbisol_genl *g, struct tlbisol_info *ret) {
        __attribute__((cleanup(nlmsg_freep))) struct nl_msg *msg = NULL;
        _cleanup_free_ struct tlbisol_info *info = NULL;
        struct info_ctx c = { .g = g };
        struct xfer x = { .valid = parse_info, .userdata = &c };
        int r;

        if (!g || !ret)
                return -EINVAL;
        g->error[0] = 0;
        info = calloc(1, sizeof(*info));
        if (!info)
                return -ENOMEM;
        c.info = info;
        r = new_msg(g, TLBISOL_CMD_GET_INFO, 0, &msg);
        if (r < 0)
                return r;
        r = transact(g, msg, &x);
        if (r < 0)
                return r;
        *ret = *info;
        return 0;
}

int tlbisol_genl_set(struct tlbisol_genl *g, const struct tlbisol_set *set, char *err, size_t errlen) {
        __attribute__((cleanup(nlmsg_freep))) struct nl_msg *msg = NULL;
        struct xfer x = { .err = err, .errlen = errlen };
        int r;

        if (!g || !set)
                return -EINVAL;
        r = new_msg(g, TLBISOL_CMD_SET, 0, &msg);
        if (r < 0)
                return r;
        if (set->sync_enable >= 0 && nla_put_u8(msg, TLBISOL_A_SET_SYNC_ENABLE, (uint8_t) !!set->sync_enable) < 0)
                return -EMSGSIZE;
        if (set->defer_enable >= 0 && nla_put_u8(msg, TLBISOL_A_SET_DEFER_ENABLE, (uint8_t) !!set->defer_enable) < 0)
                return -EMSGSIZE;
        if (set->defer_mask) {
                int last = cpumap_last(set->defer_mask);
                unsigned nbits = set->ncpus ? set->ncpus : (unsigned) (last + 1);
                size_t words = nbits ? (nbits + 63) / 64 : 1;

                if (last >= 0 && (unsigned) last >= nbits)
                        return -ERANGE;
                if (words > CPUMAP_WORDS)
                        words = CPUMAP_WORDS;
                if (nla_put(msg, TLBISOL_A_SET_DEFER_MASK, (int) (words * 8), set->defer_mask->bits) < 0)
                        return -EMSGSIZE;
        }
        return transact(g, msg, &x);
}

struct stats_ctx {
        struct tlbisol_genl *g;
        int (*cb)(const struct tlbisol_cpu_stats *s, void *userdata);
        void *userdata;
};

static int parse_stats(struct nl_msg *msg, void *userdata) {
        struct stats_ctx *c = userdata;
        struct tlbisol_cpu_stats s;
        int r;

        r = tlbisol_reply_stats(nlmsg_hdr(msg), &s, c->g->error, sizeof(c->g->error));
        if (r < 0)
                return r;
        return c->cb(&s, c->userdata);
}

int tlbisol_genl_get_stats(struct tlbisol_genl *g,
                           int (*cb)(const struct tlbisol_cpu_stats *s, void *userdata),
                           void *userdata) {
        __attribute__((cleanup(nlmsg_freep))) struct nl_msg *msg = NULL;
        struct stats_ctx c = { .g = g, .cb = cb, .userdata = userdata };
        struct xfer x = { .valid = parse_stats, .userdata = &c };
        int r;

        if (!g || !cb)
                return -EINVAL;
        g->error[0] = 0;
        r = new_msg(g, TLBISOL_CMD_GET_STATS, NLM_F_DUMP, &msg);
        if (r < 0)
                return r;
        return transact(g, msg, &x);
}

int tlbisol_genl_join_events(struct tlbisol_genl *g) {
        int grp, r;

        if (!g)
                return -EINVAL;
        grp = genl_ctrl_resolve_grp(g->sock, TLBISOL_GENL_NAME, TLBISOL_MCGRP_EVENTS);
        if (grp < 0)
                return tlbisol_nlerr_to_errno(grp);
        r = nl_socket_add_membership(g->sock, grp);
        if (r < 0)
                return tlbisol_nlerr_to_errno(r);
        nl_socket_disable_seq_check(g->sock);
        r = nl_socket_set_nonblocking(g->sock);
        return r < 0 ? tlbisol_nlerr_to_errno(r) : 0;
}

int tlbisol_genl_fd(const struct tlbisol_genl *g) {
        return g ? nl_socket_get_fd(g->sock) : -EINVAL;
}

int tlbisol_event_parse(const void *hdr, struct tlbisol_event *ev, char *err, size_t errlen) {
        struct nlmsghdr *nlh = (struct nlmsghdr *) hdr;
        struct nlattr *e[TLBISOL_A_EVENT_MAX + 1];
        int r;

        if (err && errlen)
                err[0] = 0;
        if (!nlh || !ev)
                return -EBADMSG;
        /* another command on the socket is not an event, not a bad one */
        if (nlh->nlmsg_len >= NLMSG_HDRLEN && genlmsg_valid_hdr(nlh, 0) &&
            genlmsg_hdr(nlh)->cmd != TLBISOL_CMD_EVENT)
                return -ENOMSG;
        r = tlbisol_reply_parse(nlh, TLBISOL_CMD_EVENT, &tlbisol_attrs_event, e, err, errlen);
        if (r < 0)
                return r;
        if (!e[TLBISOL_A_EVENT_CPU]) {
                if (err && errlen)
                        snprintf(err, errlen, "%s: attribute cpu (%d) is missing",
                                 tlbisol_attrs_event.what, TLBISOL_A_EVENT_CPU);
                return -EBADMSG;
        }
        *ev = (struct tlbisol_event) { .kind = -1, .sender_pid = -1, .sender_cpu = -1 };
        ev->cpu = nla_get_u32(e[TLBISOL_A_EVENT_CPU]);
        if (e[TLBISOL_A_EVENT_KIND])
                ev->kind = (int) nla_get_u32(e[TLBISOL_A_EVENT_KIND]);
        if (e[TLBISOL_A_EVENT_SENDER_PID])
                ev->sender_pid = (int) nla_get_u32(e[TLBISOL_A_EVENT_SENDER_PID]);
        if (e[TLBISOL_A_EVENT_SENDER_CPU])
                ev->sender_cpu = (int) nla_get_u32(e[TLBISOL_A_EVENT_SENDER_CPU]);
        /* the policy made them NUL-terminated; a longer one is cut */
        if (e[TLBISOL_A_EVENT_FUNC])
                nla_strlcpy(ev->func, e[TLBISOL_A_EVENT_FUNC], sizeof(ev->func));
        if (e[TLBISOL_A_EVENT_SENDER_COMM])
                nla_strlcpy(ev->sender_comm, e[TLBISOL_A_EVENT_SENDER_COMM], sizeof(ev->sender_comm));
        return 0;
}

struct events_ctx {
        struct tlbisol_genl *g;
        int (*cb)(const struct tlbisol_event *ev, void *userdata);
        void *userdata;
        int n, error;
};

static int on_event(struct nl_msg *msg, void *arg) {
        struct events_ctx *c = arg;
        struct tlbisol_event ev;
        int r;

        if (c->error < 0)
                return NL_SKIP;
        r = tlbisol_event_parse(nlmsg_hdr(msg), &ev, c->g->error, sizeof(c->g->error));
        if (r == -ENOMSG)
                return NL_SKIP;
        if (r >= 0)
                r = c->cb(&ev, c->userdata);
        if (r < 0) {
                c->error = r;
                return NL_STOP;
        }
        c->n++;
        return NL_OK;
}

static int seq_any(struct nl_msg *msg, void *arg) {
        return NL_OK;
}

int tlbisol_genl_read_events(struct tlbisol_genl *g,
                             int (*cb)(const struct tlbisol_event *ev, void *userdata),
                             void *userdata) {
        struct events_ctx c = { .g = g, .cb = cb, .userdata = userdata };
        struct nl_cb *nlcb;
        int r;

        if (!g || !cb)
                return -EINVAL;
        g->error[0] = 0;
        nlcb = nl_cb_alloc(NL_CB_DEFAULT);
        if (!nlcb)
                return -ENOMEM;
        nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &c);
        /* multicast messages carry sequence number 0: no check (a NULL
         * callback here would mean libnl's strict one) */
        nl_cb_set(nlcb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_any, NULL);
        do
                r = nl_recvmsgs(g->sock, nlcb);
        while (r >= 0 && c.error >= 0);
        nl_cb_put(nlcb);
        if (c.error < 0)
                return c.error;
        if (r < 0 && r != -NLE_AGAIN)
                return tlbisol_nlerr_to_errno(r);
        return c.n;
}
