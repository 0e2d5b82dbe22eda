/*
 * The benchmark's target: exit(0) with one raw system call, nothing else.
 * It is static and links no C library, so a spawn of it measures the
 * spawning mechanism and exec itself, not the dynamic loader or libc's
 * start-up.
 */
    .text
    .globl _start
    .type _start, @function
_start:
#if defined(__x86_64__)
    mov $60, %eax           /* SYS_exit */
    xor %edi, %edi
    syscall
#elif defined(__aarch64__)
    mov x8, #93             /* SYS_exit */
    mov x0, #0
    svc #0
#else
#error "exit0.S: no exit sequence for this architecture"
#endif
    .size _start, .-_start
    .section .note.GNU-stack, "", @progbits
