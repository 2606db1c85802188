// bench/results/latest.svg: grouped bars, one group per workload, one bar per VM mode, height =
// modelled cycles per iteration relative to native on a log scale (1× is the baseline line; bars
// below it are modes cheaper than native). Hand-written SVG: no dependencies, stable output.
import type { BenchResults } from './schema.js';
import type { Mode } from './workloads.js';

const COLORS: Readonly<Record<Mode, string>> = {
  native: '#888888',
  ept: '#1f77b4',
  shadow: '#d62728',
  'ept+pv': '#6baed6',
  'shadow+pv': '#ff9896',
};

const W = 900;
const H = 420;
const LEFT = 70;
const RIGHT = 20;
const TOP = 50;
const BOTTOM = 80;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A factor in at most 3 significant digits: 1.0, 6.4, 0.02, 12. */
function label(v: number): string {
  return v >= 10 ? v.toFixed(0) : v >= 0.995 ? v.toFixed(1) : v.toFixed(2);
}

/** The chart as SVG text. */
export function renderSvg(r: BenchResults): string {
  const modes = r.modes.filter((m) => m !== 'native');
  const values: number[] = [];
  for (const w of r.workloads) {
    for (const m of modes) {
      const c = w.cells[m];
      if (c.status === 'ok' && c.relCycles !== null && c.relCycles > 0) values.push(c.relCycles);
    }
  }
  // Decades covering every value and 1×.
  const lo = Math.floor(Math.log10(Math.min(1, ...values)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(1, ...values))));
  const plotH = H - TOP - BOTTOM;
  const plotW = W - LEFT - RIGHT;
  const y = (v: number): number => TOP + plotH - ((Math.log10(v) - lo) / (hi - lo)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">Modelled cycles per iteration relative to native (log scale)</text>`,
    `<text x="${W / 2}" y="38" text-anchor="middle" fill="#555">cost model: ${esc(r.costModel.source)}${r.quick ? ' (quick run)' : ''}; n/a modes are left out</text>`,
  ];
  for (let d = lo; d <= hi; d++) {
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** d;
      if (Math.log10(v) > hi + 1e-9) continue;
      const yy = y(v).toFixed(1);
      parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${yy}" y2="${yy}" stroke="${k === 1 ? '#bbb' : '#eee'}"/>`);
      if (k === 1 || hi - lo <= 2) parts.push(`<text x="${LEFT - 6}" y="${yy}" dy="4" text-anchor="end">${v >= 1 ? v : v.toFixed(-d)}×</text>`);
    }
  }
  parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#000" stroke-width="1.5"/>`);
  const groupW = plotW / r.workloads.length;
  const barW = (groupW * 0.8) / modes.length;
  r.workloads.forEach((w, i) => {
    const gx = LEFT + i * groupW + groupW * 0.1;
    modes.forEach((m, j) => {
      const c = w.cells[m];
      if (c.status !== 'ok' || c.relCycles === null || c.relCycles <= 0) return;
      const v = c.relCycles;
      const y0 = y(1);
      const y1 = y(v);
      const top = Math.min(y0, y1);
      const x = gx + j * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${Math.max(1, Math.abs(y1 - y0)).toFixed(1)}" fill="${COLORS[m]}">` +
          `<title>${esc(`${w.id} ${m}: ${v.toFixed(2)}× native`)}</title></rect>`,
      );
      // The factor on the bar's end, outside it (above a bar going up, below one going down).
      const ly = v >= 1 ? Math.min(y0, y1) - 3 : Math.max(y0, y1) + 10;
      parts.push(`<text x="${(x + (barW - 1) / 2).toFixed(1)}" y="${ly.toFixed(1)}" text-anchor="middle" font-size="9">${label(v)}</text>`);
    });
    parts.push(`<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${H - BOTTOM + 18}" text-anchor="middle">${esc(w.id)}</text>`);
  });
  modes.forEach((m, j) => {
    const x = LEFT + j * 130;
    parts.push(`<rect x="${x}" y="${H - 30}" width="14" height="14" fill="${COLORS[m]}"/>`, `<text x="${x + 20}" y="${H - 19}">${esc(m)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
