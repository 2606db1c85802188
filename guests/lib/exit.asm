; Ending the guest: flush the console, then SHUTDOWN (PV) or the debug-exit port (hardware).
global exit
%include "guest.inc"

section .text
; void exit(int code) — never returns.
exit:
    cli
    mov ebx, [esp + 4]
    call console_flush
    test dword [pv_features], PV_F_SHUTDOWN
    jz .port
    push dword 0
    push dword 0
    push dword 0
    push ebx
    push dword HC_SHUTDOWN
    call hypercall
    add esp, 20
.port:
    mov eax, ebx
    out DEBUG_EXIT_PORT, al
.stop:
    ; Without a debug-exit device there is nothing left to do but stop.
    hlt
    jmp .stop
