/* test_genl_reply.c — lib/genl-reply: the module's messages are validated
 * with the policy of their attribute set before they are read. Crafted
 * messages: a whole GET_INFO reply and GET_STATS message are read back; short
 * integers, strings without their NUL, masks of a bad length, a truncated
 * last attribute, a wrong command, another family version and a message
 * without a generic-netlink header are refused with -EBADMSG and a reason
 * naming the attribute. Negative control: the same malformed messages pass
 * libnl's parser without a policy (what lib/genl.c did before), so it is the
 * policy that refuses them. No root, no module. */
#include <errno.h>
#include <string.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "genl-reply.h"
#include "unit.h"

#define FAMILY_ID 0x20

static struct nl_msg *new_msg(uint8_t cmd, uint8_t version) {
        struct nl_msg *m = nlmsg_alloc();

        assert_non_null(m);
        assert_non_null(genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, FAMILY_ID, 0, 0, cmd, version));
        return m;
}

static void put_mask(struct nl_msg *m, int type, uint64_t word0, int len) {
        uint64_t w[2] = { word0, 0 };

        assert_int_equal(nla_put(m, type, len, w), 0);
}

/* A GET_INFO reply as tlbisol.ko 6.12 sends it; skip = an attribute type
 * left out so that the test can add a malformed one instead. */
static struct nl_msg *info_msg(int skip) {
        struct nl_msg *m = new_msg(TLBISOL_CMD_GET_INFO, TLBISOL_GENL_VERSION);

#define PUT(type, call) do { if ((type) != skip) assert_int_equal(call, 0); } while (0)
        PUT(TLBISOL_A_INFO_RELEASE, nla_put_string(m, TLBISOL_A_INFO_RELEASE, "6.12.117+deb12-rt-amd64"));
        if (skip != TLBISOL_A_INFO_NOHZ_FULL_MASK)
                put_mask(m, TLBISOL_A_INFO_NOHZ_FULL_MASK, 0xc, 8);
        if (skip != TLBISOL_A_INFO_CT_ACTIVE_MASK)
                put_mask(m, TLBISOL_A_INFO_CT_ACTIVE_MASK, 0xc, 8);
        PUT(TLBISOL_A_INFO_SYNC_STATE, nla_put_u32(m, TLBISOL_A_INFO_SYNC_STATE, TLBISOL_STATE_ON));
        PUT(TLBISOL_A_INFO_DEFER_STATE, nla_put_u32(m, TLBISOL_A_INFO_DEFER_STATE, TLBISOL_STATE_UNAVAILABLE));
        PUT(TLBISOL_A_INFO_DEFER_REASON, nla_put_string(m, TLBISOL_A_INFO_DEFER_REASON, "no nohz_full CPU"));
        PUT(TLBISOL_A_INFO_ACCT_STATE, nla_put_u32(m, TLBISOL_A_INFO_ACCT_STATE, TLBISOL_STATE_OFF));
        if (skip != TLBISOL_A_INFO_DEFER_MASK)
                put_mask(m, TLBISOL_A_INFO_DEFER_MASK, 0x8, 8);
        PUT(TLBISOL_A_INFO_PROTOCOL_CHECK, nla_put_u8(m, TLBISOL_A_INFO_PROTOCOL_CHECK, 1));
        PUT(TLBISOL_A_INFO_EVENTS_SENT, nla_put_u64(m, TLBISOL_A_INFO_EVENTS_SENT, 7));
        PUT(TLBISOL_A_INFO_EVENTS_DROPPED, nla_put_u64(m, TLBISOL_A_INFO_EVENTS_DROPPED, 0));
#undef PUT
        return m;
}

static void test_info_whole(void **state) {
        struct nl_msg *m = info_msg(0);
        struct tlbisol_info info;
        char why[256] = "x";

        assert_int_equal(tlbisol_reply_info(nlmsg_hdr(m), &info, why, sizeof(why)), 0);
        assert_string_equal(why, "");
        assert_string_equal(info.release, "6.12.117+deb12-rt-amd64");
        assert_true(cpumap_test(&info.nohz_full, 2) && cpumap_test(&info.nohz_full, 3));
        assert_false(cpumap_test(&info.nohz_full, 1));
        assert_true(info.has_defer_mask && cpumap_test(&info.defer_mask, 3));
        assert_int_equal(info.sync.state, TLBISOL_STATE_ON);
        assert_int_equal(info.defer.state, TLBISOL_STATE_UNAVAILABLE);
        assert_string_equal(info.defer.reason, "no nohz_full CPU");
        assert_int_equal(info.acct.state, TLBISOL_STATE_OFF);
        assert_int_equal(info.protocol_check, 1);
        nlmsg_free(m);
}

/* Expects -EBADMSG and a reason containing want; then the negative control:
 * libnl's parser without a policy takes the same message. */
static void expect_refused(struct nl_msg *m, const char *want) {
        struct nlattr *tb[TLBISOL_A_INFO_MAX + 1];
        struct tlbisol_info info;
        char why[256] = "";

        assert_int_equal(tlbisol_reply_info(nlmsg_hdr(m), &info, why, sizeof(why)), -EBADMSG);
        if (!strstr(why, want))
                fail_msg("reason '%s' lacks '%s'", why, want);
        assert_int_equal(genlmsg_parse(nlmsg_hdr(m), 0, tb, TLBISOL_A_INFO_MAX, NULL), 0);
        nlmsg_free(m);
}

static void test_info_short_u32(void **state) {
        struct nl_msg *m = info_msg(TLBISOL_A_INFO_SYNC_STATE);
        uint16_t two = TLBISOL_STATE_ON;

        assert_int_equal(nla_put(m, TLBISOL_A_INFO_SYNC_STATE, sizeof(two), &two), 0);
        expect_refused(m, "sync-state (4) is malformed: 2 bytes");
}

static void test_info_long_u8(void **state) {
        struct nl_msg *m = info_msg(TLBISOL_A_INFO_PROTOCOL_CHECK);

        assert_int_equal(nla_put_u32(m, TLBISOL_A_INFO_PROTOCOL_CHECK, 1), 0);
        expect_refused(m, "protocol-check (11) is malformed: 4 bytes");
}

static void test_info_string_without_nul(void **state) {
        struct nl_msg *m = info_msg(TLBISOL_A_INFO_DEFER_REASON);

        assert_int_equal(nla_put(m, TLBISOL_A_INFO_DEFER_REASON, 5, "abcde"), 0);
        expect_refused(m, "defer-reason (7) is malformed: 5 bytes, not NUL-terminated");
}

static void test_info_empty_string(void **state) {
        struct nl_msg *m = info_msg(TLBISOL_A_INFO_RELEASE);

        assert_int_equal(nla_put(m, TLBISOL_A_INFO_RELEASE, 0, NULL), 0);
        expect_refused(m, "release (1) is malformed: 0 bytes");
}

static void test_info_release_too_long(void **state) {
        struct nl_msg *m = info_msg(TLBISOL_A_INFO_RELEASE);
        char r[100];

        memset(r, 'x', sizeof(r) - 1);
        r[sizeof(r) - 1] = 0;
        assert_int_equal(nla_put_string(m, TLBISOL_A_INFO_RELEASE, r), 0);
        expect_refused(m, "release (1) is malformed: 100 bytes");
}

static void test_info_mask_bad_length(void **state) {
        struct nl_msg *m = info_msg(TLBISOL_A_INFO_NOHZ_FULL_MASK);

        put_mask(m, TLBISOL_A_INFO_NOHZ_FULL_MASK, 0xc, 12);
        expect_refused(m, "nohz-full-mask (2) is malformed: 12 bytes, not a multiple of 8");
}

static void test_info_mask_short(void **state) {
        struct nl_msg *m = info_msg(TLBISOL_A_INFO_DEFER_MASK);

        put_mask(m, TLBISOL_A_INFO_DEFER_MASK, 0x8, 4);
        expect_refused(m, "defer-mask (10) is malformed: 4 bytes");
}

static void test_info_mask_too_long(void **state) {
        struct nl_msg *m = info_msg(TLBISOL_A_INFO_CT_ACTIVE_MASK);
        static uint8_t big[TLBISOL_MASK_MAX_BYTES + 8];

        assert_int_equal(nla_put(m, TLBISOL_A_INFO_CT_ACTIVE_MASK, sizeof(big), big), 0);
        expect_refused(m, "ct-active-mask (3) is malformed: 1032 bytes");
}

static void test_info_truncated_attribute(void **state) {
        struct nl_msg *m = info_msg(0);
        struct nlmsghdr *nlh = nlmsg_hdr(m);
        struct nlattr *tb[TLBISOL_A_INFO_MAX + 1];
        struct tlbisol_info info;
        char why[256] = "";

        /* the last attribute (events-dropped, 12 bytes) loses its last 4:
         * its header now claims more than the message holds */
        nlh->nlmsg_len -= 4;
        /* negative control: libnl's parser, even with the policy, skips it silently */
        assert_int_equal(genlmsg_parse(nlh, 0, tb, TLBISOL_A_INFO_MAX, tlbisol_attrs_info.policy), 0);
        assert_null(tb[TLBISOL_A_INFO_EVENTS_DROPPED]);
        assert_int_equal(tlbisol_reply_info(nlh, &info, why, sizeof(why)), -EBADMSG);
        if (!strstr(why, "8 bytes after the last attribute (truncated attribute)"))
                fail_msg("reason '%s'", why);
        nlmsg_free(m);
}

static void test_info_wrong_command(void **state) {
        struct nl_msg *m = new_msg(TLBISOL_CMD_GET_STATS, TLBISOL_GENL_VERSION);
        struct tlbisol_info info;
        char why[256] = "";

        assert_int_equal(tlbisol_reply_info(nlmsg_hdr(m), &info, why, sizeof(why)), -EBADMSG);
        assert_string_equal(why, "GET_INFO reply: command 3, expected 1");
        nlmsg_free(m);
}

static void test_info_other_version(void **state) {
        struct nl_msg *m = new_msg(TLBISOL_CMD_GET_INFO, 1);
        struct tlbisol_info info;
        char why[256] = "";

        assert_int_equal(tlbisol_reply_info(nlmsg_hdr(m), &info, why, sizeof(why)), -EBADMSG);
        if (!strstr(why, "family version 1, this build speaks version 2"))
                fail_msg("reason '%s'", why);
        nlmsg_free(m);
}

static void test_info_no_genl_header(void **state) {
        struct nl_msg *m = nlmsg_alloc_simple(FAMILY_ID, 0);
        struct tlbisol_info info;
        char why[256] = "";

        assert_non_null(m);
        assert_int_equal(tlbisol_reply_info(nlmsg_hdr(m), &info, why, sizeof(why)), -EBADMSG);
        if (!strstr(why, "too short for a generic-netlink header"))
                fail_msg("reason '%s'", why);
        nlmsg_free(m);
}

/* Attribute types beyond the set (a newer module) are skipped. */
static void test_info_unknown_attribute_skipped(void **state) {
        struct nl_msg *m = info_msg(0);
        struct tlbisol_info info;

        assert_int_equal(nla_put_u16(m, TLBISOL_A_INFO_MAX + 1, 3), 0);
        assert_int_equal(tlbisol_reply_info(nlmsg_hdr(m), &info, NULL, 0), 0);
        assert_int_equal(info.sync.state, TLBISOL_STATE_ON);
        nlmsg_free(m);
}

static struct nl_msg *stats_msg(int skip, int cpu) {
        struct nl_msg *m = new_msg(TLBISOL_CMD_GET_STATS, TLBISOL_GENL_VERSION);

        if (skip != TLBISOL_A_STATS_CPU)
                assert_int_equal(nla_put_u32(m, TLBISOL_A_STATS_CPU, (uint32_t) cpu), 0);
        for (int i = TLBISOL_A_STATS_CPU + 1; i <= TLBISOL_A_STATS_MAX; i++)
                if (i != skip && i != TLBISOL_A_STATS_PAD)
                        assert_int_equal(nla_put_u64(m, i, 1000u + (unsigned) i), 0);
        return m;
}

static void test_stats_whole(void **state) {
        struct nl_msg *m = stats_msg(0, 3);
        struct tlbisol_cpu_stats s;

        assert_int_equal(tlbisol_reply_stats(nlmsg_hdr(m), &s, NULL, 0), 0);
        assert_int_equal(s.cpu, 3);
        assert_int_equal(s.v[TLBISOL_A_STATS_RX_USER_FLUSH], 1000 + TLBISOL_A_STATS_RX_USER_FLUSH);
        assert_int_equal(s.v[TLBISOL_A_STATS_PROTO_FOREIGN], 1000 + TLBISOL_A_STATS_PROTO_FOREIGN);
        /* appended after PAD (review m9) */
        assert_int_equal(s.v[TLBISOL_A_STATS_AVOIDED_TEXT_SYNC], 1000 + TLBISOL_A_STATS_AVOIDED_TEXT_SYNC);
        nlmsg_free(m);
}

static void test_stats_short_counter(void **state) {
        struct nl_msg *m = stats_msg(TLBISOL_A_STATS_RX_OTHER, 1);
        struct nlattr *tb[TLBISOL_A_STATS_MAX + 1];
        struct tlbisol_cpu_stats s;
        char why[256] = "";

        assert_int_equal(nla_put_u32(m, TLBISOL_A_STATS_RX_OTHER, 5), 0);
        assert_int_equal(tlbisol_reply_stats(nlmsg_hdr(m), &s, why, sizeof(why)), -EBADMSG);
        assert_string_equal(why, "GET_STATS message: attribute rx-other (6) is malformed: 4 bytes");
        /* negative control: without a policy the 4-byte counter is taken */
        assert_int_equal(genlmsg_parse(nlmsg_hdr(m), 0, tb, TLBISOL_A_STATS_MAX, NULL), 0);
        assert_non_null(tb[TLBISOL_A_STATS_RX_OTHER]);
        nlmsg_free(m);
}

static void test_stats_missing_cpu(void **state) {
        struct nl_msg *m = stats_msg(TLBISOL_A_STATS_CPU, 0);
        struct tlbisol_cpu_stats s;
        char why[256] = "";

        assert_int_equal(tlbisol_reply_stats(nlmsg_hdr(m), &s, why, sizeof(why)), -EBADMSG);
        assert_string_equal(why, "GET_STATS message: attribute cpu (1) is missing");
        nlmsg_free(m);
}

static void test_event_policy(void **state) {
        struct nl_msg *m = new_msg(TLBISOL_CMD_EVENT, TLBISOL_GENL_VERSION);
        struct nlattr *tb[TLBISOL_A_EVENT_MAX + 1];
        char why[256] = "";

        assert_int_equal(nla_put_u32(m, TLBISOL_A_EVENT_CPU, 3), 0);
        assert_int_equal(nla_put_string(m, TLBISOL_A_EVENT_FUNC, "do_flush_tlb_all"), 0);
        assert_int_equal(tlbisol_reply_parse(nlmsg_hdr(m), TLBISOL_CMD_EVENT, &tlbisol_attrs_event,
                                             tb, why, sizeof(why)), 0);
        assert_string_equal(nla_get_string(tb[TLBISOL_A_EVENT_FUNC]), "do_flush_tlb_all");
        assert_int_equal(nla_put(m, TLBISOL_A_EVENT_SENDER_COMM, 3, "abc"), 0);
        assert_int_equal(tlbisol_reply_parse(nlmsg_hdr(m), TLBISOL_CMD_EVENT, &tlbisol_attrs_event,
                                             tb, why, sizeof(why)), -EBADMSG);
        assert_string_equal(why, "EVENT message: attribute sender-comm (5) is malformed: 3 bytes, not NUL-terminated");
        nlmsg_free(m);
}

/* The extack message of an ACK is read only when it is NUL-terminated. */
static void test_extack_policy(void **state) {
        struct nl_msg *m = nlmsg_alloc();
        struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
        struct nlmsghdr *nlh;

        assert_non_null(m);
        assert_non_null(nlmsg_put(m, 0, 0, NLMSG_ERROR, 0, 0));
        assert_int_equal(nla_put(m, NLMSGERR_ATTR_MSG, 4, "oops"), 0);
        nlh = nlmsg_hdr(m);
        assert_true(nla_parse(tb, NLMSGERR_ATTR_MAX, nlmsg_attrdata(nlh, 0), nlmsg_attrlen(nlh, 0),
                              tlbisol_extack_policy) < 0);
        /* negative control: without the policy the unterminated text is taken */
        assert_int_equal(nla_parse(tb, NLMSGERR_ATTR_MAX, nlmsg_attrdata(nlh, 0), nlmsg_attrlen(nlh, 0), NULL), 0);
        assert_non_null(tb[NLMSGERR_ATTR_MSG]);
        nlmsg_free(m);
}

/* Every attribute of the generated UAPI enums has a policy entry and a
 * name: a spec that grows a set without lib/genl-reply.c fails here. */
static void test_policies_cover_the_spec(void **state) {
        const struct tlbisol_attr_set *sets[] = { &tlbisol_attrs_info, &tlbisol_attrs_stats, &tlbisol_attrs_event };
        const int pads[] = { TLBISOL_A_INFO_PAD, TLBISOL_A_STATS_PAD, 0 };

        assert_int_equal(tlbisol_attrs_info.maxtype, TLBISOL_A_INFO_MAX);
        assert_int_equal(tlbisol_attrs_stats.maxtype, TLBISOL_A_STATS_MAX);
        assert_int_equal(tlbisol_attrs_event.maxtype, TLBISOL_A_EVENT_MAX);
        for (size_t s = 0; s < ELEMENTSOF(sets); s++)
                for (int t = 1; t <= sets[s]->maxtype; t++) {
                        if (!sets[s]->names[t])
                                fail_msg("%s: attribute %d has no name", sets[s]->what, t);
                        if (t != pads[s] && sets[s]->policy[t].type == NLA_UNSPEC && !sets[s]->policy[t].minlen)
                                fail_msg("%s: attribute %s has no policy", sets[s]->what, sets[s]->names[t]);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_info_whole),
                cmocka_unit_test(test_info_short_u32),
                cmocka_unit_test(test_info_long_u8),
                cmocka_unit_test(test_info_string_without_nul),
                cmocka_unit_test(test_info_empty_string),
                cmocka_unit_test(test_info_release_too_long),
                cmocka_unit_test(test_info_mask_bad_length),
                cmocka_unit_test(test_info_mask_short),
                cmocka_unit_test(test_info_mask_too_long),
                cmocka_unit_test(test_info_truncated_attribute),
                cmocka_unit_test(test_info_wrong_command),
                cmocka_unit_test(test_info_other_version),
                cmocka_unit_test(test_info_no_genl_header),
                cmocka_unit_test(test_info_unknown_attribute_skipped),
                cmocka_unit_test(test_stats_whole),
                cmocka_unit_test(test_stats_short_counter),
                cmocka_unit_test(test_stats_missing_cpu),
                cmocka_unit_test(test_event_policy),
                cmocka_unit_test(test_extack_policy),
                cmocka_unit_test(test_policies_cover_the_spec),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
