// Shared set-up for the debugger tests: a Debugger over a sample guest, with its console captured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../guests/catalog.js';
import { Debugger } from '../../src/debugger/core.js';
import type { SnapshotPolicy } from '../../src/debugger/history/snapshots.js';
import { createNativeTarget } from '../../src/debugger/targets/native.js';

export const guestImage = (name: string): Uint8Array => readFileSync(join(REPO_ROOT, 'guests', 'bin', `${name}.elf`));
export const golden = (name: string): string => readFileSync(join(REPO_ROOT, 'guests', 'golden', `${name}.out`), 'latin1');

/** The entry point from the ELF header (e_entry at offset 24), read independently of boot/. */
export function elfEntry(image: Uint8Array): number {
  return new DataView(image.buffer, image.byteOffset).getUint32(24, true);
}

export interface NativeSession {
  readonly dbg: Debugger;
  /** Console text as the user would see it (each byte once). */
  console(): string;
}

export function nativeSession(name: string, snapshots?: SnapshotPolicy, cmdline?: string): NativeSession {
  let out = '';
  let dbg: Debugger | null = null;
  const target = createNativeTarget(guestImage(name), {
    name: `${name}.elf`,
    memMiB: 16,
    ...(cmdline !== undefined ? { cmdline } : {}),
    onConsole: (b) => dbg!.console.write(b),
  });
  dbg = new Debugger(target, { console: (b) => (out += Buffer.from(b).toString('latin1')), ...(snapshots ? { snapshots } : {}) });
  return { dbg, console: () => out };
}
