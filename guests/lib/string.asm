; The C string/memory functions gcc may call even in freestanding code (it emits calls to memcpy,
; memmove, memset and memcmp for struct copies and loops it recognizes), plus strlen.
global memcpy, memmove, memset, memcmp, strlen, fnv1a
%include "guest.inc"

section .text
; void *memcpy(void *dst, const void *src, size_t n)
memcpy:
    push esi
    push edi
    mov edi, [esp + 12]
    mov esi, [esp + 16]
    mov ecx, [esp + 20]
    mov eax, edi
    cld
    rep movsb
    pop edi
    pop esi
    ret

; void *memmove(void *dst, const void *src, size_t n)
memmove:
    push esi
    push edi
    mov edi, [esp + 12]
    mov esi, [esp + 16]
    mov ecx, [esp + 20]
    mov eax, edi
    cmp edi, esi
    jbe .forward
    lea esi, [esi + ecx - 1]
    lea edi, [edi + ecx - 1]
    std
    rep movsb
    cld
    jmp .done
.forward:
    cld
    rep movsb
.done:
    pop edi
    pop esi
    ret

; void *memset(void *dst, int c, size_t n)
memset:
    push edi
    mov edi, [esp + 8]
    mov eax, [esp + 12]
    mov ecx, [esp + 16]
    mov edx, edi
    cld
    rep stosb
    mov eax, edx
    pop edi
    ret

; int memcmp(const void *a, const void *b, size_t n)
memcmp:
    push esi
    push edi
    mov esi, [esp + 12]
    mov edi, [esp + 16]
    mov ecx, [esp + 20]
    xor eax, eax
    cld
    repe cmpsb
    je .done
    movzx eax, byte [esi - 1]
    movzx ecx, byte [edi - 1]
    sub eax, ecx
.done:
    pop edi
    pop esi
    ret

; size_t strlen(const char *s)
strlen:
    mov edx, [esp + 4]
    xor eax, eax
.next:
    cmp byte [edx + eax], 0
    je .done
    inc eax
    jmp .next
.done:
    ret

; unsigned fnv1a(const void *buf, size_t n): 32-bit FNV-1a hash of the bytes (for checksums the
; guests print). Preserves every register but EAX.
fnv1a:
    push ecx
    push edx
    push esi
    mov esi, [esp + 16]
    mov ecx, [esp + 20]
    mov eax, 0x811C9DC5
.byte:
    test ecx, ecx
    jz .done
    movzx edx, byte [esi]
    xor eax, edx
    imul eax, eax, 0x01000193
    inc esi
    dec ecx
    jmp .byte
.done:
    pop esi
    pop edx
    pop ecx
    ret
