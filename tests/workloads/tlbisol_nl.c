// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_nl — genetlink test client for tlbisol.ko (VM tests only; the
 * product client lives in lib/ and tlbctl).
 *
 * Usage:
 *   tlbisol_nl info [--attr]              key=value lines
 *   tlbisol_nl stats [--attr]             one line of counters per CPU
 *   tlbisol_nl reset [--attr]             reset the counters
 *   tlbisol_nl set [--sync 0|1] [--defer 0|1] [--mask CPULIST|none]
 *                  [--mask-len BYTES] [--bad-attr] [--unknown-attr]
 *   tlbisol_nl events SECONDS             print multicast events for a while
 * Global option (first): --drop-priv     setresuid(65534) before talking
 *                        --net-admin-only keep only CAP_NET_ADMIN (root uid)
 *
 * --mask none sends an all-zero mask; --mask-len forces the attribute length
 * (to test validation); --bad-attr adds TLBISOL_A_INFO_EVENTS_SENT, an
 * attribute of GET_INFO's set that SET's set does not have; --unknown-attr
 * adds attribute type 200 (beyond every set). info, stats and reset take
 * no attribute at all: --attr adds one of type 1.
 *
 * Every message from the module is validated with the policy of its
 * attribute set (lib/genl-reply.h) before it is read; a malformed one prints
 * "error=malformed msg=<what is wrong>".
 * Exit status: 0 ok, 1 refused/failed (prints "error=<errno> msg=<extack>"),
 * 2 usage.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uapi/linux/tlbisol.h>
#include "genl-reply.h"
#include "wl.h"

#define MAX_CPUS 8192

static int family;
static int last_error;
static char last_msg[256];
static int malformed;

static const char *stat_names[TLBISOL_A_STATS_MAX + 1] = {
	[TLBISOL_A_STATS_RX_USER_FLUSH] = "rx_user_flush",
	[TLBISOL_A_STATS_RX_KERNEL_FLUSH] = "rx_kernel_flush",
	[TLBISOL_A_STATS_RX_TABLE_SYNC] = "rx_table_sync",
	[TLBISOL_A_STATS_RX_TEXT_POKE] = "rx_text_poke",
	[TLBISOL_A_STATS_RX_OTHER] = "rx_other",
	[TLBISOL_A_STATS_AVOIDED_SYNC] = "avoided_sync",
	[TLBISOL_A_STATS_AVOIDED_KFLUSH] = "avoided_kflush",
	[TLBISOL_A_STATS_CATCHUP_ENTRY] = "catchup_entry",
	[TLBISOL_A_STATS_CATCHUP_NMI] = "catchup_nmi",
	[TLBISOL_A_STATS_PROTO_CHECKS] = "proto_checks",
	[TLBISOL_A_STATS_PROTO_VIOLATIONS] = "proto_violations",
	[TLBISOL_A_STATS_PROTO_FOREIGN] = "proto_foreign",
	[TLBISOL_A_STATS_NOTDEFERRED_KFLUSH] = "notdeferred_kflush",
	[TLBISOL_A_STATS_AVOIDED_TEXT_SYNC] = "avoided_text_sync",
};

/* A message that failed validation: say what is wrong, stop reading. */
static int refuse(const char *why)
{
	printf("error=malformed msg=%s\n", why);
	fflush(stdout);
	malformed = 1;
	return NL_STOP;
}

static const char *state_name(uint32_t s)
{
	return s == TLBISOL_STATE_ON ? "on" : s == TLBISOL_STATE_OFF ? "off" : "unavailable";
}

static void print_mask(const char *key, struct nlattr *a)
{
	const uint64_t *w = nla_data(a);
	int n = nla_len(a) / 8, first = 1;

	printf("%s=", key);
	for (int i = 0; i < n * 64; i++) {
		if (!(w[i / 64] >> (i % 64) & 1))
			continue;
		int j = i;

		while (j + 1 < n * 64 && (w[(j + 1) / 64] >> ((j + 1) % 64) & 1))
			j++;
		printf(first ? "%d" : ",%d", i);
		if (j > i)
			printf("-%d", j);
		first = 0;
		i = j;
	}
	printf("\n");
}

static int info_cb(struct nl_msg *msg, void *arg __attribute__((unused)))
{
	static const int masks[] = { TLBISOL_A_INFO_NOHZ_FULL_MASK, TLBISOL_A_INFO_CT_ACTIVE_MASK,
				     TLBISOL_A_INFO_DEFER_MASK };
	struct nlattr *tb[TLBISOL_A_INFO_MAX + 1];
	char why[256];

	if (tlbisol_reply_parse(nlmsg_hdr(msg), TLBISOL_CMD_GET_INFO, &tlbisol_attrs_info,
				tb, why, sizeof(why)) < 0)
		return refuse(why);
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++)
		if (tb[masks[i]] && nla_len(tb[masks[i]]) % 8) {
			snprintf(why, sizeof(why), "GET_INFO reply: CPU mask %d is %d bytes, not a multiple of 8",
				 masks[i], nla_len(tb[masks[i]]));
			return refuse(why);
		}
	if (tb[TLBISOL_A_INFO_RELEASE])
		printf("release=%s\n", nla_get_string(tb[TLBISOL_A_INFO_RELEASE]));
	if (tb[TLBISOL_A_INFO_NOHZ_FULL_MASK])
		print_mask("nohz_full", tb[TLBISOL_A_INFO_NOHZ_FULL_MASK]);
	if (tb[TLBISOL_A_INFO_CT_ACTIVE_MASK])
		print_mask("ct_active", tb[TLBISOL_A_INFO_CT_ACTIVE_MASK]);
	if (tb[TLBISOL_A_INFO_DEFER_MASK])
		print_mask("defer_mask", tb[TLBISOL_A_INFO_DEFER_MASK]);
	if (tb[TLBISOL_A_INFO_SYNC_STATE])
		printf("sync=%s\n", state_name(nla_get_u32(tb[TLBISOL_A_INFO_SYNC_STATE])));
	if (tb[TLBISOL_A_INFO_SYNC_REASON])
		printf("sync_reason=%s\n", nla_get_string(tb[TLBISOL_A_INFO_SYNC_REASON]));
	if (tb[TLBISOL_A_INFO_DEFER_STATE])
		printf("defer=%s\n", state_name(nla_get_u32(tb[TLBISOL_A_INFO_DEFER_STATE])));
	if (tb[TLBISOL_A_INFO_DEFER_REASON])
		printf("defer_reason=%s\n", nla_get_string(tb[TLBISOL_A_INFO_DEFER_REASON]));
	if (tb[TLBISOL_A_INFO_ACCT_STATE])
		printf("acct=%s\n", state_name(nla_get_u32(tb[TLBISOL_A_INFO_ACCT_STATE])));
	if (tb[TLBISOL_A_INFO_ACCT_REASON])
		printf("acct_reason=%s\n", nla_get_string(tb[TLBISOL_A_INFO_ACCT_REASON]));
	if (tb[TLBISOL_A_INFO_PROTOCOL_CHECK])
		printf("protocol_check=%u\n", nla_get_u8(tb[TLBISOL_A_INFO_PROTOCOL_CHECK]));
	if (tb[TLBISOL_A_INFO_EVENTS_SENT])
		printf("events_sent=%llu\n",
		       (unsigned long long)nla_get_u64(tb[TLBISOL_A_INFO_EVENTS_SENT]));
	if (tb[TLBISOL_A_INFO_EVENTS_DROPPED])
		printf("events_dropped=%llu\n",
		       (unsigned long long)nla_get_u64(tb[TLBISOL_A_INFO_EVENTS_DROPPED]));
	return NL_OK;
}

static int stats_cb(struct nl_msg *msg, void *arg __attribute__((unused)))
{
	struct nlattr *tb[TLBISOL_A_STATS_MAX + 1];
	char why[256];

	if (tlbisol_reply_parse(nlmsg_hdr(msg), TLBISOL_CMD_GET_STATS, &tlbisol_attrs_stats,
				tb, why, sizeof(why)) < 0)
		return refuse(why);
	if (!tb[TLBISOL_A_STATS_CPU])
		return refuse("GET_STATS message: attribute cpu is missing");
	printf("cpu=%u", nla_get_u32(tb[TLBISOL_A_STATS_CPU]));
	for (int i = TLBISOL_A_STATS_CPU + 1; i <= TLBISOL_A_STATS_MAX; i++)
		if (i != TLBISOL_A_STATS_PAD && tb[i])
			printf(" %s=%llu", stat_names[i],
			       (unsigned long long)nla_get_u64(tb[i]));
	printf("\n");
	return NL_OK;
}

static int event_cb(struct nl_msg *msg, void *arg __attribute__((unused)))
{
	struct nlattr *ev[TLBISOL_A_EVENT_MAX + 1];
	char why[256];

	if (tlbisol_reply_parse(nlmsg_hdr(msg), TLBISOL_CMD_EVENT, &tlbisol_attrs_event,
				ev, why, sizeof(why)) < 0) {
		printf("error=malformed msg=%s\n", why);	/* keep listening */
		fflush(stdout);
		malformed = 1;
		return NL_SKIP;
	}
	printf("event cpu=%u kind=%u func=%s sender_pid=%u sender_comm=%s sender_cpu=%u\n",
	       ev[TLBISOL_A_EVENT_CPU] ? nla_get_u32(ev[TLBISOL_A_EVENT_CPU]) : 0,
	       ev[TLBISOL_A_EVENT_KIND] ? nla_get_u32(ev[TLBISOL_A_EVENT_KIND]) : 0,
	       ev[TLBISOL_A_EVENT_FUNC] ? nla_get_string(ev[TLBISOL_A_EVENT_FUNC]) : "?",
	       ev[TLBISOL_A_EVENT_SENDER_PID] ? nla_get_u32(ev[TLBISOL_A_EVENT_SENDER_PID]) : 0,
	       ev[TLBISOL_A_EVENT_SENDER_COMM] ? nla_get_string(ev[TLBISOL_A_EVENT_SENDER_COMM]) : "?",
	       ev[TLBISOL_A_EVENT_SENDER_CPU] ? nla_get_u32(ev[TLBISOL_A_EVENT_SENDER_CPU]) : 0);
	fflush(stdout);
	return NL_OK;
}

/* NLMSG_ERROR with extack TLVs (NETLINK_EXT_ACK + NETLINK_CAP_ACK set). */
static int error_cb(struct sockaddr_nl *nla __attribute__((unused)), struct nlmsgerr *err,
		    void *arg __attribute__((unused)))
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - (int)sizeof(*err);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	last_error = err->error;
	last_msg[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	/* NETLINK_CAP_ACK: the request is not echoed, the TLVs follow */
	if (len > 0 && nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)(err + 1), len,
				 tlbisol_extack_policy) >= 0 && tb[NLMSGERR_ATTR_MSG])
		snprintf(last_msg, sizeof(last_msg), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static struct nl_sock *open_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1;

	if (!sk || genl_connect(sk) < 0) {
		fprintf(stderr, "cannot open a generic netlink socket\n");
		exit(1);
	}
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	family = genl_ctrl_resolve(sk, TLBISOL_GENL_NAME);
	if (family < 0) {
		fprintf(stderr, "genl family %s not found (module loaded?)\n", TLBISOL_GENL_NAME);
		exit(1);
	}
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, error_cb, NULL);
	return sk;
}

static int transact(struct nl_sock *sk, struct nl_msg *msg, nl_recvmsg_msg_cb_t cb)
{
	int r;

	last_error = 0;
	if (cb)
		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, cb, NULL);
	r = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (r < 0) {
		fprintf(stderr, "send: %s\n", nl_geterror(r));
		return 1;
	}
	r = nl_recvmsgs_default(sk);
	if (malformed)
		return 1;
	if (last_error) {
		printf("error=%d msg=%s\n", last_error, last_msg);
		return 1;
	}
	if (r < 0) {
		printf("error=%s\n", nl_geterror(r));
		return 1;
	}
	return 0;
}

static struct nl_msg *new_msg(int cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(2 * MAX_CPUS / 8 + 4096);

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				 flags, cmd, TLBISOL_GENL_VERSION)) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return msg;
}

static int parse_cpulist(const char *s, uint64_t *w, int *maxcpu)
{
	char *end;

	*maxcpu = -1;
	if (!strcmp(s, "none"))
		return 0;
	while (*s) {
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0 || a >= MAX_CPUS)
			return -EINVAL;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b >= MAX_CPUS)
				return -EINVAL;
		}
		for (long c = a; c <= b; c++)
			w[c / 64] |= 1ULL << (c % 64);
		if (b > *maxcpu)
			*maxcpu = b;
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		s = end;
	}
	return 0;
}

static int cmd_set(struct nl_sock *sk, int argc, char **argv)
{
	struct nl_msg *msg = new_msg(TLBISOL_CMD_SET, NLM_F_ACK);
	static uint64_t w[2 * MAX_CPUS / 64];	/* room for over-long masks */
	long v, mask_len = -1;
	int maxcpu, have_mask = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--sync") && i + 1 < argc) {
			if (wl_parse_long(argv[++i], 0, 255, &v) < 0)
				return 2;
			nla_put_u8(msg, TLBISOL_A_SET_SYNC_ENABLE, v);
		} else if (!strcmp(argv[i], "--defer") && i + 1 < argc) {
			if (wl_parse_long(argv[++i], 0, 255, &v) < 0)
				return 2;
			nla_put_u8(msg, TLBISOL_A_SET_DEFER_ENABLE, v);
		} else if (!strcmp(argv[i], "--mask") && i + 1 < argc) {
			if (parse_cpulist(argv[++i], w, &maxcpu) < 0)
				return wl_usage("--mask CPULIST|none");
			have_mask = 1;
		} else if (!strcmp(argv[i], "--mask-len") && i + 1 < argc) {
			if (wl_parse_long(argv[++i], 0, sizeof(w), &mask_len) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--bad-attr")) {
			nla_put_u64(msg, TLBISOL_A_INFO_EVENTS_SENT, 1);
		} else if (!strcmp(argv[i], "--unknown-attr")) {
			nla_put_u32(msg, 200, 1);
		} else {
			return wl_usage("set [--sync 0|1] [--defer 0|1] [--mask CPULIST|none] [--mask-len N] [--bad-attr] [--unknown-attr]");
		}
	}
	if (have_mask) {
		long len = mask_len >= 0 ? mask_len : ((maxcpu < 0 ? 0 : maxcpu) / 64 + 1) * 8;

		nla_put(msg, TLBISOL_A_SET_DEFER_MASK, len, w);
	}
	return transact(sk, msg, NULL);
}

static int cmd_events(struct nl_sock *sk, long secs)
{
	int grp = genl_ctrl_resolve_grp(sk, TLBISOL_GENL_NAME, TLBISOL_MCGRP_EVENTS);
	time_t end = time(NULL) + secs;

	if (grp < 0 || nl_socket_add_membership(sk, grp) < 0) {
		fprintf(stderr, "cannot join the events group\n");
		return 1;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, event_cb, NULL);
	printf("listening\n");
	fflush(stdout);
	while (time(NULL) < end) {
		struct pollfd p = { .fd = nl_socket_get_fd(sk), .events = POLLIN };

		if (poll(&p, 1, 200) > 0)
			nl_recvmsgs_default(sk);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nl_sock *sk;
	long secs;

	if (argc > 1 && !strcmp(argv[1], "--net-admin-only")) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2] = { { 0 } };

		d[CAP_NET_ADMIN / 32].effective = 1u << (CAP_NET_ADMIN % 32);
		d[CAP_NET_ADMIN / 32].permitted = 1u << (CAP_NET_ADMIN % 32);
		if (syscall(SYS_capset, &h, d) < 0) {
			perror("capset");
			return 1;
		}
		argv++;
		argc--;
	} else if (argc > 1 && !strcmp(argv[1], "--drop-priv")) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) {
			perror("setresuid");
			return 1;
		}
		argv++;
		argc--;
	}
	if (argc < 2)
		return wl_usage("tlbisol_nl [--drop-priv|--net-admin-only] info|stats|reset|set ...|events SECONDS");
	sk = open_sock();
	if (!strcmp(argv[1], "info") || !strcmp(argv[1], "stats") || !strcmp(argv[1], "reset")) {
		int info = !strcmp(argv[1], "info"), stats = !strcmp(argv[1], "stats");
		struct nl_msg *msg = new_msg(info ? TLBISOL_CMD_GET_INFO : stats ? TLBISOL_CMD_GET_STATS :
					     TLBISOL_CMD_RESET_STATS, info ? 0 : stats ? NLM_F_DUMP : NLM_F_ACK);

		if (argc == 3 && !strcmp(argv[2], "--attr"))
			nla_put_u32(msg, 1, 1);	/* these ops take no attribute */
		else if (argc != 2)
			return wl_usage("tlbisol_nl info|stats|reset [--attr]");
		return transact(sk, msg, info ? info_cb : stats ? stats_cb : NULL);
	}
	if (!strcmp(argv[1], "set"))
		return cmd_set(sk, argc - 2, argv + 2);
	if (!strcmp(argv[1], "events") && argc == 3) {
		if (wl_parse_long(argv[2], 1, 3600, &secs) < 0)
			return 2;
		return cmd_events(sk, secs);
	}
	return wl_usage("tlbisol_nl [--drop-priv|--net-admin-only] info|stats|reset|set ...|events SECONDS");
}
