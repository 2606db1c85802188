; mips-mem: a 10-instruction loop body with 2 loads and 2 stores, for the MIPS benchmark.
; cmdline: iters=N (default 100000). Prints the count and a checksum of the memory it wrote.
global main
%include "guest.inc"

section .text
main:
    push ebx
    push esi
    push edi
    CMDLINE_U32 "iters", 100000
    push eax
    mov ecx, eax
    mov esi, src
    mov edi, dst
    mov ebx, 0x12345678
    test ecx, ecx
    jz .done
    align 16
.loop:
    mov eax, [esi]                      ; load
    add eax, ebx
    mov [edi], eax                      ; store
    mov edx, [esi + 4]                  ; load
    xor edx, eax
    mov [edi + 4], edx                  ; store
    add ebx, 3
    lea eax, [eax + edx]
    dec ecx
    jnz .loop
.done:
    pop eax
    PRINT "mips-mem: "
    PDEC eax
    PRINT " iterations of 10 instructions, checksum "
    mov eax, [dst]
    xor eax, [dst + 4]
    xor eax, ebx
    PHEX eax
    PRINT 10
    xor eax, eax
    pop edi
    pop esi
    pop ebx
    ret

section .data
align 4
src: dd 0x9E3779B9, 0x7F4A7C15

section .bss
alignb 4
dst: resd 2
