/*
 * The vfork wrapper, x86-64.
 *
 * A C wrapper around vfork would return twice from one stack frame: the
 * child returns from it first, then execs, and when the parent resumes it
 * returns through a frame the child has already popped and overwritten.
 * So the wrapper keeps no frame across the real vfork.  It calls the C
 * gate like any function, then either tail-jumps to the real vfork, which
 * thus returns straight to our caller in both processes, or returns -1
 * with the errno the gate set.
 *
 * Other architectures get no vfork wrapper (see preload.c).
 */
    .text
    .globl vfork
    .type vfork, @function
    .p2align 4
vfork:
    .cfi_startproc
#ifdef __CET__
    endbr64
#endif
    /* The return address left %rsp 8 bytes off the 16-byte alignment
     * the ABI wants at a call. */
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    call spf__vfork_gate
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    testl %eax, %eax
    jnz 1f
    jmp *spf__real_vfork(%rip)
1:
    /* The gate returned -1 and set errno; -1 is vfork's result too. */
    ret
    .cfi_endproc
    .size vfork, .-vfork

    .section .note.GNU-stack, "", @progbits
