; exceptions: provokes the IA-32 exceptions one by one and prints, for each, the vector, error
; code, where the saved EIP points (the faulting instruction for faults, the next one for traps)
; and the CPL it was raised at. Covers #DE #DB (TF and INT1) #BP #OF #BR #UD #NP #SS #GP #AC #DF;
; #PF is in the `paging` guest. No cmdline options.
; QEMU (TCG) does not check data segment limits, null selectors, writes through CS, alignment or
; ICEBP: test/guests/catalog.ts lists those lines and the SDM's outcome that the golden file holds.
global main
%include "guest.inc"

%define SEL_NOT_PRESENT  (GDT_FIRST_SPARE * 8)          ; a data segment with P=0
%define SEL_SMALL        ((GDT_FIRST_SPARE + 1) * 8)    ; data, byte granular, limit 0xFFF
%define SEL_STACK16M     ((GDT_FIRST_SPARE + 2) * 8)    ; data, limit 16 MiB - 1
%define SEL_CODE_ONLY    ((GDT_FIRST_SPARE + 3) * 8)    ; execute-only code
%define SEL_BEYOND_GDT   (GDT_ENTRIES * 8 + 0x100)
%define DR6_REPORTED     0x400F                         ; BS and B0-B3 (§17.2.3)

section .text
main:
    call cpu_init
    push dword 0
    push dword DESC_FLAGS_G_DB
    push dword ACC_S | ACC_DATA_RW_A                    ; P=0
    push dword 0xFFFFF
    push dword 0
    push dword GDT_FIRST_SPARE
    call gdt_set_entry
    add esp, 24
    push dword DESC_FLAGS_DB
    push dword ACC_P | ACC_S | ACC_DATA_RW_A
    push dword 0xFFF
    push dword 0
    push dword GDT_FIRST_SPARE + 1
    call gdt_set_entry
    add esp, 20
    push dword DESC_FLAGS_G_DB
    push dword ACC_P | ACC_S | ACC_DATA_RW_A
    push dword 0xFFF
    push dword 0
    push dword GDT_FIRST_SPARE + 2
    call gdt_set_entry
    add esp, 20
    push dword DESC_FLAGS_G_DB
    push dword ACC_P | ACC_S | 0x09                     ; execute-only, accessed
    push dword 0xFFFFF
    push dword 0
    push dword GDT_FIRST_SPARE + 3
    call gdt_set_entry
    add esp, 20

    PRINT "exceptions: ring 0", 10
    ; ---- #DE ----
    FAULT_BEGIN "div by zero"
    xor ecx, ecx
    mov eax, 1
    xor edx, edx
FAULT_AT
    div ecx
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "idiv overflow"
    mov eax, 0x80000000
    mov edx, 0xFFFFFFFF
    mov ecx, -1
FAULT_AT
    idiv ecx
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "div8 quotient too big"
    mov ax, 0x1000
    mov cl, 2
FAULT_AT
    div cl
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "div16 fits"
    mov ax, 0x1000
    xor dx, dx
    mov cx, 2
FAULT_AT
    div cx
FAULT_NEXT
    FAULT_END

    ; ---- #DB ----
    FAULT_BEGIN "int 1"
FAULT_AT
    int 1
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "icebp (f1)"
FAULT_AT
    db 0xF1
FAULT_NEXT
    FAULT_END

    xor eax, eax
    mov dr6, eax
    FAULT_BEGIN "single step (TF set by popf)"
    pushfd
    or dword [esp], FL_TF
    popfd
FAULT_AT                                ; TF takes effect after the instruction following POPF
    mov eax, 1
FAULT_NEXT
    nop
    FAULT_END
    PRINT "  dr6 bs/b0-3: "
    mov eax, dr6
    and eax, DR6_REPORTED
    PHEX16 eax
    PRINT 10

    ; ---- #BP, #OF, #BR ----
    FAULT_BEGIN "int3"
FAULT_AT
    int3
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "int 3 (cd 03)"
FAULT_AT
    db 0xCD, 0x03
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "into with OF=1"
    mov al, 0x7F
    add al, 1
FAULT_AT
    into
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "into with OF=0"
    xor eax, eax
FAULT_AT
    into
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "bound out of range"
    mov eax, 200
FAULT_AT
    bound eax, [bounds]
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "bound in range"
    mov eax, 100
FAULT_AT
    bound eax, [bounds]
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "bound16 below"
    mov ax, -5
FAULT_AT
    bound ax, [bounds16]
FAULT_NEXT
    FAULT_END

    ; ---- #UD ----
    FAULT_BEGIN "ud2"
FAULT_AT
    ud2
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "lock on a register add"
FAULT_AT
    db 0xF0, 0x01, 0xD8                 ; lock add eax, ebx
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "mov cs, ax"
FAULT_AT
    db 0x8E, 0xC8
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "lock cmpxchg8b with a register operand"
FAULT_AT
    db 0xF0, 0x0F, 0xC7, 0xC8
FAULT_NEXT
    FAULT_END

    ; ---- #NP, #SS ----
    FAULT_BEGIN "mov ds, not-present segment"
    mov ax, SEL_NOT_PRESENT
FAULT_AT
    mov ds, ax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "mov ss, not-present segment"
    mov ax, SEL_NOT_PRESENT
FAULT_AT
    mov ss, ax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "stack segment limit (ebp-based access)"
    mov ax, SEL_STACK16M
    mov ss, ax
    mov ebp, 0x02000000
FAULT_AT
    mov eax, [ebp]
FAULT_NEXT
    FAULT_END
    mov ax, SEL_KDATA
    mov ss, ax

    ; ---- #GP ----
    FAULT_BEGIN "mov ds, selector beyond the GDT limit"
    mov ax, SEL_BEYOND_GDT
FAULT_AT
    mov ds, ax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "mov ds, TSS selector"
    mov ax, SEL_TSS
FAULT_AT
    mov ds, ax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "mov ds, execute-only code"
    mov ax, SEL_CODE_ONLY
FAULT_AT
    mov ds, ax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "mov ds, kernel data with RPL 3"
    mov ax, SEL_KDATA | SEL_RPL3
FAULT_AT
    mov ds, ax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "mov ss, code segment"
    mov ax, SEL_KCODE
FAULT_AT
    mov ss, ax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "mov ss, null selector"
    xor eax, eax
FAULT_AT
    mov ss, ax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "far jmp to a data segment"
FAULT_AT
    jmp SEL_KDATA:0
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "access beyond the es limit"
    mov ax, SEL_SMALL
    mov es, ax
FAULT_AT
    mov eax, [es:0x1FFE]
FAULT_NEXT
    FAULT_END
    FAULT_BEGIN "access at the es limit"
    mov ax, SEL_SMALL
    mov es, ax
FAULT_AT
    mov al, [es:0xFFF]
FAULT_NEXT
    FAULT_END
    FAULT_BEGIN "dword straddling the es limit"
    mov ax, SEL_SMALL
    mov es, ax
FAULT_AT
    mov eax, [es:0xFFD]
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "write through cs"
FAULT_AT
    mov [cs:scratch], eax
FAULT_NEXT
    FAULT_END

    FAULT_BEGIN "null ds, then a load"
    xor eax, eax
    mov ds, ax
    mov eax, [ss:scratch]               ; through ss: fine
FAULT_AT
    mov eax, [scratch]                  ; through the null ds: #GP(0)
FAULT_NEXT
    FAULT_END

    ; ---- #DF: #DE whose gate is not present raises #NP while delivering, which becomes #DF ----
    and byte [idt + VEC_DE * 8 + 5], 0x7F
    FAULT_BEGIN "div by zero with vector 0 not present"
    xor ecx, ecx
    xor edx, edx
FAULT_AT
    div ecx
FAULT_NEXT
    FAULT_END
    or byte [idt + VEC_DE * 8 + 5], 0x80

    PRINT "exceptions: ring 3", 10
    UFAULT_BEGIN "cli"
FAULT_AT
    cli
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "hlt"
FAULT_AT
    hlt
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "mov eax, cr0"
FAULT_AT
    mov eax, cr0
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "lgdt"
FAULT_AT
    lgdt [gdt_image]
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "in al, 0x80 with IOPL 0"
FAULT_AT
    in al, 0x80
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "int 0x20 (DPL 0 gate)"
FAULT_AT
    int 0x20
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "int 1 (DPL 0 gate)"
FAULT_AT
    int 1
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "int3 (DPL 3 gate)"
FAULT_AT
    int3
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "mov ds, kernel data"
    mov ax, SEL_KDATA
FAULT_AT
    mov ds, ax
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "ud2"
FAULT_AT
    ud2
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "div by zero"
    xor ecx, ecx
FAULT_AT
    div ecx
FAULT_NEXT
    UFAULT_END

    ; ---- #AC: only at CPL 3, with CR0.AM and EFLAGS.AC (§6.15 "Interrupt 17") ----
    mov eax, cr0
    or eax, CR0_AM
    mov cr0, eax
    FAULT_BEGIN "misaligned load at ring 0 with AM and AC"
    pushfd
    or dword [esp], FL_AC
    popfd
FAULT_AT
    mov eax, [scratch + 1]
FAULT_NEXT
    pushfd
    and dword [esp], ~FL_AC
    popfd
    FAULT_END

    or dword [user_eflags], FL_AC
    UFAULT_BEGIN "misaligned dword load"
FAULT_AT
    mov eax, [scratch + 1]
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "misaligned word store"
FAULT_AT
    mov [scratch + 3], ax
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "aligned dword load"
FAULT_AT
    mov eax, [scratch + 4]
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "misaligned byte load"
FAULT_AT
    mov al, [scratch + 1]
FAULT_NEXT
    UFAULT_END

    UFAULT_BEGIN "push with a misaligned esp"
    sub esp, 2
FAULT_AT
    push eax
FAULT_NEXT
    UFAULT_END
    and dword [user_eflags], ~FL_AC

    mov eax, cr0
    and eax, ~CR0_AM
    mov cr0, eax
    UFAULT_BEGIN "misaligned dword load, AC set, AM clear"
    pushfd
    or dword [esp], FL_AC
    popfd
FAULT_AT
    mov eax, [scratch + 1]
FAULT_NEXT
    UFAULT_END

    PRINT "exceptions: done", 10
    xor eax, eax
    ret

section .data
align 8
bounds:     dd 0, 150
bounds16:   dw 0, 10
scratch:    dd 0, 0
gdt_image:  dw 0, 0, 0
