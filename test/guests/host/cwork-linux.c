/* A Linux i386 harness for guests/src/cwork/cwork.c: the guest library's functions over raw
 * write/exit system calls, so the same C runs on the host and must print the golden file. */
#include "guest.h"

static char out[8192];
static u32 len;

static void sys_write(const char *p, u32 n)
{
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(p), "d"(n) : "memory");
    (void)r;
}

void console_flush(void)
{
    sys_write(out, len);
    len = 0;
}

void putc(int c)
{
    out[len++] = (char)c;
    if (len == sizeof out) console_flush();
}

void puts(const char *s)
{
    while (*s) putc(*s++);
}

void console_write(const char *buf, u32 n)
{
    while (n--) putc(*buf++);
}

void put_hex(u32 v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) putc("0123456789abcdef"[(v >> (i * 4)) & 15]);
}

void put_hex32(u32 v) { put_hex(v, 8); }

void put_dec(u32 v)
{
    char b[11];
    int i = 10;
    b[i] = 0;
    do {
        b[--i] = '0' + v % 10;
        v /= 10;
    } while (v);
    puts(b + i);
}

void put_sdec(s32 v)
{
    if (v < 0) {
        putc('-');
        v = -v;
    }
    put_dec((u32)v);
}

void exit(int code)
{
    console_flush();
    __asm__ volatile("int $0x80" : : "a"(1), "b"(code));
    for (;;) {
    }
}

void cpu_init(void) {}

u32 cmdline_u32(const char *key, u32 dflt)
{
    (void)key;
    return dflt;
}

int cmdline_flag(const char *word)
{
    (void)word;
    return 0;
}

void *memcpy(void *d, const void *s, size_t n)
{
    char *dd = d;
    const char *ss = s;
    while (n--) *dd++ = *ss++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    char *dd = d;
    const char *ss = s;
    if (dd < ss) return memcpy(d, s, n);
    while (n--) dd[n] = ss[n];
    return d;
}

void *memset(void *d, int c, size_t n)
{
    char *dd = d;
    while (n--) *dd++ = (char)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

u32 fnv1a(const void *buf, size_t n)
{
    const u8 *p = buf;
    u32 h = 0x811C9DC5u;
    while (n--) h = (h ^ *p++) * 0x01000193u;
    return h;
}

int main(void);

void _start(void)
{
    exit(main());
}
