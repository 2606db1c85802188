// bench/results/latest.md: the summary table (modelled cycles per iteration and the factor over
// native, per workload and mode), a detail table per workload (cycles by part, exits by reason,
// wall time), the MIPS loops and the decoder benchmark.
import type { BenchResults, Cell, CellOk, WorkloadResult } from './schema.js';
import type { Mode } from './workloads.js';

/** 12345.6 -> "12,346"; small values keep one decimal. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && a < 1) return v.toPrecision(2);
  if (a < 100) return (Math.round(v * 10) / 10).toLocaleString('en-US', { maximumFractionDigits: 1 });
  return Math.round(v).toLocaleString('en-US');
}

export function fmtFactor(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  return v >= 10 ? `${v.toFixed(1)}×` : `${v.toFixed(2)}×`;
}

function summaryCell(c: Cell): string {
  if (c.status !== 'ok') return c.status;
  const f = fmtFactor(c.relCycles);
  return f === '' ? fmtNum(c.cycles) : `${fmtNum(c.cycles)} (${f})`;
}

function exitList(c: CellOk): string {
  const parts = Object.entries(c.exitsByReason)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r} ${fmtNum(n)}`);
  return parts.length === 0 ? '—' : parts.join(', ');
}

function detail(w: WorkloadResult, modes: readonly Mode[]): string[] {
  const lines = [
    `### ${w.id} — ${w.unit} (\`${w.guest}\`)`,
    '',
    `Like: ${w.like}. ${w.sizes[0] === 0 ? 'One whole run.' : `Per iteration: runs of ${w.sizes[0]} and ${w.sizes[1]}, differenced.`}`,
    '',
    '| mode | cycles/iter | vs native | guest | page walks | VM transitions | hypervisor | exits/iter | exits by reason | instructions/iter | wall ns/iter | wall vs native |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const m of modes) {
    const c = w.cells[m];
    if (c.status !== 'ok') {
      lines.push(`| ${m} | ${c.status}: ${c.reason.replace(/\|/g, '\\|')} | | | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${m} | ${fmtNum(c.cycles)} | ${fmtFactor(c.relCycles)} | ${fmtNum(c.guestCycles)} | ${fmtNum(c.pageWalkCycles)} | ${fmtNum(c.transitionCycles)} | ` +
        `${fmtNum(c.hypervisorCycles)} | ${fmtNum(c.exits)} | ${exitList(c)} | ${fmtNum(c.instructions)} | ${fmtNum(c.wallNs)} | ${fmtFactor(c.relWall)} |`,
    );
  }
  lines.push('');
  return lines;
}

/** The whole Markdown report. */
export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [
    '# Benchmark results',
    '',
    `\`npm run bench${r.quick ? ' -- --quick' : ''}\` at commit ${r.commit} on ${r.date.slice(0, 10)} (Node ${r.node}, ${r.host}). Cost model: ${r.costModel.source} ` +
      '(docs/cost-model.md). Modelled cycles are exact and machine-independent; wall time is this host\'s ' +
      `(fastest of ${r.repeats} run${r.repeats === 1 ? '' : 's'} of the long length, per iteration, boot included).`,
    '',
    '## Modelled cycles per iteration (× native)',
    '',
    `| workload | unit | ${r.modes.join(' | ')} |`,
    `| --- | --- | ${r.modes.map(() => '---:').join(' | ')} |`,
  ];
  for (const w of r.workloads) out.push(`| ${w.id} | ${w.unit} | ${r.modes.map((m) => summaryCell(w.cells[m])).join(' | ')} |`);
  out.push('', '## VM exits per iteration', '', `| workload | ${r.modes.slice(1).join(' | ')} |`, `| --- | ${r.modes.slice(1).map(() => '---:').join(' | ')} |`);
  for (const w of r.workloads) {
    out.push(`| ${w.id} | ${r.modes.slice(1).map((m) => { const c = w.cells[m]; return c.status === 'ok' ? fmtNum(c.exits) : c.status; }).join(' | ')} |`);
  }
  out.push('', '## Details', '');
  for (const w of r.workloads) out.push(...detail(w, r.modes));
  out.push('## MIPS loops (native, host wall time)', '');
  if (r.mips.status === 'ok') {
    out.push('| loop | MIPS |', '| --- | ---: |');
    for (const l of r.mips.value) out.push(`| ${l.guest} | ${l.mips.toFixed(1)} |`);
  } else out.push(`n/a: ${r.mips.reason}`);
  out.push('', '## Decoder (against iced-x86)', '');
  if (r.decoder.status === 'ok') {
    const d = r.decoder.value;
    out.push(
      '| decoder | M insns/s |',
      '| --- | ---: |',
      `| ours (operands decoded) | ${d.oursMInsnsPerSec.toFixed(1)} |`,
      `| iced-x86 decodeOut | ${d.icedDecodeOutMInsnsPerSec.toFixed(1)} |`,
      `| iced-x86 decodeOut + operands | ${d.icedOperandsMInsnsPerSec.toFixed(1)} |`,
    );
  } else out.push(`n/a: ${r.decoder.reason}`);
  out.push('');
  return out.join('\n');
}
