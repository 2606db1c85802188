; wl-syscall: the null system call (lmbench lat_syscall). A ring-3 loop of `int 0x80` with a
; handler that returns at once. Under VT-x these never leave the guest; under a trap-and-emulate
; monitor each would. cmdline: iters=N (default 10000).
global main
%include "guest.inc"

%define SYS_NULL 0

section .text
main:
    push ebx
    call cpu_init
    push dword CR0_WP
    call kernel_space
    add esp, 4
    push null_syscall
    push dword VEC_SYSCALL
    call isr_set_handler
    add esp, 8
    CMDLINE_U32 "iters", 10000
    mov ebx, eax
    push eax
    push user_loop
    call user_call
    add esp, 8
    PRINT "wl-syscall: "
    PDEC eax
    PRINT " null system calls", 10
    xor eax, eax
    cmp [calls], ebx
    je .ok
    PRINT "wl-syscall: the handler counted "
    PDEC dword [calls]
    PRINT 10
    mov eax, EXIT_FAIL
.ok:
    pop ebx
    ret

null_syscall:
    inc dword [calls]
    ret

section .user
; EAX = iterations; returns the count done.
user_loop:
    mov ecx, eax
    xor edx, edx
    test ecx, ecx
    jz .done
.l:
    mov eax, SYS_NULL
    int VEC_SYSCALL
    inc edx
    dec ecx
    jnz .l
.done:
    mov eax, edx
    int VEC_USER_RETURN

section .bss
calls: resd 1
