// Re-renders latest.md and latest.svg from latest.json (after a change to the writers; the figures
// themselves come only from a run of bench/all.ts).   npx tsx bench/report/render.ts [DIR]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMarkdown } from './markdown.js';
import type { BenchResults } from './schema.js';
import { renderSvg } from './svg.js';

const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const results = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchResults;
writeFileSync(join(dir, 'latest.md'), renderMarkdown(results));
writeFileSync(join(dir, 'latest.svg'), renderSvg(results));
console.log(`rendered ${join(dir, 'latest.md')} and latest.svg`);
