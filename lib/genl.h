/* genl.h — the one libnl-genl-3 client of the "tlbisol" generic-netlink
 * family (include/uapi/linux/tlbisol.h), shared by tlbisold and tlbctl.
 *
 * Usage:
 *   _cleanup_(tlbisol_genl_closep) struct tlbisol_genl *g = NULL;
 *   r = tlbisol_genl_open(&g);          // -ENOENT: module not loaded
 *   struct tlbisol_info info;
 *   r = tlbisol_genl_get_info(g, &info);
 *   struct tlbisol_set set = TLBISOL_SET_INIT; set.sync_enable = 1;
 *   char why[256]; r = tlbisol_genl_set(g, &set, why, sizeof(why));
 *
 * Every function returns 0 or a negative errno: libnl's NLE_* codes are
 * converted here and never leak out; the kernel's own errno (from the
 * netlink ACK) is passed through as it is, with its extack message copied
 * into err when the caller gives a buffer. Every message from the module is
 * validated against the policy of its attribute set before it is read
 * (lib/genl-reply.h): a malformed one gives -EBADMSG, and
 * tlbisol_genl_last_error() says what is wrong with it. A module of another
 * family version is refused at open with -EPROTO. Nothing here logs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpumap.h"
#include "uapi/linux/tlbisol.h"

struct tlbisol_genl;

struct tlbisol_ctl {
        int state;                      /* enum tlbisol_ctl_state, -1 if absent */
        char reason[256];               /* "" if none */
};

struct tlbisol_info {
        char release[65];
        struct cpumap nohz_full, ct_active, defer_mask;
        bool has_defer_mask;
        struct tlbisol_ctl sync, defer, acct;
        int protocol_check;             /* -1 if absent */
};

struct tlbisol_set {
        int sync_enable;                /* 0/1, -1 = leave */
        int defer_enable;               /* 0/1, -1 = leave */
        const struct cpumap *defer_mask;/* NULL = leave */
        unsigned ncpus;                 /* bits of defer_mask to send (0: up to its last CPU) */
};
#define TLBISOL_SET_INIT { .sync_enable = -1, .defer_enable = -1 }

struct tlbisol_cpu_stats {
        unsigned cpu;
        uint64_t v[TLBISOL_A_STATS_MAX + 1];    /* indexed by TLBISOL_A_STATS_* */
};

/* Connects and resolves the family: -ENOENT when it is not registered
 * (module not loaded), -EPROTONOSUPPORT without generic netlink, -EPROTO
 * when the module speaks another version than TLBISOL_GENL_VERSION (a
 * tlbisol.ko of another release). */
int tlbisol_genl_open(struct tlbisol_genl **ret);
void tlbisol_genl_close(struct tlbisol_genl *g);
static inline void tlbisol_genl_closep(struct tlbisol_genl **g) { tlbisol_genl_close(*g); }


int tlbisol_genl_get_info(struct tlbisol_genl *g, struct tlbisol_info *ret);
/* -EPERM without CAP_NET_ADMIN; the kernel's reason goes to err (may be NULL). */
int tlbisol_genl_set(struct tlbisol_genl *g, const struct tlbisol_set *set,
                     char *err, size_t errlen);
/* Dump of per-CPU counters: cb is called once per CPU; a negative return
 * from cb stops the dump and is returned. */
int tlbisol_genl_get_stats(struct tlbisol_genl *g,
                           int (*cb)(const struct tlbisol_cpu_stats *s, void *userdata),
                           void *userdata);

/* An IPI that reached an isolated CPU although a control was on
 * (TLBISOL_CMD_EVENT on the "events" multicast group; the module sends at
 * most 10 a second and only while someone listens). */
struct tlbisol_event {
        unsigned cpu;                   /* the isolated CPU it reached */
        int kind;                       /* enum tlbisol_ipi_class; -1 if absent */
        char func[128];                 /* the callback it ran; "" if absent */
        int sender_pid, sender_cpu;     /* -1 if absent */
        char sender_comm[17];           /* "" if absent */
};

/* Joins the events group on g (then use g for events only):
 * -EPERM/-EACCES without CAP_NET_ADMIN, -ENOENT if the module has no such
 * group. The socket becomes non-blocking; poll tlbisol_genl_fd(). */
int tlbisol_genl_join_events(struct tlbisol_genl *g);
int tlbisol_genl_fd(const struct tlbisol_genl *g);
/* Hands every event queued on the socket to cb, without waiting; a
 * negative return from cb stops and is returned. Returns the number of
 * events read. */
int tlbisol_genl_read_events(struct tlbisol_genl *g,
                             int (*cb)(const struct tlbisol_event *ev, void *userdata),
                             void *userdata);
/* One event message (a struct nlmsghdr of family's TLBISOL_CMD_EVENT),
 * validated with the event set's policy (lib/genl-reply.h): -EBADMSG when
 * it is malformed or has no CPU, with the reason in err (may be NULL);
 * -ENOMSG for another command. */
int tlbisol_event_parse(const void *nlmsghdr, struct tlbisol_event *ev, char *err, size_t errlen);

/* What was wrong with the last message refused with -EBADMSG ("" if none). */
const char *tlbisol_genl_last_error(const struct tlbisol_genl *g);

/* Converts a libnl error (NLE_*, positive or negative) to a negative errno. */
int tlbisol_nlerr_to_errno(int nlerr);
/* CPU masks as carried by the family (u64 words, native endian). */
int tlbisol_mask_from_attr(const void *data, size_t len, struct cpumap *out);
