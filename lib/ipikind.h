/* ipikind.h — names of IPI vectors and of what a function-call IPI carried.
 *
 * Purpose: one table mapping
 *   - the osnoise irq_noise "desc" of an x86 system vector ("call_function",
 *     "reschedule", ...; arch/x86/kernel/trace.c) to its /proc/interrupts
 *     row ("CAL", "RES", ...), and
 *   - a csd callback name (csd:csd_function_entry "func", or a kallsyms
 *     name) to the kind of work it is: user TLB flush (flush_tlb_func),
 *     kernel TLB flush (do_flush_tlb_all, do_kernel_range_flush), page-table
 *     sync (tlb_remove_table_smp_sync), text poke (do_sync_core), other.
 * The kinds are numbered like enum tlbisol_ipi_class of the module's UAPI,
 * so the module's per-class counters index the same arrays.
 *
 * Usage:
 *   enum ipi_kind k = ipi_kind_from_func("flush_tlb_func+0x0/0x1e0");
 *   printf("%s\n", ipi_kind_name(k));              // "user_tlb_flush"
 *   const struct ipi_vector *v = ipi_vector_by_desc("call_function_single");
 *   v->row                                          // "CAL"
 */
#pragma once
#include <stdbool.h>

enum ipi_kind {
        IPI_KIND_USER_FLUSH,
        IPI_KIND_KERNEL_FLUSH,
        IPI_KIND_TABLE_SYNC,
        IPI_KIND_TEXT_POKE,
        IPI_KIND_OTHER,
        _IPI_KIND_MAX,
};

/* Stable machine name ("user_tlb_flush", "kernel_tlb_flush", "table_sync",
 * "text_poke", "other"), used as JSON keys; NULL when out of range. */
const char *ipi_kind_name(enum ipi_kind k);
/* Words for people ("user TLB flush"); NULL when out of range. */
const char *ipi_kind_label(enum ipi_kind k);
/* Kind of a csd callback. Accepts a bare symbol ("do_sync_core"), a %pS
 * form ("flush_tlb_func+0x0/0x1e0") and a module suffix ("foo [mod]").
 * NULL, "" and anything unknown are IPI_KIND_OTHER. */
enum ipi_kind ipi_kind_from_func(const char *func);

/* x86 system vectors as osnoise names them, with their /proc/interrupts row. */
struct ipi_vector {
        const char *desc;       /* osnoise irq_noise desc, also the JSON key */
        const char *row;        /* /proc/interrupts row */
        bool call_function;     /* a function-call IPI: carries csd work */
};

/* All known vectors, in a fixed order; *n gets the count. */
const struct ipi_vector *ipi_vectors(unsigned *n);
/* Vector by osnoise desc; NULL for device IRQs and unknown names. */
const struct ipi_vector *ipi_vector_by_desc(const char *desc);
/* Index of v in ipi_vectors(), or -1. */
int ipi_vector_index(const struct ipi_vector *v);
