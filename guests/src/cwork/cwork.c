/* cwork: real compiled C doing real work, built with gcc -O2 -m32 -ffreestanding: sorting (three
 * algorithms that must agree, and a generic sort through function pointers), hashing (CRC-32,
 * Adler-32, 64-bit FNV-1a), 64-bit arithmetic through libgcc (__udivdi3, __umoddi3, __divdi3,
 * __moddi3, __popcountsi2...), a bytecode interpreter whose switch compiles to a jump table, a
 * sieve, N-queens and struct copies. Every result is printed and the known ones are checked; the
 * guest exits 1 if any check fails. No cmdline options.
 * cwork-host.c runs the same code as a Linux program (test/guests/host-cwork.test.ts). */
#include "guest.h"

static int failures;

/* decimal u64: the divisions by 10 are __udivdi3/__umoddi3 calls */
static void put_u64(u64 v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = '0' + (char)(v % 10);
        v /= 10;
    } while (v);
    puts(buf + i);
}

static void line(const char *what, u32 value)
{
    puts(what);
    puts(": ");
    put_hex32(value);
    putc('\n');
}

static void check(const char *what, u64 got, u64 want)
{
    puts(what);
    puts(": ");
    put_u64(got);
    if (got != want) {
        puts(" WRONG, expected ");
        put_u64(want);
        failures++;
    }
    putc('\n');
}

/* ---- pseudo-random numbers (xorshift32) ---- */
static u32 rng_state;
static u32 rng(void)
{
    u32 x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* ---- sorting ---- */
#define N_SORT 3000
static u32 a1[N_SORT], a2[N_SORT], a3[N_SORT], tmp[N_SORT];

static void insertion_sort(u32 *v, int lo, int hi)
{
    for (int i = lo + 1; i <= hi; i++) {
        u32 x = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void quick_sort(u32 *v, int lo, int hi)
{
    while (hi - lo > 16) {
        u32 p = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) {
                u32 t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quick_sort(v, lo, j);
            lo = i;
        } else {
            quick_sort(v, i, hi);
            hi = j;
        }
    }
    insertion_sort(v, lo, hi);
}

static void sift_down(u32 *v, int root, int n)
{
    for (;;) {
        int child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && v[child + 1] > v[child]) child++;
        if (v[root] >= v[child]) return;
        u32 t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void heap_sort(u32 *v, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--) sift_down(v, i, n);
    for (int i = n - 1; i > 0; i--) {
        u32 t = v[0];
        v[0] = v[i];
        v[i] = t;
        sift_down(v, 0, i);
    }
}

static void merge_sort(u32 *v, u32 *scratch, int n)
{
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) scratch[k++] = v[i] <= v[j] ? v[i++] : v[j++];
            while (i < mid) scratch[k++] = v[i++];
            while (j < hi) scratch[k++] = v[j++];
        }
        memcpy(v, scratch, n * sizeof *v);
    }
}

/* a generic sort through a comparison function pointer (shell sort on records) */
struct rec {
    char name[12];
    u32 key;
    s32 score;
};
#define N_REC 200
static struct rec recs[N_REC];

static void generic_sort(void *base, int n, int size, int (*cmp)(const void *, const void *))
{
    static const int gaps[] = { 132, 57, 23, 10, 4, 1 };
    char t[64];
    char *b = base;
    for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        int gap = gaps[g];
        for (int i = gap; i < n; i++) {
            memcpy(t, b + i * size, size);
            int j = i;
            while (j >= gap && cmp(b + (j - gap) * size, t) > 0) {
                memcpy(b + j * size, b + (j - gap) * size, size);
                j -= gap;
            }
            memcpy(b + j * size, t, size);
        }
    }
}

static int by_score_then_name(const void *x, const void *y)
{
    const struct rec *a = x, *b = y;
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    for (int i = 0; i < 12; i++)
        if (a->name[i] != b->name[i]) return (u8)a->name[i] - (u8)b->name[i];
    return 0;
}

static void sorting(void)
{
    rng_state = 2463534242u;
    for (int i = 0; i < N_SORT; i++) a1[i] = a2[i] = a3[i] = rng() % 100000;
    quick_sort(a1, 0, N_SORT - 1);
    heap_sort(a2, N_SORT);
    merge_sort(a3, tmp, N_SORT);
    int sorted = 1;
    for (int i = 1; i < N_SORT; i++) sorted &= a1[i - 1] <= a1[i];
    check("sorted", sorted, 1);
    check("quick = heap", memcmp(a1, a2, sizeof a1) == 0, 1);
    check("quick = merge", memcmp(a1, a3, sizeof a1) == 0, 1);
    line("sorted hash", fnv1a(a1, sizeof a1));
    line("median", a1[N_SORT / 2]);

    for (int i = 0; i < N_REC; i++) {
        struct rec r;
        for (int c = 0; c < 11; c++) r.name[c] = 'a' + rng() % 26;
        r.name[11] = 0;
        r.key = i;
        r.score = (s32)(rng() % 201) - 100;
        recs[i] = r; /* a struct copy */
    }
    generic_sort(recs, N_REC, sizeof recs[0], by_score_then_name);
    int ordered = 1;
    for (int i = 1; i < N_REC; i++) ordered &= by_score_then_name(&recs[i - 1], &recs[i]) <= 0;
    check("records ordered", ordered, 1);
    puts("lowest record: ");
    puts(recs[0].name);
    puts(" ");
    put_sdec(recs[0].score);
    puts(", highest: ");
    puts(recs[N_REC - 1].name);
    puts(" ");
    put_sdec(recs[N_REC - 1].score);
    putc('\n');
    line("records hash", fnv1a(recs, sizeof recs));
}

/* ---- hashing ---- */
static u32 crc_table[256];

static void crc32_init(void)
{
    for (u32 n = 0; n < 256; n++) {
        u32 c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static u32 crc32(const u8 *p, u32 len)
{
    u32 c = 0xFFFFFFFFu;
    while (len--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static u32 adler32(const u8 *p, u32 len)
{
    u32 a = 1, b = 0;
    while (len--) {
        a = (a + *p++) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

static u64 fnv1a64(const u8 *p, u32 len)
{
    u64 h = 0xCBF29CE484222325ull;
    while (len--) {
        h ^= *p++;
        h *= 0x100000001B3ull;
    }
    return h;
}

#define N_DATA 32768
static u8 data[N_DATA];

static void hashing(void)
{
    static const char check_str[] = "123456789";
    crc32_init();
    check("crc32(\"123456789\")", crc32((const u8 *)check_str, 9), 0xCBF43926u);
    check("adler32(\"123456789\")", adler32((const u8 *)check_str, 9), 0x091E01DEu);
    check("fnv1a64(\"123456789\")", fnv1a64((const u8 *)check_str, 9), 0x06D5573923C6CDFCull);
    rng_state = 1;
    for (int i = 0; i < N_DATA; i++) data[i] = rng() >> 24;
    line("crc32(data)", crc32(data, N_DATA));
    line("adler32(data)", adler32(data, N_DATA));
    u64 f = fnv1a64(data, N_DATA);
    line("fnv1a64(data) high", (u32)(f >> 32));
    line("fnv1a64(data) low", (u32)f);
}

/* ---- 64-bit arithmetic (libgcc) ---- */
static u64 gcd64(u64 a, u64 b)
{
    while (b) {
        u64 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static u64 isqrt64(u64 n)
{
    if (n < 2) return n;
    u64 x = n, y = (x + 1) / 2;
    while (y < x) {
        x = y;
        y = (x + n / x) / 2;
    }
    return x;
}

static u64 powmod(u64 b, u64 e, u64 m)
{
    u64 r = 1;
    b %= m;
    while (e) {
        if (e & 1) r = (r * b) % m;
        b = (b * b) % m;
        e >>= 1;
    }
    return r;
}

static void arith64(void)
{
    u64 fib = 0, next = 1;
    for (int i = 0; i < 90; i++) {
        u64 t = fib + next;
        fib = next;
        next = t;
    }
    check("fib(90)", fib, 2880067194370816120ull);
    check("fib(90) / 1000000007", fib / 1000000007u, 2880067174ull);
    check("fib(90) % 1000000007", fib % 1000000007u, 210345902ull);
    s64 neg = -(s64)fib;
    check("-fib(90) / 12345 (signed)", (u64)(neg / 12345), (u64)-(s64)(2880067194370816120ull / 12345));
    check("-fib(90) % 12345 (signed)", (u64)(neg % 12345), (u64)-(s64)(2880067194370816120ull % 12345));
    check("gcd(fib(90), fib(87))", gcd64(fib, 679891637638612258ull), 2);
    check("isqrt(2^62 + 12345)", isqrt64((1ull << 62) + 12345), 1ull << 31);
    check("isqrt(10^18)", isqrt64(1000000000000000000ull), 1000000000ull);
    /* Fermat's little theorem for the largest prime below 2^32 (products stay below 2^64) */
    check("3^(p-1) mod p, p = 4294967291", powmod(3, 4294967290ull, 4294967291ull), 1);
    u64 x = 0x0123456789ABCDEFull;
    u32 sh = 0, acc = 0;
    for (int i = 0; i < 64; i++) {
        acc ^= (u32)(x << i) ^ (u32)(x >> i) ^ (u32)((s64)x >> (i / 2));
        sh += (u32)__builtin_popcountll(x >> i);
    }
    line("64-bit shifts", acc);
    check("popcount sum", sh, 800);
    check("clzll(2^40)", (u64)__builtin_clzll(1ull << 40), 23);
    check("ctzll(2^40)", (u64)__builtin_ctzll(1ull << 40), 40);
    check("bswap32", __builtin_bswap32(0x11223344u), 0x44332211u);
    u64 big = 0xFFFFFFFFFFFFFFFFull;
    check("(2^64-1) / 3", big / 3, 6148914691236517205ull);
    check("(2^64-1) % 1000", big % 1000, 615);
    check("(2^64-1) / 2^33", big / (1ull << 33), (1ull << 31) - 1);
}

/* ---- a bytecode interpreter: its switch compiles to a jump table ---- */
enum {
    OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB, OP_MUL, OP_DIVMOD, OP_LT,
    OP_JZ, OP_JMP, OP_LOAD, OP_STORE, OP_INC, OP_HALT
};

static s32 run(const s32 *code, s32 *mem)
{
    s32 stack[32];
    int sp = 0, pc = 0;
    for (;;) {
        s32 op = code[pc++];
        switch (op) {
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_POP: sp--; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: { s32 t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OP_OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_DIVMOD: { s32 b = stack[sp - 1], a = stack[sp - 2]; stack[sp - 2] = a % b; stack[sp - 1] = a / b; break; }
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_JZ: { s32 t = code[pc++]; if (!stack[--sp]) pc = t; break; }
        case OP_JMP: pc = code[pc]; break;
        case OP_LOAD: stack[sp - 1] = mem[stack[sp - 1]]; break;
        case OP_STORE: sp -= 2; mem[stack[sp + 1]] = stack[sp]; break;
        case OP_INC: mem[code[pc++]]++; break;
        case OP_HALT: return sp ? stack[sp - 1] : 0;
        default: return -1;
        }
    }
}

static u32 collatz_total(u32 below)
{
    u32 total = 0;
    for (u32 i = 1; i < below; i++)
        for (u32 n = i; n > 1; n = n % 2 ? 3 * n + 1 : n / 2) total++;
    return total;
}

static void interpreter(void)
{
    /* mem[0] = i, mem[1] = total, mem[2] = n: total of Collatz steps for i = 1..999 */
    enum { LOOP = 24, SETN = 55, NEXT = 60, END = 64 };
    static const s32 prog[] = {
        OP_PUSH, 1, OP_PUSH, 0, OP_STORE,                   /*  0: i = 1 */
        OP_PUSH, 0, OP_PUSH, 1, OP_STORE,                   /*  5: total = 0 */
        OP_PUSH, 0, OP_LOAD, OP_PUSH, 1000, OP_LT,          /* 10: i < 1000 ? */
        OP_JZ, END,                                         /* 16 */
        OP_PUSH, 0, OP_LOAD, OP_PUSH, 2, OP_STORE,          /* 18: n = i */
        OP_PUSH, 1, OP_PUSH, 2, OP_LOAD, OP_LT,             /* 24 LOOP: 1 < n ? */
        OP_JZ, NEXT,                                        /* 30 */
        OP_INC, 1,                                          /* 32: total++ */
        OP_PUSH, 2, OP_LOAD, OP_PUSH, 2, OP_DIVMOD,         /* 34: n % 2, n / 2 */
        OP_SWAP, OP_JZ, SETN,                               /* 40: even: n = n / 2 */
        OP_POP,                                             /* 43: odd: n = 3n + 1 */
        OP_PUSH, 2, OP_LOAD, OP_PUSH, 3, OP_MUL, OP_PUSH, 1, OP_ADD,
        OP_JMP, SETN,                                       /* 53 */
        OP_PUSH, 2, OP_STORE,                               /* 55 SETN */
        OP_JMP, LOOP,                                       /* 58 */
        OP_INC, 0, OP_JMP, 10,                              /* 60 NEXT: i++ */
        OP_PUSH, 1, OP_LOAD, OP_HALT,                       /* 64 END */
    };
    s32 mem[4] = { 0, 0, 0, 0 };
    s32 r = run(prog, mem);
    check("collatz steps for 1..999 (bytecode = C)", (u64)(u32)r, collatz_total(1000));
}

/* ---- sieve, queens ---- */
#define SIEVE_N 100000
static u8 composite[SIEVE_N + 1];

static u32 sieve(void)
{
    u32 count = 0;
    for (u32 i = 2; i <= SIEVE_N; i++) {
        if (composite[i]) continue;
        count++;
        for (u32 j = i * 2; j <= SIEVE_N; j += i) composite[j] = 1;
    }
    return count;
}

static int queens(int row, int n, u32 cols, u32 d1, u32 d2)
{
    if (row == n) return 1;
    int total = 0;
    u32 free = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (free) {
        u32 bit = free & -free;
        free ^= bit;
        total += queens(row + 1, n, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return total;
}

int main(void)
{
    cpu_init();
    puts("cwork: C compiled with gcc -O2 -m32 -ffreestanding\n");
    sorting();
    hashing();
    arith64();
    interpreter();
    check("primes below 100000", sieve(), 9592);
    check("8 queens", (u64)queens(0, 8, 0, 0, 0), 92);
    check("10 queens", (u64)queens(0, 10, 0, 0, 0), 724);
    if (failures) {
        puts("cwork: FAILED\n");
        return 1;
    }
    puts("cwork: all checks passed\n");
    return 0;
}
