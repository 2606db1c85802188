// Holds DESIGN.md's import directions: every `import` in src/ must follow an allowed arrow.
// The VMM gets a narrower rule still (invariant 1): from cpu/ it may import only the public
// processor API and the VT-x definition/instruction interface, never the processor's internals.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

/** room -> rooms it may import (common/ is always allowed; a room may import itself). */
const ALLOWED: Record<string, readonly string[]> = {
  common: [],
  x86: [],
  machine: [],
  boot: ['machine'],
  cpu: ['x86', 'machine'],
  vmm: ['cpu', 'machine', 'boot', 'x86'],
  debugger: ['vmm', 'cpu', 'x86'],
  cli: ['debugger', 'vmm', 'boot', 'machine', 'x86'],
};

/** The only cpu/ modules the hypervisor may import: the processor's public API and the VT-x
 *  interface a real hypervisor programs against (encodings, exit reasons, controls, MSR numbers). */
const VMM_CPU_SURFACE = /^cpu\/(api|vmx\/(fields|exit-reasons|controls|qualification|capabilities|errors|api))\.ts$/;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

function violations(root: string): string[] {
  const bad: string[] = [];
  for (const file of walk(root)) {
    const from = relative(root, file).replaceAll('\\', '/');
    const room = from.split('/')[0]!;
    const allowed = ALLOWED[room];
    if (!allowed) {
      bad.push(`${from}: '${room}/' is not a room in DESIGN.md`);
      continue;
    }
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue; // packages and node: builtins
      const target = relative(root, resolve(dirname(file), spec)).replaceAll('\\', '/').replace(/\.js$/, '.ts');
      if (target.startsWith('..')) {
        bad.push(`${from}: imports ${spec}, outside src/`);
        continue;
      }
      const to = target.split('/')[0]!;
      if (to === room || to === 'common') continue;
      if (!allowed.includes(to)) {
        bad.push(`${from}: ${room}/ may not import ${to}/ (${spec})`);
        continue;
      }
      if (room === 'vmm' && to === 'cpu' && !VMM_CPU_SURFACE.test(target.endsWith('.ts') ? target : `${target}.ts`)) {
        bad.push(`${from}: the hypervisor may not reach into cpu internals (${spec})`);
      }
    }
  }
  return bad;
}

describe('architecture', () => {
  it('every import in src/ follows DESIGN.md', () => {
    expect(violations(SRC)).toEqual([]);
  });

  it('catches a backward import and a hypervisor reaching into cpu internals', () => {
    const v = violations(resolve(__dirname, 'fixtures/arch-bad'));
    expect(v).toContain('x86/decoder.ts: x86/ may not import cpu/ (../cpu/state)');
    expect(v).toContain('vmm/exit-loop.ts: the hypervisor may not reach into cpu internals (../cpu/state.js)');
    expect(v.some((m) => m.startsWith('vmm/exit-loop.ts') && m.includes('vmx/fields'))).toBe(false);
  });

  it('common/ imports nothing of the project', () => {
    for (const file of walk(join(SRC, 'common'))) {
      expect(importsOf(file).filter((s) => s.startsWith('.') && !s.startsWith('./'))).toEqual([]);
    }
  });
});
