/** Text of a PDF as extractors read it: poppler's pdftotext (layout mode) and PDFium, NFC-normalized. */
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

/**
 * Lines of a PDF's first page as PDFium reads them: the engine behind Chrome's and Edge's PDF
 * viewers, so what a partner gets when copying from a certificate opened in the browser.
 */
export async function pdfiumLines(pdf: Uint8Array): Promise<string[]> {
  const { PDFiumLibrary } = await import('@hyzyla/pdfium');
  const library = await PDFiumLibrary.init();
  try {
    const doc = await library.loadDocument(pdf);
    try {
      return doc.getPage(0).getText().split(/\r?\n/).map((line) => line.normalize('NFC'));
    } finally {
      doc.destroy();
    }
  } finally {
    library.destroy();
  }
}
