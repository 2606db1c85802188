; Reporting faults provoked on purpose (see the FAULT_* macros in guest.inc): one line with the
; exception's mnemonic, error code, where EIP pointed (the faulting instruction, the next one, or
; an address) and the CPL it was raised at; CR2 for #PF.
global fault_report
%include "guest.inc"

section .text
; void fault_report(void *fault_insn, void *next_insn)
fault_report:
    push eax
    push ebx
    mov dword [exc_recover], 0          ; consumed or not, this case is over
    mov eax, [exc_vector]
    cmp eax, -1
    jne .got
    PRINT "no exception", 10
    jmp .out
.got:
    cmp eax, 32
    jae .num
    lea ebx, [names + eax * 4]
    push ebx
    call puts
    add esp, 4
    jmp .err
.num:
    PRINT "vector "
    PHEX8 eax
.err:
    PRINT " err="
    PHEX dword [exc_err]
    cmp dword [exc_vector], VEC_DF
    je .cpl                             ; §6.15 "Interrupt 8": saved CS:EIP are undefined
    PRINT " eip="
    mov eax, [exc_eip]
    cmp eax, [esp + 12]
    jne .not_fault
    PRINT "fault"
    jmp .cpl
.not_fault:
    cmp eax, [esp + 16]
    jne .hex
    PRINT "next"
    jmp .cpl
.hex:
    PHEX eax
.cpl:
    PRINT " cpl="
    mov eax, [exc_cs]
    and eax, 3
    PDEC eax
    cmp dword [exc_vector], VEC_PF
    jne .nl
    PRINT " cr2="
    PHEX dword [exc_cr2]
.nl:
    PRINT 10
.out:
    pop ebx
    pop eax
    ret

section .rodata
align 4
names:
    db "#DE", 0, "#DB", 0, "NMI", 0, "#BP", 0, "#OF", 0, "#BR", 0, "#UD", 0, "#NM", 0
    db "#DF", 0, "#09", 0, "#TS", 0, "#NP", 0, "#SS", 0, "#GP", 0, "#PF", 0, "#15", 0
    db "#MF", 0, "#AC", 0, "#MC", 0, "#XM", 0, "#VE", 0, "#CP", 0, "#22", 0, "#23", 0
    db "#24", 0, "#25", 0, "#26", 0, "#27", 0, "#28", 0, "#29", 0, "#30", 0, "#31", 0
