; The interrupt controller, the timer and idling, each with its hardware and PV path:
; EOI by port I/O or the EOI hypercall, a periodic PIT or a re-armed one-shot SET_TIMER, and
; STI;HLT or the BLOCK hypercall.
global pic_init, pic_unmask, pic_mask, irq_eoi, pit_periodic, timer_start, timer_rearm, timer_stop
global cpu_idle, timer_period_us
%include "guest.inc"

section .text
; void pic_init(void): remaps the master to VEC_IRQ0 and the slave to VEC_IRQ0+8, all lines masked
; but the cascade (8259A ICW1-ICW4 sequence).
pic_init:
    push eax
    mov al, PIC_ICW1_INIT_ICW4
    out PIC1_CMD, al
    out PIC2_CMD, al
    mov al, VEC_IRQ0
    out PIC1_DATA, al
    mov al, VEC_IRQ0 + 8
    out PIC2_DATA, al
    mov al, 1 << PIC_CASCADE_IRQ        ; master: slave on IR2
    out PIC1_DATA, al
    mov al, PIC_CASCADE_IRQ             ; slave: its cascade identity
    out PIC2_DATA, al
    mov al, PIC_ICW4_8086
    out PIC1_DATA, al
    out PIC2_DATA, al
    mov al, ~(1 << PIC_CASCADE_IRQ) & 0xFF
    out PIC1_DATA, al
    mov al, 0xFF
    out PIC2_DATA, al
    pop eax
    ret

; void pic_unmask(int irq) / pic_mask(int irq)
pic_unmask:
    push eax
    push ecx
    push edx
    mov ecx, [esp + 16]
    call imr_port
    in al, dx
    btr eax, ecx
    out dx, al
    pop edx
    pop ecx
    pop eax
    ret

pic_mask:
    push eax
    push ecx
    push edx
    mov ecx, [esp + 16]
    call imr_port
    in al, dx
    bts eax, ecx
    out dx, al
    pop edx
    pop ecx
    pop eax
    ret

; static: ecx = irq -> dx = its PIC's mask register, ecx = line on that PIC
imr_port:
    mov dx, PIC1_DATA
    cmp ecx, 8
    jb .m
    mov dx, PIC2_DATA
    sub ecx, 8
.m:
    ret

; void irq_eoi(int irq): non-specific EOI (to the slave first for IRQ 8-15).
irq_eoi:
    push eax
    test dword [pv_features], PV_F_EOI
    jnz .pv
    mov al, PIC_OCW2_EOI
    cmp dword [esp + 8], 8
    jb .master
    out PIC2_CMD, al
.master:
    out PIC1_CMD, al
    pop eax
    ret
.pv:
    push dword 0
    push dword 0
    push dword 0
    push dword [esp + 20]
    push dword HC_EOI
    call hypercall
    add esp, 20
    pop eax
    ret

; void pit_periodic(unsigned divisor): channel 0, rate generator (mode 2).
pit_periodic:
    push eax
    mov al, PIT_CH0_LOHI_MODE2
    out PIT_CMD, al
    mov eax, [esp + 8]
    out PIT_CH0, al
    mov al, ah
    out PIT_CH0, al
    pop eax
    ret

; void timer_start(unsigned hz): IRQ 0 `hz` times a second: the PIT, or SET_TIMER re-armed by
; timer_rearm() in the IRQ 0 handler (which every timer handler must call, before irq_eoi).
timer_start:
    push eax
    push edx
    push ecx
    mov ecx, [esp + 16]
    xor edx, edx
    mov eax, 1000000
    div ecx
    mov [timer_period_us], eax
    test dword [pv_features], PV_F_TIMER
    jnz .pv
    xor edx, edx
    mov eax, PIT_HZ
    div ecx
    push eax
    call pit_periodic
    add esp, 4
    jmp .out
.pv:
    call timer_rearm
.out:
    pop ecx
    pop edx
    pop eax
    ret

; void timer_rearm(void): the next one-shot (PV); nothing for the periodic PIT, nor after
; timer_stop().
timer_rearm:
    test dword [pv_features], PV_F_TIMER
    jz .out
    cmp dword [timer_period_us], 0
    je .out
    push eax
    push dword 0
    push dword 0
    push dword 0
    push dword [timer_period_us]
    push dword HC_SET_TIMER
    call hypercall
    add esp, 20
    pop eax
.out:
    ret

; void timer_stop(void): no more IRQ 0 from the timer (PIT: a mode 0 control word without a
; count stops the counter, 8254 datasheet "Mode 0").
timer_stop:
    push eax
    mov dword [timer_period_us], 0
    test dword [pv_features], PV_F_TIMER
    jnz .pv
    mov al, PIT_CH0_LOHI_MODE0
    out PIT_CMD, al
    pop eax
    ret
.pv:
    push dword 0
    push dword 0
    push dword 0
    push dword 0
    push dword HC_SET_TIMER
    call hypercall
    add esp, 20
    pop eax
    ret

; void cpu_idle(void): waits for the next interrupt and lets it be taken; returns with IF=1.
; Call with IF=0 after checking there is nothing to do: STI's one-instruction shadow (§6.8.3)
; makes STI;HLT atomic, so a wake-up cannot slip in between the check and the HLT.
cpu_idle:
    test dword [pv_features], PV_F_BLOCK
    jnz .pv
    sti
    hlt
    ret
.pv:
    push eax
    push dword 0
    push dword 0
    push dword 0
    push dword 0
    push dword HC_BLOCK
    call hypercall
    add esp, 20
    pop eax
    ret

section .bss
timer_period_us: resd 1
