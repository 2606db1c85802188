; A Linux i386 harness for guests/src/alu/alu-core.asm: runs the same instruction tests on the host
; processor and writes the lines to standard output, so real silicon checks the golden file.
global _start, puts, putc, put_hex32
extern alu_tests

section .text
_start:
    call alu_tests
    call flush
    mov eax, 1                          ; exit(0)
    xor ebx, ebx
    int 0x80

; void putc(int c)
putc:
    push eax
    push ecx
    mov ecx, [len]
    mov eax, [esp + 12]
    mov [buf + ecx], al
    inc ecx
    mov [len], ecx
    cmp ecx, 4096
    jb .out
    call flush
.out:
    pop ecx
    pop eax
    ret

; void puts(const char *s)
puts:
    push eax
    push esi
    mov esi, [esp + 12]
.next:
    movzx eax, byte [esi]
    test al, al
    jz .done
    push eax
    call putc
    add esp, 4
    inc esi
    jmp .next
.done:
    pop esi
    pop eax
    ret

; void put_hex32(unsigned v)
put_hex32:
    pushad
    mov edx, [esp + 36]
    mov ecx, 8
.digit:
    rol edx, 4
    mov eax, edx
    and eax, 0xF
    movzx eax, byte [digits + eax]
    push eax
    call putc
    add esp, 4
    dec ecx
    jnz .digit
    popad
    ret

flush:
    pushad
    mov eax, 4                          ; write(1, buf, len)
    mov ebx, 1
    mov ecx, buf
    mov edx, [len]
    int 0x80
    mov dword [len], 0
    popad
    ret

section .rodata
digits: db "0123456789abcdef"

section .bss
len: resd 1
buf: resb 4096
