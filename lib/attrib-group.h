/* attrib-group.h — one group of interrupts as the attribution (attrib.h)
 * reports them: same kind, vector, sender, call site, origin and carried
 * function, with their count and durations. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "attrib-tick.h"

enum attrib_kind {
        ATTRIB_IPI,             /* an IPI vector */
        ATTRIB_TICK,            /* local_timer that ran the scheduler tick */
        ATTRIB_TIMER,           /* local_timer for other hrtimers */
        ATTRIB_DEVICE,          /* a device IRQ */
        ATTRIB_SOFTIRQ,
        ATTRIB_NMI,
        ATTRIB_THREAD,          /* a thread other than the workload ran */
        _ATTRIB_KIND_MAX,
};

struct attrib_group {
        enum attrib_kind kind;
        const char *vector;     /* IPI: osnoise desc ("reschedule", ...); device: IRQ name;
                                 * softirq: its name; thread: comm; else NULL */
        int irq;                /* device: IRQ number; else -1 */
        bool attributed;        /* false: an IPI whose sender was not seen */
        const char *sender;     /* IPI: sender task name; "[hardirq]"/"[softirq]" when sent
                                 * from interrupt context; "self" for its own irq_work */
        int sender_pid;         /* IPI: last sender pid seen */
        uint64_t sender_cpus;   /* IPI: bit per sender CPU (CPUs >= 64 in bit 63) */
        const char *site;       /* IPI: call site; timer: function */
        const char *origin;     /* IPI: first caller beyond the IPI plumbing; NULL */
        const char *carried;    /* IPI: csd/irq_work function run; NULL */
        unsigned ncarried;      /* functions run by these IPIs in all */
        const char *woken;      /* IPI: task woken on this CPU; NULL */
        int woken_pid;
        const char *waker;      /* its waker (the sender for a wake-up) */
        int tick_dep;           /* tick: the TICK_DEP_MASK_* that kept it (timer:tick_stop); 0 none */
        enum attrib_tick_state tick_state;      /* tick: residual, kept, not stopped; else NA */
        bool tick_stop_traced;  /* tick: timer:tick_stop was recorded */
        const char *remedy;     /* what removes it; never NULL */
        uint64_t count, total_ns, max_ns;
};
