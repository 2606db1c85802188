// Writes to CR0, CR3, CR4 and their consequences (TLB flushes, privilege-derived masks), shared by
// MOV to CR, LMSW, CLTS and (later) VM entry/exit. SDM Vol. 3 §2.5, §4.10.4 (TLB invalidation).
import { CR0, CR0_VALID, CR4, CR4_VALID } from './control-regs.js';
import { UnsupportedFeature } from './exceptions.js';
import { raiseGP } from './fault.js';
import { setCpl } from './segmentation.js';
import { type Cpu, Pending } from './state.js';

/** MOV to CR0 (SDM MOV CR: #GP(0) for PG without PE, NW without CD; reserved bits are ignored and
 *  ET reads as 1, as on every processor since the i486 and in QEMU). */
export function writeCr0(cpu: Cpu, value: number): void {
  value = (value & CR0_VALID) | CR0.ET;
  if ((value & CR0.PG) !== 0 && (value & CR0.PE) === 0) raiseGP(0);
  if ((value & CR0.NW) !== 0 && (value & CR0.CD) === 0) raiseGP(0);
  if ((value & CR0.PE) === 0) throw new UnsupportedFeature('clearing CR0.PE (real mode)');
  const old = cpu.cr0;
  cpu.cr0 = value | 0;
  if ((old ^ value) & (CR0.PG | CR0.WP | CR0.PE)) {
    cpu.tlb.flushCurrent();
    cpu.pending |= Pending.CODE_CHANGED;
  }
  if ((old ^ value) & CR0.AM) setCpl(cpu, cpu.cpl);
}

/** MOV to CR3: new page directory; non-global TLB entries are dropped (SDM §4.10.4.1). */
export function writeCr3(cpu: Cpu, value: number): void {
  cpu.cr3 = value | 0;
  cpu.tlb.flushNonGlobal();
  cpu.pending |= Pending.CODE_CHANGED;
}

/** MOV to CR4: setting an unimplemented bit is #GP(0). PSE/PGE changes flush every entry. */
export function writeCr4(cpu: Cpu, value: number): void {
  if ((value & ~CR4_VALID) !== 0) raiseGP(0);
  const old = cpu.cr4;
  cpu.cr4 = value | 0;
  if ((old ^ value) & (CR4.PSE | CR4.PGE)) {
    cpu.tlb.flushCurrent();
    cpu.pending |= Pending.CODE_CHANGED;
  }
}
