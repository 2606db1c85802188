; wl-compute: a compute kernel that never leaves the guest: N passes of an integer mixing loop over
; a 4 KiB table (loads, stores, multiplies, shifts), no I/O until the result. Under any VT-x mode
; it makes no VM exits between the start and the final line. cmdline: iters=N (default 100).
global main
%include "guest.inc"

%define WORDS 1024

section .text
main:
    push ebx
    push esi
    push edi
    call cpu_init
    CMDLINE_U32 "iters", 100
    mov edi, eax
    ; table[i] = i * 2654435761
    xor ecx, ecx
.init:
    mov eax, ecx
    imul eax, eax, 2654435761
    mov [table + ecx * 4], eax
    inc ecx
    cmp ecx, WORDS
    jb .init
    xor esi, esi                        ; pass
    mov ebx, 0x12345678                 ; accumulator
.pass:
    cmp esi, edi
    jae .done
    xor ecx, ecx
.word:
    mov eax, [table + ecx * 4]
    imul eax, eax, 1103515245
    add eax, 12345
    add eax, esi
    mov edx, eax
    shr edx, 16
    xor eax, edx
    mov [table + ecx * 4], eax
    add ebx, eax
    rol ebx, 7
    inc ecx
    cmp ecx, WORDS
    jb .word
    inc esi
    jmp .pass
.done:
    PRINT "wl-compute: "
    PDEC edi
    PRINT " passes over 4 KiB, checksum "
    PHEX ebx
    PRINT 10
    xor eax, eax
    pop edi
    pop esi
    pop ebx
    ret

section .bss
alignb 16
table: resd WORDS
