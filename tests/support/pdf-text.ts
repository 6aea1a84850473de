/** Text of a PDF as extractors read it: poppler's pdftotext (layout mode), PDFium and pdf.js, NFC-normalized. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What poppler's pdftotext reads: laid out as on the page, or `raw` in content-stream order (one
 * party's wrapped name stays together); all pages, or `page` (1-based) alone.
 */
export function pdfToText(pdf: Uint8Array, options: { raw?: boolean; page?: number } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'concord-pdf-'));
  try {
    writeFileSync(join(dir, 'in.pdf'), pdf);
    const pages = options.page === undefined ? [] : ['-f', `${options.page}`, '-l', `${options.page}`];
    const text = execFileSync('pdftotext', [options.raw ? '-raw' : '-layout', ...pages, '-enc', 'UTF-8', join(dir, 'in.pdf'), '-'], { encoding: 'utf8' });
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

/**
 * The text items of a PDF's first page as pdf.js reads them: the engine of Firefox's viewer, whose
 * text layer is one span per item. Glyph-level: it reads ToUnicode and ignores ActualText.
 */
export async function pdfjsItems(pdf: Uint8Array): Promise<string[]> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await getDocument({ data: new Uint8Array(pdf), disableFontFace: true, useSystemFonts: false, verbosity: 0 }).promise;
  try {
    const content = await (await doc.getPage(1)).getTextContent();
    return content.items.flatMap((item) => ('str' in item ? [item.str.normalize('NFC')] : []));
  } finally {
    await doc.destroy();
  }
}
