; rings: a kernel and user tasks at ring 3. The kernel sets up its GDT/IDT/TSS and paging, then
; runs three tasks at ring 3 (code in the .user pages, stack and heap demand-paged):
;  1. system calls through the DPL 3 interrupt gate 0x80 (write, getpid, print a number, exit),
;     page faults on its fresh stack and heap pages that the kernel resolves by mapping a frame;
;  2. a privileged instruction (MOV CR3), caught as #GP and the task killed;
;  3. a read of kernel memory, caught as #PF (protection) and the task killed.
; The kernel reports every fault it handles and how each task ended. No cmdline options.
global main
%include "guest.inc"

%define USER_LO     0x40000000          ; demand-paged user memory
%define USER_HI     0x80000000
%define USER_HEAP   0x50000000
%define USER_STACK_TOP USER_HI
%define SYS_WRITE   1
%define SYS_GETPID  2
%define SYS_PUTNUM  3
%define SYS_EXIT    4
%define KILLED      0xFFFFFF00          ; user_call result: killed by exception (low byte: vector)
%define WRITE_MAX   256

section .text
main:
    push ebx
    push esi
    call cpu_init
    push syscall_handler
    push dword VEC_SYSCALL
    call isr_set_handler
    add esp, 8
    push pf_handler
    push dword VEC_PF
    call isr_set_handler
    add esp, 8
    push gp_handler
    push dword VEC_GP
    call isr_set_handler
    add esp, 8
    push dword CR0_WP
    call kernel_space
    add esp, 4
    mov [kpd], eax
    PRINT "kernel: paging on, entering ring 3", 10
    mov dword [user_stack_top], USER_STACK_TOP

    mov esi, 1
.task:
    mov [current_pid], esi
    PRINT "kernel: task "
    PDEC esi
    PRINT " starts", 10
    push esi
    push dword [tasks + esi * 4 - 4]
    call user_call
    add esp, 8
    PRINT "kernel: task "
    PDEC esi
    mov ebx, eax
    and eax, 0xFFFFFF00
    cmp eax, KILLED
    je .killed
    PRINT " exited with "
    PDEC ebx
    PRINT 10
    jmp .next
.killed:
    PRINT " was killed by vector "
    and ebx, 0xFF
    PDEC ebx
    PRINT 10
.next:
    inc esi
    cmp esi, 3
    jbe .task
    PRINT "kernel: "
    PDEC dword [faults_fixed]
    PRINT " page faults resolved, all tasks done", 10
    xor eax, eax
    pop esi
    pop ebx
    ret

; void syscall_handler(struct frame *f): EAX = number, EBX/ECX = arguments, result in EAX.
syscall_handler:
    push ebx
    mov ebx, [esp + 8]
    mov eax, [ebx + F_EAX]
    cmp eax, SYS_WRITE
    je .write
    cmp eax, SYS_GETPID
    je .getpid
    cmp eax, SYS_PUTNUM
    je .putnum
    cmp eax, SYS_EXIT
    je .exit
    mov dword [ebx + F_EAX], -1
    pop ebx
    ret
.write:
    ; the buffer must be user memory: the .user pages (mapped at boot, never faulting here)
    mov eax, [ebx + F_EBX]
    mov ecx, [ebx + F_ECX]
    cmp ecx, WRITE_MAX
    ja .bad
    cmp eax, __user_start
    jb .bad
    add ecx, eax
    jc .bad
    cmp ecx, __user_end
    ja .bad
    push dword [ebx + F_ECX]
    push eax
    call console_write
    add esp, 8
    mov eax, [ebx + F_ECX]
    mov [ebx + F_EAX], eax
    pop ebx
    ret
.bad:
    mov dword [ebx + F_EAX], -1
    pop ebx
    ret
.getpid:
    mov eax, [current_pid]
    mov [ebx + F_EAX], eax
    pop ebx
    ret
.putnum:
    push dword [ebx + F_EBX]
    call put_sdec
    add esp, 4
    PRINT 10
    mov dword [ebx + F_EAX], 0
    pop ebx
    ret
.exit:
    push dword [ebx + F_EBX]
    call user_call_abort                ; back to the kernel's loop; does not return

; void pf_handler(struct frame *f): demand paging for user memory, else the task dies.
pf_handler:
    push ebx
    push esi
    mov ebx, [esp + 12]
    mov esi, cr2
    test dword [ebx + F_CS], 3
    jz .kernel_fault
    PRINT "kernel: #PF at ring 3, cr2="
    PHEX esi
    PRINT " err="
    PHEX8 dword [ebx + F_ERR]
    test dword [ebx + F_ERR], PFERR_P
    jnz .kill
    cmp esi, USER_LO
    jb .kill
    cmp esi, USER_HI
    jae .kill
    PRINT ": mapped a fresh page", 10
    call page_alloc
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    mov eax, esi
    and eax, ~(PAGE_SIZE - 1)
    push eax
    push dword [kpd]
    call pg_map
    add esp, 12
    call mmu_flush
    inc dword [faults_fixed]
    pop esi
    pop ebx
    ret
.kill:
    PRINT ": segmentation fault", 10
    push dword KILLED | VEC_PF
    call user_call_abort
.kernel_fault:
    PRINT "kernel: #PF in the kernel, cr2="
    PHEX esi
    PRINT 10
    EXIT EXIT_UNEXPECTED

; void gp_handler(struct frame *f): a ring-3 #GP kills the task.
gp_handler:
    mov eax, [esp + 4]
    test dword [eax + F_CS], 3
    jz .kernel
    PRINT "kernel: #GP at ring 3, err="
    PHEX8 dword [eax + F_ERR]
    PRINT ", eip="
    mov ecx, [eax + F_EIP]
    cmp ecx, task2.priv
    jne .hex
    PRINT "the mov to cr3"
    jmp .kill
.hex:
    PHEX ecx
.kill:
    PRINT 10
    push dword KILLED | VEC_GP
    call user_call_abort
.kernel:
    PRINT "kernel: #GP in the kernel", 10
    EXIT EXIT_UNEXPECTED

; ---------------------------------------------------------------------------------------------
; The tasks: ring-3 code and constants in the .user pages (user-accessible, read-only).
section .user
%macro SYSCALL 3                        ; number, ebx, ecx (arguments first: they may name eax)
    mov ebx, %2
    mov ecx, %3
    mov eax, %1
    int VEC_SYSCALL
%endmacro

task1:
    SYSCALL SYS_WRITE, t1_hello, t1_hello_len
    SYSCALL SYS_WRITE, t1_pid, t1_pid_len
    SYSCALL SYS_GETPID, 0, 0
    SYSCALL SYS_PUTNUM, eax, 0
    SYSCALL SYS_WRITE, t1_cs, t1_cs_len
    mov eax, cs
    and eax, 3
    SYSCALL SYS_PUTNUM, eax, 0
    ; three heap pages, first touched by writes (one fault each), then summed
    mov edi, USER_HEAP
    mov ecx, 3
.fill:
    mov [edi], ecx
    mov [edi + 0xFFC], ecx
    add edi, PAGE_SIZE
    loop .fill
    xor eax, eax
    mov edi, USER_HEAP
    mov ecx, 3
.sum:
    add eax, [edi]
    add eax, [edi + 0xFFC]
    add edi, PAGE_SIZE
    loop .sum
    push eax
    SYSCALL SYS_WRITE, t1_sum, t1_sum_len
    pop eax
    SYSCALL SYS_PUTNUM, eax, 0
    SYSCALL SYS_WRITE, t1_bad, t1_bad_len
    SYSCALL SYS_WRITE, main, 16         ; a kernel buffer: refused
    SYSCALL SYS_PUTNUM, eax, 0
    SYSCALL SYS_EXIT, 7, 0

task2:
    SYSCALL SYS_WRITE, t2_msg, t2_msg_len
    xor eax, eax
.priv:
    mov cr3, eax
    SYSCALL SYS_EXIT, 0, 0

task3:
    SYSCALL SYS_WRITE, t3_msg, t3_msg_len
    mov eax, [kpd]                      ; kernel data: a supervisor page
    SYSCALL SYS_EXIT, 0, 0

t1_hello:   db "task 1: hello from ring 3", 10
t1_hello_len equ $ - t1_hello
t1_pid:     db "task 1: getpid() = "
t1_pid_len equ $ - t1_pid
t1_cs:      db "task 1: CPL from CS = "
t1_cs_len equ $ - t1_cs
t1_sum:     db "task 1: sum over three fresh heap pages = "
t1_sum_len equ $ - t1_sum
t1_bad:     db "task 1: write(kernel address) = "
t1_bad_len equ $ - t1_bad
t2_msg:     db "task 2: trying a privileged instruction", 10
t2_msg_len equ $ - t2_msg
t3_msg:     db "task 3: reading kernel memory", 10
t3_msg_len equ $ - t3_msg

section .rodata
align 4
tasks: dd task1, task2, task3

section .bss
kpd:            resd 1
current_pid:    resd 1
faults_fixed:   resd 1
