/* isolate.c — 'tlbctl isolate|release CPULIST': ask tlbisold over D-Bus.
 * The list is checked for syntax here (a usage error, exit 2); whether the
 * CPUs exist and may be isolated is the daemon's call, and its message is
 * shown as it is. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "json-out.h"
#include "tlbctl.h"
#include "util.h"

/* --json: what the daemon isolates now, after the request. */
static int print_json(const char *verb, const char *cpulist) {
        struct daemon_state d;
        struct json_object *data;
        int r;

        r = daemon_state_read(&d);
        if (r < 0)
                return r;
        if (!d.running) {
                tlbctl_error("%s: done, but tlbisold does not answer any more: %s", verb, d.why_not ? d.why_not : "?");
                daemon_state_done(&d);
                return -ESRCH;
        }
        data = json_object_new_object();
        json_object_object_add(data, "request", json_object_new_string(verb));
        json_object_object_add(data, "cpus", json_object_new_string(cpulist));
        json_object_object_add(data, "isolated", json_object_new_string(d.isolated ? d.isolated : ""));
        json_object_object_add(data, "housekeeping", json_object_new_string(d.housekeeping ? d.housekeeping : ""));
        daemon_state_done(&d);
        r = json_envelope_print(json_envelope_new(verb), data, stdout);
        if (r < 0)
                tlbctl_error("%s: cannot write the output: %s", verb, strerror(-r));
        return r;
}

/* What the isolation of these CPUs gives now, and what needs a reboot. */
static void print_limits(struct tlbctl *t, const struct cpumap *cpus) {
        _cleanup_strv_free_ char **lines = NULL;
        struct isolation_facts f = {};

        if (isolation_facts_read(t->fs, &f, NULL) < 0)      /* after the request: its partition too */
                return;
        if (limits_lines(&f, cpus, &lines) >= 0)
                for (char **l = lines; l && *l; l++)
                        printf("%s\n", *l);
        isolation_facts_done(&f);
}

static int request(struct tlbctl *t, const char *verb, const char *method, int argc, char **argv) {
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        bool json = t->json;
        _cleanup_free_ char *msg = NULL;
        struct cpumap m;
        char why[160];
        int c, r;

        while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf("Usage: tlbctl %s [--json] CPULIST\n\n"
                               "Ask tlbisold to %s the CPUs in CPULIST (e.g. 2-3,6) at runtime.\n\n"
                               "  -j, --json   print what is isolated afterwards as JSON\n",
                               verb, streq(verb, "isolate") ? "isolate" : "release (stop isolating)");
                        return EXIT_OK;
                default:
                        return usage_error(verb, "bad option");
                }
        if (optind >= argc)
                return usage_error(verb, "missing CPULIST");
        if (optind + 1 < argc)
                return usage_error(verb, "unexpected argument '%s'", argv[optind + 1]);
        /* Syntax only: the daemon knows which CPUs exist and may be used. */
        if (cpulist_parse_err(argv[optind], 0, &m, why, sizeof(why)) < 0)
                return usage_error(verb, "bad CPU list '%s': %s", argv[optind], why);
        if (cpumap_is_empty(&m))
                return usage_error(verb, "the CPU list is empty");

        r = daemon_call(method, argv[optind], &msg);
        if (r == -ESRCH) {
                tlbctl_error("%s: " DAEMON_NOT_RUNNING_HINT, verb);
                return EXIT_FAIL;
        }
        if (r == -EACCES) {
                tlbctl_error("%s: changing CPU isolation needs root (the bus said: %s)", verb,
                          msg ? msg : strerror(-r));
                return EXIT_FAIL;
        }
        if (r < 0) {
                tlbctl_error("%s: %s", verb, msg ? msg : strerror(-r));
                return EXIT_FAIL;
        }
        if (json && print_json(verb, argv[optind]) < 0)
                return EXIT_FAIL;
        if (!json && streq(method, "Isolate"))
                print_limits(t, &m);
        return EXIT_OK;
}

int verb_isolate(struct tlbctl *t, int argc, char **argv) {
        return request(t, "isolate", "Isolate", argc, argv);
}

int verb_release(struct tlbctl *t, int argc, char **argv) {
        return request(t, "release", "Release", argc, argv);
}
