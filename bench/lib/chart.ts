// SPDX-License-Identifier: Apache-2.0
// The SVG chart of a run: per subject, delivered packets per second (one-way flood)
// and round-trip echo packets per second, on a log scale. Plain SVG text, no service.
import type { SubjectResult } from './runner';
import { headline, num, si } from './summary';

const ROW = 34;
const LEFT = 250;
const WIDTH = 900;
const BAR_W = WIDTH - LEFT - 90;
const MIN_LOG = 3; // 1k pps at the left edge
const MAX_LOG = 7; // 10M pps at the right edge

function x(pps: number): number {
  const l = Math.min(MAX_LOG, Math.max(MIN_LOG, Math.log10(Math.max(pps, 1))));
  return ((l - MIN_LOG) / (MAX_LOG - MIN_LOG)) * BAR_W;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function bar(y: number, pps: number | null, color: string): string {
  if (pps === null) return '';
  return (
    `<rect x="${LEFT}" y="${y}" width="${x(pps).toFixed(1)}" height="11" fill="${color}"/>` +
    `<text x="${(LEFT + x(pps) + 4).toFixed(1)}" y="${y + 10}" font-size="11">${si(pps)}</text>`
  );
}

export function renderChart(subjects: SubjectResult[], title: string): string {
  const height = 60 + subjects.length * ROW + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<rect x="${LEFT}" y="32" width="12" height="10" fill="#1f5fa8"/><text x="${LEFT + 16}" y="41" font-size="11">delivered pps, one way (in-kernel generator)</text>`,
    `<rect x="${LEFT + 290}" y="32" width="12" height="10" fill="#8fb8e8"/><text x="${LEFT + 306}" y="41" font-size="11">echo pps, both ways (socket generator)</text>`,
  ];
  for (let d = MIN_LOG; d <= MAX_LOG; d++) {
    const gx = LEFT + x(10 ** d);
    parts.push(`<line x1="${gx}" y1="50" x2="${gx}" y2="${height - 25}" stroke="#ddd"/>`);
    parts.push(`<text x="${gx - 10}" y="${height - 10}" font-size="10">${si(10 ** d)}</text>`);
  }
  subjects.forEach((s, i) => {
    const y = 58 + i * ROW;
    parts.push(`<text x="10" y="${y + 16}" font-size="12">${escape(s.label)}</text>`);
    if (!s.available) {
      parts.push(`<text x="${LEFT}" y="${y + 16}" font-size="11" fill="#a00">not available</text>`);
      return;
    }
    const h = headline(s);
    parts.push(bar(y, num(h.floodPps), '#1f5fa8'));
    parts.push(bar(y + 13, num(h.echoPps), '#8fb8e8'));
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
