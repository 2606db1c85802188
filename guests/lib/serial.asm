; The 16550 UART on COM1, driven by polling: the hardware console path.
global serial_init, uart_putc
%include "guest.inc"

section .text
; void serial_init(void): 115200 8N1, FIFOs on, no UART interrupts.
serial_init:
    push eax
    push edx
    mov dx, COM1 + UART_IER
    xor al, al
    out dx, al
    mov dx, COM1 + UART_LCR
    mov al, UART_LCR_DLAB
    out dx, al
    mov dx, COM1 + UART_DLL
    mov al, 1                           ; divisor 1: 115200 baud
    out dx, al
    mov dx, COM1 + UART_DLM
    xor al, al
    out dx, al
    mov dx, COM1 + UART_LCR
    mov al, UART_LCR_8N1
    out dx, al
    mov dx, COM1 + UART_FCR
    mov al, UART_FCR_ENABLE_CLR
    out dx, al
    mov dx, COM1 + UART_MCR
    mov al, UART_MCR_DTR_RTS
    out dx, al
    pop edx
    pop eax
    ret

; void uart_putc(int c): waits for the transmit holding register, then writes the byte.
uart_putc:
    push eax
    push edx
    mov dx, COM1 + UART_LSR
.wait:
    in al, dx
    test al, UART_LSR_THRE
    jz .wait
    mov eax, [esp + 12]
    mov dx, COM1 + UART_THR
    out dx, al
    pop edx
    pop eax
    ret
