; In-guest emulation of the PV hypercall ABI, for testing the guests' PV paths on machines without
; our hypervisor (QEMU, native). With `pvemu` on the command line and no real PV interface,
; cpu_init() turns every PV feature on; VMCALL then raises #UD (no VMX operation), and the #UD
; entry hands it to pvemu_try(), which carries out the hypercall exactly as docs/hypercalls.md
; specifies (through the hardware: UART, PIT one-shot, PIC, port 0xF4), sets EAX and skips the
; 3-byte VMCALL. It pretends the VM has PVEMU_MEM bytes of RAM for the EPERM/EFAULT checks.
; SET_TIMER uses PIT channel 0 in mode 0, so a guest must not run the PIT itself while a PV
; one-shot is armed (a real hypervisor keeps the two apart).
global pvemu_init, pvemu_try, pvemu_on
%include "guest.inc"

%define PVEMU_MEM PAGE_POOL_END
%define CONSOLE_MAX 4096
%define MMU_UPDATE_MAX 1024
%define PIT_MAX_COUNT 0xFFFF
%define PIT_CLAMP_US 60000                  ; beyond the 16-bit PIT count anyway

section .text
pvemu_init:
    push eax
    cmp dword [pv_features], 0
    jne .out                            ; a real PV interface is there: use it
    push s_pvemu
    call cmdline_flag
    add esp, 4
    test eax, eax
    jz .out
    mov dword [pvemu_on], 1
    mov dword [pv_features], PV_F_ALL
.out:
    pop eax
    ret

; int pvemu_try(struct frame *f): 1 when f is a VMCALL #UD that was emulated.
pvemu_try:
    push ebx
    push ecx
    push edx
    push esi
    push edi
    xor eax, eax
    cmp dword [pvemu_on], 0
    je .out
    mov ebx, [esp + 24]
    mov esi, [ebx + F_EIP]
    cmp word [esi], 0x010F              ; VMCALL is 0F 01 C1
    jne .out
    cmp byte [esi + 2], 0xC1
    jne .out
    mov eax, PV_EPERM                   ; hypercalls are for CPL 0 only
    test dword [ebx + F_CS], 3
    jnz .done
    mov eax, [ebx + F_EAX]
    cmp eax, HC_SHUTDOWN
    ja .enosys
    jmp [calls + eax * 4]
.enosys:
    mov eax, PV_ENOSYS
.done:
    mov [ebx + F_EAX], eax
    add dword [ebx + F_EIP], 3
    mov eax, 1
.out:
    pop edi
    pop esi
    pop edx
    pop ecx
    pop ebx
    ret

hc_console_write:
    mov esi, [ebx + F_EBX]
    mov ecx, [ebx + F_ECX]
    mov eax, PV_EINVAL
    cmp ecx, CONSOLE_MAX
    ja .done
    call check_range
    mov eax, PV_EFAULT
    jc .done
    mov eax, ecx
.byte:
    test ecx, ecx
    jz .done
    movzx edx, byte [esi]
    push edx
    call uart_putc
    add esp, 4
    inc esi
    dec ecx
    jmp .byte
.done:
    jmp pvemu_try.done

hc_mmu_update:
    mov esi, [ebx + F_EBX]
    mov eax, PV_EINVAL
    mov ecx, [ebx + F_ECX]
    cmp ecx, MMU_UPDATE_MAX
    ja .err
    shl ecx, 3
    call check_range
    mov eax, PV_EFAULT
    jc .err
    xor ecx, ecx
.next:
    cmp ecx, [ebx + F_ECX]
    jae .all
    mov edi, [esi + ecx * 8]            ; ptr | command
    mov edx, [esi + ecx * 8 + 4]        ; val
    mov eax, edi
    and eax, 3
    cmp eax, MMU_CMD_PTE
    je .pte
    cmp eax, MMU_CMD_NEW_CR3
    je .cr3
    cmp eax, MMU_CMD_INVLPG
    je .invlpg
    mov eax, PV_EINVAL
    jmp pvemu_try.done
.pte:
    and edi, ~3
    mov eax, PV_EFAULT
    cmp edi, PVEMU_MEM - 4
    ja .err
    test edx, PTE_P
    jz .write
    mov eax, edx
    test edx, PDE_PS
    jz .small
    and eax, ~(LARGE_PAGE_SIZE - 1)
    add eax, LARGE_PAGE_SIZE - PAGE_SIZE
.small:
    and eax, ~(PAGE_SIZE - 1)
    cmp eax, PVEMU_MEM - PAGE_SIZE
    mov eax, PV_EPERM
    ja .err
.write:
    mov [edi], edx
    jmp .done_one
.cr3:
    mov eax, PV_EPERM
    cmp edx, PVEMU_MEM - PAGE_SIZE
    ja .err
    mov cr3, edx
    jmp .done_one
.invlpg:
    invlpg [edx]
.done_one:
    inc ecx
    jmp .next
.all:
    mov eax, ecx
.err:
    jmp pvemu_try.done

; static: esi = guest-virtual buffer, ecx = length. CF=1 unless every byte is mapped (through the
; current page tables, or directly with paging off) onto guest RAM. Preserves esi, ecx.
check_range:
    push eax
    push edx
    push edi
    test ecx, ecx
    jz .ok
    mov edi, esi
    add edi, ecx
    jc .bad                             ; wraps around 4 GiB
    dec edi
    and edi, ~(PAGE_SIZE - 1)           ; last page
    mov edx, esi
    and edx, ~(PAGE_SIZE - 1)
.page:
    call translate
    jc .bad
    cmp edx, edi
    je .ok
    add edx, PAGE_SIZE
    jmp .page
.ok:
    clc
    jmp .out
.bad:
    stc
.out:
    pop edi
    pop edx
    pop eax
    ret

; static: edx = linear address -> CF=1 when not present or not in guest RAM. Clobbers eax.
translate:
    push ecx
    mov eax, cr0
    test eax, CR0_PG
    mov eax, edx
    jz .ram
    mov eax, cr3
    and eax, ~(PAGE_SIZE - 1)
    mov ecx, edx
    shr ecx, 22
    mov eax, [eax + ecx * 4]            ; PDE (directories live in identity-mapped RAM)
    test eax, PTE_P
    jz .bad
    test eax, PDE_PS
    jz .table
    and eax, ~(LARGE_PAGE_SIZE - 1)
    mov ecx, edx
    and ecx, (LARGE_PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
    or eax, ecx
    jmp .ram
.table:
    and eax, ~(PAGE_SIZE - 1)
    cmp eax, PVEMU_MEM - PAGE_SIZE
    ja .bad
    mov ecx, edx
    shr ecx, 12
    and ecx, 0x3FF
    mov eax, [eax + ecx * 4]            ; PTE
    test eax, PTE_P
    jz .bad
    and eax, ~(PAGE_SIZE - 1)
.ram:
    cmp eax, PVEMU_MEM - PAGE_SIZE
    ja .bad
    clc
    pop ecx
    ret
.bad:
    stc
    pop ecx
    ret

hc_set_timer:
    mov al, PIT_CH0_LOHI_MODE0          ; also stops the counter until a count is written
    out PIT_CMD, al
    mov eax, [ebx + F_EBX]
    test eax, eax
    jz .done
    cmp eax, PIT_CLAMP_US               ; keeps the division below from overflowing
    jbe .small
    mov eax, PIT_CLAMP_US
.small:
    mov ecx, PIT_HZ
    mul ecx
    mov ecx, 1000000
    div ecx
    cmp eax, PIT_MAX_COUNT
    jbe .low
    mov eax, PIT_MAX_COUNT
.low:
    test eax, eax
    jnz .count
    inc eax
.count:
    out PIT_CH0, al
    mov al, ah
    out PIT_CH0, al
.done:
    xor eax, eax
    jmp pvemu_try.done

hc_block:
    ; The interrupt is taken here, nested in this #UD handler, before we return to the caller.
    sti
    hlt
    cli
    or dword [ebx + F_EFLAGS], FL_IF
    xor eax, eax
    jmp pvemu_try.done

hc_eoi:
    mov ecx, [ebx + F_EBX]
    mov eax, PV_EINVAL
    cmp ecx, 15
    ja .done
    mov al, PIC_OCW2_EOI
    cmp ecx, 8
    jb .master
    out PIC2_CMD, al
.master:
    out PIC1_CMD, al
    xor eax, eax
.done:
    jmp pvemu_try.done

hc_shutdown:
    mov eax, [ebx + F_EBX]
    out DEBUG_EXIT_PORT, al
.stop:
    hlt
    jmp .stop

section .rodata
align 4
calls:
    dd pvemu_try.enosys
    dd hc_console_write                 ; HC_CONSOLE_WRITE
    dd hc_mmu_update                    ; HC_MMU_UPDATE
    dd hc_set_timer                     ; HC_SET_TIMER
    dd hc_block                         ; HC_BLOCK
    dd hc_eoi                           ; HC_EOI
    dd hc_shutdown                      ; HC_SHUTDOWN
s_pvemu: db "pvemu", 0

section .bss
pvemu_on: resd 1
