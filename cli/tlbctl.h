/* tlbctl.h — what the verbs of tlbctl share: the context built by main()
 * (fsroot, isolation facts, output mode), exit codes, and the helpers for
 * the daemon (bus.c) and the module (module.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "cpumap.h"
#include "isolation.h"

#define EXIT_OK      0
#define EXIT_FAIL    1
#define EXIT_USAGE   2

struct fsroot;

struct tlbctl {
        struct fsroot *fs;              /* $TLBISOL_ROOT or "/" */
        bool fixture_root;              /* TLBISOL_ROOT set: do not ask the
                                         * daemon or module of this machine */
        bool json;                      /* --json given before the verb */
        struct isolation_facts facts;   /* what the kernel says (lib/isolation.h) */
        struct isolation iso;           /* isolated and housekeeping CPUs, each CPU's
                                         * sources; without the daemon's requests
                                         * (status adds them) */
};

/* Verbs: argc/argv start at the verb itself. Return an exit code. */
int verb_status(struct tlbctl *t, int argc, char **argv);
int verb_isolate(struct tlbctl *t, int argc, char **argv);
int verb_release(struct tlbctl *t, int argc, char **argv);
int verb_noise(struct tlbctl *t, int argc, char **argv);
int verb_ipi(struct tlbctl *t, int argc, char **argv);
int verb_top(struct tlbctl *t, int argc, char **argv);
/* 'ipi --events' (ipi-events.c): listens for duration_usec (0: until stopped). */
int ipi_events(struct tlbctl *t, const struct cpumap *cpus, uint64_t duration_usec, bool json);
int verb_check(struct tlbctl *t, int argc, char **argv);
int verb_metrics(struct tlbctl *t, int argc, char **argv);
int verb_run(struct tlbctl *t, int argc, char **argv);

/* limits.c: for the CPUs in cpus, what run-time isolation gives now and
 * what needs the boot command line (with the line to add), as lines for
 * people; *ret NULL when there is nothing to say. */
int limits_lines(const struct isolation_facts *f, const struct cpumap *cpus, char ***ret);

/* "tlbctl: " + message on stderr. (Not log_error(): that is tlbisold's
 * logging macro, and the two would read as one thing.) */
void tlbctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fflush(stdout) and its -errno (-ENOSPC for a full disk, -EIO only for an
 * I/O error), checking the stream's error flag too. */
int flush_stdout(void);
/* For a bad argument: the message, a hint to --help; returns EXIT_USAGE. */
int usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a user-given CPU list against the online CPUs; on failure prints
 * "tlbctl: VERB: bad CPU list 'x': <reason>" and returns -EINVAL/-ERANGE. */
int parse_user_cpulist(const struct tlbctl *t, const char *verb, const char *arg,
                       struct cpumap *out);

/* ---- before 'noise' touches osnoise (noise-guard.c) ---- */
/* Takes the noise lock (one measurement at a time): -EBUSY with
 * *ret_holder ("tlbctl noise (PID 12)", "tracing instance 'x'
 * (current_tracer osnoise; rtla?)") when another user has it; keep *ret_fd
 * open for the whole measurement. */
int noise_lock(int *ret_fd, char **ret_holder);
/* Warns on stderr about user threads pinned to (a subset of) cpus. */
void noise_warn_pinned(const struct tlbctl *t, const struct cpumap *cpus);

/* ---- daemon over D-Bus (bus.c) ---- */
struct daemon_source {
        char *source;                   /* "nohz_full", "partition:/rt.slice", ... */
        char *cpus;
};
struct daemon_irq {
        uint32_t irq;
        char *reason;
};
struct daemon_state {
        bool running;
        char *why_not;                  /* when !running: "no system bus", ... */
        char *version, *isolated, *housekeeping, *module_state, *last_error;
        bool restore_on_stop;
        uint64_t applied_at;            /* usec since the epoch, 0 = never */
        struct daemon_source *sources;
        size_t nsources;
        struct daemon_irq *unmovable;
        size_t nunmovable;
};
#define DAEMON_NOT_RUNNING_HINT "tlbisold is not running; start it with 'systemctl start tlbisold'"
/* Always fills *s (running or not); -ENOMEM only. */
int daemon_state_read(struct daemon_state *s);
void daemon_state_done(struct daemon_state *s);
/* Calls Isolate/Release(cpulist). 0 on success; -ESRCH when the daemon is
 * not running; -EACCES when the caller may not (not root), with the bus's
 * message in *msg; any other failure -EIO with the daemon's message. */
int daemon_call(const char *method, const char *cpulist, char **msg);

/* ---- kernel module over generic netlink (module.c) ---- */
struct module_cpu {
        bool present;
        uint64_t rx[5];                 /* by enum ipi_kind */
        uint64_t avoided_sync, avoided_kflush, avoided_text_sync, catchup_entry, catchup_nmi;
        uint64_t proto_violations;
};
struct module_state {
        bool loaded;                    /* family registered */
        char *why_not;                  /* "not loaded", "no permission", ... */
        char *sync, *defer, *acct;      /* "on", "off", "unavailable: <reason>" */
        unsigned ncpus;
        struct module_cpu *cpu;         /* [ncpus]; NULL if no stats */
        char *stats_why_not;            /* why cpu is NULL while loaded */
};
int module_state_read(const struct tlbctl *t, struct module_state *m);
void module_state_done(struct module_state *m);

/* ---- noise measurement for other verbs (noise.c) ---- */
struct noise_summary_cpu {
        bool measured;
        uint64_t interrupts;            /* every /proc/interrupts row over the window */
        uint64_t max_noise_ns;          /* longest single noise; 0 without osnoise */
};
struct noise_summary {
        uint64_t window_usec;           /* measured (shorter when interrupted) */
        bool osnoise;                   /* false: max_noise_ns unknown */
        bool interrupted;               /* SIGINT/SIGTERM/SIGHUP cut it short */
        char *no_osnoise_reason;
        unsigned ncpus;
        struct noise_summary_cpu *cpu;  /* [ncpus] */
};
/* Measures cpus for duration_usec as 'tlbctl noise' does by default (user
 * busy loop, osnoise when the kernel has it, /proc/interrupts deltas
 * always), restores what it touched, and sums up per CPU. Needs root;
 * -EPERM under TLBISOL_ROOT; -EBUSY (said on stderr, naming the holder)
 * while another 'tlbctl noise' or an osnoise tracer runs. */
int noise_summarize(const struct tlbctl *t, const struct cpumap *cpus, uint64_t duration_usec,
                    struct noise_summary *out);
void noise_summary_done(struct noise_summary *s);
