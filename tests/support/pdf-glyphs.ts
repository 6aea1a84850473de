/**
 * Reads back what a certificate page draws: for each text block (BT...ET), the glyphs with their
 * font, original glyph outline (via the embedded subset and its CIDToGIDMap), position, size and
 * ToUnicode text. Independent of the renderer: it parses the PDF with pdf-lib and fontkit.
 */
import * as fontkit from 'fontkit';
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, type PDFPage } from 'pdf-lib';

/**
 * `gid` is the glyph's index in the embedded subset: 0 is .notdef, the box drawn for a character no
 * font has. `text` is its ToUnicode text, '' for a glyph that carries none (mapped to U+2060 WORD
 * JOINER); `mapped` says ToUnicode has a non-empty entry for it at all.
 */
export interface DrawnGlyph {
  font: string; gid: number; outline: string; x: number; y: number; size: number; text: string; mapped: boolean;
  /** The glyph's ink on the page, in points: [left, bottom, right, top]; null for a glyph with no ink (a space). */
  ink: [number, number, number, number] | null;
}

interface Embedded { baseFont: string; cidToGid: Uint8Array; subset: any; toUnicode: Map<number, string>; widths: number[] }

function parseToUnicode(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const [, cid, hex] of cmap.matchAll(/<([0-9A-F]{4})> <([0-9A-F]*)>/g)) {
    const units = (hex!.match(/.{4}/g) ?? []).map((h) => parseInt(h, 16));
    map.set(parseInt(cid!, 16), String.fromCharCode(...units));
  }
  return map;
}

function pageContent(page: PDFPage, bytesOf: (o: unknown) => Uint8Array): string {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray() : [contents];
  return streams.map((s) => new TextDecoder('latin1').decode(bytesOf(s))).join('\n');
}

/** The ActualText of every marked-content span on the first page, decoded (what Acrobat or poppler copy instead of the glyphs). */
export async function actualTexts(pdf: Uint8Array): Promise<string[]> {
  const doc = await PDFDocument.load(pdf);
  const bytesOf = (o: unknown) => decodePDFRawStream((o instanceof PDFRef ? doc.context.lookup(o) : o) as PDFRawStream).decode();
  return [...pageContent(doc.getPage(0), bytesOf).matchAll(/\/ActualText (<[^>]*>|\((?:\\.|[^)])*\))/g)].map(([, value]) => {
    if (value!.startsWith('<')) {
      // The renderer writes UTF-16BE with a byte order mark; anything else is a finding, not text.
      const hex = value!.slice(1, -1);
      if (!/^FEFF(?:[0-9A-F]{4})*$/.test(hex)) throw new Error(`unexpected ActualText ${value}`);
      return String.fromCharCode(...(hex.slice(4).match(/.{4}/g) ?? []).map((h) => parseInt(h, 16)));
    }
    const literal = value!.slice(1, -1);
    if (/\\[^t]/.test(literal)) throw new Error(`unexpected escape in ActualText ${value}`);
    return literal.replace(/\\t/g, '\t');
  });
}

/** Read once per file and page: several tests look at the same certificate. Treat the result as read-only. */
const read = new WeakMap<Uint8Array, Map<number, Promise<DrawnGlyph[][]>>>();

export function drawnBlocks(pdf: Uint8Array, pageIndex = 0): Promise<DrawnGlyph[][]> {
  let pages = read.get(pdf);
  if (!pages) read.set(pdf, (pages = new Map()));
  let blocks = pages.get(pageIndex);
  if (!blocks) pages.set(pageIndex, (blocks = readBlocks(pdf, pageIndex)));
  return blocks;
}

async function readBlocks(pdf: Uint8Array, pageIndex: number): Promise<DrawnGlyph[][]> {
  const doc = await PDFDocument.load(pdf);
  const ctx = doc.context;
  const page = doc.getPage(pageIndex);
  const lookup = (o: unknown) => (o instanceof PDFRef ? ctx.lookup(o) : o);
  const bytesOf = (o: unknown) => decodePDFRawStream(lookup(o) as PDFRawStream).decode();
  const fonts = new Map<string, Embedded>();
  for (const [name, ref] of page.node.Resources()!.lookup(PDFName.of('Font'), PDFDict).entries()) {
    const type0 = lookup(ref) as PDFDict;
    const cidFont = lookup((type0.get(PDFName.of('DescendantFonts')) as PDFArray).get(0)) as PDFDict;
    const descriptor = lookup(cidFont.get(PDFName.of('FontDescriptor'))) as PDFDict;
    fonts.set(name.decodeText(), {
      baseFont: (type0.get(PDFName.of('BaseFont')) as PDFName).decodeText().split('+')[1]!,
      cidToGid: bytesOf(cidFont.get(PDFName.of('CIDToGIDMap'))),
      subset: fontkit.create(Buffer.from(bytesOf(descriptor.get(PDFName.of('FontFile2'))))),
      toUnicode: parseToUnicode(new TextDecoder().decode(bytesOf(type0.get(PDFName.of('ToUnicode'))))),
      // /W [1 [w1 w2 ...]]: widths of CIDs 1..n in 1/1000 em.
      widths: [0, ...((cidFont.get(PDFName.of('W')) as PDFArray).get(1) as PDFArray).asArray().map((n) => Number(n.toString()))],
    });
  }
  const content = pageContent(page, bytesOf);
  // What a viewer draws: not text set invisible (rendering mode 3), a cascading line's text for extractors.
  return [...content.matchAll(/\bBT\b([\s\S]*?)\bET\b/g)].filter(([, body]) => !/\b3 Tr\b/.test(body!)).map(([, body]) => {
    const drawn: DrawnGlyph[] = [];
    let font = '';
    let size = 0;
    let x = 0;
    let y = 0;
    // Text showing as a viewer does it: Tm places the pen; each glyph advances it by its /W width;
    // a number in a TJ array moves it back by n/1000 em.
    const show = (hexes: string) => {
      const e = fonts.get(font)!;
      for (const h of hexes.match(/[0-9A-F]{4}/g) ?? []) {
        const cid = parseInt(h, 16);
        const gid = (e.cidToGid[2 * cid]! << 8) | e.cidToGid[2 * cid + 1]!;
        const raw = e.toUnicode.get(cid) ?? '';
        const glyph = e.subset.getGlyph(gid);
        const box = glyph.path.commands.length ? glyph.path.bbox : null;
        const k = size / e.subset.unitsPerEm;
        const ink: DrawnGlyph['ink'] = box && [x + box.minX * k, y + box.minY * k, x + box.maxX * k, y + box.maxY * k];
        drawn.push({ font: e.baseFont, gid, outline: glyph.path.toSVG(), x, y, size, text: raw.replaceAll('\u2060', ''), mapped: raw !== '', ink });
        x += ((e.widths[cid] ?? 0) * size) / 1000;
      }
    };
    for (const m of body!.matchAll(/\/(\S+) (-?[\d.]+) Tf|1 0 0 1 (-?[\d.]+) (-?[\d.]+) Tm|<([0-9A-F]+)> Tj|\[([^\]]*)\] TJ/g)) {
      if (m[1]) [font, size] = [m[1], Number(m[2])];
      else if (m[3]) [x, y] = [Number(m[3]), Number(m[4])];
      else if (m[5]) show(m[5]);
      else for (const part of m[6]!.matchAll(/<([0-9A-F]*)>|(-?[\d.]+)/g)) {
        if (part[1] !== undefined) show(part[1]);
        else x -= (Number(part[2]) * size) / 1000;
      }
    }
    return drawn;
  });
}
