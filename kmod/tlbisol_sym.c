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
 * ("name+off/size", exported), never from kp.addr alone. The kprobes core
 * refuses names that are not unique (-EADDRNOTAVAIL), so a static function
 * with a homonym elsewhere is reported as unavailable rather than guessed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/string.h>
#include "tlbisol.h"

/* Start and end of the function called @name; 0 on success or -errno. */
int tlbisol_sym_range(const char *name, unsigned long *start, unsigned long *end)
{
	struct kprobe kp = { .symbol_name = name, .flags = KPROBE_FLAG_DISABLED };
	char buf[KSYM_SYMBOL_LEN];
	unsigned long addr, off, size;
	size_t len = strlen(name);
	char *plus;
	int r;

	r = register_kprobe(&kp);
	if (r < 0)
		return r;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);

	/* "name+0x4/0x1a0" (plus " [module]" for module symbols) */
	sprint_symbol(buf, addr);
	if (strncmp(buf, name, len) || buf[len] != '+')
		return -ENOENT;
	plus = buf + len + 1;
	if (sscanf(plus, "%lx/%lx", &off, &size) != 2 || off >= size)
		return -ENOENT;
	*start = addr - off;
	*end = addr - off + size;
	return 0;
}

/* Start address of the function called @name, or 0 if unavailable. */
unsigned long tlbisol_sym_addr(const char *name)
{
	unsigned long start, end;

	if (tlbisol_sym_range(name, &start, &end) < 0)
		return 0;
	return start;
}
