// Bundles the `vmm` CLI into one ES module (dist/vmm.mjs) so the installed command starts
// without a TypeScript loader. Runs on `npm ci` (the `prepare` script) and `npm run build`.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/vmm.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  // commander and cli-progress are CommonJS; a require shim lets the ESM bundle load them.
  banner: { js: "import { createRequire as __vmmCreateRequire } from 'node:module'; const require = __vmmCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
