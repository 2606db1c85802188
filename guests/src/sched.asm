; sched: a tiny preemptive multitasking kernel. Three user processes, each in its own address
; space (its own page directory; a private data page and stack at the same linear addresses in all
; three), run round-robin, preempted by the timer (PIT or PV one-shot, 1000 Hz). Each computes
; `steps` rounds of `work` iterations over its private data and reports every round; between rounds
; it sleeps 2 ticks, and when every process sleeps or waits the kernel idles with HLT.
;
; Why the output does not depend on timing: processes never print. They report through a system
; call, and the kernel prints a report only in a fixed global order (a token: round r of process p
; has turn 3r + p - 1). A process that reports out of turn waits (its INT 0x80 is re-executed when
; the token moves), so preemption can reorder the work but never the lines. The values depend only
; on each process's own data, so a leak between address spaces would change them. Tick and
; context-switch counts are never printed (see --stats for them).
; cmdline: steps=N (default 4), work=N (default 50000), quiet (no per-round lines).
global main
%include "guest.inc"

%define NPROC       3
%define HZ          1000
%define SLEEP_TICKS 2
%define USER_DATA   0x40000000
%define USER_STACK  0x7FFFF000
%define KSTACK      4096
%define SYS_REPORT  1                   ; ebx = round, ecx = value
%define SYS_SLEEP   2                   ; ebx = ticks
%define SYS_EXIT    3                   ; ebx = rounds done
%define INT_LEN     2                   ; `int 0x80` is CD 80
%define IDLE        -1
; process states
%define RUNNABLE    0
%define WAITING     1                   ; for the token
%define SLEEPING    2
%define DEAD        3
; process record
%define P_STATE     0
%define P_KESP      4
%define P_KTOP      8
%define P_PD        12
%define P_WAKE      16
%define P_SIZE      20

section .text
main:
    push ebx
    push esi
    push edi
    call cpu_init
    CMDLINE_U32 "steps", 4
    mov [steps], eax
    mov [steps_user], eax               ; the user pages become read-only with paging (CR0.WP)
    CMDLINE_U32 "work", 50000
    mov [work], eax
    push s_quiet
    call cmdline_flag
    add esp, 4
    mov [quiet], eax
    PRINT "sched: "
    PDEC NPROC
    PRINT " processes, "
    PDEC dword [steps]
    PRINT " rounds of "
    PDEC dword [work]
    PRINT " iterations, round-robin on the timer", 10
    push dword CR0_WP
    call kernel_space
    add esp, 4
    mov [kernel_pd], eax
    xor esi, esi
.mk:
    call make_process
    inc esi
    cmp esi, NPROC
    jb .mk
    push syscall_handler
    push dword VEC_SYSCALL
    call isr_set_handler
    add esp, 8
    push tick_handler
    push dword VEC_IRQ0 + IRQ_PIT
    call isr_set_handler
    add esp, 8
    mov dword [current], IDLE
    push dword HZ
    call timer_start
    add esp, 4
    push dword IRQ_PIT
    call pic_unmask
    add esp, 4
    ; The idle loop: the scheduler switches away from here on a tick and back when nothing runs.
.idle:
    cli
    cmp dword [alive], 0
    je .done
    call cpu_idle
    jmp .idle
.done:
    call timer_stop
    push dword IRQ_PIT
    call pic_mask
    add esp, 4
    PRINT "sched: every process has exited", 10
    xor eax, eax
    pop edi
    pop esi
    pop ebx
    ret

; static: esi = index; builds process esi: its directory, data and stack pages, and a first
; interrupt frame on its kernel stack that "returns" to proc_main at ring 3 with EAX = pid,
; EBX = work.
make_process:
    push ebx
    push edi
    imul ebx, esi, P_SIZE
    add ebx, procs
    mov dword [ebx + P_STATE], RUNNABLE
    push dword [kernel_pd]
    call pg_new_dir
    add esp, 4
    mov [ebx + P_PD], eax
    mov edi, eax
    call page_alloc
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    push dword USER_DATA
    push edi
    call pg_map
    add esp, 12
    call page_alloc
    or eax, PTE_P | PTE_RW | PTE_US
    push eax
    push dword USER_STACK
    push edi
    call pg_map
    add esp, 12
    call mmu_flush
    ; kernel stack and its first frame
    mov eax, esi
    inc eax
    imul eax, eax, KSTACK
    add eax, kstacks
    mov [ebx + P_KTOP], eax
    sub eax, F_SIZE_USER
    mov [ebx + P_KESP], eax
    mov edi, eax
    push edi
    mov ecx, F_SIZE_USER / 4
    xor eax, eax
    rep stosd
    pop edi
    mov dword [edi + F_GS], SEL_UDATA
    mov dword [edi + F_FS], SEL_UDATA
    mov dword [edi + F_ES], SEL_UDATA
    mov dword [edi + F_DS], SEL_UDATA
    lea eax, [esi + 1]
    mov [edi + F_EAX], eax
    mov eax, [work]
    mov [edi + F_EBX], eax
    mov dword [edi + F_EIP], proc_main
    mov dword [edi + F_CS], SEL_UCODE
    mov dword [edi + F_EFLAGS], FL_RSVD1 | FL_IF
    mov dword [edi + F_USER_ESP], USER_STACK + PAGE_SIZE
    mov dword [edi + F_USER_SS], SEL_UDATA
    inc dword [alive]
    pop edi
    pop ebx
    ret

; static: eax = frame of the interrupted context. Saves it, picks the next runnable process
; round-robin (or the idle loop) and arranges for isr_common to resume it.
schedule:
    push ebx
    push ecx
    mov ecx, [current]
    cmp ecx, IDLE
    jne .save_proc
    mov [idle_kesp], eax
    jmp .pick
.save_proc:
    imul ebx, ecx, P_SIZE
    mov [procs + ebx + P_KESP], eax
.pick:
    ; candidates: current+1, current+2, ... wrapping, current last
    mov ebx, NPROC
.try:
    inc ecx
    cmp ecx, NPROC
    jb .idx
    xor ecx, ecx
.idx:
    imul eax, ecx, P_SIZE
    cmp dword [procs + eax + P_STATE], RUNNABLE
    je .run
    dec ebx
    jnz .try
    ; nothing to run: the idle loop
    mov dword [current], IDLE
    mov eax, [idle_kesp]
    mov [isr_switch_to], eax
    pop ecx
    pop ebx
    ret
.run:
    mov [current], ecx
    lea ebx, [procs + eax]
    push dword [ebx + P_KTOP]
    call tss_set_esp0
    add esp, 4
    mov eax, cr3
    cmp eax, [ebx + P_PD]
    je .same_space
    push dword [ebx + P_PD]
    call mmu_load_cr3
    add esp, 4
.same_space:
    mov eax, [ebx + P_KESP]
    mov [isr_switch_to], eax
    pop ecx
    pop ebx
    ret

; void tick_handler(struct frame *f): wake sleepers, re-arm, EOI, preempt.
tick_handler:
    push ebx
    inc dword [ticks]
    xor ecx, ecx
.wake:
    imul ebx, ecx, P_SIZE
    cmp dword [procs + ebx + P_STATE], SLEEPING
    jne .next
    mov eax, [ticks]
    cmp eax, [procs + ebx + P_WAKE]
    jb .next
    mov dword [procs + ebx + P_STATE], RUNNABLE
.next:
    inc ecx
    cmp ecx, NPROC
    jb .wake
    call timer_rearm
    push dword IRQ_PIT
    call irq_eoi
    add esp, 4
    mov eax, [esp + 8]
    call schedule
    pop ebx
    ret

; void syscall_handler(struct frame *f)
syscall_handler:
    push ebx
    push esi
    push edi
    mov esi, [esp + 16]                 ; frame
    mov edi, [current]
    imul ebx, edi, P_SIZE
    add ebx, procs                      ; the calling process
    mov eax, [esi + F_EAX]
    cmp eax, SYS_REPORT
    je .report
    cmp eax, SYS_SLEEP
    je .sleep
    cmp eax, SYS_EXIT
    je .exit
    mov dword [esi + F_EAX], -1
    jmp .out
.report:
    call take_turn
    jnz .out
    mov dword [esi + F_EAX], 0
    cmp dword [quiet], 0
    jne .out
    PRINT "["
    lea eax, [edi + 1]
    PDEC eax
    PRINT "] round "
    PDEC dword [esi + F_EBX]
    PRINT ": "
    PHEX dword [esi + F_ECX]
    PRINT 10
    mov dword [esi + F_EAX], 0
    jmp .out
.sleep:
    mov eax, [ticks]
    add eax, [esi + F_EBX]
    mov [ebx + P_WAKE], eax
    mov dword [ebx + P_STATE], SLEEPING
    mov dword [esi + F_EAX], 0
    mov eax, esi
    call schedule
    jmp .out
.exit:
    call take_turn
    jnz .out
    PRINT "["
    lea eax, [edi + 1]
    PDEC eax
    PRINT "] exits after "
    PDEC dword [esi + F_EBX]
    PRINT " rounds", 10
    mov dword [ebx + P_STATE], DEAD
    dec dword [alive]
    mov eax, esi
    call schedule
.out:
    pop edi
    pop esi
    pop ebx
    ret

; static: the token. esi = frame, edi = process index, ebx = its record. The turn of round r of
; process p is r * NPROC + p. ZF=1: it is the caller's turn (the token moves on and any waiting
; process may retry). ZF=0: not yet; the caller waits and will re-execute its INT 0x80.
take_turn:
    mov eax, [esi + F_EBX]
    imul eax, eax, NPROC
    add eax, edi
    cmp eax, [turn]
    jne .wait
    inc dword [turn]
    xor ecx, ecx
.wake:
    imul eax, ecx, P_SIZE
    cmp dword [procs + eax + P_STATE], WAITING
    jne .n
    mov dword [procs + eax + P_STATE], RUNNABLE
.n:
    inc ecx
    cmp ecx, NPROC
    jb .wake
    xor eax, eax                        ; ZF=1
    ret
.wait:
    mov dword [ebx + P_STATE], WAITING
    sub dword [esi + F_EIP], INT_LEN
    mov eax, esi
    call schedule
    or esp, esp                         ; ZF=0
    ret

; ---------------------------------------------------------------------------------------------
; The user program, the same code in every process: EAX = pid, EBX = iterations per round.
; ESI = round, EDI = the private data page, EBP = pid.
section .user
proc_main:
    mov ebp, eax
    push ebx
    mov edi, USER_DATA
    xor ecx, ecx
.init:
    mov eax, ecx
    imul eax, ebp
    mov [edi + ecx * 4], eax
    inc ecx
    cmp ecx, PAGE_SIZE / 4
    jb .init
    xor esi, esi
.round:
    mov ecx, [esp]
    xor eax, eax
.work:
    mov edx, ecx
    and edx, PAGE_SIZE / 4 - 1
    mov ebx, [edi + edx * 4]
    imul ebx, ebx, 33
    add ebx, esi
    add ebx, ebp
    mov [edi + edx * 4], ebx
    xor eax, ebx
    rol eax, 5
    dec ecx
    jnz .work
    mov ecx, eax
    mov ebx, esi
    mov eax, SYS_REPORT
    int VEC_SYSCALL
    mov ebx, SLEEP_TICKS
    mov eax, SYS_SLEEP
    int VEC_SYSCALL
    inc esi
    cmp esi, [steps_user]
    jb .round
    mov ebx, esi
    mov eax, SYS_EXIT
    int VEC_SYSCALL
.dead:
    jmp .dead                           ; never scheduled again

section .user.data
align 4
steps_user: dd 0                        ; written by the kernel before paging (rounds per process)

section .rodata
s_quiet: db "quiet", 0

section .bss
alignb 4
quiet:      resd 1
steps:      resd 1
work:       resd 1
kernel_pd:  resd 1
current:    resd 1
idle_kesp:  resd 1
alive:      resd 1
turn:       resd 1
ticks:      resd 1
procs:      resb NPROC * P_SIZE
alignb 16
kstacks:    resb NPROC * KSTACK
