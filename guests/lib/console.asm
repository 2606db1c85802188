; The console: one byte stream that goes to COM1 byte by byte (hardware path) or, with the PV
; console, into a line buffer handed to CONSOLE_WRITE at each newline, when full, and on flush.
; Both paths produce the same bytes in the same order. Number formatting lives here too.
global putc, puts, console_write, console_flush
global put_hex, put_hex32, put_hex16, put_hex8, put_dec, put_sdec
%include "guest.inc"

%define LINE_MAX 128
section .text
; void putc(int c)
putc:
    push eax
    push ecx
    mov eax, [esp + 12]
    test dword [pv_features], PV_F_CONSOLE
    jnz .buffered
    push eax
    call uart_putc
    add esp, 4
    jmp .out
.buffered:
    mov ecx, [line_len]
    mov [line_buf + ecx], al
    inc ecx
    mov [line_len], ecx
    cmp al, 10
    je .flush
    cmp ecx, LINE_MAX
    jb .out
.flush:
    call console_flush
.out:
    pop ecx
    pop eax
    ret

; void console_flush(void): hands the PV line buffer to the hypervisor (no-op on the hardware path).
console_flush:
    push eax
    mov eax, [line_len]
    test eax, eax
    jz .done
    mov dword [line_len], 0
    push eax
    push line_buf
    call pv_console_write
    add esp, 8
.done:
    pop eax
    ret

; static: writes [buf, buf+len) with CONSOLE_WRITE, retrying on partial writes.
pv_console_write:
    push ebx
    push esi
    mov esi, [esp + 12]                 ; buf
    mov ebx, [esp + 16]                 ; len
.more:
    test ebx, ebx
    jz .done
    push dword 0
    push dword 0
    push ebx
    push esi
    push dword HC_CONSOLE_WRITE
    call hypercall
    add esp, 20
    test eax, eax
    jle .done                           ; an error: nothing sensible left to do with the bytes
    add esi, eax
    sub ebx, eax
    jmp .more
.done:
    pop esi
    pop ebx
    ret

; void console_write(const char *buf, unsigned len): a whole buffer; with the PV console this is one
; hypercall (after flushing any pending partial line so the order is kept).
console_write:
    push eax
    push ecx
    push esi
    mov esi, [esp + 16]
    mov ecx, [esp + 20]
    test dword [pv_features], PV_F_CONSOLE
    jnz .pv
.hw:
    test ecx, ecx
    jz .done
    movzx eax, byte [esi]
    push eax
    call uart_putc
    add esp, 4
    inc esi
    dec ecx
    jmp .hw
.pv:
    call console_flush
    push ecx
    push esi
    call pv_console_write
    add esp, 8
.done:
    pop esi
    pop ecx
    pop eax
    ret

; void puts(const char *s): no newline is added.
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

; void put_hex(unsigned value, int digits): lowercase, exactly `digits` digits (1..8).
put_hex:
    push eax
    push ecx
    push edx
    mov edx, [esp + 16]
    mov ecx, [esp + 20]
    ; rotate so that the first digit to print is in the top nibble
    mov eax, 8
    sub eax, ecx
    shl eax, 2
    xchg eax, ecx
    shl edx, cl
    mov ecx, eax
.digit:
    rol edx, 4
    mov eax, edx
    and eax, 0xF
    movzx eax, byte [hex_digits + eax]
    push eax
    call putc
    add esp, 4
    dec ecx
    jnz .digit
    pop edx
    pop ecx
    pop eax
    ret

put_hex32:
    push dword 8
    push dword [esp + 8]
    call put_hex
    add esp, 8
    ret

put_hex16:
    push dword 4
    push dword [esp + 8]
    call put_hex
    add esp, 8
    ret

put_hex8:
    push dword 2
    push dword [esp + 8]
    call put_hex
    add esp, 8
    ret

; void put_dec(unsigned value)
put_dec:
    push eax
    push ebx
    push ecx
    push edx
    mov eax, [esp + 20]
    mov ebx, 10
    xor ecx, ecx
.divide:
    xor edx, edx
    div ebx
    add edx, '0'
    push edx
    inc ecx
    test eax, eax
    jnz .divide
.emit:
    call putc                           ; the digit is already on the stack as the argument
    add esp, 4
    dec ecx
    jnz .emit
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

; void put_sdec(int value)
put_sdec:
    push eax
    mov eax, [esp + 8]
    test eax, eax
    jns .positive
    PCHAR '-'
    neg eax
.positive:
    push eax
    call put_dec
    add esp, 4
    pop eax
    ret

section .rodata
hex_digits: db "0123456789abcdef"

section .bss
line_len:   resd 1
line_buf:   resb LINE_MAX
