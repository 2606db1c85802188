/* Decoder corpus: a printf-style formatter with varargs, 64-bit division and a switch table. */
#include <stdarg.h>
#include <stdint.h>

typedef void (*putc_fn)(void *ctx, char c);

static int put_uint(putc_fn out, void *ctx, uint64_t v, unsigned base, int width, char pad, int upper) {
  char buf[24]; int n = 0;
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do { buf[n++] = digits[v % base]; v /= base; } while (v);
  int written = 0;
  while (width-- > n) { out(ctx, pad); written++; }
  while (n) { out(ctx, buf[--n]); written++; }
  return written;
}

int vformat(putc_fn out, void *ctx, const char *fmt, va_list ap) {
  int n = 0;
  for (; *fmt; fmt++) {
    if (*fmt != '%') { out(ctx, *fmt); n++; continue; }
    char pad = ' '; int width = 0, lng = 0;
    fmt++;
    if (*fmt == '0') { pad = '0'; fmt++; }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') { lng++; fmt++; }
    switch (*fmt) {
      case 'd': case 'i': {
        int64_t v = lng > 1 ? va_arg(ap, int64_t) : va_arg(ap, int);
        if (v < 0) { out(ctx, '-'); n++; v = -v; }
        n += put_uint(out, ctx, (uint64_t)v, 10, width, pad, 0); break;
      }
      case 'u': n += put_uint(out, ctx, lng > 1 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad, 0); break;
      case 'x': n += put_uint(out, ctx, lng > 1 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, 0); break;
      case 'X': n += put_uint(out, ctx, lng > 1 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, 1); break;
      case 'o': n += put_uint(out, ctx, va_arg(ap, unsigned), 8, width, pad, 0); break;
      case 'p': out(ctx, '0'); out(ctx, 'x'); n += 2 + put_uint(out, ctx, (uintptr_t)va_arg(ap, void *), 16, 8, '0', 0); break;
      case 'c': out(ctx, (char)va_arg(ap, int)); n++; break;
      case 's': { const char *s = va_arg(ap, const char *); if (!s) s = "(null)"; while (*s) { out(ctx, *s++); n++; } break; }
      case '%': out(ctx, '%'); n++; break;
      default: out(ctx, '?'); n++; break;
    }
  }
  return n;
}

struct sbuf { char *p; int left; };
static void sput(void *ctx, char c) { struct sbuf *b = ctx; if (b->left > 1) { *b->p++ = c; b->left--; } }
int snformat(char *dst, int size, const char *fmt, ...) {
  struct sbuf b = { dst, size };
  va_list ap; va_start(ap, fmt);
  int n = vformat(sput, &b, fmt, ap);
  va_end(ap);
  if (size > 0) *b.p = 0;
  return n;
}
int64_t muldiv64(int64_t a, int64_t b, int64_t c) { return c ? a * b / c : 0; }
uint64_t mod64(uint64_t a, uint64_t b) { return b ? a % b : 0; }
