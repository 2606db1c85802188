; wl-ctxsw: context switches between two processes in two address spaces (lmbench lat_ctx with two
; processes). Each process yields N times through a system call; every yield saves its frame,
; loads the other's CR3 and TSS.ESP0 and resumes it. cmdline: iters=N (default 5000): 2N switches.
global main
%include "guest.inc"

%define SYS_START   0                   ; from the kernel: run the processes, come back when done
%define SYS_YIELD   1
%define SYS_EXIT    2
%define USER_STACK  0x7FFFF000
%define KSTACK      4096
%define INIT_FRAME  (KSTACK - F_SIZE_USER)

section .text
main:
    push ebx
    push esi
    push edi
    call cpu_init
    push dword CR0_WP
    call kernel_space
    add esp, 4
    mov [kpd], eax
    push sys_handler
    push dword VEC_SYSCALL
    call isr_set_handler
    add esp, 8
    CMDLINE_U32 "iters", 5000
    mov [iters], eax
    xor esi, esi
.make:
    push dword [kpd]
    call pg_new_dir
    add esp, 4
    mov [pds + esi * 4], eax
    mov ebx, eax
    call page_alloc
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    push dword USER_STACK
    push ebx
    call pg_map
    add esp, 12
    call mmu_flush
    ; first frame: ring 3 at user_proc with EAX = iterations
    mov edi, esi
    shl edi, 12
    add edi, kstacks + INIT_FRAME
    mov [kesp + esi * 4], edi
    push edi
    mov ecx, F_SIZE_USER / 4
    xor eax, eax
    rep stosd
    pop edi
    mov dword [edi + F_GS], SEL_UDATA
    mov dword [edi + F_FS], SEL_UDATA
    mov dword [edi + F_ES], SEL_UDATA
    mov dword [edi + F_DS], SEL_UDATA
    mov eax, [iters]
    mov [edi + F_EAX], eax
    mov dword [edi + F_EIP], user_proc
    mov dword [edi + F_CS], SEL_UCODE
    mov dword [edi + F_EFLAGS], FL_RSVD1 | FL_IF
    mov dword [edi + F_USER_ESP], USER_STACK + PAGE_SIZE
    mov dword [edi + F_USER_SS], SEL_UDATA
    inc esi
    cmp esi, 2
    jb .make
    mov dword [alive], 2
    mov eax, SYS_START
    int VEC_SYSCALL                     ; returns when both processes have exited
    PRINT "wl-ctxsw: "
    PDEC dword [iters]
    PRINT " yields per process, "
    PDEC dword [switches]
    PRINT " switches between 2 address spaces", 10
    xor eax, eax
    pop edi
    pop esi
    pop ebx
    ret

; void sys_handler(struct frame *f)
sys_handler:
    mov edx, [esp + 4]
    mov eax, [edx + F_EAX]
    cmp eax, SYS_YIELD
    je .yield
    cmp eax, SYS_EXIT
    je .exit
    cmp eax, SYS_START
    jne .bad
    test dword [edx + F_CS], 3
    jnz .bad
    mov [kernel_frame], edx
    xor eax, eax
    jmp switch_to
.yield:
    mov ecx, [current]
    mov [kesp + ecx * 4], edx
    cmp dword [alive], 2
    jne .ret                            ; the other one is gone: keep running
    xor ecx, 1
    mov eax, ecx
    jmp switch_to
.exit:
    dec dword [alive]
    jz .all_done
    mov eax, [current]
    xor eax, 1
    jmp switch_to
.all_done:
    push dword [kpd]
    call mmu_load_cr3
    add esp, 4
    mov eax, [kernel_frame]
    mov [isr_switch_to], eax
.ret:
    ret
.bad:
    mov dword [edx + F_EAX], -1
    ret

; static: eax = process to resume (tail of the handler)
switch_to:
    mov [current], eax
    inc dword [switches]
    mov ecx, eax
    shl ecx, 12
    add ecx, kstacks + KSTACK
    push ecx
    call tss_set_esp0
    add esp, 4
    push dword [pds + eax * 4]
    call mmu_load_cr3
    add esp, 4
    mov eax, [kesp + eax * 4]
    mov [isr_switch_to], eax
    ret

section .user
; EAX = yields to make
user_proc:
    mov ecx, eax
    test ecx, ecx
    jz .done
.l:
    mov eax, SYS_YIELD
    int VEC_SYSCALL
    dec ecx
    jnz .l
.done:
    mov eax, SYS_EXIT
    int VEC_SYSCALL

section .bss
alignb 4
kpd:            resd 1
iters:          resd 1
current:        resd 1
alive:          resd 1
switches:       resd 1
kernel_frame:   resd 1
pds:            resd 2
kesp:           resd 2
alignb 4096
kstacks:        resb 2 * KSTACK
