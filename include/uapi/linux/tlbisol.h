/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tlbisol generic-netlink UAPI, shared by tlbisol.ko and user space.
 *
 * Family TLBISOL_GENL_NAME, multicast group TLBISOL_MCGRP_EVENTS.
 *
 * CPU masks (TLBISOL_A_*_MASK) are bitmaps carried as an array of native-
 * endian __u64 words: CPU n is bit (n % 64) of word (n / 64). The length is a
 * multiple of 8 bytes and at most TLBISOL_MASK_MAX_BYTES.
 *
 * Every attribute is validated strictly against the policy of the operation
 * that carries it: an attribute an operation does not list is refused.
 */
#ifndef _UAPI_LINUX_TLBISOL_H
#define _UAPI_LINUX_TLBISOL_H

#define TLBISOL_GENL_NAME	"tlbisol"
#define TLBISOL_GENL_VERSION	1
#define TLBISOL_MCGRP_EVENTS	"events"

#define TLBISOL_MASK_MAX_BYTES	1024	/* 8192 CPUs */

enum tlbisol_cmd {
	TLBISOL_CMD_UNSPEC,
	TLBISOL_CMD_GET_INFO,	/* do: kernel, masks, state of each control */
	TLBISOL_CMD_SET,	/* do, admin: enable/disable controls, deferral mask */
	TLBISOL_CMD_GET_STATS,	/* dump: one message per possible CPU */
	TLBISOL_CMD_RESET_STATS,/* do, admin: counters restart from zero */
	TLBISOL_CMD_EVENT,	/* multicast notification (TLBISOL_MCGRP_EVENTS) */
	__TLBISOL_CMD_MAX,
};
#define TLBISOL_CMD_MAX (__TLBISOL_CMD_MAX - 1)

/* State of one control (TLBISOL_A_*_STATE). */
enum tlbisol_ctl_state {
	TLBISOL_STATE_OFF,		/* available, disabled */
	TLBISOL_STATE_ON,		/* enabled */
	TLBISOL_STATE_UNAVAILABLE,	/* cannot be enabled; see *_REASON */
};

/* What an IPI carried (TLBISOL_A_EV_KIND and the per-class counters). */
enum tlbisol_ipi_class {
	TLBISOL_IPI_USER_FLUSH,		/* flush_tlb_func */
	TLBISOL_IPI_KERNEL_FLUSH,	/* do_flush_tlb_all, do_kernel_range_flush */
	TLBISOL_IPI_TABLE_SYNC,		/* tlb_remove_table_smp_sync */
	TLBISOL_IPI_TEXT_POKE,		/* do_sync_core */
	TLBISOL_IPI_OTHER,
	__TLBISOL_IPI_NR,
};

enum tlbisol_attr {
	TLBISOL_A_UNSPEC,
	TLBISOL_A_RELEASE,		/* string: kernel release (uname -r) */
	TLBISOL_A_NOHZ_FULL_MASK,	/* binary mask: boot-time nohz_full CPUs */
	TLBISOL_A_CT_ACTIVE_MASK,	/* binary mask: context tracking active */
	TLBISOL_A_SYNC_STATE,		/* u32 enum tlbisol_ctl_state */
	TLBISOL_A_SYNC_REASON,		/* string: why unavailable */
	TLBISOL_A_DEFER_STATE,		/* u32 enum tlbisol_ctl_state */
	TLBISOL_A_DEFER_REASON,		/* string: why unavailable / last refusal */
	TLBISOL_A_ACCT_STATE,		/* u32 enum tlbisol_ctl_state */
	TLBISOL_A_ACCT_REASON,		/* string */
	TLBISOL_A_SYNC_ENABLE,		/* u8 0/1 (SET) */
	TLBISOL_A_DEFER_ENABLE,		/* u8 0/1 (SET) */
	TLBISOL_A_DEFER_MASK,		/* binary mask: deferral CPUs (SET, GET_INFO) */
	TLBISOL_A_PROTOCOL_CHECK,	/* u8: deferral protocol check compiled in and on */
	TLBISOL_A_STATS,		/* nest: enum tlbisol_stat_attr (GET_STATS) */
	TLBISOL_A_EVENT,		/* nest: enum tlbisol_event_attr (EVENT) */
	TLBISOL_A_PAD,
	TLBISOL_A_EVENTS_SENT,		/* u64: event messages multicast since load */
	TLBISOL_A_EVENTS_DROPPED,	/* u64: events not sent (rate limit, queue
					 * full); only counted while someone listens */
	__TLBISOL_A_MAX,
};
#define TLBISOL_A_MAX (__TLBISOL_A_MAX - 1)

/* Per-CPU counters; all u64 except CPU. Counted since load or last reset. */
enum tlbisol_stat_attr {
	TLBISOL_STAT_UNSPEC,
	TLBISOL_STAT_CPU,		/* u32 */
	TLBISOL_STAT_RX_USER_FLUSH,	/* IPIs received, by what they carried */
	TLBISOL_STAT_RX_KERNEL_FLUSH,
	TLBISOL_STAT_RX_TABLE_SYNC,
	TLBISOL_STAT_RX_TEXT_POKE,
	TLBISOL_STAT_RX_OTHER,
	TLBISOL_STAT_AVOIDED_SYNC,	/* table-sync IPIs not sent (CPU in EQS) */
	TLBISOL_STAT_AVOIDED_KFLUSH,	/* kernel-flush IPIs deferred */
	TLBISOL_STAT_CATCHUP_ENTRY,	/* catch-up flushes at kernel entry */
	TLBISOL_STAT_CATCHUP_NMI,	/* catch-up flushes in NMI */
	TLBISOL_STAT_PROTO_CHECKS,	/* protocol check points passed */
	TLBISOL_STAT_PROTO_VIOLATIONS,	/* deferral not caught up in time */
	TLBISOL_STAT_PAD,
	TLBISOL_STAT_PROTO_FOREIGN,	/* catch-ups that foreign code may have
					 * preceded (test build's protocol check) */
	TLBISOL_STAT_NOTDEFERRED_KFLUSH,/* lazy-purge flushes (the deferrable
					 * kind) that IPI'd this deferral CPU all
					 * the same: it was not in user mode */
	__TLBISOL_STAT_MAX,
};
#define TLBISOL_STAT_MAX (__TLBISOL_STAT_MAX - 1)

enum tlbisol_event_attr {
	TLBISOL_EV_UNSPEC,
	TLBISOL_EV_CPU,			/* u32: target (isolated) CPU */
	TLBISOL_EV_KIND,		/* u32 enum tlbisol_ipi_class */
	TLBISOL_EV_FUNC,		/* string: the callback, e.g. "do_flush_tlb_all";
					 * tlbisol.ko's own: "tlbisol_sync_ipi [tlbisol]" */
	TLBISOL_EV_SENDER_PID,		/* u32 */
	TLBISOL_EV_SENDER_COMM,		/* string */
	TLBISOL_EV_SENDER_CPU,		/* u32 */
	__TLBISOL_EV_MAX,
};
#define TLBISOL_EV_MAX (__TLBISOL_EV_MAX - 1)

#endif /* _UAPI_LINUX_TLBISOL_H */
