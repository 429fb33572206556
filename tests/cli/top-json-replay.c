/* top-json-replay — 'tlbctl top --json' on a recorded trace, for the CLI
 * tests (tests/cli/run.sh): the trace (a tests/fixtures/attrib file, as
 * tracefs prints it) goes through lib/attrib.h in rounds as top's live
 * loop takes them (attrib_reset, then attrib_advance up to the round's
 * end), and every round is printed by top's own emitter
 * (attrib_json_top + json_envelope_print_line): one line per round.
 *
 * Usage: top-json-replay TRACE CPULIST WORKLOAD_PID START_S END_S...
 *        (seconds on the trace's clock; one round per END_S) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "attrib-json.h"
#include "cpumap.h"
#include "json-out.h"

#define S_NS 1e9

int main(int argc, char **argv) {
        struct attrib *a = NULL;
        struct cpumap cpus;
        unsigned bad = 0;
        double prev;
        FILE *f;
        int r;

        if (argc < 6) {
                fprintf(stderr, "usage: top-json-replay TRACE CPULIST WORKLOAD_PID START_S END_S...\n");
                return 2;
        }
        if (cpulist_parse(argv[2], 0, &cpus) < 0) {
                fprintf(stderr, "top-json-replay: bad CPU list '%s'\n", argv[2]);
                return 2;
        }
        f = fopen(argv[1], "re");
        if (!f) {
                fprintf(stderr, "top-json-replay: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        r = attrib_new(&cpus, &a);
        if (r >= 0)
                r = attrib_workload_pid(a, atoi(argv[3]));
        if (r >= 0)
                r = attrib_add_trace(a, f, &bad);
        fclose(f);
        if (r < 0) {
                fprintf(stderr, "top-json-replay: %s (line %u): %s\n", argv[1], bad, strerror(-r));
                attrib_free(a);
                return 1;
        }
        prev = atof(argv[4]);
        for (int i = 5; i < argc && r >= 0; i++) {
                double end = atof(argv[i]);

                attrib_reset(a);
                r = attrib_advance(a, (uint64_t) (end * S_NS));
                if (r >= 0)
                        r = json_envelope_print_line(json_envelope_new("top"),
                                                     attrib_json_top(a, &cpus, end - prev, end - prev,
                                                                     (unsigned) (i - 4), NULL),
                                                     stdout);
                prev = end;
        }
        attrib_free(a);
        if (r < 0) {
                fprintf(stderr, "top-json-replay: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
