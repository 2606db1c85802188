/* Decoder corpus: sorting, hashing, bit tricks, a tiny bytecode interpreter, some float. */
#include <stdint.h>
#include <stddef.h>

void isort(int *a, size_t n) {
  for (size_t i = 1; i < n; i++) { int v = a[i]; size_t j = i; while (j && a[j - 1] > v) { a[j] = a[j - 1]; j--; } a[j] = v; }
}
static void swap(int *a, int *b) { int t = *a; *a = *b; *b = t; }
void qsort_int(int *a, int lo, int hi) {
  while (lo < hi) {
    int p = a[(lo + hi) >> 1], i = lo, j = hi;
    while (i <= j) { while (a[i] < p) i++; while (a[j] > p) j--; if (i <= j) swap(&a[i++], &a[j--]); }
    if (j - lo < hi - i) { qsort_int(a, lo, j); lo = i; } else { qsort_int(a, i, hi); hi = j; }
  }
}
struct entry { uint32_t key; int value; struct entry *next; };
struct table { struct entry *slots[64]; };
static uint32_t hash32(uint32_t x) { x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; return x ^ (x >> 16); }
int *lookup(struct table *t, uint32_t key) {
  for (struct entry *e = t->slots[hash32(key) & 63]; e; e = e->next) if (e->key == key) return &e->value;
  return 0;
}
int ctz(uint32_t x) { return x ? __builtin_ctz(x) : 32; }
int clz(uint32_t x) { return x ? __builtin_clz(x) : 32; }
int popcount(uint32_t x) { int n = 0; while (x) { x &= x - 1; n++; } return n; }
uint32_t bswap(uint32_t x) { return __builtin_bswap32(x); }
uint32_t rotl(uint32_t x, int k) { return x << (k & 31) | x >> (-k & 31); }
int64_t sat_add(int64_t a, int64_t b) { int64_t r; if (__builtin_add_overflow(a, b, &r)) return a < 0 ? INT64_MIN : INT64_MAX; return r; }
int imax(int a, int b) { return a > b ? a : b; }
unsigned umin(unsigned a, unsigned b) { return a < b ? a : b; }
int sign(int x) { return (x > 0) - (x < 0); }
short s16(short a, short b) { return (short)(a * b + (a >> 3)); }
signed char s8(signed char a) { return (signed char)(a / 3); }

enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_DUP, OP_SWAP, OP_JZ, OP_JMP, OP_HALT };
int run(const int *code, int *stack) {
  int sp = 0, pc = 0;
  for (;;) {
    switch (code[pc++]) {
      case OP_PUSH: stack[sp++] = code[pc++]; break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_DIV: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] / stack[sp] : 0; break;
      case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case OP_SWAP: { int t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case OP_JZ: { int t = code[pc++]; if (!stack[--sp]) pc = t; break; }
      case OP_JMP: pc = code[pc]; break;
      default: return sp ? stack[sp - 1] : 0;
    }
  }
}
double mean(const double *v, int n) { double s = 0; for (int i = 0; i < n; i++) s += v[i]; return n ? s / n : 0; }
float lerp(float a, float b, float t) { return a + (b - a) * t; }
int to_int(double d) { return (int)d; }
