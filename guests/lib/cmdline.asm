; The Multiboot command line: copied at boot, then queried as whitespace-separated tokens
; `key=value` and bare flags. Unknown tokens are ignored (QEMU and GRUB put the image path first).
global cmdline_init, cmdline_u32, cmdline_flag, cmdline_buf
%include "guest.inc"

%define CMDLINE_MAX 255
section .text
; void cmdline_init(const struct multiboot_info *mbi)
cmdline_init:
    push eax
    push ecx
    push esi
    push edi
    mov esi, [esp + 20]
    mov byte [cmdline_buf], 0
    test dword [esi + MBI_FLAGS], MBI_FLAG_CMDLINE
    jz .done
    mov esi, [esi + MBI_CMDLINE]
    mov edi, cmdline_buf
    mov ecx, CMDLINE_MAX
.copy:
    lodsb
    test al, al
    jz .end
    stosb
    dec ecx
    jnz .copy
.end:
    mov byte [edi], 0
.done:
    pop edi
    pop esi
    pop ecx
    pop eax
    ret

; static: esi = token start in cmdline_buf, edi = key/word; returns ZF=1 when the token starts with
; the whole word and the token continues with the byte in bl (0 = token must end there).
; Advances nothing; clobbers eax, ecx.
match_word:
    xor ecx, ecx
.cmp:
    mov al, [edi + ecx]
    test al, al
    jz .word_end
    cmp al, [esi + ecx]
    jne .no
    inc ecx
    jmp .cmp
.word_end:
    mov al, [esi + ecx]
    test bl, bl
    jnz .want_char
    ; the token must end here: NUL, space or tab
    test al, al
    jz .yes
    cmp al, ' '
    je .yes
    cmp al, 9
    je .yes
.no:
    test esp, esp                       ; ZF=0 (the stack pointer is never 0)
    ret
.want_char:
    cmp al, bl
    jne .no
.yes:
    xor eax, eax                        ; ZF=1
    ret

; static: esi = cmdline position; advances esi to the start of the next token (or the NUL).
; Returns ZF=1 at the end of the line.
next_token:
.skip_word:
    mov al, [esi]
    test al, al
    jz .end
    cmp al, ' '
    je .skip_space
    cmp al, 9
    je .skip_space
    inc esi
    jmp .skip_word
.skip_space:
    mov al, [esi]
    cmp al, ' '
    je .adv
    cmp al, 9
    je .adv
    test al, al
    ret
.adv:
    inc esi
    jmp .skip_space
.end:
    ret

; static: esi = first token; skips leading blanks. ZF=1 when the line is empty.
first_token:
    mov esi, cmdline_buf
    jmp next_token.skip_space

; unsigned cmdline_u32(const char *key, unsigned default): value of the last `key=N` token
; (decimal, or hexadecimal with 0x), else `default`.
cmdline_u32:
    push ebx
    push ecx
    push edx
    push esi
    push edi
    mov edi, [esp + 24]
    mov edx, [esp + 28]                 ; result so far: the default
    mov bl, '='
    call first_token
    jz .done
.token:
    call match_word
    jnz .next
    lea esi, [esi + ecx + 1]            ; past "key="
    call parse_u32
    mov edx, eax
    jmp .again
.next:
.again:
    call next_token
    jnz .token
.done:
    mov eax, edx
    pop edi
    pop esi
    pop edx
    pop ecx
    pop ebx
    ret

; static: esi -> digits; returns the value in eax, esi past the digits.
parse_u32:
    push ebx
    push edx
    xor eax, eax
    mov ebx, 10
    cmp byte [esi], '0'
    jne .digit
    cmp byte [esi + 1], 'x'
    jne .digit
    add esi, 2
    mov ebx, 16
.digit:
    movzx ecx, byte [esi]
    sub ecx, '0'
    cmp ecx, 10
    jb .have
    cmp ebx, 16
    jne .done
    movzx ecx, byte [esi]
    or ecx, 0x20                        ; lower case
    sub ecx, 'a'
    cmp ecx, 6
    jae .done
    add ecx, 10
.have:
    imul eax, ebx
    add eax, ecx
    inc esi
    jmp .digit
.done:
    pop edx
    pop ebx
    ret

; int cmdline_flag(const char *word): 1 when a token equals `word`.
cmdline_flag:
    push ebx
    push ecx
    push esi
    push edi
    mov edi, [esp + 20]
    xor bl, bl
    call first_token
    jz .no
.token:
    call match_word
    jz .yes
    call next_token
    jnz .token
.no:
    xor eax, eax
    jmp .out
.yes:
    mov eax, 1
.out:
    pop edi
    pop esi
    pop ecx
    pop ebx
    ret

section .bss
cmdline_buf: resb CMDLINE_MAX + 1
