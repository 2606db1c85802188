; Multiboot v1 header and kernel entry: stack, .bss, command line, console, PV detection, main().
; Deliberately touches no descriptor table, so the smallest guests (hello, the MIPS loops) run on a
; processor that has nothing but flat protected mode; guests that need GDT/IDT call cpu_init().
global _start, mb_info, kernel_stack_top
%include "guest.inc"

extern cmdline_init, pv_detect, main

section .multiboot
align 4
    dd MB_HEADER_MAGIC
    dd MB_HEADER_FLAGS
    dd -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

section .text
_start:
    cli
    cld
    mov esp, kernel_stack_top
    mov esi, eax                        ; boot magic
    mov edx, ebx                        ; information structure
    ; Clear .bss (the loader may have done it; the specification does not promise it).
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd
    mov [mb_info], edx
    cmp esi, MB_BOOT_MAGIC
    jne .bad_boot
    ; The command line lives in loader memory past our image: copy it before anything else runs.
    push edx
    call cmdline_init
    add esp, 4
    call serial_init
    call pv_detect
    call main
    push eax
    call exit

.bad_boot:
    call serial_init
    PRINT "not started by a Multiboot loader", 10
    EXIT EXIT_BAD_BOOT

section .bss
alignb 16
mb_info:        resd 1
alignb 16
kernel_stack:   resb 16384
kernel_stack_top:
