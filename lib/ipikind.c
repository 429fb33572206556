/* ipikind.c — see ipikind.h. */
#include <stddef.h>
#include <string.h>

#include "ipikind.h"
#include "uapi/linux/tlbisol.h"
#include "util.h"

_Static_assert((int) IPI_KIND_USER_FLUSH == (int) TLBISOL_IPI_USER_FLUSH, "UAPI order");
_Static_assert((int) IPI_KIND_KERNEL_FLUSH == (int) TLBISOL_IPI_KERNEL_FLUSH, "UAPI order");
_Static_assert((int) IPI_KIND_TABLE_SYNC == (int) TLBISOL_IPI_TABLE_SYNC, "UAPI order");
_Static_assert((int) IPI_KIND_TEXT_POKE == (int) TLBISOL_IPI_TEXT_POKE, "UAPI order");
_Static_assert((int) IPI_KIND_OTHER == (int) TLBISOL_IPI_OTHER, "UAPI order");
_Static_assert((int) _IPI_KIND_MAX == (int) __TLBISOL_IPI_MAX, "UAPI order");

static const char *const kind_names[_IPI_KIND_MAX] = {
        [IPI_KIND_USER_FLUSH]   = "user_tlb_flush",
        [IPI_KIND_KERNEL_FLUSH] = "kernel_tlb_flush",
        [IPI_KIND_TABLE_SYNC]   = "table_sync",
        [IPI_KIND_TEXT_POKE]    = "text_poke",
        [IPI_KIND_OTHER]        = "other",
};

static const char *const kind_labels[_IPI_KIND_MAX] = {
        [IPI_KIND_USER_FLUSH]   = "user TLB flush",
        [IPI_KIND_KERNEL_FLUSH] = "kernel TLB flush",
        [IPI_KIND_TABLE_SYNC]   = "page-table sync",
        [IPI_KIND_TEXT_POKE]    = "text poke",
        [IPI_KIND_OTHER]        = "other",
};

static const struct {
        const char *func;
        enum ipi_kind kind;
} funcs[] = {
        { "flush_tlb_func",            IPI_KIND_USER_FLUSH },
        { "do_flush_tlb_all",          IPI_KIND_KERNEL_FLUSH },
        { "do_kernel_range_flush",     IPI_KIND_KERNEL_FLUSH },
        { "tlb_remove_table_smp_sync", IPI_KIND_TABLE_SYNC },
        { "do_sync_core",              IPI_KIND_TEXT_POKE },
};

/* arch/x86/kernel/trace.c (osnoise_arch_register) names, and the rows of
 * arch/x86/kernel/irq.c arch_show_interrupts(). */
static const struct ipi_vector vectors[] = {
        { "call_function",        "CAL", true },
        { "call_function_single", "CAL", true },
        { "reschedule",           "RES", false },
        { "local_timer",          "LOC", false },
        { "irq_work",             "IWI", false },
        { "x86_platform_ipi",     "PLT", false },
        { "thermal_apic",         "TRM", false },
        { "threshold_apic",       "THR", false },
        { "deferred_error",       "DFR", false },
        { "spurious_apic",        "SPU", false },
        { "error_apic",           "ERR", false },
};

const char *ipi_kind_name(enum ipi_kind k) {
        return (unsigned) k < _IPI_KIND_MAX ? kind_names[k] : NULL;
}

const char *ipi_kind_label(enum ipi_kind k) {
        return (unsigned) k < _IPI_KIND_MAX ? kind_labels[k] : NULL;
}

enum ipi_kind ipi_kind_from_func(const char *func) {
        size_t n;

        if (!func)
                return IPI_KIND_OTHER;
        n = strcspn(func, "+ \t[");     /* symbol ends at "+off/size" or " [mod]" */
        for (size_t i = 0; i < ELEMENTSOF(funcs); i++)
                if (strlen(funcs[i].func) == n && strncmp(func, funcs[i].func, n) == 0)
                        return funcs[i].kind;
        return IPI_KIND_OTHER;
}

const struct ipi_vector *ipi_vectors(unsigned *n) {
        *n = ELEMENTSOF(vectors);
        return vectors;
}

const struct ipi_vector *ipi_vector_by_desc(const char *desc) {
        if (!desc)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(vectors); i++)
                if (streq(desc, vectors[i].desc))
                        return &vectors[i];
        return NULL;
}

int ipi_vector_index(const struct ipi_vector *v) {
        if (v < vectors || v >= vectors + ELEMENTSOF(vectors))
                return -1;
        return (int) (v - vectors);
}
