; popek: the sensitive but unprivileged instructions of IA-32 (Robin & Irvine, 2000), the reason
; x86 was not classically virtualizable (Popek & Goldberg, 1974): they run at ring 3 without
; trapping yet reveal or depend on privileged state. The same probe runs at ring 0 and at ring 3
; and prints what it sees: SGDT, SIDT, SLDT, STR, SMSW (the tables and CR0 this guest set up
; itself), CS/SS and PUSH CS (the CPL), PUSHF before and after a POPF that tries to clear IF, and
; LAR/LSL/VERR/VERW on a set of selectors (kernel, user, system, conforming, call gate, LDT,
; invalid). Every value is defined by the SDM; under VT-x each must be what bare metal gives.
; No cmdline options.
global main
%include "guest.inc"

%define SEL_LDT       (GDT_FIRST_SPARE * 8)             ; 0x30: an LDT descriptor
%define SEL_CONFORM   ((GDT_FIRST_SPARE + 1) * 8)       ; 0x38: conforming code, DPL 0
%define SEL_CALLGATE  ((GDT_FIRST_SPARE + 2) * 8 | 3)   ; 0x43: a call gate, DPL 3
%define SEL_SMALL     ((GDT_FIRST_SPARE + 3) * 8 | 3)   ; 0x4b: data, DPL 3, limit 0xfff
%define SEL_DPL2      ((GDT_FIRST_SPARE + 4) * 8 | 2)   ; 0x52: data, DPL 2
%define SEL_LDT0      (0 | SEL_TI_LDT | 3)              ; 0x07: LDT entry 0, data, DPL 3
%define ACC_CODE_CONFORM_RX_A 0x0F
%define ACC_CALLGATE32 0x0C
%define LAR_DEFINED   0x00F0FF00                        ; LAR r32: bits 19:16 are undefined
%define CR0_SET       (CR0_PE | CR0_MP | CR0_ET | CR0_NE)
%define NSEL          13

; result layout (filled by `probe`)
%define R_GDTR   0
%define R_IDTR   8
%define R_LDTR   16
%define R_TR     20
%define R_MSW    24
%define R_CS     28
%define R_SS     32
%define R_PUSHCS 36
%define R_FL0    40
%define R_FL1    44
%define R_SEL    48                     ; NSEL records of 6 dwords
%define S_LARZF  0
%define S_LAR    4
%define S_LSLZF  8
%define S_LSL    12
%define S_VERR   16
%define S_VERW   20
%define S_SIZE   24

section .text
main:
    push ebx
    push esi
    call cpu_init
    call setup_descriptors
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_SET
    mov cr0, eax

    PRINT "popek: ring 0", 10
    sti
    call probe
    cli
    call report
    PRINT "popek: ring 3", 10
    push dword 0
    push probe_user
    call user_call
    add esp, 8
    call report
    xor eax, eax
    pop esi
    pop ebx
    ret

setup_descriptors:
    push dword 0
    push dword ACC_P | ACC_LDT
    push dword ldt_end - ldt - 1
    push dword ldt
    push dword GDT_FIRST_SPARE
    call gdt_set_entry
    add esp, 20
    push dword DESC_FLAGS_G_DB
    push dword ACC_P | ACC_S | ACC_CODE_CONFORM_RX_A
    push dword 0xFFFFF
    push dword 0
    push dword GDT_FIRST_SPARE + 1
    call gdt_set_entry
    add esp, 20
    ; a call gate to SEL_KCODE:0x00100000 (never called), written by hand (§5.8.3, Figure 5-8)
    mov dword [gdt + (GDT_FIRST_SPARE + 2) * 8], SEL_KCODE << 16
    mov dword [gdt + (GDT_FIRST_SPARE + 2) * 8 + 4], 0x0010_0000 | (ACC_P | ACC_DPL3 | ACC_CALLGATE32) << 8
    push dword DESC_FLAGS_DB
    push dword ACC_P | ACC_DPL3 | ACC_S | ACC_DATA_RW_A
    push dword 0xFFF
    push dword 0
    push dword GDT_FIRST_SPARE + 3
    call gdt_set_entry
    add esp, 20
    push dword DESC_FLAGS_G_DB
    push dword ACC_P | 0x40 | ACC_S | ACC_DATA_RW_A   ; DPL 2
    push dword 0xFFFFF
    push dword 0
    push dword GDT_FIRST_SPARE + 4
    call gdt_set_entry
    add esp, 20
    mov ax, SEL_LDT
    lldt ax
    ret

; The probe: only unprivileged instructions, at whatever CPL it is called.
probe:
    pushad
    sgdt [res + R_GDTR]
    sidt [res + R_IDTR]
    mov dword [res + R_LDTR], 0
    sldt [res + R_LDTR]
    mov dword [res + R_TR], 0
    str [res + R_TR]
    mov dword [res + R_MSW], 0
    smsw [res + R_MSW]
    mov eax, cs
    movzx eax, ax
    mov [res + R_CS], eax
    mov eax, ss
    movzx eax, ax
    mov [res + R_SS], eax
    push cs
    pop eax
    movzx eax, ax                       ; a 32-bit push of a segment may leave bits 31:16 alone
    mov [res + R_PUSHCS], eax
    pushfd
    pop eax
    mov [res + R_FL0], eax
    ; try to clear IF and set IOPL 3 with POPF; at ring 3 both are silently ignored
    push eax
    and dword [esp], ~FL_IF
    or dword [esp], FL_IOPL
    popfd
    pushfd
    pop eax
    mov [res + R_FL1], eax
    push dword [res + R_FL0]
    popfd                               ; restore what can be restored
    xor esi, esi
    mov edi, res + R_SEL
.sel:
    movzx ebx, word [selectors + esi * 2]
    mov eax, 0xDEADBEEF
    lar eax, ebx
    setz byte [edi + S_LARZF]
    mov [edi + S_LAR], eax
    mov eax, 0xDEADBEEF
    lsl eax, ebx
    setz byte [edi + S_LSLZF]
    mov [edi + S_LSL], eax
    verr bx
    setz byte [edi + S_VERR]
    verw bx
    setz byte [edi + S_VERW]
    add edi, S_SIZE
    inc esi
    cmp esi, NSEL
    jb .sel
    popad
    ret

probe_user:
    call probe
    int VEC_USER_RETURN

; Prints the results of the last probe.
report:
    PRINT "  sgdt: base "
    PHEX dword [res + R_GDTR + 2]
    PRINT " limit "
    PHEX16 dword [res + R_GDTR]
    PRINT " (the guest's gdt: "
    mov eax, [res + R_GDTR + 2]
    cmp eax, gdt
    call yes_no
    PRINT ")", 10
    PRINT "  sidt: base "
    PHEX dword [res + R_IDTR + 2]
    PRINT " limit "
    PHEX16 dword [res + R_IDTR]
    PRINT " (the guest's idt: "
    mov eax, [res + R_IDTR + 2]
    cmp eax, idt
    call yes_no
    PRINT ")", 10
    PRINT "  sldt: "
    PHEX16 dword [res + R_LDTR]
    PRINT "  str: "
    PHEX16 dword [res + R_TR]
    PRINT "  smsw: "
    PHEX16 dword [res + R_MSW]
    PRINT 10
    PRINT "  cs: "
    PHEX16 dword [res + R_CS]
    PRINT "  ss: "
    PHEX16 dword [res + R_SS]
    PRINT "  push cs: "
    PHEX16 dword [res + R_PUSHCS]
    PRINT "  CPL from cs: "
    mov eax, [res + R_CS]
    and eax, 3
    PDEC eax
    PRINT 10
    PRINT "  pushf: IF="
    mov eax, [res + R_FL0]
    call print_if_iopl
    PRINT "  after popf clearing IF, setting IOPL 3: IF="
    mov eax, [res + R_FL1]
    call print_if_iopl
    PRINT 10
    xor esi, esi
    mov edi, res + R_SEL
.sel:
    PRINT "  selector "
    PHEX16 word [selectors + esi * 2]
    PRINT ": lar "
    cmp byte [edi + S_LARZF], 0
    je .lar_fail
    mov eax, [edi + S_LAR]
    and eax, LAR_DEFINED
    PHEX eax
    jmp .lsl
.lar_fail:
    PRINT "--------"
.lsl:
    PRINT " lsl "
    cmp byte [edi + S_LSLZF], 0
    je .lsl_fail
    PHEX dword [edi + S_LSL]
    jmp .ver
.lsl_fail:
    PRINT "--------"
.ver:
    PRINT " verr "
    movzx eax, byte [edi + S_VERR]
    PDEC eax
    PRINT " verw "
    movzx eax, byte [edi + S_VERW]
    PDEC eax
    PRINT 10
    add edi, S_SIZE
    inc esi
    cmp esi, NSEL
    jb .sel
    ret

; static: prints "yes"/"no" from ZF
yes_no:
    jne .no
    PRINT "yes"
    ret
.no:
    PRINT "no"
    ret

; static: eax = EFLAGS; prints "N IOPL=N"
print_if_iopl:
    push eax
    shr eax, 9
    and eax, 1
    PDEC eax
    PRINT " IOPL="
    mov eax, [esp]
    shr eax, FL_IOPL_SHIFT
    and eax, 3
    PDEC eax
    pop eax
    ret

section .rodata
align 2
selectors:
    dw 0x0000, SEL_KCODE, SEL_KDATA, SEL_UCODE, SEL_UDATA, SEL_TSS, SEL_LDT, SEL_CONFORM
    dw SEL_CALLGATE, SEL_SMALL, SEL_DPL2, SEL_LDT0, 0x0400

section .data
align 8
ldt:
    ; entry 0: data, DPL 3, base 0, limit 0x12345 bytes, 32-bit
    dw 0x2345, 0
    db 0, ACC_P | ACC_DPL3 | ACC_S | ACC_DATA_RW_A, 0x41, 0
    dq 0
ldt_end:

section .bss
alignb 4
res: resb R_SEL + NSEL * S_SIZE
