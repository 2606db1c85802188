// The host side of the machine: the hypervisor's own structures in host-physical memory (an identity
// page directory, GDT, IDT, TSS, a stack and the exit-entry stub), the processor state it runs in
// (paging on, CR4.VMXE: VMXON demands both), and entering VMX root operation with VMXON.
import type { CpuStartState, SegmentStart } from '../cpu/api.js';
import { AR_CODE32_RING0, AR_DATA32_RING0, AR_TSS32_BUSY, CR0, CR4, SEG_AR } from '../cpu/vmx/api.js';
import type { PhysicalMemory } from '../machine/memory.js';
import { LARGE_PAGE_SHIFT, PAGE_SIZE, PTE } from './arch-defs.js';
import { type FrameAllocator, FrameUse } from './frames.js';
import { VmxCaps } from './vmx-caps.js';
import { type VmxOps, vmxChecked } from './vmx-ops.js';

/** Host GDT selectors: null, flat code, flat data, the TSS. */
export const HOST_SELECTOR = { CS: 0x08, DS: 0x10, TSS: 0x18 } as const;
/** Bytes of a 32-bit TSS minus one (SDM Vol. 3 §8.2.1). */
const TSS_LIMIT = 0x67;
const GDT_LIMIT = 4 * 8 - 1;
const IDT_LIMIT = 256 * 8 - 1;
/** UD2 (0F 0B): fills the exit-entry page, since no host instruction ever runs there (see below). */
const UD2 = [0x0f, 0x0b] as const;

/**
 * Where the host's structures are. HOST_RIP points at `exitEntry`: on silicon, the hypervisor's exit
 * handler. Here the processor, having loaded the host state at a VM exit, returns from the
 * vmlaunch/vmresume call to the TypeScript that issued it; the page holds UD2s so that if a host
 * instruction ever did run there, it would fault loudly instead of doing something plausible.
 */
export interface HostLayout {
  readonly pageDirectory: number;
  readonly gdt: number;
  readonly idt: number;
  readonly tss: number;
  readonly stackTop: number;
  readonly exitEntry: number;
  readonly cr0: number;
  readonly cr4: number;
}

/** Allocates and fills the host's structures in `mem`. */
export function buildHostState(mem: PhysicalMemory, frames: FrameAllocator): HostLayout {
  const frame = (): number => {
    const a = frames.alloc(1, FrameUse.HostState);
    mem.u8.fill(0, a, a + PAGE_SIZE);
    return a;
  };
  const pageDirectory = frame();
  const gdt = frame();
  const idt = frame();
  const tss = frame();
  const stack = frame();
  const exitEntry = frame();
  // Identity-map all of host memory with 4 MiB pages (CR4.PSE): the host runs with paging on, as
  // VMX operation requires without unrestricted guest (IA32_VMX_CR0_FIXED0 has PG).
  const largePages = Math.ceil(mem.size / (1 << LARGE_PAGE_SHIFT));
  for (let i = 0; i < largePages; i++) {
    mem.write32(pageDirectory + i * 4, (i << LARGE_PAGE_SHIFT) | PTE.P | PTE.RW | PTE.PS | PTE.A | PTE.D);
  }
  writeDescriptor(mem, gdt + HOST_SELECTOR.CS, 0, 0xffffffff, AR_CODE32_RING0);
  writeDescriptor(mem, gdt + HOST_SELECTOR.DS, 0, 0xffffffff, AR_DATA32_RING0);
  writeDescriptor(mem, gdt + HOST_SELECTOR.TSS, tss, TSS_LIMIT, AR_TSS32_BUSY);
  for (let a = exitEntry; a < exitEntry + PAGE_SIZE; a += 2) {
    mem.write8(a, UD2[0]);
    mem.write8(a + 1, UD2[1]);
  }
  return {
    pageDirectory,
    gdt,
    idt,
    tss,
    stackTop: stack + PAGE_SIZE,
    exitEntry,
    cr0: (CR0.PE | CR0.ET | CR0.NE | CR0.PG) >>> 0,
    cr4: CR4.PSE | CR4.VMXE,
  };
}

/**
 * A segment descriptor (SDM Vol. 3 §3.4.5) from a base, a byte-granular limit and access rights in
 * the VMCS layout (which is descriptor bits 47:40 and 55:52 moved down by 40 bits).
 */
function writeDescriptor(mem: PhysicalMemory, at: number, base: number, limit: number, ar: number): void {
  const g = (ar & SEG_AR.G) !== 0;
  const lim = g ? limit >>> 12 : limit;
  const lo = ((base & 0xffff) << 16) | (lim & 0xffff);
  const hi = (base & 0xff000000) | ((ar & 0xf0ff) << 8) | (lim & 0xf0000) | ((base >>> 16) & 0xff);
  mem.write32(at, lo);
  mem.write32(at + 4, hi);
}

const seg = (selector: number, base: number, limit: number, attrs: number): SegmentStart => ({ selector, base, limit, attrs });

/** The processor state the hypervisor runs in (applied to the processor before VMXON). */
export function hostCpuState(h: HostLayout): CpuStartState {
  const data = seg(HOST_SELECTOR.DS, 0, 0xffffffff, AR_DATA32_RING0);
  return {
    eax: 0,
    ecx: 0,
    edx: 0,
    ebx: 0,
    esp: h.stackTop,
    ebp: 0,
    esi: 0,
    edi: 0,
    eip: h.exitEntry,
    eflags: 0x2,
    cr0: h.cr0,
    cr2: 0,
    cr3: h.pageDirectory,
    cr4: h.cr4,
    es: data,
    cs: seg(HOST_SELECTOR.CS, 0, 0xffffffff, AR_CODE32_RING0),
    ss: data,
    ds: data,
    fs: data,
    gs: data,
    ldtr: seg(0, 0, 0, SEG_AR.UNUSABLE),
    tr: seg(HOST_SELECTOR.TSS, h.tss, TSS_LIMIT, AR_TSS32_BUSY),
    gdtr: { base: h.gdt, limit: GDT_LIMIT },
    idtr: { base: h.idt, limit: IDT_LIMIT },
  };
}

/** The host after VMXON: its structures, what the processor can do, and the VMXON region. */
export interface VmxHost {
  readonly mem: PhysicalMemory;
  readonly frames: FrameAllocator;
  readonly ops: VmxOps;
  readonly layout: HostLayout;
  readonly caps: VmxCaps;
  readonly vmxonRegion: number;
}

/** Reads the capabilities and executes VMXON (SDM Vol. 3 §24.7, §24.11.5). */
export function enterVmxRoot(ops: VmxOps, mem: PhysicalMemory, frames: FrameAllocator, layout: HostLayout): VmxHost {
  const caps = VmxCaps.read(ops);
  const vmxonRegion = frames.alloc(1, FrameUse.VmxOn);
  mem.u8.fill(0, vmxonRegion, vmxonRegion + PAGE_SIZE);
  mem.write32(vmxonRegion, caps.revisionId);
  vmxChecked('VMXON', ops.vmxon(vmxonRegion));
  return { mem, frames, ops, layout, caps, vmxonRegion };
}

/**
 * Host memory for one VM of `ramBytes`: its RAM (4 MiB-aligned, so up to 4 MiB of alignment), the
 * host's structures, VMCS and bitmaps (well under 1 MiB) and EPT tables (at most one 4 KiB table per
 * 2 MiB of RAM even without large pages), plus `extraBytes` (shadow page tables in shadow mode),
 * rounded up to whole 4 MiB pages.
 */
export function hostMemoryBytes(ramBytes: number, extraBytes = 0): number {
  const want = ramBytes + 8 * 1024 * 1024 + Math.ceil(ramBytes / 512) + extraBytes;
  const unit = 1 << LARGE_PAGE_SHIFT;
  return Math.ceil(want / unit) * unit;
}
