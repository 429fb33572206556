/* test_genl_event.c — lib/genl: the "events" multicast message of
 * tlbisol.ko, built here with libnl as the module builds it
 * (TLBISOL_CMD_EVENT with the event set's attributes), parsed by
 * tlbisol_event_parse(): every field; absent ones marked absent; a
 * message without attributes or without the CPU, another command and an
 * unterminated string refused (the event set's policy, with the reason);
 * an over-long string cut safely. No root, no module. */
#include <errno.h>
#include <string.h>

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "genl.h"
#include "unit.h"

#define FAMILY 0x1c

struct ev_spec {
        uint8_t cmd;
        bool attrs, cpu, kind, func, pid, comm, scpu;
        const char *func_s, *comm_s;
        int comm_len;           /* > 0: put comm_s as raw bytes of this length (no NUL) */
};

static struct nl_msg *build(const struct ev_spec *s) {
        struct nl_msg *m = nlmsg_alloc();

        assert_non_null(m);
        assert_non_null(genlmsg_put(m, 0, 0, FAMILY, 0, 0, s->cmd, TLBISOL_GENL_VERSION));
        if (!s->attrs)
                return m;
        if (s->cpu)
                assert_int_equal(nla_put_u32(m, TLBISOL_A_EVENT_CPU, 2), 0);
        if (s->kind)
                assert_int_equal(nla_put_u32(m, TLBISOL_A_EVENT_KIND, TLBISOL_IPI_KERNEL_FLUSH), 0);
        if (s->func)
                assert_int_equal(nla_put_string(m, TLBISOL_A_EVENT_FUNC, s->func_s), 0);
        if (s->pid)
                assert_int_equal(nla_put_u32(m, TLBISOL_A_EVENT_SENDER_PID, 4242), 0);
        if (s->comm) {
                if (s->comm_len > 0)
                        assert_int_equal(nla_put(m, TLBISOL_A_EVENT_SENDER_COMM, s->comm_len, s->comm_s), 0);
                else
                        assert_int_equal(nla_put_string(m, TLBISOL_A_EVENT_SENDER_COMM, s->comm_s), 0);
        }
        if (s->scpu)
                assert_int_equal(nla_put_u32(m, TLBISOL_A_EVENT_SENDER_CPU, 0), 0);
        return m;
}

static void test_full_event(void **state) {
        struct ev_spec s = { .cmd = TLBISOL_CMD_EVENT, .attrs = true, .cpu = true, .kind = true, .func = true,
                             .pid = true, .comm = true, .scpu = true,
                             .func_s = "tlbisol_defer_ipi [tlbisol]", .comm_s = "kworker/0:1" };
        struct nl_msg *m = build(&s);
        struct tlbisol_event ev;

        assert_int_equal(tlbisol_event_parse(nlmsg_hdr(m), &ev, NULL, 0), 0);
        assert_int_equal(ev.cpu, 2);
        assert_int_equal(ev.kind, TLBISOL_IPI_KERNEL_FLUSH);
        assert_string_equal(ev.func, "tlbisol_defer_ipi [tlbisol]");
        assert_int_equal(ev.sender_pid, 4242);
        assert_string_equal(ev.sender_comm, "kworker/0:1");
        assert_int_equal(ev.sender_cpu, 0);
        nlmsg_free(m);
}

static void test_only_cpu(void **state) {
        struct ev_spec s = { .cmd = TLBISOL_CMD_EVENT, .attrs = true, .cpu = true };
        struct nl_msg *m = build(&s);
        struct tlbisol_event ev;

        memset(&ev, 0x55, sizeof(ev));
        assert_int_equal(tlbisol_event_parse(nlmsg_hdr(m), &ev, NULL, 0), 0);
        assert_int_equal(ev.cpu, 2);
        assert_int_equal(ev.kind, -1);
        assert_int_equal(ev.sender_pid, -1);
        assert_int_equal(ev.sender_cpu, -1);
        assert_string_equal(ev.func, "");
        assert_string_equal(ev.sender_comm, "");
        nlmsg_free(m);
}

static void test_refusals(void **state) {
        struct ev_spec no_attrs = { .cmd = TLBISOL_CMD_EVENT };
        struct ev_spec no_cpu = { .cmd = TLBISOL_CMD_EVENT, .attrs = true, .kind = true, .pid = true };
        struct ev_spec other = { .cmd = TLBISOL_CMD_GET_INFO, .attrs = true, .cpu = true };
        struct tlbisol_event ev;
        struct nl_msg *m;

        char why[160];

        m = build(&no_attrs);
        assert_int_equal(tlbisol_event_parse(nlmsg_hdr(m), &ev, why, sizeof(why)), -EBADMSG);
        assert_string_equal(why, "EVENT message: attribute cpu (1) is missing");
        nlmsg_free(m);
        m = build(&no_cpu);
        assert_int_equal(tlbisol_event_parse(nlmsg_hdr(m), &ev, NULL, 0), -EBADMSG);
        nlmsg_free(m);
        m = build(&other);
        assert_int_equal(tlbisol_event_parse(nlmsg_hdr(m), &ev, NULL, 0), -ENOMSG);
        nlmsg_free(m);
        assert_int_equal(tlbisol_event_parse(NULL, &ev, NULL, 0), -EBADMSG);
}

/* comm is TASK_COMM_LEN (16) in the kernel; a longer string is cut to
 * the buffer, always terminated; an unterminated one is refused by the
 * policy (never read past its end). */
static void test_strings_cut(void **state) {
        static const char raw[8] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
        struct ev_spec longer = { .cmd = TLBISOL_CMD_EVENT, .attrs = true, .cpu = true, .comm = true,
                                  .comm_s = "a-name-much-longer-than-sixteen" };
        struct ev_spec unterminated = { .cmd = TLBISOL_CMD_EVENT, .attrs = true, .cpu = true, .comm = true,
                                        .comm_s = raw, .comm_len = 8 };
        struct tlbisol_event ev;
        struct nl_msg *m;

        char why[160];

        m = build(&longer);
        assert_int_equal(tlbisol_event_parse(nlmsg_hdr(m), &ev, NULL, 0), 0);
        assert_int_equal(strlen(ev.sender_comm), sizeof(ev.sender_comm) - 1);
        assert_string_equal(ev.sender_comm, "a-name-much-long");
        nlmsg_free(m);
        m = build(&unterminated);
        assert_int_equal(tlbisol_event_parse(nlmsg_hdr(m), &ev, why, sizeof(why)), -EBADMSG);
        assert_string_equal(why, "EVENT message: attribute sender-comm (5) is malformed: 8 bytes, not NUL-terminated");
        nlmsg_free(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_event),
                cmocka_unit_test(test_only_cpu),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_strings_cut),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
