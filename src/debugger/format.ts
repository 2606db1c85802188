// How the debugger shows things in words: the one line every stop prints, registers with decoded
// flags and control registers, VM exits with their qualification decoded, page walks. Shared by the
// REPL and the GDB stub (whose `monitor` commands print the same text).
import { hex } from '../common/hex.js';
import { CR0, CR4 } from '../cpu/control-regs.js';
import { AR } from '../cpu/descriptor.js';
import { EXIT_REASON, EXIT_REASON_BASIC_MASK, describeExitReason, exitReasonName } from '../cpu/vmx/exit-reasons.js';
import { describeIntrInfo, describeQualification } from '../cpu/vmx/qualification.js';
import type { StopEvent } from './core.js';
import type { Debugger } from './core.js';
import { instructionAt } from './guest-memory.js';
import { SEGMENT_NAMES, type EndOutcome, type ExitInfo, type GuestRegisters, type TranslationReport, type Walk } from './target.js';

/** `0x00101917: push ebp`: the instruction at a guest-virtual address. */
export function location(dbg: Debugger, linear: number): string {
  return `0x${hex(linear)}: ${instructionAt(dbg.target, linear)}`;
}

function here(dbg: Debugger): string {
  return location(dbg, dbg.linearEip());
}

/** `VM exit #3: CPUID (10) at 0x00101234: cpuid`, plus the qualification in words when it has one. */
export function describeExit(dbg: Debugger, e: ExitInfo): string {
  const basic = e.reason & EXIT_REASON_BASIC_MASK;
  const cs = dbg.registers().segs.cs.base;
  const words = describeQualification(e.reason, e.qualification);
  const reason = describeExitReason(e.reason);
  return `VM exit #${e.number}: ${reason} (${basic}) at ${location(dbg, (cs + e.rip) >>> 0)}${words ? ` [${words}]` : ''}`;
}

export function describeOutcome(o: EndOutcome, instructions: number): string {
  switch (o.kind) {
    case 'exit':
      return `The guest exited with status ${o.value} after ${instructions} instructions.`;
    case 'triple-fault':
      return `The guest triple-faulted (the machine shut down): ${o.report}`;
    case 'halted-forever':
      return `The guest ${o.why}; it can never wake up.`;
    case 'unsupported':
      return `The guest used something this processor does not implement: ${o.message}`;
    case 'vm-stopped':
      return `The hypervisor stopped the VM: ${o.message}`;
  }
}

function bytesHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** The one line a stop prints. */
export function describeStop(dbg: Debugger, ev: StopEvent): string {
  switch (ev.kind) {
    case 'step':
      return here(dbg);
    case 'breakpoint':
      return `Breakpoint ${ev.bp.id} at ${here(dbg)}`;
    case 'watch': {
      const s = ev.bp.spec;
      const at = s.kind === 'watch' ? (s.virtual ? `0x${hex(s.addr)}` : `guest-physical 0x${hex(s.phys)}`) : '';
      return `Watchpoint ${ev.bp.id}: ${at} changed ${bytesHex(ev.old)} -> ${bytesHex(ev.now)}; next ${here(dbg)}`;
    }
    case 'io': {
      const dir = ev.write ? `out port 0x${ev.port.toString(16)} <- 0x${ev.value.toString(16)}` : `in port 0x${ev.port.toString(16)} -> 0x${ev.value.toString(16)}`;
      return `I/O breakpoint ${ev.bp.id}: ${dir} (${ev.size} byte${ev.size > 1 ? 's' : ''}); next ${here(dbg)}`;
    }
    case 'vm-exit':
      return describeExit(dbg, ev.exit) + (ev.bp ? ` (breakpoint ${ev.bp.id})` : '');
    case 'ended':
      return describeOutcome(ev.outcome, dbg.target.instructions);
    case 'interrupted':
      return `Interrupted at ${here(dbg)}`;
    case 'history-start':
      return `At the start of the recorded history: ${here(dbg)}`;
  }
}

const FLAG_NAMES: [number, string][] = [
  [0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
  [14, 'NT'], [16, 'RF'], [17, 'VM'], [18, 'AC'], [19, 'VIF'], [20, 'VIP'], [21, 'ID'],
];

export function decodeEflags(v: number): string {
  const names = FLAG_NAMES.filter(([b]) => (v >>> b) & 1).map(([, n]) => n);
  names.push(`IOPL=${(v >>> 12) & 3}`);
  return names.join(' ');
}

function bitNames(v: number, table: Readonly<Record<string, number>>): string {
  const names = Object.entries(table).filter(([, b]) => (v & b) !== 0).map(([n]) => n);
  return names.length > 0 ? names.join(' ') : '-';
}

function segLine(name: string, s: { selector: number; base: number; limit: number; attrs: number }): string {
  const ar = s.attrs;
  let kind: string;
  if ((ar & AR.UNUSABLE) !== 0) kind = 'unusable';
  else if ((ar & AR.S) === 0) kind = `system type ${ar & AR.TYPE_MASK}`;
  else if ((ar & AR.CODE) !== 0) kind = `code${(ar & AR.RW) !== 0 ? ' r' : ''}${(ar & AR.DC) !== 0 ? ' conforming' : ''}`;
  else kind = `data${(ar & AR.RW) !== 0 ? ' rw' : ' ro'}${(ar & AR.DC) !== 0 ? ' expand-down' : ''}`;
  const dpl = (ar & AR.DPL_MASK) >>> AR.DPL_SHIFT;
  const flags = `${kind} dpl=${dpl}${(ar & AR.P) !== 0 ? '' : ' not-present'}${(ar & AR.DB) !== 0 ? ' 32-bit' : ''}${(ar & AR.G) !== 0 ? ' G' : ''}`;
  return `${name.padEnd(4)} ${hex(s.selector, 4)}  base=${hex(s.base)} limit=${hex(s.limit)} ar=${hex(ar, 5)} (${flags})`;
}

const GPR_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

/** `regs`: general registers, EIP, decoded EFLAGS, segments, control and table registers. */
export function formatRegisters(r: GuestRegisters): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 8; i += 4) {
    lines.push(
      GPR_NAMES.slice(i, i + 4)
        .map((n, k) => `${n}=${hex(r.gpr[i + k] ?? 0)}`)
        .join('  '),
    );
  }
  lines.push(`eip=${hex(r.eip)}  eflags=${hex(r.eflags)} [${decodeEflags(r.eflags)}]  cpl=${r.cpl}`);
  for (const name of SEGMENT_NAMES) lines.push(segLine(name, r.segs[name]));
  lines.push(`gdtr base=${hex(r.gdtr.base)} limit=${hex(r.gdtr.limit, 4)}   idtr base=${hex(r.idtr.base)} limit=${hex(r.idtr.limit, 4)}`);
  lines.push(`cr0=${hex(r.cr0)} [${bitNames(r.cr0, CR0)}]`);
  lines.push(`cr2=${hex(r.cr2)}  cr3=${hex(r.cr3)}`);
  lines.push(`cr4=${hex(r.cr4)} [${bitNames(r.cr4, CR4)}]`);
  if (r.actual) {
    lines.push(`as run by the processor: cr0=${hex(r.actual.cr0)} [${bitNames(r.actual.cr0, CR0)}]  cr3=${hex(r.actual.cr3)}  cr4=${hex(r.actual.cr4)} [${bitNames(r.actual.cr4, CR4)}]`);
  }
  return lines;
}

/** `info exit`: everything about one exit. */
export function formatExitInfo(dbg: Debugger, e: ExitInfo, pending: boolean): string[] {
  const basic = e.reason & EXIT_REASON_BASIC_MASK;
  const cs = dbg.registers().segs.cs.base;
  const lines = [
    `VM exit #${e.number} ${pending ? '(stopped here, not yet handled by the hypervisor)' : '(handled)'}`,
    `  reason          ${describeExitReason(e.reason)} (${basic}, raw 0x${hex(e.reason)})`,
    `  qualification   0x${hex(e.qualification)}${describeQualification(e.reason, e.qualification) ? `  ${describeQualification(e.reason, e.qualification)}` : ''}`,
    `  guest RIP       ${location(dbg, (cs + e.rip) >>> 0)}`,
    `  instruction     length ${e.instructionLength}, info 0x${hex(e.instructionInfo)}`,
  ];
  if (e.guestLinear !== 0 || basic === EXIT_REASON.EPT_VIOLATION) lines.push(`  guest linear    0x${hex(e.guestLinear)}`);
  if (e.guestPhysical !== 0 || basic === EXIT_REASON.EPT_VIOLATION || basic === EXIT_REASON.EPT_MISCONFIG) lines.push(`  guest physical  0x${hex(e.guestPhysical)}`);
  if ((e.interruptionInfo >>> 31) !== 0) lines.push(`  interruption    ${describeIntrInfo(e.interruptionInfo, e.interruptionErrorCode)}`);
  if ((e.idtVectoringInfo >>> 31) !== 0) lines.push(`  IDT vectoring   ${describeIntrInfo(e.idtVectoringInfo)}`);
  lines.push(`  at             instruction ${e.instructions}, virtual time ${e.cycle} cycles`);
  return lines;
}

/** `history`: one line per exit. */
export function formatExitLine(e: ExitInfo): string {
  const words = describeQualification(e.reason, e.qualification);
  return `#${String(e.number).padStart(6)}  ${exitReasonName(e.reason).padEnd(20)} rip=0x${hex(e.rip)}  insn ${e.instructions}${words ? `  ${words}` : ''}`;
}

function formatWalk(w: Walk): string[] {
  const lines = [`${w.title}:`];
  for (const s of w.steps) {
    lines.push(`  ${s.level.padEnd(12)} [${String(s.index).padStart(3)}] at 0x${hex(s.entryAddress)} = 0x${hex(s.entry)}  ${s.note}`);
  }
  if (w.steps.length === 0 && w.result !== null) lines.push('  (no paging: the address is used as is)');
  lines.push(w.result !== null ? `  -> 0x${hex(w.result)}` : `  -> no translation: ${w.fault ?? 'unmapped'}`);
  return lines;
}

/** `pt ADDR`: the guest walk, then the hypervisor's walk, then the host frame. */
export function formatTranslation(linear: number, t: TranslationReport, mode: string): string[] {
  const lines = [`guest-virtual 0x${hex(linear)}`];
  lines.push(...formatWalk(t.guest));
  if (t.second) lines.push(...formatWalk(t.second));
  if (t.host !== null) lines.push(`host-physical 0x${hex(t.host)} (host frame 0x${hex(t.host >>> 12, 5)})${mode === 'native' ? ' (native: guest-physical is host-physical)' : ''}`);
  else if (mode === 'shadow' && t.guest.result !== null) {
    // Shadow entries are filled lazily: the guest maps the page, the hypervisor has not copied it yet.
    lines.push('no host frame yet: the guest maps it, the shadow entry is filled on first access (a hidden #PF exit)');
  } else lines.push('no host frame: the address is not mapped all the way');
  return lines;
}
