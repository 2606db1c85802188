// A readable dump of a VMCS grouped like KVM's dump_vmcs (guest state, host state, controls, exit
// information), with controls decoded to names and the exit decoded to words. For the debugger.

import { ControlKind, describeControls } from './controls.js';
import { describeExitReason } from './exit-reasons.js';
import { FIELDS, FieldType, FieldWidth, VMCS } from './fields.js';
import { describeIntrInfo, describeQualification } from './qualification.js';

const TITLES: Record<FieldType, string> = {
  [FieldType.GUEST]: 'Guest state',
  [FieldType.HOST]: 'Host state',
  [FieldType.CONTROL]: 'Controls',
  [FieldType.EXIT_INFO]: 'Exit information',
};
const ORDER = [FieldType.GUEST, FieldType.HOST, FieldType.CONTROL, FieldType.EXIT_INFO] as const;

const CONTROL_KIND = new Map<number, ControlKind>([
  [VMCS.PIN_BASED_VM_EXEC_CONTROL, ControlKind.PIN],
  [VMCS.CPU_BASED_VM_EXEC_CONTROL, ControlKind.PROC],
  [VMCS.SECONDARY_VM_EXEC_CONTROL, ControlKind.PROC2],
  [VMCS.VM_EXIT_CONTROLS, ControlKind.EXIT],
  [VMCS.VM_ENTRY_CONTROLS, ControlKind.ENTRY],
]);

function hexOf(v: number, width: FieldWidth): string {
  return '0x' + (v >>> 0).toString(16).padStart(width === FieldWidth.W16 ? 4 : 8, '0');
}

/**
 * Lines of the dump; `read` returns a field's value (the low half for 64-bit fields) and
 * `readHigh` the high half of a 64-bit field.
 */
export function dumpVmcs(read: (encoding: number) => number, readHigh: (encoding: number) => number): string[] {
  const lines: string[] = [];
  for (const type of ORDER) {
    lines.push(`*** ${TITLES[type]} ***`);
    for (const f of FIELDS) {
      if (f.type !== type) continue;
      const v = read(f.encoding);
      let text = f.width === FieldWidth.W64 ? `0x${(readHigh(f.encoding) >>> 0).toString(16).padStart(8, '0')}_${(v >>> 0).toString(16).padStart(8, '0')}` : hexOf(v, f.width);
      const kind = CONTROL_KIND.get(f.encoding);
      if (kind !== undefined) text += `  ${describeControls(kind, v)}`;
      if (f.encoding === VMCS.VM_EXIT_REASON) text += `  ${describeExitReason(v)}`;
      if (f.encoding === VMCS.EXIT_QUALIFICATION) {
        const words = describeQualification(read(VMCS.VM_EXIT_REASON), v);
        if (words) text += `  ${words}`;
      }
      if (f.encoding === VMCS.VM_EXIT_INTR_INFO || f.encoding === VMCS.IDT_VECTORING_INFO_FIELD || f.encoding === VMCS.VM_ENTRY_INTR_INFO_FIELD) {
        text += `  ${describeIntrInfo(v)}`;
      }
      lines.push(`${f.name.padEnd(30)} ${text}`);
    }
  }
  return lines;
}
