; wl-console: console output of N bytes, in writes of 64-byte lines (the last one shorter, every
; line ending in a newline). The hardware path sends each byte to the UART after polling its
; status (two port accesses per byte); the PV console sends each line with one CONSOLE_WRITE.
; cmdline: iters=N (default 4096) bytes.
global main
%include "guest.inc"

%define LINE 64

section .text
main:
    push ebx
    push esi
    push edi
    call cpu_init
    CMDLINE_U32 "iters", 4096
    mov ebx, eax                        ; bytes left
    xor esi, esi                        ; line number
    xor edi, edi                        ; writes
.line:
    test ebx, ebx
    jz .done
    call fill_line
    mov ecx, LINE
    cmp ebx, ecx
    jae .full
    mov ecx, ebx
    mov byte [line + ecx - 1], 10
.full:
    push ecx
    push line
    call console_write
    add esp, 8
    sub ebx, ecx
    inc esi
    inc edi
    jmp .line
.done:
    PRINT "wl-console: "
    CMDLINE_U32 "iters", 4096
    PDEC eax
    PRINT " bytes in "
    PDEC edi
    PRINT " writes", 10
    xor eax, eax
    pop edi
    pop esi
    pop ebx
    ret

; static: line = "NNNNNNNN " + letters rotating with the line number + "\n" (esi = line number)
fill_line:
    push ebx
    mov eax, esi
    mov ecx, 8
.digit:
    xor edx, edx
    mov ebx, 10
    div ebx
    add dl, '0'
    mov [line + ecx - 1], dl
    loop .digit
    mov byte [line + 8], ' '
    mov ecx, 9
.letter:
    lea eax, [esi + ecx]
    xor edx, edx
    mov ebx, 26
    div ebx
    add dl, 'a'
    mov [line + ecx], dl
    inc ecx
    cmp ecx, LINE - 1
    jb .letter
    mov byte [line + LINE - 1], 10
    pop ebx
    ret

section .bss
line: resb LINE
