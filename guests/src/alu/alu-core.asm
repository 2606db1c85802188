; The instruction-set tests behind the `alu` guest, independent of ring and machine: they use only
; unprivileged instructions and print through puts/putc/put_hex32, so the same object also links
; into a Linux i386 program that runs them on the host processor.
;
; Each test is a record {name, body, driver, mask}. A driver loads operands from a grid, sets the
; arithmetic flags to a known pattern (all clear, then all set), calls the body (usually one
; instruction), then folds EAX, EBX, ECX, EDX and EFLAGS & mask into a hash. The mask keeps exactly
; the flags the SDM defines for that instruction (and operands), so undefined flags never reach the
; output; for shifts the mask depends on the count and is computed by a mask function.
global alu_tests
%include "guest.inc"

%define HASH_INIT   0x811C9DC5
%define HASH_MUL    0x01000193
%define NVALS       20
%define NCOUNTS     15
%define R_NAME      0
%define R_BODY      4
%define R_DRV       8
%define R_MASK      12
%define R_SIZE      16
%define MASKFN_MIN  0x10000                 ; a mask field at or above this is a mask function

%define M_ALL       FL_ARITH
%define M_LOGIC     (FL_ARITH & ~FL_AF)     ; AND/OR/XOR/TEST: AF undefined
%define M_CFOF      (FL_CF | FL_OF)         ; MUL/IMUL: SF ZF AF PF undefined
%define M_NONE      0                       ; DIV/IDIV: every flag undefined
%define M_BT        (FL_CF | FL_ZF)         ; BT*: CF defined, ZF unaffected, the rest undefined
%define M_ZF        FL_ZF                   ; BSF/BSR
%define M_SH1       (FL_ARITH & ~FL_AF)     ; shift by 1: OF defined, AF undefined
%define M_SHN       (FL_ARITH & ~FL_AF & ~FL_OF)
%define M_ROTN      (FL_ARITH & ~FL_OF)     ; rotate by >1: OF undefined, SF ZF AF PF unaffected

%macro MIX 1
    push dword %1
    call mix
%endmacro

; OP "name", driver, mask, one instruction
%macro OP 4+
    [section .rodata]
    %%name: db %1, 0
    [section .text]
    %%body:
    %4
    ret
    [section .rodata.alutab]
    dd %%name, %%body, %2, %3
    __SECT__
%endmacro
; OPM: the instruction has a memory destination [scratch], which starts as EAX and ends in EAX
%macro OPM 4+
    [section .rodata]
    %%name: db %1, 0
    [section .text]
    %%body:
    mov [scratch], eax
    %4
    mov eax, [scratch]
    ret
    [section .rodata.alutab]
    dd %%name, %%body, %2, %3
    __SECT__
%endmacro
; OPRM: the instruction has a memory source [scratch] holding EBX
%macro OPRM 4+
    [section .rodata]
    %%name: db %1, 0
    [section .text]
    %%body:
    mov [scratch], ebx
    %4
    ret
    [section .rodata.alutab]
    dd %%name, %%body, %2, %3
    __SECT__
%endmacro
; FN "name", driver, mask, label: a body written out below
%macro FN 4
    [section .rodata]
    %%name: db %1, 0
    [section .rodata.alutab]
    dd %%name, %4, %2, %3
    __SECT__
%endmacro

; Every register/memory/immediate form of a two-operand ALU instruction.
%macro ALU_FORMS 2
    %defstr ALU_MN %1
    %strcat ALU_N ALU_MN, "8"
    OP ALU_N, drv_pairs, %2, %1 al, bl
    %strcat ALU_N ALU_MN, "8 high"
    OP ALU_N, drv_pairs, %2, %1 ah, bh
    %strcat ALU_N ALU_MN, "8 mixed"
    OP ALU_N, drv_pairs, %2, %1 cl, dh
    %strcat ALU_N ALU_MN, "16"
    OP ALU_N, drv_pairs, %2, %1 ax, bx
    %strcat ALU_N ALU_MN, "32"
    OP ALU_N, drv_pairs, %2, %1 eax, ebx
    %strcat ALU_N ALU_MN, "32 m,r"
    OPM ALU_N, drv_pairs, %2, %1 [scratch], ebx
    %strcat ALU_N ALU_MN, "16 m,r"
    OPM ALU_N, drv_pairs, %2, %1 [scratch], bx
    %strcat ALU_N ALU_MN, "8 m,r"
    OPM ALU_N, drv_pairs, %2, %1 [scratch], bl
    %strcat ALU_N ALU_MN, "32 r,m"
    OPRM ALU_N, drv_pairs, %2, %1 eax, [scratch]
    %strcat ALU_N ALU_MN, "8 r,m"
    OPRM ALU_N, drv_pairs, %2, %1 al, [scratch + 1]
    %strcat ALU_N ALU_MN, "32 eax,imm32"
    OP ALU_N, drv_unary, %2, %1 eax, 0x8000_7FFF
    %strcat ALU_N ALU_MN, "32 r,imm32"
    OP ALU_N, drv_pairs, %2, %1 ebx, 0x1234_5678
    %strcat ALU_N ALU_MN, "32 r,simm8"
    OP ALU_N, drv_pairs, %2, %1 ebx, byte -3
    %strcat ALU_N ALU_MN, "32 m,simm8"
    OPM ALU_N, drv_unary, %2, %1 dword [scratch], byte 0x7F
    %strcat ALU_N ALU_MN, "16 ax,imm16"
    OP ALU_N, drv_unary, %2, %1 ax, 0x8001
    %strcat ALU_N ALU_MN, "16 r,simm8"
    OP ALU_N, drv_pairs, %2, %1 bx, byte -128
    %strcat ALU_N ALU_MN, "8 al,imm8"
    OP ALU_N, drv_unary, %2, %1 al, 0x81
    %strcat ALU_N ALU_MN, "8 r,imm8"
    OP ALU_N, drv_pairs, %2, %1 dl, 0x7F
%endmacro

; Shifts and rotates by CL for the three sizes (mask functions decide what is defined).
%macro SHIFT_CL 3
    %defstr SH_MN %1
    %strcat SH_N SH_MN, "8 cl"
    OP SH_N, drv_shift, %2_8, %1 al, cl
    %strcat SH_N SH_MN, "16 cl"
    OP SH_N, drv_shift, %2_16, %1 ax, cl
    %strcat SH_N SH_MN, "32 cl"
    OP SH_N, drv_shift, %2_32, %1 eax, cl
    %strcat SH_N SH_MN, "32 m,cl"
    OPM SH_N, drv_shift, %2_32, %1 dword [scratch], cl
    %strcat SH_N SH_MN, "32 1"
    OP SH_N, drv_unary, %3, %1 eax, 1
    %strcat SH_N SH_MN, "16 1"
    OP SH_N, drv_unary, %3, %1 bx, 1
%endmacro

section .text
; void alu_tests(void): runs every record, one line each: "name hash".
alu_tests:
    pushad
    mov esi, alu_table
.next:
    cmp dword [esi + R_NAME], 0
    je .done
    mov [cur], esi
    mov dword [hash], HASH_INIT
    call [esi + R_DRV]
    mov esi, [cur]
    push dword [esi + R_NAME]
    call puts
    add esp, 4
    PCHAR ' '
    PHEX dword [hash]
    PCHAR 10
    add esi, R_SIZE
    jmp .next
.done:
    popad
    ret

; mix(value): hash = fold((hash ^ value) * HASH_MUL), 64-bit product folded. Preserves registers.
mix:
    push eax
    push edx
    mov eax, [hash]
    xor eax, [esp + 12]
    mov edx, HASH_MUL
    mul edx
    xor eax, edx
    mov [hash], eax
    pop edx
    pop eax
    ret 4

; static: edx = EFLAGS after the body (on the stack top at entry) & the record's mask (constant
; masks only). Folds EAX..EDX and the masked flags.
fold_regs_flags:
    MIX eax
    MIX ebx
    MIX ecx
    mov eax, [esp + 4]                  ; the flags the caller pushed
    and eax, [mask_now]
    MIX edx
    MIX eax
    ret

; Pairs driver: a and b over the value grid, both flag patterns. EAX=a, EBX=b, ECX=rol(b,7), EDX=~a.
drv_pairs:
    mov eax, [cur]
    mov eax, [eax + R_MASK]
    mov [mask_now], eax
    xor ebp, ebp
.a:
    xor edi, edi
.b:
    xor esi, esi
.f:
    mov eax, [vals + ebp * 4]
    mov ebx, [vals + edi * 4]
    mov ecx, ebx
    rol ecx, 7
    mov edx, eax
    not edx
    push dword [flags_in + esi * 4]
    push esi
    mov esi, [cur]
    mov esi, [esi + R_BODY]
    mov [body_now], esi
    pop esi
    popfd
    call [body_now]
    pushfd
    call fold_regs_flags
    add esp, 4
    inc esi
    cmp esi, 2
    jb .f
    inc edi
    cmp edi, NVALS
    jb .b
    inc ebp
    cmp ebp, NVALS
    jb .a
    ret

; Unary driver: a over the grid, both flag patterns. EAX=a, EBX=rol(a,13), ECX=~a, EDX=a*3.
drv_unary:
    mov eax, [cur]
    mov eax, [eax + R_MASK]
    mov [mask_now], eax
    mov eax, [cur]
    mov eax, [eax + R_BODY]
    mov [body_now], eax
    xor ebp, ebp
.a:
    xor esi, esi
.f:
    mov eax, [vals + ebp * 4]
    mov ebx, eax
    rol ebx, 13
    mov ecx, eax
    not ecx
    lea edx, [eax + eax * 2]
    push dword [flags_in + esi * 4]
    popfd
    call [body_now]
    pushfd
    call fold_regs_flags
    add esp, 4
    inc esi
    cmp esi, 2
    jb .f
    inc ebp
    cmp ebp, NVALS
    jb .a
    ret

; Shift driver: a over the grid, the count over a list (including 0 and counts the processor
; masks to 5 bits), both flag patterns. EAX=a, EBX=another grid value (SHLD/SHRD source), ECX=count.
; The record's mask field is a function: ecx=count -> edx=mask, CF=1 to skip this count.
drv_shift:
    mov eax, [cur]
    mov eax, [eax + R_BODY]
    mov [body_now], eax
    xor ebp, ebp
.a:
    xor edi, edi
.c:
    mov ecx, [counts + edi * 4]
    mov eax, [cur]
    call [eax + R_MASK]
    jc .skip
    mov [mask_now], edx
    xor esi, esi
.f:
    mov eax, [vals + ebp * 4]
    lea ebx, [ebp + 7]
    cmp ebx, NVALS
    jb .idx
    sub ebx, NVALS
.idx:
    mov ebx, [vals + ebx * 4]
    mov ecx, [counts + edi * 4]
    xor edx, edx
    push dword [flags_in + esi * 4]
    popfd
    call [body_now]
    pushfd
    call fold_regs_flags
    add esp, 4
    inc esi
    cmp esi, 2
    jb .f
.skip:
    inc edi
    cmp edi, NCOUNTS
    jb .c
    inc ebp
    cmp ebp, NVALS
    jb .a
    ret

; Self driver: the body does its own loops and MIXes.
drv_self:
    mov eax, [cur]
    jmp [eax + R_BODY]

; ---- mask functions for shifts (SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD) ----
; count 0: no flag changes; AF undefined for a non-zero count; OF only for a count of 1;
; SHL/SHR: CF undefined when the count is at least the operand size.
%macro SH_MASKFN 2                      ; label, operand size (0: no CF rule)
%1:
    mov edx, ecx
    and edx, 31
    jz %%all
    cmp edx, 1
    mov edx, M_SH1
    je %%ok
    mov edx, M_SHN
%if %2
    push ecx
    and ecx, 31
    cmp ecx, %2
    pop ecx
    jb %%ok
    and edx, ~FL_CF
%endif
    jmp %%ok
%%all:
    mov edx, M_ALL
%%ok:
    clc
    ret
%endmacro
SH_MASKFN mask_sh_8, 8
SH_MASKFN mask_sh_16, 16
SH_MASKFN mask_sh_32, 32
SH_MASKFN mask_sar_8, 0
SH_MASKFN mask_sar_16, 0
SH_MASKFN mask_sar_32, 0

; rotates: OF only for a count of 1 (masked count)
mask_rot:
mask_rot_8:
mask_rot_16:
mask_rot_32:
    mov edx, ecx
    and edx, 31
    cmp edx, 1
    mov edx, M_ALL
    jbe .ok
    mov edx, M_ROTN
.ok:
    clc
    ret

; SHLD/SHRD: as shifts; 16-bit operands with a count above 16 give undefined results: skipped.
mask_shd_32:
    mov edx, ecx
    and edx, 31
    jz .all
    cmp edx, 1
    mov edx, M_SH1
    je .ok
    mov edx, M_SHN
.ok:
    clc
    ret
.all:
    mov edx, M_ALL
    clc
    ret
mask_shd_16:
    mov edx, ecx
    and edx, 31
    cmp edx, 16
    ja .skip
    jmp mask_shd_32
.skip:
    stc
    ret

; ---- bodies written out ----
div32_body:
    test ebx, ebx
    jz .skip
    mov edx, eax
    shr edx, 3
    cmp edx, ebx
    jb .go
    xor edx, edx
.go:
    div ebx
.skip:
    ret

div16_body:
    test bx, bx
    jz .skip
    mov dx, ax
    shr dx, 3
    cmp dx, bx
    jb .go
    xor dx, dx
.go:
    div bx
.skip:
    ret

div8_body:
    test bl, bl
    jz .skip
    mov ah, al
    shr ah, 3
    cmp ah, bl
    jb .go
    xor ah, ah
.go:
    div bl
.skip:
    ret

divm32_body:
    test ebx, ebx
    jz .skip
    mov [scratch], ebx
    xor edx, edx
    div dword [scratch]
.skip:
    ret

idiv32_body:
    test ebx, ebx
    jz .skip
    cmp ebx, -1
    jne .go
    cmp eax, 0x80000000
    je .skip
.go:
    cdq
    idiv ebx
.skip:
    ret

idiv16_body:
    test bx, bx
    jz .skip
    cmp bx, -1
    jne .go
    cmp ax, 0x8000
    je .skip
.go:
    cwd
    idiv bx
.skip:
    ret

idiv8_body:
    test bl, bl
    jz .skip
    cmp bl, -1
    jne .go
    cmp al, 0x80
    je .skip
.go:
    cbw
    idiv bl
.skip:
    ret

; 64-bit dividend with a non-trivial high half: |edx:eax| / ebx where the quotient fits.
idiv64_body:
    test ebx, ebx
    jz .skip
    mov edx, ebx
    sar edx, 8                          ; |high| well below |divisor|: the quotient fits
    cmp ebx, -256
    jl .go
    cmp ebx, 256
    jg .go
    cdq                                 ; small divisors: just sign-extend
    cmp ebx, -1
    jne .go
    cmp eax, 0x80000000
    je .skip
.go:
    idiv ebx
.skip:
    ret

bsf32_body:
    mov edx, 0x5EED
    bsf edx, eax
    jnz .ok
    mov edx, 0x0BAD                     ; destination undefined for a zero source
.ok:
    ret
bsr32_body:
    mov edx, 0x5EED
    bsr edx, eax
    jnz .ok
    mov edx, 0x0BAD
.ok:
    ret
bsf16_body:
    mov edx, 0x5EED
    bsf dx, ax
    jnz .ok
    mov edx, 0x0BAD
.ok:
    ret
bsr16_body:
    mov edx, 0x5EED
    bsr dx, ax
    jnz .ok
    mov edx, 0x0BAD
.ok:
    ret
bsfm_body:
    mov [scratch], eax
    mov edx, 0x5EED
    bsr edx, [scratch]
    jnz .ok
    mov edx, 0x0BAD
.ok:
    ret
; F3 0F BC as gcc emits it for __builtin_ctz: BSF on processors without BMI1 (TZCNT with it);
; both agree on the result for a non-zero source, which is all this checks (flags differ).
repbsf_body:
    test eax, eax
    jz .skip
    db 0xF3
    bsf edx, eax
.skip:
    ret

; bit-string instructions on memory with a register offset: offsets -128..127 around `bitstr_mid`
%macro BITSTR_BODY 2                    ; label, instruction
%1:
    movsx ebx, bl
    %2
    pushfd
    MIX dword [bitstr]
    MIX dword [bitstr + 4]
    MIX dword [bitstr + 8]
    MIX dword [bitstr + 12]
    MIX dword [bitstr + 16]
    MIX dword [bitstr + 20]
    MIX dword [bitstr + 24]
    MIX dword [bitstr + 28]
    popfd
    ret
%endmacro
BITSTR_BODY btm_body, {bt [bitstr_mid], ebx}
BITSTR_BODY btsm_body, {bts [bitstr_mid], ebx}
BITSTR_BODY btrm_body, {btr [bitstr_mid], ebx}
BITSTR_BODY btcm_body, {btc [bitstr_mid], ebx}
BITSTR_BODY btsm16_body, {bts [bitstr_mid], bx}

cmpxchg32_body:
    mov [scratch], ebx
    cmpxchg [scratch], ecx
    mov ebx, [scratch]
    ret
cmpxchg8_body:
    mov [scratch], ebx
    cmpxchg [scratch], cl
    mov ebx, [scratch]
    ret
cmpxchg16_body:
    mov [scratch], ebx
    cmpxchg [scratch], cx
    mov ebx, [scratch]
    ret

; CMPXCHG8B: equal and unequal, ZF defined, other flags unaffected.
cmpxchg8b_body:
    xor ebp, ebp
.case:
    mov eax, [c8b_cases + ebp * 8]
    mov edx, [c8b_cases + ebp * 8 + 4]
    mov dword [scratch], 0x11111111
    mov dword [scratch + 4], 0x22222222
    mov ebx, 0x33333333
    mov ecx, 0x44444444
    push dword [flags_in + 4]
    popfd
    lock cmpxchg8b [scratch]
    pushfd
    pop esi
    and esi, M_ALL
    MIX esi
    MIX eax
    MIX edx
    MIX dword [scratch]
    MIX dword [scratch + 4]
    inc ebp
    cmp ebp, 3
    jb .case
    ret

; setcc, cmovcc and jcc (short and near) for every combination of CF PF ZF SF OF.
%macro FOR_CC 1
    %1 o, 0
    %1 no, 1
    %1 b, 2
    %1 ae, 3
    %1 e, 4
    %1 ne, 5
    %1 be, 6
    %1 a, 7
    %1 s, 8
    %1 ns, 9
    %1 p, 10
    %1 np, 11
    %1 l, 12
    %1 ge, 13
    %1 le, 14
    %1 g, 15
%endmacro
%macro DO_SETCC 2
    set%1 byte [ccbuf + %2]
%endmacro
%macro DO_SETCC_REG 2
    set%1 dl
    mov [ccbuf + 16 + %2], dl
%endmacro
%macro DO_CMOV 2
    mov eax, 0xFFFF0000 + %2
    mov ecx, %2
    cmov%1 eax, ecx
    mov [cmovbuf + %2 * 4], eax
%endmacro
%macro DO_CMOV16 2
    mov eax, 0xFFFFFFFF
    mov [scratch], dword %2 * 0x10001
    cmov%1 ax, [scratch]
    mov [cmovbuf + 64 + %2 * 4], eax
%endmacro
%macro DO_JCC 2
    mov byte [jbuf + %2], 0
    j%1 %%t
    jmp %%d
%%t:
    mov byte [jbuf + %2], 1
%%d:
    mov byte [jbuf + 16 + %2], 0
    j%1 near %%t2
    jmp near %%d2
%%t2:
    mov byte [jbuf + 16 + %2], 1
%%d2:
%endmacro

cc_body:
    xor edi, edi
.combo:
    ; bits of edi -> CF PF ZF SF OF
    mov eax, FL_RSVD1
    bt edi, 0
    jnc .1
    or eax, FL_CF
.1: bt edi, 1
    jnc .2
    or eax, FL_PF
.2: bt edi, 2
    jnc .3
    or eax, FL_ZF
.3: bt edi, 3
    jnc .4
    or eax, FL_SF
.4: bt edi, 4
    jnc .5
    or eax, FL_OF
.5: push eax
    popfd
    FOR_CC DO_SETCC
    FOR_CC DO_SETCC_REG
    FOR_CC DO_CMOV
    FOR_CC DO_CMOV16
    FOR_CC DO_JCC
    xor esi, esi
.fold:
    MIX dword [ccbuf + esi * 4]
    MIX dword [jbuf + esi * 4]
    inc esi
    cmp esi, 8
    jb .fold
    xor esi, esi
.fold2:
    MIX dword [cmovbuf + esi * 4]
    inc esi
    cmp esi, 32
    jb .fold2
    inc edi
    cmp edi, 32
    jb .combo
    ret

; LOOP/LOOPE/LOOPNE/JECXZ, and their 16-bit address-size forms that count in CX.
loop_body:
    mov ecx, 5
    xor eax, eax
.l1:
    inc eax
    loop .l1
    MIX eax
    MIX ecx
    mov ecx, 10
    xor ebx, ebx
.l2:
    inc ebx
    cmp ebx, 3
    loopne .l2
    MIX ebx
    MIX ecx
    mov ecx, 10
    xor ebx, ebx
.l3:
    inc ebx
    cmp ebx, 4
    loope .l3                           ; ZF=0 at once: one pass
    MIX ebx
    MIX ecx
    mov ecx, 0x00010003
    xor eax, eax
.l4:
    inc eax
    loop .l4, cx
    MIX eax
    MIX ecx
    xor eax, eax
    xor ecx, ecx
    jecxz .z1
    mov eax, 1
.z1:
    MIX eax
    mov ecx, 0x10000
    mov eax, 2
    jcxz .z2
    mov eax, 3
.z2:
    MIX eax
    ret

; PUSH/POP forms, PUSHAD/POPAD, ENTER/LEAVE with nesting levels 0, 1 and 3.
stack_body:
    mov ebp, esp
    mov eax, 0x5678
    push byte -2
    push dword 0x12345678
    push word 0xABCD
    push word ax
    mov eax, esp
    sub eax, ebp
    MIX eax
    MIX dword [esp]
    MIX dword [esp + 4]
    MIX dword [esp + 8]
    pop word bx
    pop word cx
    pop edx
    pop esi
    MIX ebx
    MIX ecx
    MIX edx
    MIX esi
    mov eax, 0x01010101
    mov ebx, 0x02020202
    mov ecx, 0x03030303
    mov edx, 0x04040404
    mov esi, 0x05050505
    mov edi, 0x06060606
    push ebp
    mov ebp, 0x07070707
    pushad
    MIX dword [esp]
    MIX dword [esp + 4]
    MIX dword [esp + 8]
    MIX dword [esp + 16]
    MIX dword [esp + 20]
    MIX dword [esp + 24]
    MIX dword [esp + 28]
    mov eax, [esp + 12]                 ; the ESP PUSHAD saved
    sub eax, esp
    MIX eax
    mov dword [esp], 0x11
    mov dword [esp + 12], 0x99          ; POPAD skips the ESP slot
    mov dword [esp + 28], 0x88
    popad
    MIX edi
    MIX eax
    MIX ebp
    pop ebp
    ; ENTER/LEAVE
    push ebp
    mov ebp, esp
    mov esi, esp
    enter 16, 0
    mov eax, esi
    sub eax, esp
    MIX eax
    leave
    mov eax, esi
    sub eax, esp
    MIX eax
    push dword 0xAAAA0001               ; a fake outer frame chain for the nesting levels
    push dword 0xAAAA0002
    push dword 0xAAAA0003
    lea ebp, [esp + 12]                 ; [ebp-4], [ebp-8]: the outer frame pointers ENTER copies
    mov esi, esp
    enter 8, 1
    mov eax, esi
    sub eax, esp
    MIX eax
    mov eax, [ebp - 4]
    sub eax, esi
    MIX eax
    leave
    lea ebp, [esp + 12]
    enter 4, 3
    mov eax, esi
    sub eax, esp
    MIX eax
    mov eax, [ebp - 4]
    MIX eax
    mov eax, [ebp - 8]
    MIX eax
    mov eax, [ebp - 12]
    sub eax, esi
    MIX eax
    leave
    add esp, 12
    pop ebp
    ret

; CLC/STC/CMC/CLD/STD and PUSHF/POPF of the arithmetic flags.
flagops_body:
    push dword FL_RSVD1
    popfd
    stc
    pushfd
    cmc
    pushfd
    cmc
    pushfd
    clc
    pushfd
    std
    pushfd
    cld
    pushfd
    mov ecx, 6
.f:
    pop eax
    and eax, M_ALL | FL_DF
    MIX eax
    loop .f
    ret

section .rodata
align 4
vals:
    dd 0x00000000, 0x00000001, 0x00000002, 0x0000007F, 0x00000080
    dd 0x000000FF, 0x00000100, 0x00007FFF, 0x00008000, 0x0000FFFF
    dd 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x12345678
    dd 0x89ABCDEF, 0x807F7F80, 0x0000017F, 0x55AA55AA, 0xFFFF8001
counts:
    dd 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63
flags_in:
    dd FL_RSVD1, FL_RSVD1 | M_ALL
c8b_cases:
    dd 0x11111111, 0x22222222           ; equal
    dd 0x11111111, 0x22222223           ; high differs
    dd 0x11111110, 0x22222222           ; low differs

section .rodata.alutab
align 4
alu_table:
    ALU_FORMS add, M_ALL
    ALU_FORMS adc, M_ALL
    ALU_FORMS sub, M_ALL
    ALU_FORMS sbb, M_ALL
    ALU_FORMS cmp, M_ALL
    ALU_FORMS and, M_LOGIC
    ALU_FORMS or, M_LOGIC
    ALU_FORMS xor, M_LOGIC
    OP "test8", drv_pairs, M_LOGIC, test al, bl
    OP "test16", drv_pairs, M_LOGIC, test ax, bx
    OP "test32", drv_pairs, M_LOGIC, test eax, ebx
    OPM "test32 m,r", drv_pairs, M_LOGIC, test [scratch], ebx
    OP "test32 eax,imm32", drv_unary, M_LOGIC, test eax, 0x80000001
    OP "test8 r,imm8", drv_unary, M_LOGIC, test bh, 0x81

    OP "inc8", drv_unary, M_ALL, inc al
    OP "inc16", drv_unary, M_ALL, inc ax
    OP "inc32", drv_unary, M_ALL, inc eax
    OPM "inc32 m", drv_unary, M_ALL, inc dword [scratch]
    OP "dec8", drv_unary, M_ALL, dec ah
    OP "dec16", drv_unary, M_ALL, dec bx
    OP "dec32", drv_unary, M_ALL, dec ecx
    OPM "dec16 m", drv_unary, M_ALL, dec word [scratch]
    OP "neg8", drv_unary, M_ALL, neg al
    OP "neg16", drv_unary, M_ALL, neg ax
    OP "neg32", drv_unary, M_ALL, neg eax
    OPM "neg32 m", drv_unary, M_ALL, neg dword [scratch]
    OP "not8", drv_unary, M_ALL, not al
    OP "not16", drv_unary, M_ALL, not ax
    OP "not32", drv_unary, M_ALL, not eax
    OPM "not32 m", drv_unary, M_ALL, not dword [scratch]

    SHIFT_CL shl, mask_sh, M_SH1
    SHIFT_CL shr, mask_sh, M_SH1
    SHIFT_CL sar, mask_sar, M_SH1
    SHIFT_CL rol, mask_rot, M_ALL
    SHIFT_CL ror, mask_rot, M_ALL
    SHIFT_CL rcl, mask_rot, M_ALL
    SHIFT_CL rcr, mask_rot, M_ALL
    OP "shl32 c1 1", drv_unary, M_SH1, db 0xC1, 0xE0, 0x01
    OP "shl32 7", drv_unary, M_SHN, shl eax, 7
    OP "shr16 9", drv_unary, M_SHN, shr ax, 9
    OP "sar8 3", drv_unary, M_SHN, sar al, 3
    OP "sar32 31", drv_unary, M_SHN, sar eax, 31
    OP "rol8 4", drv_unary, M_ROTN, rol al, 4
    OP "rol16 8", drv_unary, M_ROTN, rol ax, 8
    OP "ror32 13", drv_unary, M_ROTN, ror eax, 13
    OP "rcl8 1", drv_unary, M_ALL, rcl bl, 1
    OP "rcr32 5", drv_unary, M_ROTN, rcr eax, 5
    OP "rcl16 17", drv_unary, M_ROTN, rcl ax, 17
    OP "shld32 cl", drv_shift, mask_shd_32, shld eax, ebx, cl
    OP "shrd32 cl", drv_shift, mask_shd_32, shrd eax, ebx, cl
    OP "shld16 cl", drv_shift, mask_shd_16, shld ax, bx, cl
    OP "shrd16 cl", drv_shift, mask_shd_16, shrd ax, bx, cl
    OPM "shld32 m,cl", drv_shift, mask_shd_32, shld [scratch], ebx, cl
    OP "shld32 imm 1", drv_pairs, M_SH1, shld eax, ebx, 1
    OP "shrd32 imm 12", drv_pairs, M_SHN, shrd eax, ebx, 12

    OP "mul8", drv_pairs, M_CFOF, mul bl
    OP "mul16", drv_pairs, M_CFOF, mul bx
    OP "mul32", drv_pairs, M_CFOF, mul ebx
    OPRM "mul32 m", drv_pairs, M_CFOF, mul dword [scratch]
    OP "imul8", drv_pairs, M_CFOF, imul bl
    OP "imul16", drv_pairs, M_CFOF, imul bx
    OP "imul32", drv_pairs, M_CFOF, imul ebx
    OP "imul32 r,r", drv_pairs, M_CFOF, imul eax, ebx
    OP "imul16 r,r", drv_pairs, M_CFOF, imul ax, bx
    OPRM "imul32 r,m", drv_pairs, M_CFOF, imul ecx, [scratch]
    OP "imul32 r,r,simm8", drv_pairs, M_CFOF, imul eax, ebx, -7
    OP "imul32 r,r,imm32", drv_pairs, M_CFOF, imul edx, ebx, 0x12345
    OP "imul16 r,r,imm16", drv_pairs, M_CFOF, imul ax, bx, 0x1234
    FN "div8", drv_pairs, M_NONE, div8_body
    FN "div16", drv_pairs, M_NONE, div16_body
    FN "div32", drv_pairs, M_NONE, div32_body
    FN "div32 m", drv_pairs, M_NONE, divm32_body
    FN "idiv8", drv_pairs, M_NONE, idiv8_body
    FN "idiv16", drv_pairs, M_NONE, idiv16_body
    FN "idiv32", drv_pairs, M_NONE, idiv32_body
    FN "idiv32 64-bit dividend", drv_pairs, M_NONE, idiv64_body

    OP "bt32 r,r", drv_pairs, M_BT, bt eax, ebx
    OP "bts32 r,r", drv_pairs, M_BT, bts eax, ebx
    OP "btr32 r,r", drv_pairs, M_BT, btr eax, ebx
    OP "btc32 r,r", drv_pairs, M_BT, btc eax, ebx
    OP "bt16 r,r", drv_pairs, M_BT, bt ax, bx
    OP "bts16 r,r", drv_pairs, M_BT, bts ax, bx
    OP "btr16 r,r", drv_pairs, M_BT, btr ax, bx
    OP "btc16 r,r", drv_pairs, M_BT, btc ax, bx
    OP "bt32 imm", drv_unary, M_BT, bt eax, 13
    OP "bts32 imm", drv_unary, M_BT, bts eax, 31
    OP "btr16 imm", drv_unary, M_BT, btr ax, 15
    OP "btc32 imm", drv_unary, M_BT, btc ebx, 0
    OPM "bts32 m,imm", drv_unary, M_BT, bts dword [scratch], 7
    FN "bt m,r bit string", drv_pairs, M_BT, btm_body
    FN "bts m,r bit string", drv_pairs, M_BT, btsm_body
    FN "btr m,r bit string", drv_pairs, M_BT, btrm_body
    FN "btc m,r bit string", drv_pairs, M_BT, btcm_body
    FN "bts m,r16 bit string", drv_pairs, M_BT, btsm16_body
    FN "bsf32", drv_unary, M_ZF, bsf32_body
    FN "bsr32", drv_unary, M_ZF, bsr32_body
    FN "bsf16", drv_unary, M_ZF, bsf16_body
    FN "bsr16", drv_unary, M_ZF, bsr16_body
    FN "bsr32 m", drv_unary, M_ZF, bsfm_body
    FN "rep bsf32", drv_unary, M_NONE, repbsf_body

    OP "xadd8", drv_pairs, M_ALL, xadd al, bl
    OP "xadd16", drv_pairs, M_ALL, xadd ax, bx
    OP "xadd32", drv_pairs, M_ALL, xadd eax, ebx
    OPM "xadd32 m", drv_pairs, M_ALL, lock xadd [scratch], ebx
    FN "cmpxchg8", drv_pairs, M_ALL, cmpxchg8_body
    FN "cmpxchg16", drv_pairs, M_ALL, cmpxchg16_body
    FN "cmpxchg32", drv_pairs, M_ALL, cmpxchg32_body
    OP "cmpxchg32 r,r", drv_pairs, M_ALL, cmpxchg ebx, ecx
    FN "cmpxchg8b", drv_self, M_NONE, cmpxchg8b_body
    OP "xchg32", drv_pairs, M_ALL, xchg eax, ebx
    OP "xchg32 ecx,edx", drv_pairs, M_ALL, xchg ecx, edx
    OP "xchg8", drv_pairs, M_ALL, xchg al, bh
    OPM "xchg32 m", drv_pairs, M_ALL, xchg [scratch], ebx
    OP "bswap", drv_unary, M_ALL, bswap eax
    OP "bswap ecx", drv_unary, M_ALL, bswap ecx

    OP "movzx32 8", drv_unary, M_ALL, movzx ebx, al
    OP "movzx32 16", drv_unary, M_ALL, movzx ebx, ax
    OP "movzx16 8", drv_unary, M_ALL, movzx bx, ah
    OP "movsx32 8", drv_unary, M_ALL, movsx ebx, al
    OP "movsx32 16", drv_unary, M_ALL, movsx ebx, ax
    OP "movsx16 8", drv_unary, M_ALL, movsx bx, al
    OPRM "movsx32 m8", drv_pairs, M_ALL, movsx eax, byte [scratch]
    OP "cbw", drv_unary, M_ALL, cbw
    OP "cwde", drv_unary, M_ALL, cwde
    OP "cwd", drv_unary, M_ALL, cwd
    OP "cdq", drv_unary, M_ALL, cdq
    OP "lea base+index*4+disp32", drv_pairs, M_ALL, lea eax, [eax + ebx * 4 + 0x12345678]
    OP "lea index*8+disp8", drv_pairs, M_ALL, lea ecx, [ebx * 8 - 3]
    OP "lea base+index", drv_pairs, M_ALL, lea edx, [ecx + eax]
    OP "lea16 bx+di+disp16", drv_pairs, M_ALL, lea eax, [bx + di + 0x7FF0]
    OP "lea16 o16 a16", drv_pairs, M_ALL, lea cx, [bx + si - 2]
    OP "mov r8,r8", drv_pairs, M_ALL, mov ah, bl
    OP "mov r16,imm16", drv_unary, M_ALL, mov ax, 0xBEEF

    FN "setcc cmovcc jcc", drv_self, M_NONE, cc_body
    FN "loop loope loopne jecxz", drv_self, M_NONE, loop_body
    FN "push pop pushad enter leave", drv_self, M_NONE, stack_body
    FN "clc stc cmc cld std", drv_self, M_NONE, flagops_body
    dd 0, 0, 0, 0

section .bss
alignb 4
hash:       resd 1
cur:        resd 1
mask_now:   resd 1
body_now:   resd 1
scratch:    resd 4
ccbuf:      resb 32
jbuf:       resb 32
cmovbuf:    resd 32
bitstr:     resb 16
bitstr_mid:   resb 16
