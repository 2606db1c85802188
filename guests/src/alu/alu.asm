; alu: the general-purpose instruction set with its flags. Runs every test of alu-core.asm, one
; output line per instruction form: a hash over its results and the flags the SDM defines for it
; on a grid of operands (undefined flags are masked out). No cmdline options.
; alu-core.asm also builds as a Linux i386 program (test/guests/host-alu.test.ts) so the host
; processor checks the golden file that QEMU produced.
global main
%include "guest.inc"
extern alu_tests

section .text
main:
    call cpu_init
    call alu_tests
    xor eax, eax
    ret
