; ioperm: I/O protection (SDM Vol. 1 §19.5). At ring 3 with IOPL 0, IN/OUT/INS/OUTS are checked
; against the TSS I/O bitmap: every bit of a multi-byte access must be clear, the processor reads
; two bitmap bytes that must lie within the TSS limit, and a bitmap base beyond the limit denies
; everything. With IOPL 3 nothing is checked. Also CLI/STI (IOPL-sensitive) and the silent cases:
; POPF and IRET at ring 3 never change IOPL, and change IF only when CPL <= IOPL.
; Ports used: the UART scratch register 0x3ff (readable back) and the unassigned 0x1e0-0x1e3
; (accesses there are checked but their values are never printed). No cmdline options.
global main
%include "guest.inc"

%define PORT_SCR    (COM1 + UART_SCR)
%define PORT_FREE   0x1E0
%define TSS_LIMIT_FULL (TSS_SIZE + IOBITMAP_BYTES)
%define IOPL3       (3 << FL_IOPL_SHIFT)

; USER_VALUE "title", fn: runs fn at ring 3 and prints "title: <eax as hex>"
%macro USER_VALUE 2
    PRINT %1, ": "
    push dword 0
    push %2
    call user_call
    add esp, 8
    PHEX eax
    PRINT 10
%endmacro

section .text
main:
    call cpu_init
    mov al, 0x5A
    mov dx, PORT_SCR
    out dx, al
    PRINT "ioperm: IOPL 0, bitmap denies every port", 10
    UFAULT_BEGIN "in al, dx (0x3ff)"
    mov dx, PORT_SCR
FAULT_AT
    in al, dx
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "out 0xff, al (imm8 port)"
FAULT_AT
    out 0xFF, al
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "rep outsb to 0x3ff"
    mov dx, PORT_SCR
    mov esi, msg
    mov ecx, 2
FAULT_AT
    rep outsb
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "cli"
FAULT_AT
    cli
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "sti"
FAULT_AT
    sti
FAULT_NEXT
    UFAULT_END

    PRINT "ioperm: bitmap allows 0x3ff and 0x1e0-0x1e2", 10
    push dword 1
    push dword PORT_SCR
    call tss_io_allow
    add esp, 8
    push dword 3
    push dword PORT_FREE
    call tss_io_allow
    add esp, 8
    USER_VALUE "out then in at 0x3ff", out_in_scr
    UFAULT_BEGIN "in al, 0x1e0"
    mov dx, PORT_FREE
FAULT_AT
    in al, dx
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "in ax, 0x1e1 (0x1e1-0x1e2 allowed)"
    mov dx, PORT_FREE + 1
FAULT_AT
    in ax, dx
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "in eax, 0x1e0 (0x1e3 denied)"
    mov dx, PORT_FREE
FAULT_AT
    in eax, dx
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "in ax, 0x1e2 (0x1e3 denied)"
    mov dx, PORT_FREE + 2
FAULT_AT
    in ax, dx
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "out 0x3fe, al (denied)"
    mov dx, PORT_SCR - 1
FAULT_AT
    out dx, al
FAULT_NEXT
    UFAULT_END

    PRINT "ioperm: the TSS limit cuts the bitmap", 10
    ; port 0x3ff's bit is in bitmap byte 0x7f; the processor reads bytes 0x7f and 0x80
    push dword TSS_SIZE + 0x7F
    call tss_set_limit
    add esp, 4
    UFAULT_BEGIN "limit covers byte 0x7f only: in al, 0x3ff"
    mov dx, PORT_SCR
FAULT_AT
    in al, dx
FAULT_NEXT
    UFAULT_END
    push dword TSS_SIZE + 0x80
    call tss_set_limit
    add esp, 4
    UFAULT_BEGIN "limit covers byte 0x80: in al, 0x3ff"
    mov dx, PORT_SCR
FAULT_AT
    in al, dx
FAULT_NEXT
    UFAULT_END
    mov word [tss + TSS_IOMAP_BASE], TSS_LIMIT_FULL + 1
    push dword TSS_LIMIT_FULL
    call tss_set_limit
    add esp, 4
    UFAULT_BEGIN "bitmap base beyond the limit: in al, 0x3ff"
    mov dx, PORT_SCR
FAULT_AT
    in al, dx
FAULT_NEXT
    UFAULT_END
    mov word [tss + TSS_IOMAP_BASE], TSS_SIZE

    PRINT "ioperm: POPF and IRET at ring 3, IOPL 0", 10
    USER_VALUE "eflags IF|IOPL at ring 3", read_flags
    USER_VALUE "after popf clearing IF and setting IOPL 3", popf_try
    USER_VALUE "after iret clearing IF and setting IOPL 3", iret_try

    PRINT "ioperm: IOPL 3", 10
    or dword [user_eflags], IOPL3
    push dword 1
    push dword PORT_SCR
    call tss_io_deny
    add esp, 8
    USER_VALUE "out then in at 0x3ff (denied in the bitmap)", out_in_scr
    UFAULT_BEGIN "cli, sti"
    cli
FAULT_AT
    sti
FAULT_NEXT
    UFAULT_END
    USER_VALUE "eflags IF|IOPL at ring 3", read_flags
    USER_VALUE "after popf clearing IF and setting IOPL 0", popf_try
    USER_VALUE "after iret clearing IF and setting IOPL 0", iret_try
    and dword [user_eflags], ~IOPL3

    PRINT "ioperm: ring 0 ignores the bitmap", 10
    mov dx, PORT_SCR
    mov al, 0xC3
    out dx, al
    in al, dx
    PRINT "out then in at 0x3ff: "
    PHEX8 eax
    PRINT 10
    xor eax, eax
    ret

; Ring-3 helpers (no paging here, so they may live in .text); each returns with int VEC_USER_RETURN.
out_in_scr:
    mov dx, PORT_SCR
    mov al, 0x3C
    out dx, al
    xor eax, eax
    in al, dx
    int VEC_USER_RETURN

read_flags:
    pushfd
    pop eax
    and eax, FL_IF | FL_IOPL
    int VEC_USER_RETURN

; tries to clear IF and flip IOPL with POPF; returns the resulting IF|IOPL
popf_try:
    pushfd
    xor dword [esp], FL_IOPL
    and dword [esp], ~FL_IF
    popfd
    pushfd
    pop eax
    and eax, FL_IF | FL_IOPL
    push eax
    pushfd
    or dword [esp], FL_IF               ; put IF back if it went
    popfd
    pop eax
    int VEC_USER_RETURN

; the same with an IRET to ring 3 (same privilege: only EIP, CS, EFLAGS are popped)
iret_try:
    pushfd
    pop eax
    xor eax, FL_IOPL
    and eax, ~FL_IF
    push eax
    push dword SEL_UCODE
    push dword .back
    iretd
.back:
    pushfd
    pop eax
    and eax, FL_IF | FL_IOPL
    push eax
    pushfd
    or dword [esp], FL_IF
    popfd
    pop eax
    int VEC_USER_RETURN

section .rodata
msg: db "ab"
