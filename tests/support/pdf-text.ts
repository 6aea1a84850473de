/** Text of a PDF as poppler's pdftotext reads it (layout mode), NFC-normalized. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function pdfToText(pdf: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'concord-pdf-'));
  try {
    writeFileSync(join(dir, 'in.pdf'), pdf);
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', join(dir, 'in.pdf'), '-'], { encoding: 'utf8' });
    // pdftotext wraps right-to-left words in directional embedding controls: layout, not text.
    return text.replace(/[\u202A-\u202E]/g, '').normalize('NFC');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
