/**
 * A QR code as vector paths in the PDF (no raster image): one filled path of rectangles, each a
 * horizontal run of dark modules, so it stays sharp at any zoom and small in bytes.
 */
import { PDFOperator, PDFOperatorNames as Op, PDFNumber, type PDFPage } from 'pdf-lib';
// The encoder alone: the package's entry point also pulls in its PNG, SVG and terminal renderers.
import { create } from 'qrcode/lib/core/qrcode.js';

/** Draws `text` as a QR code (error correction M, 4-module quiet zone) with its lower-left at (x, y). */
export function drawQrCode(page: PDFPage, text: string, x: number, y: number, size: number): void {
  // One byte-mode segment: a URL gains nothing from mixed modes, and choosing them is the costly part.
  const { modules } = create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const cell = size / (n + 8);
  const num = (v: number) => PDFNumber.of(Math.round(v * 1000) / 1000);
  const ops: PDFOperator[] = [PDFOperator.of(Op.PushGraphicsState), PDFOperator.of(Op.NonStrokingColorGray, [num(0)])];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n;) {
      if (!modules.get(row, col)) { col++; continue; }
      let end = col;
      while (end < n && modules.get(row, end)) end++;
      const top = y + size - (row + 4) * cell;
      ops.push(PDFOperator.of(Op.AppendRectangle, [num(x + (col + 4) * cell), num(top - cell), num((end - col) * cell), num(cell)]));
      col = end;
    }
  }
  ops.push(PDFOperator.of(Op.FillNonZero), PDFOperator.of(Op.PopGraphicsState));
  page.pushOperators(...ops);
}
