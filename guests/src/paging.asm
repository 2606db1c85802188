; paging: 32-bit paging as the SDM defines it (Vol. 3A chapter 4). Builds an identity map (4 KiB
; pages for the first 4 MiB, 4 MiB pages up to 16 MiB), then shows accessed and dirty bits being
; set by reads and writes, cleared by software and set again after INVLPG or a CR3 reload,
; remapping with INVLPG, aliases, a 4 MiB page with its A/D bits, a recursive page-directory
; mapping, CR0.WP, and page faults with their error codes and CR2 (at ring 0 and ring 3).
; Prints only what the SDM defines: never a translation that might still be cached in a TLB.
; No cmdline options.
global main
%include "guest.inc"

%define VA_A        TEST_AREA               ; test pages in the 4-8 MiB region (its own page table)
%define VA_B        (TEST_AREA + 0x1000)
%define VA_RO       (TEST_AREA + 0x2000)    ; supervisor, read-only
%define VA_NP       (TEST_AREA + 0x3000)    ; never present
%define VA_USER     (TEST_AREA + 0x4000)    ; user, writable
%define VA_USER_RO  (TEST_AREA + 0x5000)    ; user, read-only
%define VA_LARGE    0x40000000              ; a 4 MiB page onto physical 12 MiB
%define PA_LARGE    0x00C00000
%define VA_SUPER_PDE 0x40400000             ; a PDE with U/S=0 over a PTE with U/S=1
%define VA_RO_PDE   0x40800000              ; a PDE with R/W=0 over a PTE with R/W=1
%define RECURSIVE_SLOT 1023                 ; PD[1023] = PD: page tables appear at 0xFFC00000
%define PTES_VIA_RECURSION 0xFFC00000
%define FLAGS_MASK  0xFFF

section .text
main:
    push ebx
    push esi
    push edi
    call cpu_init
    call page_alloc
    mov [kpd], eax
    mov ebx, eax
    ; 0-4 MiB in 4 KiB pages: kernel supervisor, the .user region and the user stack user-mode;
    ; page 0 stays unmapped so null pointers fault.
    mov esi, PAGE_SIZE
.identity:
    mov eax, esi
    or eax, PTE_P | PTE_RW
    cmp esi, __user_start
    jb .sup
    cmp esi, __user_end
    jb .user
.sup:
    cmp esi, lib_user_stack
    jb .set
    cmp esi, lib_user_stack_top
    jae .set
.user:
    or eax, PTE_US
.set:
    push eax
    push esi
    push ebx
    call pg_map
    add esp, 12
    add esi, PAGE_SIZE
    cmp esi, LARGE_PAGE_SIZE
    jb .identity
    ; 8-16 MiB (page pool) in 4 MiB pages
    push dword 2 * LARGE_PAGE_SIZE | PTE_P | PTE_RW
    push dword 2 * LARGE_PAGE_SIZE
    push ebx
    call pg_map_large
    add esp, 12
    push dword 3 * LARGE_PAGE_SIZE | PTE_P | PTE_RW
    push dword 3 * LARGE_PAGE_SIZE
    push ebx
    call pg_map_large
    add esp, 12
    ; the frames the tests use
    call page_alloc
    mov [frame1], eax
    mov dword [eax], 0x11111111
    call page_alloc
    mov [frame2], eax
    mov dword [eax], 0x22222222
    push dword 0
    push ebx
    call paging_enable
    add esp, 8
    PRINT "paging: on, CR0.WP=0", 10

    ; ---- accessed and dirty bits ----
    mov eax, [frame1]
    or eax, PTE_P | PTE_RW
    push eax
    push dword VA_A
    push ebx
    call pg_map
    add esp, 12
    call mmu_flush
    PRINT "fresh pte", 10
    call show_a
    mov eax, [VA_A]
    PRINT "after a read: "
    PHEX eax
    PRINT 10
    call show_a
    mov dword [VA_A + 8], 0xABCD
    PRINT "after a write", 10
    call show_a

    call clear_ad_a
    push dword VA_A
    call mmu_invlpg
    add esp, 4
    mov eax, [VA_A + 8]
    PRINT "cleared A/D, invlpg, read: "
    PHEX eax
    PRINT 10
    call show_a
    call clear_ad_a
    push ebx
    call mmu_load_cr3
    add esp, 4
    mov byte [VA_A + 12], 1
    PRINT "cleared A/D, CR3 reload, write", 10
    call show_a

    ; ---- remap with INVLPG ----
    mov eax, [frame2]
    or eax, PTE_P | PTE_RW
    push eax
    push dword VA_A
    push ebx
    call pg_map
    add esp, 12
    push dword VA_A
    call mmu_invlpg
    add esp, 4
    PRINT "remapped to frame2 + invlpg, read: "
    PHEX dword [VA_A]
    PRINT 10

    ; ---- alias: two linear pages, one frame ----
    mov eax, [frame2]
    or eax, PTE_P | PTE_RW
    push eax
    push dword VA_B
    push ebx
    call pg_map
    add esp, 12
    call mmu_flush
    mov dword [VA_B + 16], 0x5A5A5A5A
    PRINT "alias: wrote via B, read via A: "
    PHEX dword [VA_A + 16]
    PRINT 10

    ; ---- a 4 MiB page ----
    push dword PA_LARGE | PTE_P | PTE_RW
    push dword VA_LARGE
    push ebx
    call pg_map_large
    add esp, 12
    call mmu_flush
    PRINT "4 MiB page: pde "
    mov eax, [ebx + (VA_LARGE >> 22) * 4]
    PHEX eax
    mov eax, [VA_LARGE + 0x3FF000]
    PRINT ", after a read "
    PHEX dword [ebx + (VA_LARGE >> 22) * 4]
    mov dword [VA_LARGE + 0x123454], 0xCAFEF00D
    PRINT ", after a write "
    PHEX dword [ebx + (VA_LARGE >> 22) * 4]
    PRINT 10
    PRINT "  written at 0x40123454, read at physical 0xd23454: "
    PHEX dword [PA_LARGE + 0x123454]
    PRINT 10

    ; ---- recursive mapping: the page tables as ordinary memory ----
    mov eax, ebx
    or eax, PTE_P | PTE_RW
    push eax
    lea eax, [ebx + RECURSIVE_SLOT * 4]
    push eax
    call mmu_set
    add esp, 8
    call mmu_flush
    PRINT "recursive: pte of A "
    PHEX dword [PTES_VIA_RECURSION + (VA_A >> 12) * 4]
    PRINT ", pde of A "
    PHEX dword [PTES_VIA_RECURSION + RECURSIVE_SLOT * PAGE_SIZE + (VA_A >> 22) * 4]
    PRINT ", pd[1023] "
    mov eax, [PTES_VIA_RECURSION + RECURSIVE_SLOT * PAGE_SIZE + RECURSIVE_SLOT * 4]
    and eax, ~FLAGS_MASK
    cmp eax, ebx
    je .rec_ok
    PRINT "wrong", 10
    jmp .rec_done
.rec_ok:
    PRINT "is the directory", 10
.rec_done:

    ; ---- CR0.WP and supervisor writes to read-only pages ----
    mov eax, [frame1]
    or eax, PTE_P                       ; read-only, supervisor
    push eax
    push dword VA_RO
    push ebx
    call pg_map
    add esp, 12
    call mmu_flush
    FAULT_BEGIN "WP=0: ring 0 writes a read-only page"
FAULT_AT
    mov dword [VA_RO + 32], 0x77
FAULT_NEXT
    FAULT_END
    PRINT "  pte "
    push dword VA_RO
    push ebx
    call pg_pte_ptr
    add esp, 8
    PHEX dword [eax]
    PRINT 10
    mov eax, cr0
    or eax, CR0_WP
    mov cr0, eax
    FAULT_BEGIN "WP=1: ring 0 writes a read-only page"
FAULT_AT
    mov dword [VA_RO + 36], 0x78
FAULT_NEXT
    FAULT_END
    FAULT_BEGIN "WP=1: ring 0 reads it"
FAULT_AT
    mov eax, [VA_RO + 32]
FAULT_NEXT
    FAULT_END

    ; ---- not-present faults at ring 0 ----
    FAULT_BEGIN "read a not-present page"
FAULT_AT
    mov eax, [VA_NP + 0x10]
FAULT_NEXT
    FAULT_END
    FAULT_BEGIN "write a not-present page"
FAULT_AT
    mov byte [VA_NP + 0xFFF], 1
FAULT_NEXT
    FAULT_END
    FAULT_BEGIN "dword read straddling into a not-present page"
FAULT_AT
    mov eax, [VA_NP - 2]
FAULT_NEXT
    FAULT_END
    mov word [VA_B + 0xFFE], 0x1234
    FAULT_BEGIN "dword write straddling into a read-only page"
FAULT_AT
    mov dword [VA_B + 0xFFE], 0xFFFFFFFF
FAULT_NEXT
    FAULT_END
    PRINT "  the bytes in the writable page: "
    PHEX16 dword [VA_B + 0xFFE]
    PRINT 10
    FAULT_BEGIN "read through a not-present PDE"
FAULT_AT
    mov eax, [0x7FC00008]
FAULT_NEXT
    FAULT_END
    FAULT_BEGIN "read null"
FAULT_AT
    mov eax, [0]
FAULT_NEXT
    FAULT_END
    FAULT_BEGIN "jump into a not-present page"
FAULT_AT
    jmp VA_NP
FAULT_NEXT
    FAULT_END
    PRINT "  (eip was "
    PHEX dword [exc_eip]
    PRINT ")", 10

    ; ---- user pages and ring 3 ----
    mov eax, [frame1]
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    push dword VA_USER
    push ebx
    call pg_map
    add esp, 12
    mov eax, [frame2]
    or eax, PTE_P | PTE_US
    push eax
    push dword VA_USER_RO
    push ebx
    call pg_map
    add esp, 12
    ; a PDE with U/S=0 and one with R/W=0, each over a user-writable PTE
    call page_alloc
    mov esi, eax
    or eax, PTE_P | PTE_RW
    push eax
    lea eax, [ebx + (VA_SUPER_PDE >> 22) * 4]
    push eax
    call mmu_set
    add esp, 8
    mov eax, [frame1]
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    push esi
    call mmu_set
    add esp, 8
    call page_alloc
    mov esi, eax
    or eax, PTE_P | PTE_US
    push eax
    lea eax, [ebx + (VA_RO_PDE >> 22) * 4]
    push eax
    call mmu_set
    add esp, 8
    mov eax, [frame1]
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    push esi
    call mmu_set
    add esp, 8
    call mmu_flush
    call user_tests

    PRINT "paging: done", 10
    xor eax, eax
    pop edi
    pop esi
    pop ebx
    ret

; static: prints "  pte <PTE of VA_A>  pde <its PDE>"
show_a:
    push eax
    PRINT "  pte "
    push dword VA_A
    push dword [kpd]
    call pg_pte_ptr
    add esp, 8
    PHEX dword [eax]
    PRINT "  pde "
    mov eax, [kpd]
    PHEX dword [eax + (VA_A >> 22) * 4]
    PRINT 10
    pop eax
    ret

; static: clears A and D in the PTE of VA_A
clear_ad_a:
    push eax
    push dword VA_A
    push dword [kpd]
    call pg_pte_ptr
    add esp, 8
    mov ecx, [eax]
    and ecx, ~(PTE_A | PTE_D)
    push ecx
    push eax
    call mmu_set
    add esp, 8
    call mmu_flush
    pop eax
    ret

; Ring-3 cases: this code runs at ring 3 through user_call, so it lives in the user region.
section .user
user_tests:
    UFAULT_BEGIN "ring 3 reads a user page"
FAULT_AT
    mov eax, [VA_USER]
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 writes a user page"
FAULT_AT
    mov dword [VA_USER + 4], 3
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 writes a read-only user page"
FAULT_AT
    mov dword [VA_USER_RO + 8], 3
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 reads a supervisor page"
FAULT_AT
    mov eax, [VA_RO]
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 writes a supervisor read-only page"
FAULT_AT
    mov [VA_RO + 4], eax
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 reads a not-present page"
FAULT_AT
    mov eax, [VA_NP + 0x800]
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 reads under a supervisor PDE"
FAULT_AT
    mov eax, [VA_SUPER_PDE + 0x40]
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 reads under a read-only PDE"
FAULT_AT
    mov eax, [VA_RO_PDE + 0x40]
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 writes under a read-only PDE"
FAULT_AT
    mov [VA_RO_PDE + 0x40], eax
FAULT_NEXT
    UFAULT_END
    UFAULT_BEGIN "ring 3 jumps into kernel code"
FAULT_AT
    jmp main
FAULT_NEXT
    UFAULT_END
    PRINT "  (eip was main: "
    mov eax, [exc_eip]
    cmp eax, main
    je .y
    PRINT "no)", 10
    ret
.y:
    PRINT "yes)", 10
    ret

section .bss
kpd:    resd 1
frame1: resd 1
frame2: resd 1
