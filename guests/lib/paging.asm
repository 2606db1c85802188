; Paging: a frame pool, 32-bit page tables (4 KiB and 4 MiB pages), and the MMU pv-ops. On the
; hardware path mmu_set() writes the entry; with the PV MMU it queues an MMU_UPDATE request, sent
; when the queue fills, by mmu_flush(), and by mmu_load_cr3()/mmu_invlpg() (which queue their own
; command). Rule for callers: mmu_flush() before relying on entries set since the last flush.
; Page tables and the pool are identity mapped, so an entry's address is also its guest-physical
; address (what MMU_UPDATE takes).
global page_alloc, page_free, pages_in_use, pg_map, pg_map_large, pg_unmap, pg_pte_ptr, pg_new_dir
global paging_enable, mmu_set, mmu_flush, mmu_load_cr3, mmu_invlpg, kernel_space
%include "guest.inc"

%define KERNEL_PDES (PAGE_POOL_END >> 22)   ; page-directory entries that map the shared 16 MiB

section .text
; void *page_alloc(void): a zeroed 4 KiB frame from the pool.
page_alloc:
    push ecx
    push edi
    mov eax, [free_list]
    test eax, eax
    jz .bump
    mov ecx, [eax]
    mov [free_list], ecx
    jmp .zero
.bump:
    mov eax, [pool_next]
    test eax, eax
    jnz .have
    mov eax, PAGE_POOL_START
.have:
    cmp eax, PAGE_POOL_END
    jae .oom
    lea ecx, [eax + PAGE_SIZE]
    mov [pool_next], ecx
.zero:
    inc dword [pages_in_use]
    mov edi, eax
    mov ecx, PAGE_SIZE / 4
    push eax
    xor eax, eax
    cld
    rep stosd
    pop eax
    pop edi
    pop ecx
    ret
.oom:
    PRINT "page_alloc: page pool exhausted", 10
    EXIT EXIT_NO_MEMORY

; void page_free(void *frame)
page_free:
    push eax
    push ecx
    mov eax, [esp + 12]
    mov ecx, [free_list]
    mov [eax], ecx
    mov [free_list], eax
    dec dword [pages_in_use]
    pop ecx
    pop eax
    ret

; void mmu_set(unsigned *entry, unsigned value)
mmu_set:
    push eax
    push ecx
    mov ecx, [esp + 12]
    mov eax, [esp + 16]
    test dword [pv_features], PV_F_MMU
    jnz .pv
    mov [ecx], eax
    pop ecx
    pop eax
    ret
.pv:
    or ecx, MMU_CMD_PTE
    call mmu_queue
    pop ecx
    pop eax
    ret

; static: queue the request {ecx, eax}; sends the batch when full. Interrupt-safe.
mmu_queue:
    push edx
    pushfd
    cli
    mov edx, [mmu_count]
    mov [mmu_batch + edx * 8], ecx
    mov [mmu_batch + edx * 8 + 4], eax
    inc edx
    mov [mmu_count], edx
    cmp edx, MMU_BATCH_MAX
    jb .out
    call mmu_flush
.out:
    popfd
    pop edx
    ret

; void mmu_flush(void): sends the queued MMU_UPDATE requests (PV); any failure is fatal.
mmu_flush:
    push eax
    push ecx
    pushfd
    cli
    mov ecx, [mmu_count]
    test ecx, ecx
    jz .out
    mov dword [mmu_count], 0
    push dword 0
    push dword 0
    push ecx
    push mmu_batch
    push dword HC_MMU_UPDATE
    call hypercall
    add esp, 20
    cmp eax, ecx
    jne .failed
.out:
    popfd
    pop ecx
    pop eax
    ret
.failed:
    PRINT "mmu_update failed: "
    push eax
    call put_sdec
    add esp, 4
    PRINT 10
    EXIT EXIT_FAIL

; void mmu_load_cr3(unsigned cr3)
mmu_load_cr3:
    push eax
    push ecx
    mov eax, [esp + 12]
    test dword [pv_features], PV_F_MMU
    jnz .pv
    mov cr3, eax
    pop ecx
    pop eax
    ret
.pv:
    mov ecx, MMU_CMD_NEW_CR3
    call mmu_queue
    call mmu_flush
    pop ecx
    pop eax
    ret

; void mmu_invlpg(void *linear)
mmu_invlpg:
    push eax
    push ecx
    mov eax, [esp + 12]
    test dword [pv_features], PV_F_MMU
    jnz .pv
    invlpg [eax]
    pop ecx
    pop eax
    ret
.pv:
    mov ecx, MMU_CMD_INVLPG
    call mmu_queue
    call mmu_flush
    pop ecx
    pop eax
    ret

; unsigned *pg_pte_ptr(unsigned *pd, unsigned va): the PTE mapping va, the PDE itself for a 4 MiB
; page, or 0 when no page table is present.
pg_pte_ptr:
    push ecx
    push edx
    mov edx, [esp + 12]
    mov ecx, [esp + 16]
    shr ecx, 22
    lea eax, [edx + ecx * 4]
    mov edx, [eax]
    test edx, PTE_P
    jz .none
    test edx, PDE_PS
    jnz .out
    and edx, ~0xFFF
    mov ecx, [esp + 16]
    shr ecx, 12
    and ecx, 0x3FF
    lea eax, [edx + ecx * 4]
.out:
    pop edx
    pop ecx
    ret
.none:
    xor eax, eax
    jmp .out

; void pg_map(unsigned *pd, unsigned va, unsigned pte): sets the 4 KiB PTE for va, creating the
; page table (PDE user+writable: the PTE decides) when there is none. A new PDE is flushed at
; once, since this function reads it back; the PTE may stay queued.
pg_map:
    push eax
    push ecx
    push edx
    mov edx, [esp + 16]
    mov ecx, [esp + 20]
    shr ecx, 22
    lea ecx, [edx + ecx * 4]            ; the PDE
    test dword [ecx], PTE_P
    jnz .have_pt
    call page_alloc
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    push ecx
    call mmu_set
    add esp, 8
    call mmu_flush
.have_pt:
    push dword [esp + 20]
    push edx
    call pg_pte_ptr
    add esp, 8
    push dword [esp + 24]
    push eax
    call mmu_set
    add esp, 8
    pop edx
    pop ecx
    pop eax
    ret

; void pg_map_large(unsigned *pd, unsigned va, unsigned pde): a 4 MiB page (PS is added).
pg_map_large:
    push eax
    push ecx
    mov ecx, [esp + 16]
    shr ecx, 22
    mov eax, [esp + 12]
    lea ecx, [eax + ecx * 4]
    mov eax, [esp + 20]
    or eax, PDE_PS
    push eax
    push ecx
    call mmu_set
    add esp, 8
    pop ecx
    pop eax
    ret

; void pg_unmap(unsigned *pd, unsigned va): clears the PTE (or 4 MiB PDE); the caller invalidates.
pg_unmap:
    push eax
    push dword [esp + 12]
    push dword [esp + 12]
    call pg_pte_ptr
    add esp, 8
    test eax, eax
    jz .out
    push dword 0
    push eax
    call mmu_set
    add esp, 8
.out:
    pop eax
    ret

; unsigned *pg_new_dir(const unsigned *template): a new page directory sharing the kernel's
; first KERNEL_PDES entries (the identity-mapped 16 MiB) with `template`.
pg_new_dir:
    push ecx
    push edx
    call page_alloc
    mov edx, [esp + 12]
    xor ecx, ecx
.copy:
    push dword [edx + ecx * 4]
    lea ecx, [eax + ecx * 4]
    push ecx
    call mmu_set
    add esp, 8
    sub ecx, eax
    shr ecx, 2
    inc ecx
    cmp ecx, KERNEL_PDES
    jb .copy
    call mmu_flush
    pop edx
    pop ecx
    ret

; void paging_enable(unsigned *pd, unsigned cr0_bits): CR4.PSE, CR3 = pd, then CR0.PG | cr0_bits.
paging_enable:
    push eax
    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
    call mmu_flush
    push dword [esp + 8]
    call mmu_load_cr3
    add esp, 4
    mov eax, cr0
    or eax, CR0_PG
    or eax, [esp + 12]
    mov cr0, eax
    pop eax
    ret

; unsigned *kernel_space(unsigned cr0_bits): the usual kernel address space, and paging on:
; 0-4 MiB in 4 KiB pages (page 0 unmapped; the .user region user-accessible and read-only; the
; library's user stack user-accessible), 4-16 MiB in 4 MiB pages, all else supervisor read/write.
; Returns the page directory.
kernel_space:
    push ebx
    push esi
    call page_alloc
    mov ebx, eax
    mov esi, PAGE_SIZE
.page:
    mov eax, esi
    or eax, PTE_P | PTE_RW
    cmp esi, __user_start
    jb .stack
    cmp esi, __user_end
    jae .stack
    and eax, ~PTE_RW
    or eax, PTE_US
    jmp .set
.stack:
    cmp esi, lib_user_stack
    jb .set
    cmp esi, lib_user_stack_top
    jae .set
    or eax, PTE_US
.set:
    push eax
    push esi
    push ebx
    call pg_map
    add esp, 12
    add esi, PAGE_SIZE
    cmp esi, LARGE_PAGE_SIZE
    jb .page
.large:
    mov eax, esi
    or eax, PTE_P | PTE_RW
    push eax
    push esi
    push ebx
    call pg_map_large
    add esp, 12
    add esi, LARGE_PAGE_SIZE
    cmp esi, PAGE_POOL_END
    jb .large
    push dword [esp + 12]
    push ebx
    call paging_enable
    add esp, 8
    mov eax, ebx
    pop esi
    pop ebx
    ret

section .bss
alignb 8
mmu_batch:      resq MMU_BATCH_MAX
mmu_count:      resd 1
free_list:      resd 1
pool_next:      resd 1
pages_in_use:   resd 1
