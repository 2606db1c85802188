; mips-dec: the tightest loop, `dec ecx; jnz` (2 instructions per iteration), for the MIPS benchmark.
; cmdline: iters=N (default 100000). Prints the count and exits 0.
global main
%include "guest.inc"

section .text
main:
    CMDLINE_U32 "iters", 100000
    mov ecx, eax
    test ecx, ecx
    jz .done
    align 16
.loop:
    dec ecx
    jnz .loop
.done:
    PRINT "mips-dec: "
    PDEC eax
    PRINT " iterations of 2 instructions", 10
    xor eax, eax
    ret
