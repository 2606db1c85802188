// A small bare machine for processor unit tests: 4 MiB of RAM, a GDT with ring-0 and ring-3 flat
// segments and a TSS, an IDT whose gates all lead to one recorder stub, a controllable interrupt
// line, and NASM to turn test snippets into bytes (`asm`). Tests poke the Cpu directly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock } from '../../src/machine/clock.js';
import { IoBus } from '../../src/machine/io-bus.js';
import { PhysicalMemory } from '../../src/machine/memory.js';
import { installArchitecturalMsrs } from '../../src/cpu/msr.js';
import { Core, type StopReason } from '../../src/cpu/run.js';
import { refreshSegChecks, setCpl } from '../../src/cpu/segmentation.js';
import { Cpu, type InterruptController, Pending } from '../../src/cpu/state.js';
import { readEflags } from '../../src/cpu/flags.js';

export const CODE = 0x10000;
export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS = 0x3000;
export const STACK0 = 0x9000;
export const STACK3 = 0x8000;
/** Where the IDT stubs live: vector v's stub is at STUBS + v*128. */
export const STUBS = 0x30000;
/** The recorder: a stub stores its vector at REC, ESP at REC+4 and the six dwords on top of the
 *  stack at REC+8.. (through GS, which it loads with the flat ring-0 data segment, so a null DS or a
 *  small SS does not matter), then halts with IF = 0 (so run() ends with 'halted-forever'). Registers are
 *  preserved. */
export const REC = 0x5000;

export const SEL = { CODE0: 0x08, DATA0: 0x10, CODE3: 0x1b, DATA3: 0x23, TSS: 0x28, DATA0_RO: 0x30, CODE0_16: 0x38, DATA_NP: 0x40, DATA0_SMALL: 0x48 };

/** Segment descriptor (SDM Vol. 3 §3.4.5) as two dwords. */
export function descriptor(base: number, limit: number, ar: number): [number, number] {
  const g = limit > 0xfffff;
  const lim = g ? limit >>> 12 : limit;
  const lo = ((base & 0xffff) << 16) | (lim & 0xffff);
  const hi = (base & 0xff000000) | ((base >>> 16) & 0xff) | (lim & 0xf0000) | ((ar & 0xf0ff) << 8) | (g ? 1 << 23 : 0);
  return [lo | 0, hi | 0];
}

/** Interrupt/trap gate (SDM Vol. 3 §6.11): type 0xE interrupt, 0xF trap. */
export function gate(sel: number, offset: number, type: number, dpl: number): [number, number] {
  return [((sel & 0xffff) << 16) | (offset & 0xffff), (offset & 0xffff0000) | (1 << 15) | (dpl << 13) | (type << 8)];
}

export class FakePic implements InterruptController {
  vector = -1;
  acks = 0;
  hasInterrupt(): boolean {
    return this.vector >= 0;
  }
  acknowledge(): number {
    const v = this.vector;
    this.vector = -1;
    this.acks++;
    return v;
  }
}

const asmCache = new Map<string, Uint8Array>();
let asmDir = '';

/** Assembles a NASM snippet (`bits 32`, `org CODE` are prepended) into flat bytes. */
export function asm(src: string, org = CODE): Uint8Array {
  const key = `${org}\n${src}`;
  const hit = asmCache.get(key);
  if (hit) return hit;
  if (!asmDir) asmDir = mkdtempSync(join(tmpdir(), 'cpu-test-'));
  const n = asmCache.size;
  const inFile = join(asmDir, `t${n}.asm`);
  const outFile = join(asmDir, `t${n}.bin`);
  writeFileSync(inFile, `bits 32\norg ${org}\n${src}\n`);
  execFileSync('nasm', ['-f', 'bin', '-o', outFile, inFile]);
  const bytes = new Uint8Array(readFileSync(outFile));
  asmCache.set(key, bytes);
  return bytes;
}

export interface TestMachine {
  cpu: Cpu;
  core: Core;
  mem: PhysicalMemory;
  bus: IoBus;
  clock: Clock;
  pic: FakePic;
  run(max?: number): StopReason;
  /** The vector the IDT stub recorded last (-1 if none). */
  lastVector(): number;
  /** The i-th dword of the frame the handler saw (0: error code or EIP...). */
  frame(i: number): number;
  /** ESP inside the handler. */
  handlerEsp(): number;
  eflags(): number;
  w32(addr: number, v: number): void;
  r32(addr: number): number;
}

const FLAT = 0xffffffff;
// Access rights (VMX layout): type | S(0x10) | DPL<<5 | P(0x80) | DB(0x4000) | G(0x8000)
const AR_CODE0 = 0xb | 0x10 | 0x80 | 0x4000 | 0x8000;
const AR_DATA0 = 0x3 | 0x10 | 0x80 | 0x4000 | 0x8000;
export const AR_CODE3 = AR_CODE0 | (3 << 5);
export const AR_DATA3 = AR_DATA0 | (3 << 5);

/** Builds the machine with `code` at CODE, CPL 0, flat segments, paging off, IF = 0. */
export function machine(code: Uint8Array | string, opts: { memBytes?: number } = {}): TestMachine {
  const mem = new PhysicalMemory(opts.memBytes ?? 4 * 1024 * 1024);
  const bus = new IoBus();
  const clock = new Clock();
  const pic = new FakePic();
  const cpu = new Cpu(mem, bus, clock, pic);
  installArchitecturalMsrs(cpu);
  const core = new Core(cpu);
  const w32 = (a: number, v: number): void => mem.write32(a, v);

  const gdt: [number, number][] = [
    [0, 0],
    descriptor(0, FLAT, AR_CODE0),
    descriptor(0, FLAT, AR_DATA0),
    descriptor(0, FLAT, AR_CODE3),
    descriptor(0, FLAT, AR_DATA3),
    descriptor(TSS, 0x67 + 0x2000 / 8 + 1, 0x89),
    descriptor(0, FLAT, 0x1 | 0x10 | 0x80 | 0x4000 | 0x8000), // 0x30 read-only data
    descriptor(0, 0xffff, 0xb | 0x10 | 0x80), // 0x38 16-bit code
    descriptor(0, FLAT, 0x3 | 0x10 | 0x4000 | 0x8000), // 0x40 not present
    descriptor(0, 0xfff, 0x2 | 0x10 | 0x80 | 0x4000), // 0x48 data, limit 0xfff, not yet accessed
  ];
  gdt.forEach(([lo, hi], i) => {
    w32(GDT + i * 8, lo);
    w32(GDT + i * 8 + 4, hi);
  });
  // IDT: every vector -> its stub, interrupt gates of DPL 0 (tests override entries).
  for (let v = 0; v < 256; v++) {
    const [lo, hi] = gate(SEL.CODE0, STUBS + v * 128, 0xe, 0);
    w32(IDT + v * 8, lo);
    w32(IDT + v * 8 + 4, hi);
  }
  const stubBody = (v: number): string =>
    `push eax\nmov ax, ${SEL.DATA0}\nmov gs, ax\nmov dword [gs:${REC}], ${v}\nlea eax, [esp+4]\nmov [gs:${REC + 4}], eax\n` +
    [0, 1, 2, 3, 4, 5].map((i) => `mov eax, [esp+${4 + i * 4}]\nmov [gs:${REC + 8 + i * 4}], eax`).join('\n') +
    '\npop eax\nhlt';
  let stubs = '';
  for (let v = 0; v < 256; v++) stubs += `times ${v * 128}-($-$$) db 0\n${stubBody(v)}\n`;
  mem.writeBytes(STUBS, asm(stubs, STUBS));
  w32(REC, -1);
  // TSS: ESP0/SS0 and an I/O bitmap (all ports allowed, except where tests set bits).
  w32(TSS + 4, STACK0);
  w32(TSS + 8, SEL.DATA0);
  mem.write16(TSS + 0x66, 0x68);
  const bytes = typeof code === 'string' ? asm(code) : code;
  mem.writeBytes(CODE, bytes);

  const segs = [SEL.DATA0, SEL.CODE0, SEL.DATA0, SEL.DATA0, SEL.DATA0, SEL.DATA0];
  segs.forEach((sel, i) => {
    cpu.segSel[i] = sel;
    cpu.segBase[i] = 0;
    cpu.segLimit[i] = -1;
    cpu.segAr[i] = i === 1 ? AR_CODE0 : AR_DATA0;
    refreshSegChecks(cpu, i);
  });
  cpu.segSel[6] = 0;
  cpu.segAr[6] = 0x10000;
  cpu.segSel[7] = SEL.TSS;
  cpu.segBase[7] = TSS;
  cpu.segLimit[7] = 0x67 + 0x2000 / 8 + 1;
  cpu.segAr[7] = 0x8b;
  cpu.gdtBase = GDT;
  cpu.gdtLimit = gdt.length * 8 - 1;
  cpu.idtBase = IDT;
  cpu.idtLimit = 256 * 8 - 1;
  cpu.eip = CODE;
  cpu.regs[4] = STACK0;
  setCpl(cpu, 0);
  cpu.pending = Pending.CHECK_IRQ;

  return {
    cpu,
    core,
    mem,
    bus,
    clock,
    pic,
    run: (max = 100_000) => core.run(max),
    lastVector: () => mem.read32(REC),
    frame: (i) => mem.read32(REC + 8 + i * 4) >>> 0,
    handlerEsp: () => mem.read32(REC + 4) >>> 0,
    eflags: () => readEflags(cpu),
    w32,
    r32: (a) => mem.read32(a),
  };
}

/** Restarts the same program from CODE at CPL 0 (state kept except EIP, ESP, halt, recorder). */
export function rerun(m: TestMachine, max = 100_000): StopReason {
  m.cpu.eip = CODE;
  m.cpu.regs[4] = STACK0;
  m.cpu.halted = false;
  m.w32(REC, -1);
  return m.run(max);
}

/** Puts the processor at ring 3 with flat user segments (as an IRET to user mode would). */
export function enterRing3(m: TestMachine, eip: number, esp = STACK3): void {
  const { cpu } = m;
  for (const i of [0, 2, 3, 4, 5]) {
    cpu.segSel[i] = SEL.DATA3;
    cpu.segAr[i] = AR_DATA3;
    refreshSegChecks(cpu, i);
  }
  cpu.segSel[1] = SEL.CODE3;
  cpu.segAr[1] = AR_CODE3;
  refreshSegChecks(cpu, 1);
  setCpl(cpu, 3);
  cpu.eip = eip;
  cpu.regs[4] = esp;
}
