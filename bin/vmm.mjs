#!/usr/bin/env node
// The installed `vmm` command: runs the esbuild bundle (built by `npm ci` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/vmm.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('vmm: dist/vmm.mjs is missing; run `npm run build` (npm ci does it for you)\n');
  process.exit(70);
}
await import(bundle);
