; wl-pagefault: page faults on fresh pages (lmbench lat_pagefault, demand-zero flavour). A ring-3
; loop writes one byte to each page of a 4 MiB window that is not mapped; the kernel's #PF handler
; maps a fresh frame each time. When the window is full, a system call unmaps it all (one batch of
; PTE writes, one CR3 reload) and the loop starts over. cmdline: iters=N (default 2000) faults.
global main
%include "guest.inc"

%define WINDOW      0x40000000
%define WINDOW_PAGES 1024
%define SYS_RESET   1

section .text
main:
    push ebx
    call cpu_init
    push dword CR0_WP
    call kernel_space
    add esp, 4
    mov [kpd], eax
    push pf_handler
    push dword VEC_PF
    call isr_set_handler
    add esp, 8
    push sys_handler
    push dword VEC_SYSCALL
    call isr_set_handler
    add esp, 8
    mov eax, [pages_in_use]
    mov [baseline], eax
    CMDLINE_U32 "iters", 2000
    mov ebx, eax
    push eax
    push user_touch
    call user_call
    add esp, 8
    PRINT "wl-pagefault: "
    PDEC dword [faults]
    PRINT " page faults on fresh pages, "
    PDEC eax
    PRINT " bytes written and read back", 10
    xor eax, eax
    cmp [faults], ebx
    jne .fail
    mov ecx, [pages_in_use]
    sub ecx, [baseline]
    cmp ecx, 1                          ; the window's page table stays
    jbe .ok
.fail:
    PRINT "wl-pagefault: fault count or page accounting wrong", 10
    mov eax, EXIT_FAIL
.ok:
    pop ebx
    ret

; void pf_handler(struct frame *f): map a fresh page under a not-present fault in the window.
pf_handler:
    mov edx, [esp + 4]
    mov ecx, cr2
    test dword [edx + F_ERR], PFERR_P
    jnz .bad
    cmp ecx, WINDOW
    jb .bad
    cmp ecx, WINDOW + WINDOW_PAGES * PAGE_SIZE
    jae .bad
    and ecx, ~(PAGE_SIZE - 1)
    call page_alloc
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    push ecx
    push dword [kpd]
    call pg_map
    add esp, 12
    call mmu_flush
    inc dword [faults]
    ret
.bad:
    PRINT "wl-pagefault: unexpected #PF at "
    PHEX ecx
    PRINT 10
    EXIT EXIT_UNEXPECTED

; void sys_handler(struct frame *f): SYS_RESET unmaps and frees the whole window.
sys_handler:
    push ebx
    push esi
    mov ebx, WINDOW
.page:
    push ebx
    push dword [kpd]
    call pg_pte_ptr
    add esp, 8
    test eax, eax
    jz .next
    mov esi, [eax]
    test esi, PTE_P
    jz .next
    push dword 0
    push eax
    call mmu_set
    add esp, 8
    and esi, ~(PAGE_SIZE - 1)
    push esi
    call page_free
    add esp, 4
.next:
    add ebx, PAGE_SIZE
    cmp ebx, WINDOW + WINDOW_PAGES * PAGE_SIZE
    jb .page
    push dword [kpd]
    call mmu_load_cr3                   ; flushes the batch, then the TLB
    add esp, 4
    pop esi
    pop ebx
    ret

section .user
; EAX = pages to touch; returns the number of bytes verified.
user_touch:
    mov ecx, eax
    xor edx, edx
    mov edi, WINDOW
    test ecx, ecx
    jz .done
.l:
    mov [edi + 0x123], cl               ; faults: the page is fresh
    cmp [edi + 0x123], cl
    jne .skip
    inc edx
.skip:
    add edi, PAGE_SIZE
    cmp edi, WINDOW + WINDOW_PAGES * PAGE_SIZE
    jb .more
    mov eax, SYS_RESET
    int VEC_SYSCALL
    mov edi, WINDOW
.more:
    dec ecx
    jnz .l
.done:
    mov eax, SYS_RESET
    int VEC_SYSCALL
    mov eax, edx
    int VEC_USER_RETURN

section .bss
kpd:        resd 1
faults:     resd 1
baseline:   resd 1
