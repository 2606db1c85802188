; hello: the smallest guest. Prints one line on COM1 and exits with status 0 through port 0xF4.
; Uses only flat protected mode as Multiboot leaves it (no GDT/IDT of its own).
%include "guest.inc"

global main

section .text
main:
    PRINT "Hello, world! This is the hello guest.", 10
    xor eax, eax
    ret
