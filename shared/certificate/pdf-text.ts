/**
 * Draws shaped text into pdf-lib pages. pdf-lib's own drawText lays text out with default advances,
 * so HarfBuzz's glyphs and positions could never reach the page: instead each glyph is placed with
 * raw operators, and each font is embedded as a Type0/CIDFontType2 (Identity-H) font whose subset
 * is built by fontkit 2 (@pdf-lib/fontkit's subsetter drops glyphs), with a ToUnicode map that
 * gives text extractors the original string back.
 */
import { createHash } from 'node:crypto';
import {
  PDFDocument, PDFHexString, PDFName, PDFNumber, PDFOperator, PDFOperatorNames as Op, PDFPage, PDFRef, PDFString,
} from 'pdf-lib';
import { shapeLine, type Face, type TextOptions } from './shaping.ts';

const utf16be = (s: string) =>
  [...s].map((ch) => {
    const u = ch.codePointAt(0)!;
    if (u < 0x10000) return u.toString(16).padStart(4, '0');
    const v = u - 0x10000;
    return ((0xd800 | (v >> 10)) << 16 | (0xdc00 | (v & 0x3ff))).toString(16).padStart(8, '0');
  }).join('').toUpperCase();

// One embedded font per (face, document). CIDs are allocated per distinct
// (glyph, width, text), not per glyph: the same glyph can carry different
// text/width in different clusters, while ToUnicode and /W are keyed by CID.
// CIDToGIDMap then maps CIDs onto the renumbered subset glyphs.
interface FontUse { face: Face; ref: PDFRef; cids: Map<string, number>; entries: { gid: number; text: string; w: number }[] }

export interface DrawOptions extends TextOptions {
  x: number; y: number; size: number; color?: [number, number, number];
  // Also wrap the whole line in /Span <</ActualText (logical text)>>. Off by
  // default: poppler 22.12 lays ActualText out left-to-right and then
  // reverses it for RTL, so Arabic comes back backwards; ToUnicode is exact.
  actualText?: boolean;
}

export class TextEngine {
  private uses = new Map<Face, FontUse>();
  private pageNames = new Map<PDFPage, Map<Face, PDFName>>();
  private finalized = false;
  constructor(private doc: PDFDocument) {}

  private use(f: Face): FontUse {
    let u = this.uses.get(f);
    if (!u) this.uses.set(f, (u = { face: f, ref: this.doc.context.nextRef(), cids: new Map(), entries: [] }));
    return u;
  }

  private cid(u: FontUse, gid: number, text: string, w: number): number {
    const key = `${gid}:${w}:${text}`;
    let c = u.cids.get(key);
    if (c === undefined) { u.entries.push({ gid, text, w }); u.cids.set(key, (c = u.entries.length)); } // CID 0 = .notdef
    return c;
  }

  private fontName(page: PDFPage, f: Face): PDFName {
    let names = this.pageNames.get(page);
    if (!names) this.pageNames.set(page, (names = new Map()));
    let n = names.get(f);
    if (!n) names.set(f, (n = page.node.newFontDictionary('TE', this.use(f).ref)));
    return n;
  }

  // BDC with an inline property dict; pdf-lib's PDFOperatorArg type omits
  // PDFDict although serialising one inline works.
  private span(text: string): PDFOperator {
    const props = this.doc.context.obj({ ActualText: PDFHexString.of(text && `FEFF${utf16be(text)}`) });
    return PDFOperator.of(Op.BeginMarkedContentSequence, [PDFName.of('Span'), props as unknown as PDFName]);
  }

  /** Draw one line; returns its width in points. The glyphs drawn are exactly shapeLine()'s. */
  drawText(page: PDFPage, text: string, o: DrawOptions): number {
    const { glyphs, width } = shapeLine(text, o);
    const num = (v: number) => PDFNumber.of(Math.round(v * 1000) / 1000);
    const ops: PDFOperator[] = o.actualText ? [this.span(text)] : [];
    ops.push(PDFOperator.of(Op.BeginText));
    if (o.color) ops.push(PDFOperator.of(Op.NonStrokingColorRgb, o.color.map(num)));
    // Paint order is free (every glyph is placed absolutely), so paint the
    // cluster carriers first, in visual order, and all other glyphs (marks,
    // conjunct tails) afterwards inside one empty-ActualText span. Extractors
    // then see an unbroken row of abutting chars per word; interleaved marks
    // made poppler split Arabic words at every dotted letter.
    const carriers = glyphs.filter((g) => g.text);
    const rest = glyphs.filter((g) => !g.text);
    const hideRest = rest.length > 0 && !o.actualText; // (an outer ActualText already covers them)
    let current: Face | null = null;
    [...carriers, ...rest].forEach((g, i) => {
      if (i === carriers.length && hideRest) ops.push(this.span(''));
      if (g.face !== current) {
        ops.push(PDFOperator.of(Op.SetFontAndSize, [this.fontName(page, g.face), num(o.size)]));
        current = g.face;
      }
      const cid = this.cid(this.use(g.face), g.gid, g.text, Math.round(g.pdfWidth * 1000) / 1000);
      const [x, y] = [o.x + (g.x * o.size) / 1000, o.y + (g.y * o.size) / 1000];
      ops.push(PDFOperator.of(Op.SetTextMatrix, [1, 0, 0, 1, x, y].map(num)));
      ops.push(PDFOperator.of(Op.ShowText, [PDFHexString.of(cid.toString(16).padStart(4, '0').toUpperCase())]));
    });
    if (hideRest) ops.push(PDFOperator.of(Op.EndMarkedContent));
    ops.push(PDFOperator.of(Op.EndText));
    if (o.actualText) ops.push(PDFOperator.of(Op.EndMarkedContent));
    page.pushOperators(...ops);
    return (width * o.size) / 1000;
  }

  /** Builds the subset fonts and sets the file id. Call once, after the last drawText, before doc.save(). */
  finalize(documentId: string): void {
    if (this.finalized) throw new Error('TextEngine.finalize() called twice');
    this.finalized = true;
    const ctx = this.doc.context;
    for (const u of this.uses.values()) {
      const { fk, upem } = u.face;
      const k = 1000 / upem;
      const subset = fk.createSubset();
      // Include in gid order so the subset bytes do not depend on draw order.
      const newGid = new Map<number, number>();
      for (const gid of [...new Set(u.entries.map((e) => e.gid))].sort((a, b) => a - b)) newGid.set(gid, subset.includeGlyph(gid));
      const bytes: Uint8Array = subset.encode();
      const digest = createHash('sha256').update(bytes).digest();
      const tag = [...digest.subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
      const baseFont = `${tag}+${fk.postscriptName}`;

      const cidToGid = new Uint8Array((u.entries.length + 1) * 2);
      u.entries.forEach((e, i) => { const g = newGid.get(e.gid)!; cidToGid[2 * i + 2] = g >> 8; cidToGid[2 * i + 3] = g & 255; });
      const widths = u.entries.map((e) => e.w);

      const cmapLines = u.entries.map((e, i) => `<${(i + 1).toString(16).padStart(4, '0').toUpperCase()}> <${utf16be(e.text)}>`);
      const chunks = Array.from({ length: Math.ceil(cmapLines.length / 100) }, (_, i) => cmapLines.slice(i * 100, i * 100 + 100))
        .map((part) => `${part.length} beginbfchar\n${part.join('\n')}\nendbfchar`); // max 100 per block
      const toUnicode = [
        '/CIDInit /ProcSet findresource begin', '12 dict begin', 'begincmap',
        '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
        '/CMapName /Adobe-Identity-UCS def', '/CMapType 2 def',
        '1 begincodespacerange', '<0000> <FFFF>', 'endcodespacerange', ...chunks,
        'endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end',
      ].join('\n');

      const { head, hhea } = fk;
      const os2 = fk['OS/2'];
      const descriptor = ctx.obj({
        Type: 'FontDescriptor', FontName: baseFont, Flags: 4,
        FontBBox: [head.xMin, head.yMin, head.xMax, head.yMax].map((v: number) => Math.round(v * k)),
        ItalicAngle: fk.italicAngle ?? 0, Ascent: Math.round(hhea.ascent * k), Descent: Math.round(hhea.descent * k),
        CapHeight: Math.round((os2?.capHeight || hhea.ascent) * k), StemV: u.face.bold ? 140 : 80,
        FontFile2: ctx.register(ctx.flateStream(bytes, { Length1: bytes.length })),
      });
      const cidFont = ctx.obj({
        Type: 'Font', Subtype: 'CIDFontType2', BaseFont: baseFont,
        CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
        FontDescriptor: ctx.register(descriptor), DW: 0,
        W: [1, widths],
        CIDToGIDMap: ctx.register(ctx.flateStream(cidToGid)),
      });
      ctx.assign(u.ref, ctx.obj({
        Type: 'Font', Subtype: 'Type0', BaseFont: baseFont, Encoding: 'Identity-H',
        DescendantFonts: [ctx.register(cidFont)],
        ToUnicode: ctx.register(ctx.flateStream(toUnicode)),
      }));
    }
    // A fixed file identifier (pdf-lib writes none by default), from the caller's document id.
    const id = PDFHexString.of(createHash('sha256').update(documentId).digest('hex').slice(0, 32).toUpperCase());
    ctx.trailerInfo.ID = ctx.obj([id, id]);
  }
}
