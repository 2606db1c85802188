/* Decoder corpus: kernel-style code with system and VMX instructions in inline assembly. */
#include <stdint.h>

struct __attribute__((packed)) dtr { uint16_t limit; uint32_t base; };
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
void serial_puts(const char *s) { while (*s) { while (!(inb(0x3fd) & 0x20)) __asm__ volatile("pause"); outb(0x3f8, (uint8_t)*s++); } }
void load_tables(struct dtr *g, struct dtr *i) {
  __asm__ volatile("lgdt %0" : : "m"(*g)); __asm__ volatile("lidt %0" : : "m"(*i));
  __asm__ volatile("ljmp $0x08, $1f\n1:\n movw $0x10, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n movw %%ax, %%ss" : : : "eax", "memory");
}
uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
void enable_paging(void) { uint32_t v = read_cr0(); v |= 0x80000000u; __asm__ volatile("mov %0, %%cr0" : : "r"(v)); }
void flush(void *p) { __asm__ volatile("invlpg (%0)" : : "r"(p) : "memory"); }
uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return (uint64_t)hi << 32 | lo; }
void wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return (uint64_t)hi << 32 | lo; }
void cpuid(uint32_t leaf, uint32_t *r) { __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0)); }
void halt_forever(void) { for (;;) __asm__ volatile("cli; hlt"); }
void irq_on(void) { __asm__ volatile("sti"); }
int vmx_on(uint64_t *region) { uint8_t err; __asm__ volatile("vmxon %1; setna %0" : "=q"(err) : "m"(*region) : "cc", "memory"); return err; }
int vmcs_load(uint64_t *vmcs) { uint8_t err; __asm__ volatile("vmclear %1; vmptrld %1; setna %0" : "=q"(err) : "m"(*vmcs) : "cc", "memory"); return err; }
uint32_t vmread(uint32_t field) { uint32_t v; __asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc"); return v; }
void vmwrite(uint32_t field, uint32_t v) { __asm__ volatile("vmwrite %1, %0" : : "r"(field), "rm"(v) : "cc"); }
int vm_launch(void) { uint8_t err; __asm__ volatile("vmlaunch; setna %0" : "=q"(err) : : "cc", "memory"); return err; }
int vm_resume(void) { uint8_t err; __asm__ volatile("vmresume; setna %0" : "=q"(err) : : "cc", "memory"); return err; }
void vm_off(void) { __asm__ volatile("vmxoff" : : : "cc"); }
long hypercall(long nr, long a) { long r; __asm__ volatile("vmcall" : "=a"(r) : "a"(nr), "b"(a) : "memory"); return r; }
struct inv { uint64_t eptp, rsvd; };
void invept_all(struct inv *d) { __asm__ volatile("invept %0, %1" : : "m"(*d), "r"(2) : "cc", "memory"); }
void invvpid_one(struct inv *d) { __asm__ volatile("invvpid %0, %1" : : "m"(*d), "r"(1) : "cc", "memory"); }
void ltr_sel(uint16_t s) { __asm__ volatile("ltr %0" : : "r"(s)); }
uint16_t str_sel(void) { uint16_t s; __asm__ volatile("str %0" : "=r"(s)); return s; }
void copy_string(void *d, const void *s, uint32_t n) { __asm__ volatile("cld; rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory"); }
void fill_dwords(void *d, uint32_t v, uint32_t n) { __asm__ volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(v) : "memory"); }
int atomic_inc(volatile int *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
int cas(volatile int *p, int o, int n) { return __sync_val_compare_and_swap(p, o, n); }
long long cas64(volatile long long *p, long long o, long long n) { return __sync_val_compare_and_swap(p, o, n); }
int xchg_int(volatile int *p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
void barrier_full(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
void iret_to(uint32_t *frame) { __asm__ volatile("mov %0, %%esp; iret" : : "r"(frame)); }
void int80(void) { __asm__ volatile("int $0x80; int3"); }
uint32_t pushf_read(void) { uint32_t f; __asm__ volatile("pushf; pop %0" : "=r"(f)); return f; }
void far_call(void) { __asm__ volatile("lcall $0x18, $0"); }
void set_fs(uint16_t s) { __asm__ volatile("mov %0, %%fs; mov %0, %%gs" : : "r"(s)); }
uint32_t fs_read(uint32_t off) { uint32_t v; __asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(off)); return v; }
