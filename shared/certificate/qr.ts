/**
 * A QR code as vector paths in the PDF (no raster image): one filled path of rectangles, each a
 * horizontal run of dark modules, so it stays sharp at any zoom and small in bytes.
 */
// The encoder alone: the package's entry point also pulls in its PNG, SVG and terminal renderers.
import { create } from 'qrcode/lib/core/qrcode.js';
import { pdfNumber } from './pdf-text.ts';

/**
 * Content-stream operators that draw `text` as a QR code (error correction M, 4-module quiet zone)
 * with its lower-left corner at (x, y). The path is drawn in module units (one `cm` scales them),
 * so every rectangle is a few small integers.
 */
export function qrCodeOperators(text: string, x: number, y: number, size: number): string {
  // One byte-mode segment: a URL gains nothing from mixed modes, and choosing them is the costly part.
  const { modules } = create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const cell = size / (n + 8);
  const ops = ['q', '0 g', `${pdfNumber(cell)} 0 0 ${pdfNumber(cell)} ${pdfNumber(x)} ${pdfNumber(y)} cm`];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n;) {
      if (!modules.get(row, col)) { col++; continue; }
      let end = col;
      while (end < n && modules.get(row, end)) end++;
      ops.push(`${col + 4} ${n + 3 - row} ${end - col} 1 re`);
      col = end;
    }
  }
  ops.push('f', 'Q');
  return ops.join('\n');
}
