/**
 * Where a PDF's bytes go: embedded font programs (and, inside them, the glyph outlines), page
 * content, and everything else. Used by the certificate benchmark to show what each engine spends
 * its bytes on, and the floor that the glyph outlines alone set for any file showing the same glyphs.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { PDFArray, PDFDocument, PDFName, PDFRawStream, PDFRef } from 'pdf-lib';

export interface Anatomy {
  /** The whole file. */
  total: number;
  /** Embedded font programs (FontFile2/FontFile3), as stored. */
  fonts: number;
  /** The `glyf` tables of the TrueType programs, deflated at level 9: the outlines themselves. */
  outlines: number;
  /** Page content streams, as stored. */
  content: number;
}

/** Subtypes of FontFile3 streams (CFF and OpenType programs). */
const FONT_FILE3 = new Set(['/Type1C', '/CIDFontType0C', '/OpenType']);

/** A stream's bytes: Flate decoded, or as stored when unfiltered (font programs use nothing else here). */
function decoded(s: PDFRawStream): Uint8Array {
  const filter = s.dict.get(PDFName.of('Filter'));
  if (filter === undefined) return s.contents;
  if (String(filter) === '/FlateDecode') return unzlibSync(s.contents);
  throw new Error(`pdf-anatomy: cannot decode a ${String(filter)} stream`);
}

/** Deflated size of a TrueType program's glyf table (0 for anything else, e.g. CFF). */
function glyfBytes(font: Uint8Array): number {
  const view = new DataView(font.buffer, font.byteOffset, font.byteLength);
  for (let i = 0; i < view.getUint16(4); i++) {
    const at = 12 + 16 * i;
    if (String.fromCharCode(...font.subarray(at, at + 4)) !== 'glyf') continue;
    const offset = view.getUint32(at + 8);
    return zlibSync(font.subarray(offset, offset + view.getUint32(at + 12)), { level: 9 }).length;
  }
  return 0;
}

export async function pdfAnatomy(bytes: Uint8Array): Promise<Anatomy> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const contentRefs = new Set<string>();
  for (const page of doc.getPages()) {
    // Contents is one stream or an array of them; either may be given by reference.
    const contents = page.node.get(PDFName.of('Contents'));
    const resolved = contents instanceof PDFRef ? doc.context.lookup(contents) : contents;
    const refs = resolved instanceof PDFArray ? resolved.asArray() : [contents];
    for (const ref of refs) if (ref instanceof PDFRef) contentRefs.add(ref.toString());
  }
  const anatomy: Anatomy = { total: bytes.length, fonts: 0, outlines: 0, content: 0 };
  for (const [ref, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFRawStream)) continue;
    const { dict } = object;
    if (contentRefs.has(ref.toString())) anatomy.content += object.contents.length;
    else if (dict.has(PDFName.of('Length1')) || FONT_FILE3.has(String(dict.get(PDFName.of('Subtype'))))) {
      anatomy.fonts += object.contents.length;
      anatomy.outlines += glyfBytes(decoded(object));
    }
  }
  return anatomy;
}
