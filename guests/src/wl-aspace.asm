; wl-aspace: address-space create/populate/destroy, a fork+exit analogue (lmbench lat_proc
; fork). Each iteration builds a page directory sharing the kernel's mappings, maps 16 fresh pages,
; switches CR3 to it, writes and reads every page, switches back, and tears it all down (PTEs
; cleared, frames, page table and directory freed). Page-table writes go through the MMU pv-ops,
; batched under PV. cmdline: iters=N (default 200).
global main
%include "guest.inc"

%define USER_BASE 0x40000000
%define PAGES 16

section .text
main:
    push ebx
    push esi
    push edi
    push ebp
    call cpu_init
    push dword CR0_WP
    call kernel_space
    add esp, 4
    mov [kpd], eax
    mov eax, [pages_in_use]
    mov [baseline], eax
    CMDLINE_U32 "iters", 200
    mov [iters], eax
    xor ebp, ebp                        ; iteration
    xor edi, edi                        ; checksum
.iter:
    cmp ebp, [iters]
    jae .done
    push dword [kpd]
    call pg_new_dir
    add esp, 4
    mov ebx, eax
    xor esi, esi
.map:
    call page_alloc
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    mov eax, esi
    shl eax, 12
    add eax, USER_BASE
    push eax
    push ebx
    call pg_map
    add esp, 12
    inc esi
    cmp esi, PAGES
    jb .map
    push ebx
    call mmu_load_cr3                   ; flushes the batch first
    add esp, 4
    xor esi, esi
.touch:
    mov eax, esi
    shl eax, 12
    lea ecx, [ebp + esi]
    mov [USER_BASE + eax + 8], ecx
    add edi, [USER_BASE + eax + 8]
    add edi, [USER_BASE + eax]          ; fresh pages read as zero
    rol edi, 3
    inc esi
    cmp esi, PAGES
    jb .touch
    push dword [kpd]
    call mmu_load_cr3
    add esp, 4
    ; tear down: PTEs and frames, the page table, the directory
    xor esi, esi
.unmap:
    mov eax, esi
    shl eax, 12
    add eax, USER_BASE
    push eax
    push ebx
    call pg_pte_ptr
    add esp, 8
    mov ecx, [eax]
    push dword 0
    push eax
    call mmu_set
    add esp, 8
    and ecx, ~(PAGE_SIZE - 1)
    push ecx
    call page_free
    add esp, 4
    inc esi
    cmp esi, PAGES
    jb .unmap
    lea eax, [ebx + (USER_BASE >> 22) * 4]
    mov ecx, [eax]
    push dword 0
    push eax
    call mmu_set
    add esp, 8
    call mmu_flush
    and ecx, ~(PAGE_SIZE - 1)
    push ecx
    call page_free
    add esp, 4
    push ebx
    call page_free
    add esp, 4
    inc ebp
    jmp .iter
.done:
    PRINT "wl-aspace: "
    PDEC dword [iters]
    PRINT " address spaces of "
    PDEC PAGES
    PRINT " pages created, used and destroyed, checksum "
    PHEX edi
    PRINT 10
    xor eax, eax
    mov ecx, [pages_in_use]
    cmp ecx, [baseline]
    je .ok
    PRINT "wl-aspace: frames leaked", 10
    mov eax, EXIT_FAIL
.ok:
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret

section .bss
kpd:        resd 1
iters:      resd 1
baseline:   resd 1
