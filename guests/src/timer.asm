; timer: external interrupts. The PIC remapped to vector 0x20, the PIT in mode 2 (or the PV
; one-shot timer) at 1000 Hz, waiting with HLT for N ticks and printing every tenth; the PIC's
; in-service register inside the handler; the EIP an interrupt during HLT returns to; no delivery
; while the line is masked or IF=0; the PIT in mode 3; and the UART's transmitter-empty interrupt
; on IRQ 4. Prints tick counts only at fixed points, never anything that depends on speed.
; cmdline: ticks=N (default 50).
global main
%include "guest.inc"

%define HZ 1000
%define SPIN 200000                     ; a busy loop many timer periods long on any machine

section .text
main:
    push ebx
    push esi
    call cpu_init
    push tick_handler
    push dword VEC_IRQ0 + IRQ_PIT
    call isr_set_handler
    add esp, 8
    push uart_handler
    push dword VEC_IRQ0 + IRQ_COM1
    call isr_set_handler
    add esp, 8
    CMDLINE_U32 "ticks", 50
    mov ebx, eax

    push dword HZ
    call timer_start
    add esp, 4
    push dword IRQ_PIT
    call pic_unmask
    add esp, 4

    ; An interrupt that ends HLT returns to the instruction after it (STI shadows the HLT).
    sti
    hlt
.after_hlt:
    cli
    PRINT "hlt: the interrupt returned to "
    cmp dword [last_eip], .after_hlt
    jne .elsewhere
    PRINT "the instruction after hlt", 10
    jmp .isr
.elsewhere:
    PHEX dword [last_eip]
    PRINT 10
.isr:
    PRINT "pic isr in the handler: "
    PHEX8 dword [isr_seen]
    PRINT ", vector "
    PHEX8 dword [vector_seen]
    PRINT 10

    ; Wait for N ticks; report every tenth (all of them, even if several pass during one wait).
    mov esi, 10
.wait:
    cmp [ticks], ebx
    jae .report
    call cpu_idle
    cli
.report:
    cmp esi, ebx
    ja .waited
    cmp [ticks], esi
    jb .wait
    PRINT "tick "
    PDEC esi
    PRINT 10
    add esi, 10
    jmp .report
.waited:
    cmp [ticks], ebx
    jb .wait
    PDEC ebx
    PRINT " ticks", 10

    ; Masked line, then IF=0: no delivery however long we spin.
    push dword IRQ_PIT
    call pic_mask
    add esp, 4
    mov esi, [ticks]
    sti
    call spin
    cli
    PRINT "irq 0 masked: "
    call same_ticks
    push dword IRQ_PIT
    call pic_unmask
    add esp, 4
    sti
    call cpu_idle                       ; the tick latched while masked, or the next one
    cli
    mov esi, [ticks]
    call spin
    PRINT "interrupts disabled: "
    call same_ticks

    ; Mode 3 (square wave): interrupts on each rising edge, same rate.
    call timer_stop
    mov al, PIT_CH0_LOHI_MODE3
    out PIT_CMD, al
    mov eax, PIT_HZ / HZ
    out PIT_CH0, al
    mov al, ah
    out PIT_CH0, al
    mov esi, [ticks]
    add esi, 20
.mode3:
    cmp [ticks], esi
    jae .mode3_done
    call cpu_idle
    cli
    jmp .mode3
.mode3_done:
    PRINT "pit mode 3: 20 more ticks", 10
    push dword IRQ_PIT
    call pic_mask
    add esp, 4
    mov al, PIT_CH0_LOHI_MODE0          ; stop the counter
    out PIT_CMD, al

    ; The UART raises IRQ 4 as soon as its transmitter-empty interrupt is enabled. On a PC the
    ; line only reaches the PIC while MCR.OUT2 is set (QEMU does not gate it; real boards do).
    push dword IRQ_COM1
    call pic_unmask
    add esp, 4
    mov dx, COM1 + UART_MCR
    mov al, UART_MCR_DTR_RTS | UART_MCR_OUT2
    out dx, al
    mov dx, COM1 + UART_IER
    mov al, UART_IER_THRI
    out dx, al
.uart:
    cmp dword [uart_irqs], 0
    jne .uart_done
    call cpu_idle
    cli
    jmp .uart
.uart_done:
    PRINT "uart irq 4: iir id "
    PHEX8 dword [iir_seen]
    PRINT 10
    xor eax, eax
    pop esi
    pop ebx
    ret

; static: a busy loop with no I/O
spin:
    push ecx
    mov ecx, SPIN
.l:
    dec ecx
    jnz .l
    pop ecx
    ret

; static: prints whether [ticks] still equals esi
same_ticks:
    cmp [ticks], esi
    jne .moved
    PRINT "no interrupt", 10
    ret
.moved:
    PRINT "interrupted!", 10
    ret

; void tick_handler(struct frame *f)
tick_handler:
    mov eax, [esp + 4]
    mov ecx, [eax + F_EIP]
    mov [last_eip], ecx
    mov ecx, [eax + F_VECTOR]
    mov [vector_seen], ecx
    inc dword [ticks]
    mov al, PIC_OCW3_READ_ISR
    out PIC1_CMD, al
    in al, PIC1_CMD
    movzx eax, al
    mov [isr_seen], eax
    mov al, PIC_OCW3_READ_IRR           ; back to the default read-out
    out PIC1_CMD, al
    call timer_rearm
    push dword IRQ_PIT
    call irq_eoi
    add esp, 4
    ret

; void uart_handler(struct frame *f): identifies the interrupt, then disables it.
uart_handler:
    mov dx, COM1 + UART_IIR
    in al, dx
    and eax, UART_IIR_ID
    mov [iir_seen], eax
    mov dx, COM1 + UART_IER
    xor al, al
    out dx, al
    inc dword [uart_irqs]
    push dword IRQ_COM1
    call irq_eoi
    add esp, 4
    ret

section .bss
ticks:          resd 1
last_eip:       resd 1
vector_seen:    resd 1
isr_seen:       resd 1
iir_seen:       resd 1
uart_irqs:      resd 1
