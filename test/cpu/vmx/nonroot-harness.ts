// A tiny root-mode "hypervisor" for the processor's VMX non-root tests, in the manner of
// kvm-unit-tests' vmx framework: host structures in low memory, VMXON, one VMCS built through the
// processor's VT-x API (createVmxProcessor), a guest made of NASM-assembled bytes running in flat
// 32-bit protected mode with paging (no unrestricted guest: CR0.PE/PG/NE are fixed to 1), optional
// EPT, and helpers to enter the guest and look at each VM exit.
import { createVmxProcessor, type CpuStartState, type SegmentStart, type VmxProcessor } from '../../../src/cpu/api.js';
import { processorInternals } from '../../../src/cpu/debug-access.js';
import { VMX_CAPABILITIES as caps, adjustControls, VMCS_REVISION_ID } from '../../../src/cpu/vmx/capabilities.js';
import { CPU_BASED, SECONDARY_EXEC } from '../../../src/cpu/vmx/controls.js';
import { EPTE, makeEptp } from '../../../src/cpu/vmx/ept-format.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import { AR_CODE32_RING0, AR_DATA32_RING0, AR_TSS32_BUSY, SEG_AR } from '../../../src/cpu/vmx/state-formats.js';
import { VmxStatus } from '../../../src/cpu/vmx/api.js';
import type { Cpu } from '../../../src/cpu/state.js';
import type { VmxController } from '../../../src/cpu/vmx/controller.js';
import { Clock } from '../../../src/machine/clock.js';
import { IoBus, type PortDevice } from '../../../src/machine/io-bus.js';
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { FakePic, asm, descriptor, gate } from '../harness.js';

const MiB = 1024 * 1024;

/** Host-physical layout. The guest's world is [GUEST_LO, GUEST_HI); EPT maps only that (identity). */
export const L = {
  HOST_PD: 0x1000,
  HOST_GDT: 0x2000,
  HOST_TSS: 0x3000,
  HOST_IDT: 0x4000,
  HOST_STACK_TOP: 0x6000,
  HOST_EXIT_STUB: 0x6000,
  VMXON: 0x7000,
  VMCS: 0x8000,
  VMCS2: 0x9000,
  IO_A: 0xa000,
  IO_B: 0xb000,
  MSR_BITMAP: 0xc000,
  MSR_AREA: 0xd000,
  EPT_PML4: 0x10000,
  EPT_PDPT: 0x11000,
  EPT_PD: 0x12000,
  EPT_PT: 0x13000,
  /** Everything the guest owns. */
  GUEST_LO: 0x400000,
  GUEST_HI: 0x800000,
  GUEST_PD: 0x400000,
  GUEST_GDT: 0x401000,
  GUEST_IDT: 0x402000,
  GUEST_TSS: 0x403000,
  GUEST_STACK_TOP: 0x405000,
  /** The guest IDT stubs record here: vector, then the six dwords on top of the handler's stack. */
  REC: 0x406000,
  STUBS: 0x408000,
  CODE: 0x410000,
  DATA: 0x420000,
  /** A second page table for 4 KiB guest mappings (tests that need non-present pages). */
  GUEST_PT: 0x430000,
  /** 4 KiB-mapped guest linear window [WINDOW, WINDOW + 4 MiB) through GUEST_PT. */
  WINDOW: 0xc00000,
} as const;

export const SEL = { CODE: 0x08, DATA: 0x10, TSS: 0x18 } as const;
/** Where runRoot() puts root-mode code (host memory, identity-mapped by the host's page directory). */
export const ROOT_CODE = 0x20000;
/** Scratch host memory for root-mode code's operands. */
export const ROOT_DATA = 0x28000;
const CR0_GUEST = 0x80000031; // PE | ET | NE | PG
const CR4_GUEST = 0x2010; // PSE | VMXE
const PDE_4M = 0x83 | 0x04 | 0x60; // P | RW | PS | US | A | D

/** A port device that records every access and answers reads with `value`. */
export class RecordingPort implements PortDevice {
  readonly name = 'test-port';
  readonly log: string[] = [];
  value = 0x12345678;
  ioRead(offset: number, size: 1 | 2 | 4): number {
    this.log.push(`in ${offset}/${size}`);
    return this.value;
  }
  ioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.log.push(`out ${offset}/${size}=${value.toString(16)}`);
  }
}

export interface HarnessOptions {
  /** Turn on EPT (identity map of the guest's 4 MiB) and VPID 1. */
  readonly ept?: boolean;
  readonly memMiB?: number;
}

export interface ExitView {
  reason: number;
  qualification: number;
  length: number;
  intrInfo: number;
  intrError: number;
  idtInfo: number;
  idtError: number;
  instructionInfo: number;
  guestLinear: number;
  guestPhysical: number;
  rip: number;
}

export class VmxHarness {
  readonly mem: PhysicalMemory;
  readonly bus = new IoBus();
  readonly clock = new Clock();
  readonly pic = new FakePic();
  readonly port = new RecordingPort();
  readonly ops: VmxProcessor;
  readonly cpu: Cpu;
  launched = false;

  constructor(opts: HarnessOptions = {}) {
    this.mem = new PhysicalMemory((opts.memMiB ?? 16) * MiB);
    this.bus.register(this.port, 0x80, 1);
    this.buildHost();
    this.ops = createVmxProcessor({ memory: this.mem, bus: this.bus, clock: this.clock, interruptController: this.pic }, this.hostStart());
    this.cpu = processorInternals(this.ops)!.cpu;
    this.mem.write32(L.VMXON, VMCS_REVISION_ID);
    this.mem.write32(L.VMCS, VMCS_REVISION_ID);
    this.mem.write32(L.VMCS2, VMCS_REVISION_ID);
    if (this.ops.vmxon(L.VMXON) !== VmxStatus.SUCCEED) throw new Error('VMXON failed');
    if (this.ops.vmclear(L.VMCS) !== VmxStatus.SUCCEED || this.ops.vmptrld(L.VMCS) !== VmxStatus.SUCCEED) throw new Error('VMPTRLD failed');
    this.buildGuest();
    this.initVmcs(opts.ept ?? false);
  }

  // ---------------------------------------------------------------- set-up

  private w32(a: number, v: number): void {
    this.mem.write32(a, v);
  }

  private writeGdt(at: number, tss: number): void {
    const gdt = [[0, 0], descriptor(0, 0xffffffff, 0xc09b), descriptor(0, 0xffffffff, 0xc093), descriptor(tss, 0x67, 0x8b)];
    gdt.forEach(([lo, hi], i) => {
      this.w32(at + i * 8, lo!);
      this.w32(at + i * 8 + 4, hi!);
    });
  }

  private buildHost(): void {
    for (let i = 0; i < 1024; i++) this.w32(L.HOST_PD + i * 4, (i << 22) | 0x83);
    this.writeGdt(L.HOST_GDT, L.HOST_TSS);
    for (let a = L.HOST_EXIT_STUB; a < L.HOST_EXIT_STUB + 0x1000; a += 2) this.mem.write16(a, 0x0b0f); // UD2
  }

  private hostStart(): CpuStartState {
    const seg = (selector: number, base: number, limit: number, attrs: number): SegmentStart => ({ selector, base, limit, attrs });
    const data = seg(SEL.DATA, 0, 0xffffffff, AR_DATA32_RING0);
    return {
      eax: 0, ecx: 0, edx: 0, ebx: 0, esp: L.HOST_STACK_TOP, ebp: 0, esi: 0, edi: 0,
      eip: L.HOST_EXIT_STUB, eflags: 2, cr0: CR0_GUEST, cr2: 0, cr3: L.HOST_PD, cr4: CR4_GUEST,
      es: data, cs: seg(SEL.CODE, 0, 0xffffffff, AR_CODE32_RING0), ss: data, ds: data, fs: data, gs: data,
      ldtr: seg(0, 0, 0, SEG_AR.UNUSABLE), tr: seg(SEL.TSS, L.HOST_TSS, 0x67, AR_TSS32_BUSY),
      gdtr: { base: L.HOST_GDT, limit: 31 }, idtr: { base: L.HOST_IDT, limit: 0x7ff },
    };
  }

  private buildGuest(): void {
    // Identity 4 MiB pages over all of memory, plus a 4 KiB-mapped window for #PF tests.
    for (let i = 0; i < 1024; i++) this.w32(L.GUEST_PD + i * 4, i < this.mem.size >>> 22 ? (i << 22) | PDE_4M : 0);
    this.w32(L.GUEST_PD + (L.WINDOW >>> 22) * 4, L.GUEST_PT | 0x67);
    for (let i = 0; i < 1024; i++) this.w32(L.GUEST_PT + i * 4, (L.GUEST_LO + i * 0x1000) | 0x67);
    this.writeGdt(L.GUEST_GDT, L.GUEST_TSS);
    this.w32(L.GUEST_TSS + 4, L.GUEST_STACK_TOP);
    this.w32(L.GUEST_TSS + 8, SEL.DATA);
    for (let v = 0; v < 256; v++) {
      const [lo, hi] = gate(SEL.CODE, L.STUBS + v * 128, 0xe, 3);
      this.w32(L.GUEST_IDT + v * 8, lo);
      this.w32(L.GUEST_IDT + v * 8 + 4, hi);
    }
    // Stub v: record the vector and the frame, then CPUID (which always exits) to hand over.
    const stub = (v: number): string =>
      `mov dword [${L.REC}], ${v}\n` +
      [0, 1, 2, 3, 4, 5].map((i) => `mov eax, [esp+${i * 4}]\nmov [${L.REC + 4 + i * 4}], eax`).join('\n') +
      '\ncpuid\njmp $';
    let stubs = '';
    for (let v = 0; v < 256; v++) stubs += `times ${v * 128}-($-$$) db 0\n${stub(v)}\n`;
    this.mem.writeBytes(L.STUBS, asm(stubs, L.STUBS));
    this.w32(L.REC, -1);
  }

  private initVmcs(ept: boolean): void {
    const w = (f: number, v: number): void => this.write(f, v);
    w(VMCS.PIN_BASED_VM_EXEC_CONTROL, adjustControls(caps.truePinbased, 0));
    w(VMCS.CPU_BASED_VM_EXEC_CONTROL, adjustControls(caps.trueProcbased, ept ? CPU_BASED.ACTIVATE_SECONDARY_CONTROLS : 0));
    w(VMCS.SECONDARY_VM_EXEC_CONTROL, ept ? SECONDARY_EXEC.ENABLE_EPT | SECONDARY_EXEC.ENABLE_VPID : 0);
    w(VMCS.VM_EXIT_CONTROLS, adjustControls(caps.trueExit, 0));
    w(VMCS.VM_ENTRY_CONTROLS, adjustControls(caps.trueEntry, 0));
    w(VMCS.IO_BITMAP_A, L.IO_A);
    w(VMCS.IO_BITMAP_B, L.IO_B);
    w(VMCS.MSR_BITMAP, L.MSR_BITMAP);
    if (ept) {
      this.buildEpt();
      w(VMCS.EPT_POINTER, makeEptp(L.EPT_PML4, 6, false));
      w(VMCS.VIRTUAL_PROCESSOR_ID, 1);
    }
    w(VMCS.HOST_CR0, CR0_GUEST);
    w(VMCS.HOST_CR3, L.HOST_PD);
    w(VMCS.HOST_CR4, CR4_GUEST);
    w(VMCS.HOST_CS_SELECTOR, SEL.CODE);
    for (const f of [VMCS.HOST_SS_SELECTOR, VMCS.HOST_DS_SELECTOR, VMCS.HOST_ES_SELECTOR, VMCS.HOST_FS_SELECTOR, VMCS.HOST_GS_SELECTOR]) w(f, SEL.DATA);
    w(VMCS.HOST_TR_SELECTOR, SEL.TSS);
    w(VMCS.HOST_TR_BASE, L.HOST_TSS);
    w(VMCS.HOST_GDTR_BASE, L.HOST_GDT);
    w(VMCS.HOST_IDTR_BASE, L.HOST_IDT);
    w(VMCS.HOST_RIP, L.HOST_EXIT_STUB);
    w(VMCS.HOST_RSP, L.HOST_STACK_TOP);

    w(VMCS.GUEST_CR0, CR0_GUEST);
    w(VMCS.GUEST_CR3, L.GUEST_PD);
    w(VMCS.GUEST_CR4, CR4_GUEST);
    w(VMCS.CR0_READ_SHADOW, CR0_GUEST);
    w(VMCS.CR4_READ_SHADOW, CR4_GUEST);
    w(VMCS.GUEST_DR7, 0x400);
    const segs: [number, number, number, number][] = [
      [VMCS.GUEST_ES_SELECTOR, VMCS.GUEST_ES_LIMIT, VMCS.GUEST_ES_AR_BYTES, SEL.DATA],
      [VMCS.GUEST_CS_SELECTOR, VMCS.GUEST_CS_LIMIT, VMCS.GUEST_CS_AR_BYTES, SEL.CODE],
      [VMCS.GUEST_SS_SELECTOR, VMCS.GUEST_SS_LIMIT, VMCS.GUEST_SS_AR_BYTES, SEL.DATA],
      [VMCS.GUEST_DS_SELECTOR, VMCS.GUEST_DS_LIMIT, VMCS.GUEST_DS_AR_BYTES, SEL.DATA],
      [VMCS.GUEST_FS_SELECTOR, VMCS.GUEST_FS_LIMIT, VMCS.GUEST_FS_AR_BYTES, SEL.DATA],
      [VMCS.GUEST_GS_SELECTOR, VMCS.GUEST_GS_LIMIT, VMCS.GUEST_GS_AR_BYTES, SEL.DATA],
    ];
    for (const [sel, lim, ar, value] of segs) {
      w(sel, value);
      w(lim, 0xffffffff);
      w(ar, value === SEL.CODE ? AR_CODE32_RING0 : AR_DATA32_RING0);
    }
    w(VMCS.GUEST_LDTR_AR_BYTES, SEG_AR.UNUSABLE);
    w(VMCS.GUEST_TR_SELECTOR, SEL.TSS);
    w(VMCS.GUEST_TR_BASE, L.GUEST_TSS);
    w(VMCS.GUEST_TR_LIMIT, 0x67);
    w(VMCS.GUEST_TR_AR_BYTES, AR_TSS32_BUSY);
    w(VMCS.GUEST_GDTR_BASE, L.GUEST_GDT);
    w(VMCS.GUEST_GDTR_LIMIT, 31);
    w(VMCS.GUEST_IDTR_BASE, L.GUEST_IDT);
    w(VMCS.GUEST_IDTR_LIMIT, 0x7ff);
    w(VMCS.GUEST_RFLAGS, 0x2);
    w(VMCS.GUEST_RIP, L.CODE);
    w(VMCS.GUEST_RSP, L.GUEST_STACK_TOP);
    w(VMCS.VMCS_LINK_POINTER, 0xffffffff);
    w(VMCS.VMCS_LINK_POINTER | 1, 0xffffffff);
  }

  /** EPT: identity map of [GUEST_LO, GUEST_HI) with 4 KiB pages (so single pages can be changed). */
  private buildEpt(): void {
    const nonLeaf = EPTE.RWX;
    this.w32(L.EPT_PML4, L.EPT_PDPT | nonLeaf);
    this.w32(L.EPT_PDPT, L.EPT_PD | nonLeaf);
    const pts = (L.GUEST_HI - L.GUEST_LO) / (2 * MiB);
    for (let i = 0; i < pts; i++) {
      const pd = (L.GUEST_LO >>> 21) + i;
      const pt = L.EPT_PT + i * 0x1000;
      this.w32(L.EPT_PD + pd * 8, pt | nonLeaf);
      for (let j = 0; j < 512; j++) this.w32(pt + j * 8, (L.GUEST_LO + i * 2 * MiB + j * 0x1000) | EPTE.RWX | (6 << 3));
    }
  }

  /** The EPT leaf entry (host-physical address) for guest-physical `gpa` in the guest's region. */
  eptLeaf(gpa: number): number {
    const off = gpa - L.GUEST_LO;
    return L.EPT_PT + (off >>> 21) * 0x1000 + ((off >>> 12) & 511) * 8;
  }

  // ---------------------------------------------------------------- VMCS access through the API

  write(field: number, value: number): void {
    const s = this.ops.vmwrite(field, value);
    if (s !== VmxStatus.SUCCEED) throw new Error(`VMWRITE 0x${field.toString(16)} failed: ${s}`);
  }

  read(field: number): number {
    const v = this.ops.vmread(field);
    if (this.ops.lastStatus !== VmxStatus.SUCCEED) throw new Error(`VMREAD 0x${field.toString(16)} failed`);
    return v;
  }

  /** Sets (and clears) bits of a control field. */
  controls(field: number, set: number, clear = 0): void {
    this.write(field, ((this.read(field) | set) & ~clear) >>> 0);
  }

  // ---------------------------------------------------------------- the guest

  /** Assembles `src` at CODE (and resets RIP to it). */
  guest(src: string): this {
    this.mem.writeBytes(L.CODE, asm(src, L.CODE));
    this.write(VMCS.GUEST_RIP, L.CODE);
    return this;
  }

  /** VMLAUNCH the first time, VMRESUME afterwards. Returns the entry status (0 = a VM exit). */
  enter(budget = 1_000_000): number {
    this.ops.pauseAt = this.ops.instructionsRetired + budget;
    const r = this.launched ? this.ops.vmresume() : this.ops.vmlaunch();
    if (r === VmxStatus.SUCCEED || r === -3) this.launched = true;
    return r;
  }

  /** Enters and expects a VM exit; returns its information. */
  run(budget = 1_000_000): ExitView {
    const r = this.enter(budget);
    if (r !== VmxStatus.SUCCEED) throw new Error(`expected a VM exit, entry gave ${r} (${JSON.stringify(this.ops.pauseReason)})`);
    return this.exit();
  }

  exit(): ExitView {
    const r = (f: number): number => this.read(f);
    return {
      reason: r(VMCS.VM_EXIT_REASON),
      qualification: r(VMCS.EXIT_QUALIFICATION),
      length: r(VMCS.VM_EXIT_INSTRUCTION_LEN),
      intrInfo: r(VMCS.VM_EXIT_INTR_INFO),
      intrError: r(VMCS.VM_EXIT_INTR_ERROR_CODE),
      idtInfo: r(VMCS.IDT_VECTORING_INFO_FIELD),
      idtError: r(VMCS.IDT_VECTORING_ERROR_CODE),
      instructionInfo: r(VMCS.VMX_INSTRUCTION_INFO),
      guestLinear: r(VMCS.GUEST_LINEAR_ADDRESS),
      guestPhysical: r(VMCS.GUEST_PHYSICAL_ADDRESS),
      rip: r(VMCS.GUEST_RIP),
    };
  }

  /** Skips the instruction that exited (RIP += VM_EXIT_INSTRUCTION_LEN), as a handler would. */
  skip(): void {
    this.write(VMCS.GUEST_RIP, (this.read(VMCS.GUEST_RIP) + this.read(VMCS.VM_EXIT_INSTRUCTION_LEN)) >>> 0);
  }

  /** The guest's EAX..EDI (VM exits leave them in the processor). */
  get gprs(): Int32Array {
    return this.ops.gprs;
  }

  /**
   * Runs `src` as root-mode code on the processor (CPL 0, the host's paging), at ROOT_CODE, until it
   * halts (end it with `hlt`; IF is 0) or runs `budget` instructions. For VMX instructions executed
   * by code rather than by the TypeScript host.
   */
  runRoot(src: string, budget = 10_000): string {
    const core = processorInternals(this.ops)!;
    (this.cpu.vmx as VmxController).materializeHost();
    this.mem.writeBytes(ROOT_CODE, asm(src, ROOT_CODE));
    this.cpu.eip = ROOT_CODE;
    this.cpu.halted = false;
    return core.execute(budget).kind;
  }

  /** Offset of `label` in an assembled snippet: assemble up to it and measure. */
  static offsetOf(src: string, label: string): number {
    const upto = src.slice(0, src.indexOf(`${label}:`));
    return asm(upto, L.CODE).length;
  }

  /** The vector the guest IDT stub recorded (-1: none), and frame dword i. */
  lastVector(): number {
    return this.mem.read32(L.REC);
  }
  frame(i: number): number {
    return this.mem.read32(L.REC + 4 + i * 4) >>> 0;
  }
}

/** Sets the I/O bitmap bit of `port`. */
export function trapPort(h: VmxHarness, port: number): void {
  const base = port < 0x8000 ? L.IO_A : L.IO_B;
  const p = port & 0x7fff;
  h.mem.write8(base + (p >>> 3), h.mem.read8(base + (p >>> 3)) | (1 << (p & 7)));
}

/** Sets the MSR bitmap bit for `msr` (read or write half). */
export function trapMsr(h: VmxHarness, msr: number, write: boolean): void {
  const high = msr >= 0xc0000000;
  const off = (write ? 0x800 : 0) + (high ? 0x400 : 0);
  const i = msr & 0x1fff;
  const a = L.MSR_BITMAP + off + (i >>> 3);
  h.mem.write8(a, h.mem.read8(a) | (1 << (i & 7)));
}
