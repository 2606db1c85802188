// Rebuilding the guests from source reproduces the committed images byte for byte, so running them
// needs no toolchain and nobody can commit an image that does not match its source.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GUESTS_DIR, REPO_ROOT } from './catalog.js';

const tmp = mkdtempSync(join(tmpdir(), 'guests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('guest images', () => {
  it('rebuild byte for byte from source', () => {
    const out = join(tmp, 'bin');
    const r = spawnSync(
      process.execPath,
      ['scripts/build-guests.mjs', '--quiet', '--out', out, '--obj', join(tmp, 'obj')],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    // A missing nasm/ld/gcc-multilib is reported by the script in one line: show it as the failure.
    expect(r.status, r.stderr || r.stdout).toBe(0);
    const committed = readdirSync(join(GUESTS_DIR, 'bin')).filter((f) => f.endsWith('.elf')).sort();
    const rebuilt = readdirSync(out).filter((f) => f.endsWith('.elf')).sort();
    expect(rebuilt).toEqual(committed);
    const differ = rebuilt.filter(
      (f) => !readFileSync(join(out, f)).equals(readFileSync(join(GUESTS_DIR, 'bin', f))),
    );
    expect(differ, `images differ from a fresh build (run npm run build:guests and commit): ${differ.join(', ')}`).toEqual([]);
  });
});
