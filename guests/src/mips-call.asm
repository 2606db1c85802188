; mips-call: a call/ret loop body (`call f; dec ecx; jnz` with f = `add eax, ecx; ret`, 4 instructions
; per iteration), for the MIPS benchmark. cmdline: iters=N (default 100000).
global main
%include "guest.inc"

section .text
main:
    CMDLINE_U32 "iters", 100000
    push eax
    mov ecx, eax
    xor eax, eax
    test ecx, ecx
    jz .done
    align 16
.loop:
    call add_ecx
    dec ecx
    jnz .loop
.done:
    mov edx, eax
    pop eax
    PRINT "mips-call: "
    PDEC eax
    PRINT " iterations of 4 instructions, checksum "
    PHEX edx
    PRINT 10
    xor eax, eax
    ret

    align 16
add_ecx:
    add eax, ecx
    ret
