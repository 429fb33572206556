// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_nl — genetlink test client for tlbisol.ko (VM tests only; the
 * product client lives in lib/ and tlbctl).
 *
 * Usage:
 *   tlbisol_nl info                       key=value lines
 *   tlbisol_nl stats                      one line of counters per CPU
 *   tlbisol_nl reset                      reset the counters
 *   tlbisol_nl set [--sync 0|1] [--defer 0|1] [--mask CPULIST|none]
 *                  [--mask-len BYTES] [--bad-attr] [--unknown-attr]
 *   tlbisol_nl events SECONDS             print multicast events for a while
 * Global option (first): --drop-priv     setresuid(65534) before talking
 *                        --net-admin-only keep only CAP_NET_ADMIN (root uid)
 *
 * --mask none sends an all-zero mask; --mask-len forces the attribute length
 * (to test validation); --bad-attr adds TLBISOL_A_RELEASE, which SET does not
 * accept; --unknown-attr adds attribute type 200 (beyond the family's max).
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
#include "wl.h"

#define MAX_CPUS 8192

static int family;
static int last_error;
static char last_msg[256];

static const char *stat_names[] = {
	[TLBISOL_STAT_RX_USER_FLUSH] = "rx_user_flush",
	[TLBISOL_STAT_RX_KERNEL_FLUSH] = "rx_kernel_flush",
	[TLBISOL_STAT_RX_TABLE_SYNC] = "rx_table_sync",
	[TLBISOL_STAT_RX_TEXT_POKE] = "rx_text_poke",
	[TLBISOL_STAT_RX_OTHER] = "rx_other",
	[TLBISOL_STAT_AVOIDED_SYNC] = "avoided_sync",
	[TLBISOL_STAT_AVOIDED_KFLUSH] = "avoided_kflush",
	[TLBISOL_STAT_CATCHUP_ENTRY] = "catchup_entry",
	[TLBISOL_STAT_CATCHUP_NMI] = "catchup_nmi",
	[TLBISOL_STAT_PROTO_CHECKS] = "proto_checks",
	[TLBISOL_STAT_PROTO_VIOLATIONS] = "proto_violations",
	[TLBISOL_STAT_PROTO_FOREIGN] = "proto_foreign",
	[TLBISOL_STAT_NOTDEFERRED_KFLUSH] = "notdeferred_kflush",
};

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
	struct nlattr *tb[TLBISOL_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, TLBISOL_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[TLBISOL_A_RELEASE])
		printf("release=%s\n", nla_get_string(tb[TLBISOL_A_RELEASE]));
	if (tb[TLBISOL_A_NOHZ_FULL_MASK])
		print_mask("nohz_full", tb[TLBISOL_A_NOHZ_FULL_MASK]);
	if (tb[TLBISOL_A_CT_ACTIVE_MASK])
		print_mask("ct_active", tb[TLBISOL_A_CT_ACTIVE_MASK]);
	if (tb[TLBISOL_A_DEFER_MASK])
		print_mask("defer_mask", tb[TLBISOL_A_DEFER_MASK]);
	if (tb[TLBISOL_A_SYNC_STATE])
		printf("sync=%s\n", state_name(nla_get_u32(tb[TLBISOL_A_SYNC_STATE])));
	if (tb[TLBISOL_A_SYNC_REASON])
		printf("sync_reason=%s\n", nla_get_string(tb[TLBISOL_A_SYNC_REASON]));
	if (tb[TLBISOL_A_DEFER_STATE])
		printf("defer=%s\n", state_name(nla_get_u32(tb[TLBISOL_A_DEFER_STATE])));
	if (tb[TLBISOL_A_DEFER_REASON])
		printf("defer_reason=%s\n", nla_get_string(tb[TLBISOL_A_DEFER_REASON]));
	if (tb[TLBISOL_A_ACCT_STATE])
		printf("acct=%s\n", state_name(nla_get_u32(tb[TLBISOL_A_ACCT_STATE])));
	if (tb[TLBISOL_A_ACCT_REASON])
		printf("acct_reason=%s\n", nla_get_string(tb[TLBISOL_A_ACCT_REASON]));
	if (tb[TLBISOL_A_PROTOCOL_CHECK])
		printf("protocol_check=%u\n", nla_get_u8(tb[TLBISOL_A_PROTOCOL_CHECK]));
	if (tb[TLBISOL_A_EVENTS_SENT])
		printf("events_sent=%llu\n",
		       (unsigned long long)nla_get_u64(tb[TLBISOL_A_EVENTS_SENT]));
	if (tb[TLBISOL_A_EVENTS_DROPPED])
		printf("events_dropped=%llu\n",
		       (unsigned long long)nla_get_u64(tb[TLBISOL_A_EVENTS_DROPPED]));
	return NL_OK;
}

static int stats_cb(struct nl_msg *msg, void *arg __attribute__((unused)))
{
	struct nlattr *tb[TLBISOL_A_MAX + 1], *st[TLBISOL_STAT_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, TLBISOL_A_MAX, NULL) < 0 ||
	    !tb[TLBISOL_A_STATS] ||
	    nla_parse_nested(st, TLBISOL_STAT_MAX, tb[TLBISOL_A_STATS], NULL) < 0 ||
	    !st[TLBISOL_STAT_CPU])
		return NL_SKIP;
	printf("cpu=%u", nla_get_u32(st[TLBISOL_STAT_CPU]));
	for (int i = TLBISOL_STAT_RX_USER_FLUSH; i <= TLBISOL_STAT_MAX; i++)
		if (st[i])
			printf(" %s=%llu", stat_names[i],
			       (unsigned long long)nla_get_u64(st[i]));
	printf("\n");
	return NL_OK;
}

static int event_cb(struct nl_msg *msg, void *arg __attribute__((unused)))
{
	struct nlattr *tb[TLBISOL_A_MAX + 1], *ev[TLBISOL_EV_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, TLBISOL_A_MAX, NULL) < 0 ||
	    !tb[TLBISOL_A_EVENT] ||
	    nla_parse_nested(ev, TLBISOL_EV_MAX, tb[TLBISOL_A_EVENT], NULL) < 0)
		return NL_SKIP;
	printf("event cpu=%u kind=%u func=%s sender_pid=%u sender_comm=%s sender_cpu=%u\n",
	       ev[TLBISOL_EV_CPU] ? nla_get_u32(ev[TLBISOL_EV_CPU]) : 0,
	       ev[TLBISOL_EV_KIND] ? nla_get_u32(ev[TLBISOL_EV_KIND]) : 0,
	       ev[TLBISOL_EV_FUNC] ? nla_get_string(ev[TLBISOL_EV_FUNC]) : "?",
	       ev[TLBISOL_EV_SENDER_PID] ? nla_get_u32(ev[TLBISOL_EV_SENDER_PID]) : 0,
	       ev[TLBISOL_EV_SENDER_COMM] ? nla_get_string(ev[TLBISOL_EV_SENDER_COMM]) : "?",
	       ev[TLBISOL_EV_SENDER_CPU] ? nla_get_u32(ev[TLBISOL_EV_SENDER_CPU]) : 0);
	fflush(stdout);
	return NL_OK;
}

/* NLMSG_ERROR with extack TLVs (NETLINK_EXT_ACK + NETLINK_CAP_ACK set). */
static int error_cb(struct sockaddr_nl *nla __attribute__((unused)), struct nlmsgerr *err,
		    void *arg __attribute__((unused)))
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - (int)sizeof(*err);
	struct nlattr *a = (struct nlattr *)(err + 1);

	last_error = err->error;
	last_msg[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	for (; len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(last_msg, sizeof(last_msg), "%s", (char *)(a + 1));
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
			nla_put_u8(msg, TLBISOL_A_SYNC_ENABLE, v);
		} else if (!strcmp(argv[i], "--defer") && i + 1 < argc) {
			if (wl_parse_long(argv[++i], 0, 255, &v) < 0)
				return 2;
			nla_put_u8(msg, TLBISOL_A_DEFER_ENABLE, v);
		} else if (!strcmp(argv[i], "--mask") && i + 1 < argc) {
			if (parse_cpulist(argv[++i], w, &maxcpu) < 0)
				return wl_usage("--mask CPULIST|none");
			have_mask = 1;
		} else if (!strcmp(argv[i], "--mask-len") && i + 1 < argc) {
			if (wl_parse_long(argv[++i], 0, sizeof(w), &mask_len) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--bad-attr")) {
			nla_put_string(msg, TLBISOL_A_RELEASE, "x");
		} else if (!strcmp(argv[i], "--unknown-attr")) {
			nla_put_u32(msg, 200, 1);
		} else {
			return wl_usage("set [--sync 0|1] [--defer 0|1] [--mask CPULIST|none] [--mask-len N] [--bad-attr] [--unknown-attr]");
		}
	}
	if (have_mask) {
		long len = mask_len >= 0 ? mask_len : ((maxcpu < 0 ? 0 : maxcpu) / 64 + 1) * 8;

		nla_put(msg, TLBISOL_A_DEFER_MASK, len, w);
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
	if (!strcmp(argv[1], "info"))
		return transact(sk, new_msg(TLBISOL_CMD_GET_INFO, 0), info_cb);
	if (!strcmp(argv[1], "stats"))
		return transact(sk, new_msg(TLBISOL_CMD_GET_STATS, NLM_F_DUMP), stats_cb);
	if (!strcmp(argv[1], "reset"))
		return transact(sk, new_msg(TLBISOL_CMD_RESET_STATS, NLM_F_ACK), NULL);
	if (!strcmp(argv[1], "set"))
		return cmd_set(sk, argc - 2, argv + 2);
	if (!strcmp(argv[1], "events") && argc == 3) {
		if (wl_parse_long(argv[2], 1, 3600, &secs) < 0)
			return 2;
		return cmd_events(sk, secs);
	}
	return wl_usage("tlbisol_nl [--drop-priv|--net-admin-only] info|stats|reset|set ...|events SECONDS");
}
