; pv-abi: the hypercall ABI under hostile and ordinary arguments (docs/hypercalls.md). Prints each
; call and its result: unknown numbers, CONSOLE_WRITE with bad lengths and unmapped, straddling,
; null and wrapping buffers, MMU_UPDATE with bad counts, an unreadable array, frames and entries
; outside the VM, a bad sub-command, a batch that stops half way, NEW_CR3 and INVLPG, SET_TIMER +
; BLOCK, EOI, registers preserved, and a call from ring 3. Needs the PV interface: under a PV
; hypervisor it uses the real one; the catalog runs it with `pvemu`, so on QEMU, native and non-PV
; modes the in-guest reference emulation answers, and the golden file is the ABI's reference
; behaviour. Addresses used as "outside the VM" are far above any VM's RAM (0xF0000000).
; cmdline: pvemu (to run without a PV hypervisor).
global main
%include "guest.inc"

%define VA_BUF      0x40000000          ; mapped (supervisor, writable)
%define VA_HOLE     0x40001000          ; not mapped
%define OUTSIDE     0xF0000000
%define PDE_OUTSIDE 0xFFC00000

; HC nr, a1, a2, a3, a4 -> eax
%macro HC 5
    push dword %5
    push dword %4
    push dword %3
    push dword %2
    push dword %1
    call hypercall
    add esp, 20
%endmacro
; SHOW "title" : prints "title: <eax signed>"
%macro SHOW 1
    push eax
    PRINT %1, ": "
    call put_sdec
    add esp, 4
    PRINT 10
%endmacro

section .text
main:
    push ebx
    push esi
    push edi
    push ebp
    call cpu_init
    cmp dword [pv_features], PV_F_ALL
    je .have_pv
    PRINT "pv-abi: the PV interface is missing (use --pv, or pvemu on the command line)", 10
    mov eax, EXIT_FAIL
    jmp .out
.have_pv:
    push dword CR0_WP
    call kernel_space
    add esp, 4
    mov [kpd], eax
    call page_alloc
    or eax, PTE_P | PTE_RW
    push eax
    push dword VA_BUF
    push dword [kpd]
    call pg_map
    add esp, 12
    call mmu_flush
    mov dword [VA_BUF + 0xFFC], 0x0A6F6F62  ; "boo\n" at the end of the page
    push dword VA_HOLE
    push dword [kpd]
    call pg_pte_ptr
    add esp, 8
    mov [hole_pte], eax                 ; the page table exists (VA_BUF is in it), the PTE is 0
    PRINT "pv-abi: features "
    PHEX8 dword [pv_features]
    PRINT 10

    HC 0, 0, 0, 0, 0
    SHOW "hypercall 0"
    HC 7, 0, 0, 0, 0
    SHOW "hypercall 7"
    HC 0xFFFFFFFF, 0, 0, 0, 0
    SHOW "hypercall 0xffffffff"

    PRINT "console_write of 6 bytes: "
    call console_flush
    HC HC_CONSOLE_WRITE, hello, 6, 0, 0
    SHOW "  returned"
    HC HC_CONSOLE_WRITE, hello, 0, 0, 0
    SHOW "console_write, length 0"
    HC HC_CONSOLE_WRITE, hello, 4097, 0, 0
    SHOW "console_write, length 4097"
    HC HC_CONSOLE_WRITE, VA_HOLE, 4, 0, 0
    SHOW "console_write, unmapped buffer"
    HC HC_CONSOLE_WRITE, VA_BUF + 0xFFC, 8, 0, 0
    SHOW "console_write, buffer running into an unmapped page"
    HC HC_CONSOLE_WRITE, 0, 1, 0, 0
    SHOW "console_write, null buffer"
    HC HC_CONSOLE_WRITE, 0xFFFFFFF0, 0x20, 0, 0
    SHOW "console_write, buffer wrapping around 4 GiB"
    PRINT "console_write of the last 4 bytes of a page: "
    call console_flush
    HC HC_CONSOLE_WRITE, VA_BUF + 0xFFC, 4, 0, 0
    SHOW "  returned"

    HC HC_MMU_UPDATE, reqs, 0, 0, 0
    SHOW "mmu_update, count 0"
    HC HC_MMU_UPDATE, reqs, 1025, 0, 0
    SHOW "mmu_update, count 1025"
    HC HC_MMU_UPDATE, VA_HOLE, 1, 0, 0
    SHOW "mmu_update, unmapped request array"
    ; map the hole to a fresh frame
    call page_alloc
    mov [frame], eax
    mov ecx, [hole_pte]
    mov [reqs], ecx
    or eax, PTE_P | PTE_RW
    mov [reqs + 4], eax
    HC HC_MMU_UPDATE, reqs, 1, 0, 0
    SHOW "mmu_update, map a fresh frame"
    mov dword [VA_HOLE + 8], 0x600DF00D
    PRINT "  wrote and read it back: "
    PHEX dword [VA_HOLE + 8]
    PRINT 10
    ; a frame outside the VM
    mov ecx, [hole_pte]
    mov [reqs], ecx
    mov dword [reqs + 4], OUTSIDE | PTE_P | PTE_RW
    HC HC_MMU_UPDATE, reqs, 1, 0, 0
    SHOW "mmu_update, PTE to a frame outside the VM"
    call show_hole_pte
    mov eax, [kpd]
    add eax, (0x80000000 >> 22) * 4
    mov [reqs], eax
    mov dword [reqs + 4], PDE_OUTSIDE | PDE_PS | PTE_P | PTE_RW
    HC HC_MMU_UPDATE, reqs, 1, 0, 0
    SHOW "mmu_update, 4 MiB PDE outside the VM"
    mov ecx, [hole_pte]
    mov [reqs], ecx
    mov eax, [frame]
    or eax, PTE_P | PTE_RW
    mov [reqs + 4], eax
    HC HC_MMU_UPDATE, reqs, 1, 0, 0
    SHOW "mmu_update, the fresh frame again"
    mov dword [reqs], OUTSIDE
    mov dword [reqs + 4], 0
    HC HC_MMU_UPDATE, reqs, 1, 0, 0
    SHOW "mmu_update, entry address outside the VM"
    mov ecx, [hole_pte]
    or ecx, 3
    mov [reqs], ecx
    mov dword [reqs + 4], 0
    HC HC_MMU_UPDATE, reqs, 1, 0, 0
    SHOW "mmu_update, sub-command 3"
    ; a batch that stops at its second request: the first is done, the third is not
    mov ecx, [hole_pte]
    mov [reqs], ecx
    mov dword [reqs + 4], 0x00ABC000    ; not present: any frame bits are fine
    mov [reqs + 8], ecx
    mov dword [reqs + 12], OUTSIDE | PTE_P
    mov [reqs + 16], ecx
    mov dword [reqs + 20], 0
    HC HC_MMU_UPDATE, reqs, 3, 0, 0
    SHOW "mmu_update, batch of 3 with a bad second"
    call show_hole_pte
    mov ecx, [hole_pte]
    mov [reqs], ecx
    mov dword [reqs + 4], 0
    mov eax, [kpd]
    or eax, MMU_CMD_NEW_CR3
    mov [reqs + 8], eax
    mov eax, [kpd]
    mov [reqs + 12], eax
    mov dword [reqs + 16], MMU_CMD_INVLPG
    mov dword [reqs + 20], VA_HOLE
    HC HC_MMU_UPDATE, reqs, 3, 0, 0
    SHOW "mmu_update, clear + NEW_CR3 + INVLPG"
    mov dword [reqs], MMU_CMD_NEW_CR3
    mov dword [reqs + 4], OUTSIDE
    HC HC_MMU_UPDATE, reqs, 1, 0, 0
    SHOW "mmu_update, NEW_CR3 outside the VM"
    FAULT_BEGIN "the unmapped page afterwards"
FAULT_AT
    mov eax, [VA_HOLE]
FAULT_NEXT
    FAULT_END

    ; timer, block, EOI
    push tick
    push dword VEC_IRQ0 + IRQ_PIT
    call isr_set_handler
    add esp, 8
    push dword IRQ_PIT
    call pic_unmask
    add esp, 4
    HC HC_SET_TIMER, 1000, 0, 0, 0
    SHOW "set_timer(1000)"
    cli
    HC HC_BLOCK, 0, 0, 0, 0
    cli
    SHOW "block"
    PRINT "  the timer interrupt came: "
    cmp dword [ticks], 1
    je .one
    PRINT "no", 10
    jmp .timer_done
.one:
    PRINT "yes", 10
.timer_done:
    HC HC_SET_TIMER, 0, 0, 0, 0
    SHOW "set_timer(0)"
    HC HC_EOI, 16, 0, 0, 0
    SHOW "eoi(16)"
    HC HC_EOI, 0, 0, 0, 0
    SHOW "eoi(0)"

    ; every register but EAX survives a hypercall
    mov ebx, 0x11111111
    mov ecx, 0x22222222
    mov edx, 0x33333333
    mov esi, 0x44444444
    mov edi, 0x55555555
    mov ebp, 0x66666666
    mov eax, 99
    vmcall
    SHOW "hypercall 99 with raw registers"
    PRINT "  registers preserved: "
    cmp ebx, 0x11111111
    jne .clobbered
    cmp ecx, 0x22222222
    jne .clobbered
    cmp edx, 0x33333333
    jne .clobbered
    cmp esi, 0x44444444
    jne .clobbered
    cmp edi, 0x55555555
    jne .clobbered
    cmp ebp, 0x66666666
    jne .clobbered
    PRINT "yes", 10
    jmp .ring3
.clobbered:
    PRINT "no", 10
.ring3:
    push dword 0
    push user_hypercall
    call user_call
    add esp, 8
    SHOW "console_write from ring 3"
    PRINT "pv-abi: done", 10
    xor eax, eax
.out:
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret

; static: prints the PTE of VA_HOLE
show_hole_pte:
    PRINT "  the PTE is now "
    mov eax, [hole_pte]
    PHEX dword [eax]
    PRINT 10
    ret

tick:
    inc dword [ticks]
    push dword IRQ_PIT
    call irq_eoi
    add esp, 4
    ret

section .user
user_hypercall:
    mov eax, HC_CONSOLE_WRITE
    mov ebx, hello
    mov ecx, 6
    vmcall
    int VEC_USER_RETURN
hello: db "hello", 10

section .bss
alignb 8
reqs:       resd 8
kpd:        resd 1
hole_pte:   resd 1
frame:      resd 1
ticks:      resd 1
