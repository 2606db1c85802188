// The catalog covers every committed image, and every run has its golden files: a guest cannot be
// added without a reference output that all modes are compared with.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUESTS_DIR, guestRuns, readGolden } from './catalog.js';

describe('guest catalog', () => {
  it('lists every image in guests/bin', () => {
    const images = readdirSync(join(GUESTS_DIR, 'bin')).filter((f) => f.endsWith('.elf')).map((f) => f.slice(0, -4));
    const listed = new Set(guestRuns.map((g) => g.name));
    expect(images.filter((n) => !listed.has(n))).toEqual([]);
  });

  it('has unique ids, existing images and golden files for every run', () => {
    const ids = guestRuns.map((g) => g.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const g of guestRuns) {
      expect(existsSync(g.image), g.image).toBe(true);
      const golden = readGolden(g);
      expect(golden.status, `${g.id}: golden status`).toBe(g.expectedStatus);
      expect(golden.stdout.length, `${g.id}: golden output`).toBeGreaterThan(0);
    }
  });
});
