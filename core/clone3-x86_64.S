/*
 * long spf__clone3_run(struct clone_args *args, size_t size,
 *                      int (*fn)(void *), void *arg)
 *
 * clone3(2) with a new stack, x86-64.  No C wrapper can do this: the child
 * returns from the system call on the new stack, where the wrapper's frame
 * does not exist.  So fn and arg ride in r8 and r9, which the system call
 * preserves and the child inherits; the child calls fn(arg) and exits with
 * its result, the parent returns the pid or -errno.  The kernel points the
 * child's stack at stack + stack_size, which is 16-byte aligned, as the
 * call needs.  glibc has the same trampoline but does not export it.
 */
    .text
    .globl spf__clone3_run
    .type spf__clone3_run, @function
spf__clone3_run:
    .cfi_startproc
    mov %rdx, %r8
    mov %rcx, %r9
    mov $435, %eax          /* SYS_clone3 */
    syscall
    test %rax, %rax
    jz 1f
    ret
1:
    .cfi_undefined %rip     /* the child has no caller to unwind to */
    xor %ebp, %ebp
    mov %r9, %rdi
    call *%r8
    mov %eax, %edi
    mov $60, %eax           /* SYS_exit */
    syscall
    hlt
    .cfi_endproc
    .size spf__clone3_run, .-spf__clone3_run
    .section .note.GNU-stack, "", @progbits
