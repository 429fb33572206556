/*
 * Negative control of tests/kmod/check-inline-flush.sh (review M1): the
 * catch-up functions as they would be if the INVPCID path lost its
 * serializing write to %cr4 (defer_entry_slow: invpcid, then return; its
 * PGE branch still writes %cr4, so only the path-sensitive rule can catch
 * it: review 2). The script must report "returns after invpcid".
 * Assembled by mk/kmod.mk, never loaded.
 */
	.text
	.globl	tlbisol_entry_tramp, defer_entry_slow, defer_nmi_handler, tlbisol_defer_ipi
tlbisol_entry_tramp:
	call	defer_entry_slow
	ret
defer_entry_slow:
	testb	$1, %al		/* flush_invpcid */
	jz	1f
	invpcid	(%rsp), %rax	/* MUTANT: no serializing write-back */
	ret
1:	mov	%cr4, %rax	/* the PGE branch, as in the real one */
	mov	%rax, %cr4
	ret
defer_nmi_handler:
	mov	%cr4, %rax
	mov	%rax, %cr4
	ret
tlbisol_defer_ipi:
	mov	%cr4, %rax
	mov	%rax, %cr4
	ret
