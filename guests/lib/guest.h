/* The guest library (the NASM files in guests/lib) for C guests: cdecl functions, the same as guest.inc
 * declares for NASM guests. Built with -ffreestanding, so these names are ours, not libc's. */
#ifndef GUEST_H
#define GUEST_H

typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned char u8;
typedef unsigned short u16;
typedef __SIZE_TYPE__ size_t;

/* console.asm: one byte stream to COM1 (or the PV console) */
void putc(int c);
void puts(const char *s);
void console_write(const char *buf, u32 len);
void console_flush(void);
void put_hex(u32 value, int digits);
void put_hex32(u32 value);
void put_dec(u32 value);
void put_sdec(s32 value);

/* exit.asm: ends the guest with `code` (debug-exit port 0xF4 or the SHUTDOWN hypercall) */
__attribute__((noreturn)) void exit(int code);

/* cmdline.asm: `key=N` tokens and bare flags of the Multiboot command line */
u32 cmdline_u32(const char *key, u32 dflt);
int cmdline_flag(const char *word);

/* string.asm */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
u32 fnv1a(const void *buf, size_t n);

/* desc.asm */
void cpu_init(void);

#endif
