// SPDX-License-Identifier: GPL-2.0
/*
 * tlbisol_sym.c — addresses of unexported kernel functions.
 *
 * Purpose: the IPI classifier needs the addresses of static IPI callbacks
 * (flush_tlb_func, do_flush_tlb_all, ...), and the deferral allowlist needs
 * the address ranges of its callers (__purge_vmap_area_lazy, ...).
 *
 * kallsyms_lookup_name() is not exported since 5.7. The kprobes core still
 * resolves symbol names (kernel/kprobes.c: _kprobe_addr()), so we register a
 * *disabled* kprobe on the name (KPROBE_FLAG_DISABLED: nothing is armed, no
 * text is patched), read kp.addr and unregister it. On x86 with IBT the
 * kprobe address may be moved past the ENDBR64 (arch_adjust_kprobe_addr()),
 * so the function's start and size are taken from sprint_symbol()
 * ("name+off/size", exported), never from kp.addr alone.
 *
 * Uniqueness (issue 9 item 13): register_kprobe() takes the first match of
 * a name and does not refuse homonyms (static functions of the same name
 * in vmlinux or in a module). Every name the module hooks, redirects, or
 * uses as an address range must be unique, else the feature that needs it
 * is refused. The kernel's check for that (kernel/trace/trace_kprobe.c:
 * validate_probe_symbol(), counting vmlinux and module symbols) is reached
 * through the exported kprobe-event API (sym_check_unique()). Checked for
 * every such name at load, so that no later (unprivileged GET_INFO) path
 * creates tracing events; the answer "not unique" is kept, a transient
 * failure (-ENOMEM, -EBUSY: the event name is taken) is returned as is and
 * checked again on the next use. Names used only to classify IPIs are not
 * checked: a homonym there miscounts, it cannot misdirect.
 *
 * Functions kprobes refuse (NOKPROBE_SYMBOL: nmi_handle() and its .part
 * clone) and data (kprobe_table, with CONFIG_KALLSYMS_ALL) are still
 * resolved: register_kprobe() sets kp.addr from the name before its
 * safety checks (kernel/kprobes.c, 6.12), and sprint_symbol() confirms the
 * symbol and gives its size.
 *
 * Every unregister waits for an RCU grace period (unregister_kprobes()), so
 * tlbisol_sym_init() resolves all the names the module uses at once, with
 * one unregister_kprobes() for the lot, and keeps the result for the
 * module's lifetime (kernel text does not move). A name outside that table
 * is resolved on its own, slowly, and is not checked for uniqueness.
 *
 * Usage: tlbisol_sym_init() once at load; then tlbisol_sym_addr(name),
 *        tlbisol_sym_range(name, &start, &end).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/trace_events.h>
#include "tlbisol.h"

static const char *const sym_names[] = {
	/* tlbisol_acct.c: IPI callbacks (classification only) */
	"flush_tlb_func", "do_flush_tlb_all", "do_kernel_range_flush",
	"tlb_remove_table_smp_sync",
	/* tlbisol_guard.c: the kprobes hash table (data; its size is checked) */
	"kprobe_table",
	/*
	 * tlbisol_tsync.c: data and linker symbols (the kprobe-event parser
	 * cannot confirm those unique; bp_desc and tp_vec are defined once,
	 * in alternative.c, bp_desc's size is checked; the other two are the
	 * linker's)
	 */
	"bp_desc", "tp_vec",
#define SYM_FIRST_LINKER 7	/* from here on: address only, no bounds */
	"_stext", "__noinstr_text_start",
#define SYM_FIRST_UNIQUE 9	/* from here on: must be unique */
	/* tlbisol_acct.c (classification) and tlbisol_tsync.c (the redirect's key) */
	"do_sync_core",
	/* tlbisol_tsync.c: the hook */
	"on_each_cpu_cond_mask",
	/* tlbisol_tsync.c: the noinstr bound's cross-check */
	"__ct_user_exit", "exc_nmi",
	/* tlbisol_defer.c: native flush check, lazy purge, freed module memory, hooks */
	"native_flush_tlb_global", "__purge_vmap_area_lazy",
	"drain_vmap_area_work", "reclaim_and_purge_vmap_areas",
	"_vm_unmap_aliases", "vfree", "vfree.part.0", "vm_reset_perms",
	"flush_tlb_kernel_range", "vtime_user_exit",
	/* tlbisol_guard.c: the text-patching and NMI-registration paths */
	"text_poke_queue", "__register_nmi_handler", "text_poke", "text_poke_bp",
	"text_poke_bp_batch", "text_poke_finish",
	/* tlbisol_guard.c: what runs in an NMI before our handler */
	"nmi_handle", "nmi_handle.part.0", "__rcu_read_lock", "sched_clock",
	"trace_osnoise_callback", "trace_hwlat_callback", "trace_clock_local",
	/* tlbisol_guard.c: return thunks and untraining, before the catch-up */
	"__x86_return_thunk", "call_depth_return_thunk", "retbleed_return_thunk",
	"retbleed_untrain_ret", "srso_return_thunk", "srso_safe_ret",
	"srso_untrain_ret", "srso_alias_return_thunk", "srso_alias_safe_ret",
	"its_return_thunk",
	/* tlbisol_sync.c */
	"tlb_remove_table_sync_one",
};
#define SYM_NR ARRAY_SIZE(sym_names)

static struct {
	unsigned long start, end;
	int err;			/* 0: resolved; -errno */
	bool unique_checked;		/* err includes the (lasting) answer */
} sym_cache[SYM_NR];

/*
 * Does the kernel see exactly one function called @name? The kprobe-event
 * parser counts the name's symbols in vmlinux and modules
 * (validate_probe_symbol()) and refuses a homonym with -EINVAL. To avoid
 * registering (and, with an RCU grace period each, unregistering) a probe
 * per name, we keep one base event "tlbisol_unique" on vfs_read() with a
 * u64 argument, and ask for an event of the same name on @name with a u32
 * argument: a unique name gets past the parser and is then refused as
 * -EEXIST by append_trace_kprobe() (argument types differ), registering
 * nothing; any other result means "not confirmed unique".
 */
static bool sym_cached;
static bool sym_base_on;

static int sym_probe_cmd(const char *loc, const char *arg)
{
	struct dynevent_cmd cmd;
	char *buf;
	int r;

	buf = kzalloc(MAX_DYNEVENT_CMD_LEN, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	kprobe_event_cmd_init(&cmd, buf, MAX_DYNEVENT_CMD_LEN);
	r = kprobe_event_gen_cmd_start(&cmd, "tlbisol_unique", loc, arg);
	if (!r)
		r = kprobe_event_gen_cmd_end(&cmd);
	kfree(buf);
	return r;
}

/*
 * 0: unique; -EADDRNOTAVAIL: not unique (the parser's -EINVAL: the name
 * resolved, so only its symbol count can fail it), lasting; any other
 * -errno: could not check now (transient).
 */
static int sym_check_unique(const char *name)
{
	int r;

	if (!sym_base_on) {
		r = sym_probe_cmd("vfs_read", "a=%di:u64");
		if (r) {
			pr_warn("cannot create the kprobe event for uniqueness checks (%d)\n", r);
			return r == -EEXIST ? -EBUSY : r;
		}
		sym_base_on = true;
	}
	r = sym_probe_cmd(name, "b=%si:u32");
	if (r == -EEXIST)
		return 0;
	if (r == -EINVAL) {
		pr_warn("%s: not a unique kernel function name: features that need it are refused\n",
			name);
		return -EADDRNOTAVAIL;
	}
	pr_warn("%s: uniqueness not checked (%d); checked again on next use\n", name, r);
	return r ?: -EIO;	/* r == 0: the probe should have been refused */
}

/* Check entry @i (a resolved name that must be unique); keep lasting answers. */
static void sym_check_entry(unsigned int i)
{
	int r = sym_check_unique(sym_names[i]);

	if (r == 0 || r == -EADDRNOTAVAIL) {
		sym_cache[i].err = r;
		sym_cache[i].unique_checked = true;
	} else {
		sym_cache[i].err = r;	/* transient: unique_checked stays false */
	}
}

/*
 * Whether a lookup may check a name's uniqueness again after a transient
 * failure. GET_INFO from a caller without CAP_NET_ADMIN clears it while
 * it fills its reply (the reasons run the preconditions), so that only
 * load, SET and privileged GET_INFO create kprobe events (review 2,
 * finding 5); it then reports the transient failure ("retry"). Written
 * and read under the ctl lock only.
 */
static bool sym_may_recheck = true;

void tlbisol_sym_allow_recheck(bool allow)
{
	sym_may_recheck = allow;
}

/* Module exit: delete the base event (one RCU grace period). */
void tlbisol_sym_exit(void)
{
	if (sym_base_on && kprobe_event_delete("tlbisol_unique"))
		pr_warn("cannot delete the kprobe event tlbisol_unique\n");
	sym_base_on = false;
}

/*
 * Function start and end around @addr, if it lies in the function @name.
 * -ERANGE, not -ENOENT, when the name resolved but kallsyms names @addr
 * otherwise (another symbol at the same address sorts first) or gives no
 * size: the function exists and its bounds are unknown, which must not
 * read as "absent" to a caller that skips absent optional names (the
 * guard's watch table: review 7, M2).
 */
static int sym_bounds(const char *name, unsigned long addr,
		      unsigned long *start, unsigned long *end)
{
	char buf[KSYM_SYMBOL_LEN];
	size_t len = strlen(name);
	unsigned long off, size;

	/* "name+0x4/0x1a0" (plus " [module]" for module symbols) */
	sprint_symbol(buf, addr);
	if (strncmp(buf, name, len) || buf[len] != '+')
		return -ERANGE;
	if (sscanf(buf + len + 1, "%lx/%lx", &off, &size) != 2 || off >= size)
		return -ERANGE;
	*start = addr - off;
	*end = addr - off + size;
	return 0;
}

/* Resolve the table; one RCU grace period for all names. */
void tlbisol_sym_init(void)
{
	static struct kprobe kp[SYM_NR];
	struct kprobe *reg[SYM_NR];
	unsigned int i;
	int n = 0;

	for (i = 0; i < SYM_NR; i++) {
		memset(&kp[i], 0, sizeof(kp[i]));
		kp[i].symbol_name = sym_names[i];
		kp[i].flags = KPROBE_FLAG_DISABLED;
		sym_cache[i].err = register_kprobe(&kp[i]);
		if (sym_cache[i].err == 0)
			reg[n++] = &kp[i];
		else if (sym_cache[i].err == -ENOENT || !kp[i].addr)
			continue;	/* no such name */
		/* registered, or refused after the name resolved (blacklist) */
		if (i >= SYM_FIRST_LINKER && i < SYM_FIRST_UNIQUE) {
			/*
			 * A linker symbol shares its address with the first
			 * symbol after it (sprint_symbol() may name that one):
			 * the address alone, end == start. The user checks it
			 * (tlbisol_tsync.c: alignment, order).
			 */
			sym_cache[i].start = sym_cache[i].end = (unsigned long)kp[i].addr;
			sym_cache[i].err = 0;
			continue;
		}
		sym_cache[i].err = sym_bounds(sym_names[i], (unsigned long)kp[i].addr,
					      &sym_cache[i].start, &sym_cache[i].end);
	}
	unregister_kprobes(reg, n);
	for (i = SYM_FIRST_UNIQUE; i < SYM_NR; i++)
		if (!sym_cache[i].err)
			sym_check_entry(i);
	sym_cached = true;
}

/* Start and end of the function called @name; 0 on success or -errno. */
int tlbisol_sym_range(const char *name, unsigned long *start, unsigned long *end)
{
	struct kprobe kp = { .symbol_name = name, .flags = KPROBE_FLAG_DISABLED };
	unsigned long addr;
	unsigned int i;
	int r;

	for (i = 0; sym_cached && i < SYM_NR; i++) {
		if (strcmp(name, sym_names[i]))
			continue;
		if (i >= SYM_FIRST_UNIQUE && sym_cache[i].start &&
		    !sym_cache[i].unique_checked && sym_may_recheck)
			sym_check_entry(i);	/* the last check was transient */
		if (sym_cache[i].err)
			return sym_cache[i].err;
		*start = sym_cache[i].start;
		*end = sym_cache[i].end;
		return 0;
	}
	r = register_kprobe(&kp);
	if (r < 0)
		return r;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return sym_bounds(name, addr, start, end);
}

/* Start address of the function called @name, or 0 if unavailable. */
unsigned long tlbisol_sym_addr(const char *name)
{
	unsigned long start, end;

	if (tlbisol_sym_range(name, &start, &end) < 0)
		return 0;
	return start;
}

/* How a failed tlbisol_sym_range() reads in a reason: "<name> <this>". */
const char *tlbisol_sym_why(int err)
{
	return err == -EADDRNOTAVAIL ? "is not a unique name" :
	       err == -ENOENT ? "was not found" :
	       err == -ERANGE ? "has no bounds in kallsyms" :
	       "could not be checked for uniqueness now (transient; retry)";
}
