; PV detection and the raw hypercall. At boot, pv_detect() looks for the hypervisor the way real
; guests do (CPUID.1:ECX[31], then the signature at leaf 0x40000000) and records the feature bits
; of leaf 0x40000001 in pv_features; each library path (console, MMU, timer, idle, EOI, exit) then
; takes the hypercall only if its bit is set. Without the signature everything uses the hardware.
; The `nopv` command-line flag forces the hardware paths even under a PV hypervisor.
global pv_detect, pv_features, hypercall
%include "guest.inc"

section .text
pv_detect:
    pushad
    mov dword [pv_features], 0
    push s_nopv
    call cmdline_flag
    add esp, 4
    test eax, eax
    jnz .done
    mov eax, 1
    cpuid
    test ecx, CPUID1_ECX_HYPERVISOR
    jz .done
    ; Compare the signature, not just the bit: QEMU and other hypervisors set bit 31 too.
    mov eax, CPUID_HV_BASE
    cpuid
    cmp ebx, PV_SIGNATURE_EBX
    jne .done
    cmp ecx, PV_SIGNATURE_ECX
    jne .done
    cmp edx, PV_SIGNATURE_EDX
    jne .done
    cmp eax, PV_LEAF_FEATURES
    jb .done
    mov eax, PV_LEAF_FEATURES
    cpuid
    and eax, PV_F_ALL
    mov [pv_features], eax
.done:
    popad
    ret

; int hypercall(int nr, unsigned a1, unsigned a2, unsigned a3, unsigned a4): VMCALL with the
; number in EAX and arguments in EBX, ECX, EDX, ESI; the result comes back in EAX.
hypercall:
    push ebx
    push ecx
    push edx
    push esi
    mov eax, [esp + 20]
    mov ebx, [esp + 24]
    mov ecx, [esp + 28]
    mov edx, [esp + 32]
    mov esi, [esp + 36]
    vmcall
    pop esi
    pop edx
    pop ecx
    pop ebx
    ret

section .rodata
s_nopv: db "nopv", 0

section .bss
pv_features: resd 1
