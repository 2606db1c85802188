; strings: the string instructions with and without REP/REPE/REPNE: MOVS/STOS/LODS/CMPS/SCAS in
; byte, word and dword sizes, forwards and with DF=1, overlapping copies, ECX=0, a segment
; override on the source, 16-bit addressing (SI/DI/CX), INS/OUTS (bytes: the UART has no wider
; registers) through its scratch register and to COM1 itself, and a REP MOVSB that page-faults half way (the registers then say
; exactly how far it got). For each: the final ECX, ESI/EDI relative to their buffers, the flags
; the SDM defines and a hash of the destination. No cmdline options.
global main
%include "guest.inc"

%define BUF_LEN     256
%define SEL_SRCSEG  (GDT_FIRST_SPARE * 8)           ; data segment based at `src`
%define SEL_DSTSEG  ((GDT_FIRST_SPARE + 1) * 8)     ; data segment based at `dst`
%define VA_EDGE     (TEST_AREA + 0x1000)            ; mapped; the next page is not
%define FLAG_OUT    (FL_ARITH | FL_DF)

; RESULT "title": prints "title: ecx=... esi=+.. edi=+.. flags=.. dst=hash" from the registers
%macro RESULT 1
    pushfd
    push edi
    push esi
    push ecx
    PRINT %1, ":"
    call result
    add esp, 16
%endmacro

section .text
main:
    push ebx
    push esi
    push edi
    call cpu_init
    call fill_src

    ; ---- MOVS ----
    call setup
    mov ecx, BUF_LEN
    rep movsb
    RESULT "rep movsb"
    call setup
    mov ecx, BUF_LEN / 2
    rep movsw
    RESULT "rep movsw"
    call setup
    mov ecx, BUF_LEN / 4 - 3
    rep movsd
    RESULT "rep movsd"
    call setup
    movsb
    movsw
    movsd
    RESULT "movsb movsw movsd"
    call setup
    add esi, BUF_LEN - 1
    add edi, BUF_LEN - 1
    std
    mov ecx, 100
    rep movsb
    cld
    RESULT "std rep movsb"
    call setup
    add esi, BUF_LEN - 4
    add edi, BUF_LEN - 4
    std
    mov ecx, 10
    rep movsd
    cld
    RESULT "std rep movsd"
    call setup
    mov ecx, 0
    rep movsb
    RESULT "rep movsb ecx=0"
    ; overlapping: forward with dst = src + 1 smears the first byte; backward moves the block
    call setup
    mov esi, edi
    inc edi
    mov byte [esi], 0xA5
    mov ecx, 64
    rep movsb
    RESULT "overlap fwd rep movsb"
    call setup
    mov esi, edi
    mov ecx, BUF_LEN
    push esi
    mov esi, src
    rep movsb
    pop esi
    lea edi, [esi + 64 + 7]
    add esi, 64 + 7 - 8
    std
    mov ecx, 64
    rep movsb
    cld
    RESULT "overlap bwd rep movsb"
    call setup
    mov esi, edi
    add edi, 2
    mov dword [esi], 0x44332211
    mov ecx, 20
    rep movsw
    RESULT "overlap fwd rep movsw"

    ; ---- STOS, LODS ----
    call setup
    mov eax, 0x12345678
    mov ecx, 33
    rep stosb
    RESULT "rep stosb"
    call setup
    mov eax, 0x9ABCDEF0
    mov ecx, 17
    rep stosw
    RESULT "rep stosw"
    call setup
    mov eax, 0xCAFEBABE
    mov ecx, 9
    add edi, 3
    rep stosd
    RESULT "rep stosd (unaligned)"
    call setup
    std
    add edi, 100
    mov eax, 0x11223344
    mov ecx, 5
    rep stosd
    cld
    RESULT "std rep stosd"
    call setup
    mov ecx, 7
    rep lodsb
    mov [dst], eax
    RESULT "rep lodsb"
    call setup
    lodsd
    mov ebx, eax
    lodsw
    mov [dst], ebx
    mov [dst + 4], eax
    RESULT "lodsd lodsw"

    ; ---- CMPS, SCAS ----
    call setup_equal
    mov byte [dst + 77], 0
    mov ecx, BUF_LEN
    repe cmpsb
    RESULT "repe cmpsb (mismatch at 77)"
    call setup_equal
    mov ecx, 50
    repe cmpsb
    RESULT "repe cmpsb (all equal)"
    call setup_equal
    mov byte [dst + 3], 0x00
    mov byte [src + 3], 0x00
    mov dword [dst], 0xFFFFFFFF
    mov ecx, 10
    repne cmpsb
    RESULT "repne cmpsb (equal at 3)"
    call setup_equal
    mov word [dst + 40], 0x7777
    mov ecx, 60
    repe cmpsw
    RESULT "repe cmpsw"
    call setup_equal
    mov dword [src + 80], 0x80000000
    mov dword [dst + 80], 0x7FFFFFFF
    mov ecx, 60
    repe cmpsd
    RESULT "repe cmpsd (signed overflow)"
    call setup_equal
    cmpsd
    RESULT "cmpsd"
    call setup_equal
    mov byte [dst + 90], 0
    mov al, 0
    mov ecx, 0xFFFFFFFF
    repne scasb
    RESULT "repne scasb (strlen)"
    call setup_equal
    mov eax, [dst]
    mov ecx, 40
    repe scasd
    RESULT "repe scasd"
    call setup_equal
    std
    add edi, BUF_LEN - 2
    mov ax, [dst + 100]
    mov ecx, 200
    repne scasw
    cld
    RESULT "std repne scasw"
    call setup_equal
    mov ecx, 0
    repe cmpsb
    RESULT "repe cmpsb ecx=0"

    ; ---- segments and address size ----
    push dword DESC_FLAGS_G_DB
    push dword ACC_P | ACC_S | ACC_DATA_RW_A
    push dword 0xFFFFF
    push dword src
    push dword GDT_FIRST_SPARE
    call gdt_set_entry
    add esp, 20
    push dword DESC_FLAGS_G_DB
    push dword ACC_P | ACC_S | ACC_DATA_RW_A
    push dword 0xFFFFF
    push dword dst
    push dword GDT_FIRST_SPARE + 1
    call gdt_set_entry
    add esp, 20
    call setup
    mov ax, SEL_SRCSEG
    mov fs, ax
    mov esi, 16                         ; fs:16 is src+16
    mov ecx, 32
    rep fs movsb
    mov ax, SEL_KDATA
    mov fs, ax
    RESULT "rep fs movsb"
    call setup
    mov ax, SEL_SRCSEG
    mov ds, ax
    mov ax, SEL_DSTSEG
    mov es, ax
    mov esi, 0xABCD0008                 ; only SI, DI and CX count with a 16-bit address size
    mov edi, 0x12340010
    mov ecx, 0x55550030
    a16 rep movsb
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    push edi
    push esi
    push ecx
    PRINT "a16 rep movsb: ecx="
    PHEX dword [esp]
    PRINT " esi="
    PHEX dword [esp + 4]
    PRINT " edi="
    PHEX dword [esp + 8]
    add esp, 12
    PRINT " dst="
    push dword BUF_LEN
    push dst
    call fnv1a
    add esp, 8
    PHEX eax
    PRINT 10

    ; ---- port string I/O ----
    call setup
    mov dx, COM1 + UART_SCR
    mov ecx, 5
    rep outsb                           ; the scratch register keeps the last byte
    mov ecx, 8
    rep insb
    RESULT "rep outsb, rep insb (UART scratch)"
    call console_flush                  ; the PV console buffers lines: keep the order
    mov esi, to_com1
    mov ecx, to_com1_len
    mov dx, COM1 + UART_THR
    rep outsb

    ; ---- a fault in the middle of REP MOVSB ----
    call page_alloc
    mov ebx, eax
    push dword PTE_P | PTE_RW
    push dword 0
    push ebx
    call pg_map_large
    add esp, 12
    push dword LARGE_PAGE_SIZE * 2 | PTE_P | PTE_RW
    push dword LARGE_PAGE_SIZE * 2
    push ebx
    call pg_map_large
    add esp, 12
    push dword LARGE_PAGE_SIZE * 3 | PTE_P | PTE_RW
    push dword LARGE_PAGE_SIZE * 3
    push ebx
    call pg_map_large
    add esp, 12
    call page_alloc
    or eax, PTE_P | PTE_RW
    push eax
    push dword VA_EDGE
    push ebx
    call pg_map
    add esp, 12
    push dword 0
    push ebx
    call paging_enable
    add esp, 8
    FAULT_BEGIN "rep movsb into a not-present page"
    mov esi, src
    mov edi, VA_EDGE + PAGE_SIZE - 40
    mov ecx, 100
FAULT_AT
    rep movsb
FAULT_NEXT
    FAULT_END
    PRINT "  ecx="
    PHEX ecx
    PRINT " esi=+"
    sub esi, src
    PHEX16 esi
    PRINT " edi=+"
    sub edi, VA_EDGE
    PHEX16 edi
    PRINT " copied="
    push dword 40
    push dword VA_EDGE + PAGE_SIZE - 40
    call fnv1a
    add esp, 8
    push eax
    push dword 40
    push src
    call fnv1a
    add esp, 8
    pop ecx
    cmp eax, ecx
    je .same
    PRINT "wrong", 10
    jmp .after
.same:
    PRINT "the first 40 bytes", 10
.after:
    PRINT "strings: done", 10
    xor eax, eax
    pop edi
    pop esi
    pop ebx
    ret

; static: ESI=src, EDI=dst, dst zeroed, DF=0, ECX=0
setup:
    push eax
    mov edi, dst
    mov ecx, BUF_LEN / 4
    xor eax, eax
    cld
    rep stosd
    pop eax
    mov esi, src
    mov edi, dst
    xor ecx, ecx
    ret

; static: src refilled, dst = src, then as setup
setup_equal:
    call fill_src
    call setup
    mov ecx, BUF_LEN
    rep movsb
    mov esi, src
    mov edi, dst
    xor ecx, ecx
    ret

; static: src[i] = i * 7 + 3 (the first zero byte is at 219)
fill_src:
    push eax
    push ecx
    xor ecx, ecx
.b:
    lea eax, [ecx * 8]
    sub eax, ecx
    add eax, 3
    mov [src + ecx], al
    inc ecx
    cmp ecx, BUF_LEN
    jb .b
    pop ecx
    pop eax
    ret

; static: result(ecx, esi, edi, eflags) on the stack (after the return address)
result:
    PRINT " ecx="
    PHEX dword [esp + 4]
    PRINT " esi="
    mov eax, [esp + 8]
    call print_offset
    PRINT " edi="
    mov eax, [esp + 12]
    call print_offset
    PRINT " flags="
    mov eax, [esp + 16]
    and eax, FLAG_OUT
    PHEX16 eax
    PRINT " dst="
    push dword BUF_LEN
    push dst
    call fnv1a
    add esp, 8
    PHEX eax
    PRINT 10
    ret

; static: eax = a pointer; prints it as src+N / dst+N / an address
print_offset:
    cmp eax, src
    jb .abs
    cmp eax, src + BUF_LEN + 16
    jae .d
    sub eax, src
    PRINT "src+"
    PHEX16 eax
    ret
.d:
    cmp eax, dst
    jb .abs
    cmp eax, dst + BUF_LEN + 16
    jae .abs
    sub eax, dst
    PRINT "dst+"
    PHEX16 eax
    ret
.abs:
    PHEX eax
    ret

section .rodata
to_com1:    db "rep outsb straight to COM1", 10
to_com1_len equ $ - to_com1

section .bss
alignb 16
            resb 16                     ; room below the buffers for DF=1 overruns
src:        resb BUF_LEN + 16
dst:        resb BUF_LEN + 16
