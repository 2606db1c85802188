; Descriptor tables and interrupt dispatch: the GDT (flat kernel and user segments, a TSS with a
; full I/O bitmap, spare entries for the guests), the IDT with one stub per vector, a common entry
; that builds a frame (guest.inc F_*) and calls the handler registered for the vector, and
; user_call(): run a function at ring 3 until it executes `int VEC_USER_RETURN`.
;
; Faults the guest provokes on purpose: set exc_recover to a resume address before the faulting
; instruction; the default handler then records exc_vector/exc_err/exc_eip/exc_cs/exc_cr2, bumps
; exc_count, clears TF and resumes at exc_recover (in the same ring). Any other exception or
; interrupt without a handler prints its vector, error code and EIP and exits with EXIT_UNEXPECTED.
global cpu_init, gdt, gdt_set_entry, gdt_reload, idt, idt_set_gate, isr_set_handler, isr_handlers
global isr_switch_to, tss, tss_set_esp0, tss_io_allow, tss_io_deny, tss_set_limit
global user_call, user_call_abort, user_eflags, user_stack_top, lib_user_stack, lib_user_stack_top
global exc_expect, exc_vector, exc_err, exc_eip, exc_cs, exc_cr2, exc_count, exc_recover
%include "guest.inc"

extern pvemu_init, pvemu_try

%define TSS_INDEX (SEL_TSS >> 3)
%define TSS_LIMIT (TSS_SIZE + IOBITMAP_BYTES)   ; includes the bitmap's terminating 0xFF byte

section .text
; void cpu_init(void): GDT, TSS, IDT, LDTR = 0, PIC remapped with every line masked; then the
; in-guest PV emulation if asked for.
cpu_init:
    pushad
    mov dword [tss + TSS_ESP0], kernel_stack_top
    mov dword [tss + TSS_SS0], SEL_KDATA
    mov word [tss + TSS_IOMAP_BASE], TSS_SIZE
    mov edi, tss + TSS_SIZE
    mov ecx, IOBITMAP_BYTES + 1
    mov al, 0xFF                        ; every port denied below IOPL; then the terminator
    rep stosb
    push dword 0
    push dword ACC_P | ACC_TSS32_AVAIL
    push dword TSS_LIMIT
    push dword tss
    push dword TSS_INDEX
    call gdt_set_entry
    add esp, 20
    call gdt_reload
    mov ax, SEL_TSS
    ltr ax
    xor eax, eax
    lldt ax
    ; IDT: every vector to its stub through a DPL 0 interrupt gate ...
    xor ebx, ebx
.gate:
    push dword GATE_INT32
    push dword [isr_stub_table + ebx * 4]
    push ebx
    call idt_set_gate
    add esp, 12
    inc ebx
    cmp ebx, 256
    jb .gate
    ; ... except those ring 3 may raise with INT n / INT3 / INTO.
    mov ebx, user_vectors
.user_gate:
    movzx eax, byte [ebx]
    test eax, eax
    jz .gates_done
    push dword GATE_INT32 | GATE_DPL3
    push dword [isr_stub_table + eax * 4]
    push eax
    call idt_set_gate
    add esp, 12
    inc ebx
    jmp .user_gate
.gates_done:
    lidt [idtr]
    call pic_init                       ; IRQs masked and off the exception vectors before any STI
    push dword user_return_handler
    push dword VEC_USER_RETURN
    call isr_set_handler
    add esp, 8
    call pvemu_init
    popad
    ret

; void gdt_reload(void): LGDT, then reload CS and the data segment registers (flat kernel).
gdt_reload:
    push eax
    lgdt [gdtr]
    jmp SEL_KCODE:.cs
.cs:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    pop eax
    ret

; void gdt_set_entry(int index, unsigned base, unsigned limit20, int access, int flags4)
; (§3.4.5 Figure 3-8: limit 15:0 | base 15:0 ; base 23:16 | access | limit 19:16 | flags | base 31:24)
gdt_set_entry:
    push eax
    push ebx
    push ecx
    push edx
    mov ebx, [esp + 20]
    lea ebx, [gdt + ebx * 8]
    mov ecx, [esp + 24]                 ; base
    mov edx, [esp + 28]                 ; limit
    mov eax, ecx
    shl eax, 16
    mov ax, dx
    mov [ebx], eax
    mov eax, ecx
    shr eax, 16
    and eax, 0xFF                       ; base 23:16
    and ecx, 0xFF000000                 ; base 31:24
    or eax, ecx
    and edx, 0x000F0000                 ; limit 19:16
    or eax, edx
    mov ecx, [esp + 32]                 ; access byte
    shl ecx, 8
    or eax, ecx
    mov ecx, [esp + 36]                 ; flags nibble
    shl ecx, 20
    or eax, ecx
    mov [ebx + 4], eax
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

; void idt_set_gate(int vector, void *handler, int type_attr)  (§6.11 Figure 6-2)
idt_set_gate:
    push eax
    push ebx
    push ecx
    mov ebx, [esp + 16]
    lea ebx, [idt + ebx * 8]
    mov eax, [esp + 20]
    mov ecx, eax
    and eax, 0xFFFF
    or eax, SEL_KCODE << 16
    mov [ebx], eax
    and ecx, 0xFFFF0000
    mov eax, [esp + 24]
    shl eax, 8
    or ecx, eax
    mov [ebx + 4], ecx
    pop ecx
    pop ebx
    pop eax
    ret

; void isr_set_handler(int vector, void (*handler)(struct frame *))
isr_set_handler:
    push eax
    push ecx
    mov eax, [esp + 12]
    mov ecx, [esp + 16]
    mov [isr_handlers + eax * 4], ecx
    pop ecx
    pop eax
    ret

; void tss_set_esp0(unsigned esp0)
tss_set_esp0:
    push eax
    mov eax, [esp + 8]
    mov [tss + TSS_ESP0], eax
    pop eax
    ret

; void tss_io_allow(int port, int count) / tss_io_deny(int port, int count): I/O bitmap bits.
tss_io_allow:
    push eax
    push ecx
    mov eax, [esp + 12]
    mov ecx, [esp + 16]
.a: btr [tss + TSS_SIZE], eax
    inc eax
    dec ecx
    jnz .a
    pop ecx
    pop eax
    ret

tss_io_deny:
    push eax
    push ecx
    mov eax, [esp + 12]
    mov ecx, [esp + 16]
.d: bts [tss + TSS_SIZE], eax
    inc eax
    dec ecx
    jnz .d
    pop ecx
    pop eax
    ret

; void tss_set_limit(unsigned limit): rewrites the TSS descriptor with a new limit and reloads TR
; (the processor uses the limit cached by LTR; the busy type is cleared first so LTR accepts it).
tss_set_limit:
    push dword 0
    push dword ACC_P | ACC_TSS32_AVAIL
    push dword [esp + 12]
    push dword tss
    push dword TSS_INDEX
    call gdt_set_entry
    add esp, 20
    push eax
    mov ax, SEL_TSS
    ltr ax
    pop eax
    ret

; ---------------------------------------------------------------------------------------------
; Interrupt entry. Each stub pushes a zero error code when the processor does not push one
; (§6.13, Table 6-1 "Error Code" column), then the vector.
%macro ISR_STUB 1
isr_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21
    push dword %1
%else
    push dword 0
    push dword %1
%endif
    jmp isr_common
%endmacro

%assign v 0
%rep 256
    ISR_STUB v
%assign v v + 1
%endrep

isr_common:
    pushad
    push ds
    push es
    push fs
    push gs
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    cld
    mov ebx, esp
    mov eax, [ebx + F_VECTOR]
    cmp eax, VEC_UD
    jne .dispatch
    push ebx
    call pvemu_try                      ; a VMCALL under `pvemu`: emulated, nothing else to do
    add esp, 4
    test eax, eax
    jnz .return
    mov eax, [ebx + F_VECTOR]
.dispatch:
    mov eax, [isr_handlers + eax * 4]
    test eax, eax
    jnz .call
    mov eax, default_handler
.call:
    push ebx
    call eax
    add esp, 4
.return:
    ; A handler may ask to resume another context (a scheduler switching tasks).
    mov eax, [isr_switch_to]
    test eax, eax
    jz .pop
    mov dword [isr_switch_to], 0
    mov esp, eax
.pop:
    pop gs
    pop fs
    pop es
    pop ds
    popad
    add esp, 8
    iretd

; void default_handler(struct frame *f): the expected-fault mechanism, else report and exit.
default_handler:
    push ebx
    mov ebx, [esp + 8]
    mov eax, [exc_recover]
    test eax, eax
    jz .unexpected
    mov dword [exc_recover], 0
    xchg eax, [ebx + F_EIP]
    mov [exc_eip], eax
    and dword [ebx + F_EFLAGS], ~FL_TF
    mov eax, [ebx + F_VECTOR]
    mov [exc_vector], eax
    mov eax, [ebx + F_ERR]
    mov [exc_err], eax
    mov eax, [ebx + F_CS]
    mov [exc_cs], eax
    mov eax, cr2
    mov [exc_cr2], eax
    inc dword [exc_count]
    pop ebx
    ret
.unexpected:
    PRINT "unexpected "
    mov eax, [ebx + F_VECTOR]
    cmp eax, 32
    jae .irq
    PRINT "exception "
    jmp .what
.irq:
    PRINT "interrupt "
.what:
    PHEX8 eax
    PRINT " err="
    PHEX dword [ebx + F_ERR]
    PRINT " eip="
    PHEX dword [ebx + F_EIP]
    PRINT " cs="
    PHEX16 dword [ebx + F_CS]
    cmp dword [ebx + F_VECTOR], VEC_PF
    jne .nl
    PRINT " cr2="
    mov eax, cr2
    PHEX eax
.nl:
    PRINT 10
    EXIT EXIT_UNEXPECTED

; ---------------------------------------------------------------------------------------------
; unsigned user_call(void (*fn)(void), unsigned arg): runs fn at ring 3 (CS=SEL_UCODE, SS=DS=ES=
; SEL_UDATA, ESP=user_stack_top, EFLAGS=user_eflags, EAX=arg) until it executes
; `int VEC_USER_RETURN`; returns its EAX. Interrupts from ring 3 land on the current kernel stack.
user_call:
    pushfd
    push ebp
    push ebx
    push esi
    push edi
    push dword [tss + TSS_ESP0]
    mov [uc_saved_esp], esp
    mov [tss + TSS_ESP0], esp
    mov eax, [esp + 28]                 ; fn
    mov edx, [esp + 32]                 ; arg
    push dword SEL_UDATA
    push dword [user_stack_top]
    push dword [user_eflags]
    push dword SEL_UCODE
    push eax
    mov cx, SEL_UDATA
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    mov eax, edx
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    iretd

; void user_return_handler(struct frame *f): `int VEC_USER_RETURN` from ring 3.
user_return_handler:
    mov eax, [esp + 4]
    mov eax, [eax + F_EAX]
    jmp user_call_finish

; void user_call_abort(unsigned result): from a handler of an interrupt taken during user_call(),
; abandons the ring-3 code and makes user_call() return `result`.
user_call_abort:
    mov eax, [esp + 4]
user_call_finish:
    mov esp, [uc_saved_esp]
    mov cx, SEL_KDATA
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    pop dword [tss + TSS_ESP0]
    pop edi
    pop esi
    pop ebx
    pop ebp
    popfd
    ret

; void exc_expect(void *resume): same as storing to exc_recover (for C callers).
exc_expect:
    push eax
    mov eax, [esp + 8]
    mov [exc_recover], eax
    pop eax
    ret

section .rodata
align 4
isr_stub_table:
%assign v 0
%rep 256
    dd isr_stub_ %+ v
%assign v v + 1
%endrep
user_vectors: db VEC_BP, VEC_OF, VEC_SYSCALL, VEC_USER_RETURN, 0

section .data
align 8
gdt:
    dq 0
    ; 0x08 kernel code, 0x10 kernel data, 0x18 user code, 0x20 user data: base 0, 4 GiB, 32-bit
    dw 0xFFFF, 0
    db 0, ACC_P | ACC_S | ACC_CODE_RX_A, 0xCF, 0
    dw 0xFFFF, 0
    db 0, ACC_P | ACC_S | ACC_DATA_RW_A, 0xCF, 0
    dw 0xFFFF, 0
    db 0, ACC_P | ACC_DPL3 | ACC_S | ACC_CODE_RX_A, 0xCF, 0
    dw 0xFFFF, 0
    db 0, ACC_P | ACC_DPL3 | ACC_S | ACC_DATA_RW_A, 0xCF, 0
    dq 0                                ; 0x28 TSS, filled by cpu_init
    times GDT_ENTRIES - GDT_FIRST_SPARE dq 0
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt
idtr:
    dw 256 * 8 - 1
    dd idt
user_eflags:    dd FL_RSVD1 | FL_IF
user_stack_top: dd lib_user_stack_top

section .bss
alignb 8
idt:            resq 256
isr_handlers:   resd 256
isr_switch_to:  resd 1
uc_saved_esp:   resd 1
exc_recover:    resd 1
exc_vector:     resd 1
exc_err:        resd 1
exc_eip:        resd 1
exc_cs:         resd 1
exc_cr2:        resd 1
exc_count:      resd 1
alignb 16
tss:            resb TSS_SIZE + IOBITMAP_BYTES + 1

section .bss.ustack nobits alloc write align=4096
lib_user_stack:     resb 8192
lib_user_stack_top:
