/**
 * Draws shaped text into pdf-lib pages. pdf-lib's own drawText lays text out with default advances,
 * so HarfBuzz's glyphs and positions could never reach the page: instead each glyph is placed with
 * raw operators, and each font is embedded as a Type0/CIDFontType2 (Identity-H) font whose subset
 * is built by truetype.ts (@pdf-lib/fontkit's subsetter drops glyphs), with a ToUnicode map that
 * gives text extractors the original string back. Operators are written as text into one content
 * stream per page (pdf-lib's operator objects cost more than the drawing itself).
 */
import { createHash } from 'node:crypto';
import { zlibSync } from 'fflate';
import { PDFDocument, PDFHexString, PDFName, PDFPage, PDFRef, PDFString } from 'pdf-lib';
import { shapeLine, type Face, type ShapedGlyph, type TextOptions } from './shaping.ts';

const hex4 = (n: number) => n.toString(16).padStart(4, '0').toUpperCase();

/** UTF-16BE code units in hex: a JS string already is UTF-16, surrogate pairs included. */
const utf16be = (s: string) => Array.from({ length: s.length }, (_, i) => hex4(s.charCodeAt(i))).join('');

/** What ToUnicode gives a glyph with no text of its own: U+2060 WORD JOINER, invisible and format-only. */
export const NO_TEXT = '\u2060';

/** ActualText of the span around the marks of a right-to-left line: a TAB (see drawText). */
const NO_TEXT_SPAN = '(\\t)';

/** A number as a PDF operand: at most 3 decimals, no exponent, no "-0". */
export const pdfNumber = (v: number) => String(Math.round(v * 1000) / 1000 || 0);

// One embedded font per (face, document). CIDs are allocated per distinct (glyph, width, text),
// not per glyph: the same glyph can carry different text or width in different clusters, while
// ToUnicode and /W are keyed by CID. CIDToGIDMap then maps CIDs onto the renumbered subset glyphs.
interface FontUse { face: Face; ref: PDFRef; cids: Map<string, number>; entries: { gid: number; text: string; w: number }[] }

export interface DrawOptions extends TextOptions {
  x: number;
  y: number;
  size: number;
  color?: [number, number, number];
}

export class TextEngine {
  private uses = new Map<Face, FontUse>();
  private pages = new Map<PDFPage, { names: Map<Face, PDFName>; ops: string[] }>();
  private finalized = false;
  /** Characters drawn as .notdef (an empty box): no bundled font has them. */
  readonly undrawable = new Set<string>();
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

  private pageState(page: PDFPage) {
    let state = this.pages.get(page);
    if (!state) this.pages.set(page, (state = { names: new Map(), ops: [] }));
    return state;
  }

  private fontName(page: PDFPage, f: Face): string {
    const { names } = this.pageState(page);
    let n = names.get(f);
    if (!n) names.set(f, (n = page.node.newFontDictionary('TE', this.use(f).ref)));
    return n.toString();
  }

  /** Appends raw content-stream operators (vector drawing such as the QR code) to the page. */
  raw(page: PDFPage, ops: string): void {
    this.pageState(page).ops.push(ops);
  }

  /** Draws one line; returns its width in points. The glyphs drawn are exactly shapeLine()'s (a Nastaliq line's text, set apart, draws nothing). */
  drawText(page: PDFPage, text: string, o: DrawOptions): number {
    const shaped = shapeLine(text, o);
    // A box's cluster may hold joiners and variation selectors: they draw nothing in any font, so they are not what is missing.
    for (const g of shaped.glyphs) if (g.gid === 0) for (const ch of g.text) if (!/\p{Default_Ignorable_Code_Point}/u.test(ch)) this.undrawable.add(ch);
    if (!shaped.glyphs.some((g) => g.face.cascading)) {
      this.drawGlyphs(page, text, shaped.glyphs, o, 'text');
    } else {
      // Nastaliq steps each letter of a word down from the one before: a word's letters on as many
      // baselines, which extractors read as that many words, out of order. Its glyphs are drawn as
      // ink alone (no text, as marks are), then its text as an extractor reads a line: the line
      // set in the script's usual face (Naskh), invisible, stretched to the same width.
      this.drawGlyphs(page, text, shaped.glyphs.map((g) => ({ ...g, text: '' })), o, 'ink');
      const plain = shapeLine(text, { ...o, flat: true });
      this.drawGlyphs(page, text, plain.glyphs, { ...o, stretch: plain.width > 0 && shaped.width > 0 ? shaped.width / plain.width : 1 }, 'invisible');
    }
    return (shaped.width * o.size) / 1000;
  }

  /**
   * The content-stream operators of one line's glyphs: `text`, as drawn and read; `ink`, glyphs
   * that carry no text, in a span that says so; `invisible`, text to read that draws nothing
   * (rendering mode 3), stretched horizontally by `stretch`.
   */
  private drawGlyphs(page: PDFPage, text: string, glyphs: readonly ShapedGlyph[], o: DrawOptions & { stretch?: number }, mode: 'text' | 'ink' | 'invisible'): void {
    const stretch = o.stretch ?? 1;
    const rest = glyphs.filter((g) => !g.text);
    // A left-to-right line with marks or conjunct tails (Devanagari, Khmer, Sinhala, Myanmar...) is
    // one ActualText span holding the line's text: every extractor that reads ActualText (poppler,
    // PDFium, Acrobat) takes the string as it is. Right-to-left text cannot go that way: poppler and
    // PDFium lay a span's text out left to right and would reverse it.
    const whole = mode !== 'ink' && rest.length > 0 && !glyphs.some((g) => g.rtl);
    const ops: string[] = ['BT'];
    if (mode === 'invisible') ops.push(`3 Tr ${pdfNumber(100 * stretch)} Tz`);
    if (whole) ops.push(`/Span <</ActualText <FEFF${utf16be(text)}>>> BDC`);
    if (o.color) ops.push(`${o.color.map(pdfNumber).join(' ')} rg`);
    const at = (g: ShapedGlyph) => [o.x + (g.x * o.size * stretch) / 1000, o.y + (g.y * o.size) / 1000] as const;
    let font: Face | null = null;
    const setFont = (face: Face) => {
      if (face !== font) ops.push(`${this.fontName(page, face)} ${pdfNumber(o.size)} Tf`);
      font = face;
    };
    const carriers = glyphs.filter((g) => g.text);
    const texts = new Map(carriers.map((g) => [g, g.text]));
    const cidOf = (g: ShapedGlyph) => hex4(this.cid(this.use(g.face), g.gid, texts.get(g) ?? '', g.pdfWidth));
    // pdf.js (Firefox) reads glyphs, not ActualText, and takes a glyph whose text holds a nonspacing
    // mark for a zero-width diacritic (one whose text ends in a format character, for an invisible
    // one): at the start of a line it hung such a glyph on the line before (नेपाल came out as "ने" +
    // "पाल"). So a line's first glyph keeps only the text before its first mark or format character
    // and the glyph after it takes the rest: the same string, read left to right. Only between two
    // left-to-right glyphs of one TJ run, where no extractor can tell the difference.
    const [first, second] = carriers;
    const cut = first ? first.text.search(/[\p{Mn}\p{Cf}]/u) : -1;
    if (first && second && cut > 0 && !first.rtl && !second.rtl && first.face === second.face && first.y === second.y) {
      texts.set(first, first.text.slice(0, cut));
      texts.set(second, first.text.slice(cut) + second.text);
    }

    // Cluster carriers first, in visual order, as TJ runs: each glyph advances by its /W width and
    // a number in the array corrects the pen wherever HarfBuzz placed the next glyph elsewhere
    // (kerning). One positioned run per font and baseline instead of a Tm per glyph.
    let run: { face: Face; y: number; pen: number; parts: string[] } | undefined;
    const flush = () => run && ops.push(`[${run.parts.join('')}] TJ`);
    for (const g of carriers) {
      const [x, y] = at(g);
      if (!run || run.face !== g.face || run.y !== y) {
        flush();
        setFont(g.face);
        ops.push(`1 0 0 1 ${pdfNumber(x)} ${pdfNumber(y)} Tm`);
        run = { face: g.face, y, pen: x, parts: [] };
      }
      const shift = Math.round(((run.pen - x) * 1000000) / (o.size * stretch)) / 1000;
      if (shift !== 0) run.parts.push(String(shift));
      const last = run.parts.at(-1);
      if (last?.endsWith('>')) run.parts[run.parts.length - 1] = `${last.slice(0, -1)}${cidOf(g)}>`;
      else run.parts.push(`<${cidOf(g)}>`);
      run.pen = x + g.pdfWidth * (o.size / 1000) * stretch;
    }
    flush();
    // Then marks and conjunct tails, each placed where HarfBuzz put it: extractors that read glyphs
    // (pdf.js) see an unbroken row of abutting characters per word (interleaved marks made poppler
    // split Arabic words at every dotted letter). In a right-to-left line they sit in their own span
    // that says "no text here" with a TAB, not "": PDFium (Chrome's viewer) ignores an empty
    // ActualText and read the marks as a space plus WORD JOINER beside the name, but skips a span
    // whose text is only unprintable characters; poppler drops a whitespace-only span, as it did "".
    if (rest.length > 0) {
      if (!whole) ops.push(`/Span <</ActualText ${NO_TEXT_SPAN}>> BDC`);
      for (const g of rest) {
        setFont(g.face);
        const [x, y] = at(g);
        ops.push(`1 0 0 1 ${pdfNumber(x)} ${pdfNumber(y)} Tm <${cidOf(g)}> Tj`);
      }
      ops.push('EMC'); // closes the TAB span, or the line's ActualText span (a line has one only when it has marks)
    }
    if (mode === 'invisible') ops.push('0 Tr 100 Tz'); // text state outlives ET
    ops.push('ET');
    this.pageState(page).ops.push(ops.join('\n'));
  }

  /** Builds the subset fonts and sets the file id. Call once, after the last drawText, before doc.save(). */
  finalize(documentId: string): void {
    if (this.finalized) throw new Error('TextEngine.finalize() called twice');
    this.finalized = true;
    const ctx = this.doc.context;
    // fflate rather than pdf-lib's pako: 3x faster at the same level, and pure JS like pako, so the
    // bytes never depend on the runtime's zlib. A tiny map is stored plain when deflate cannot win.
    const deflate = (data: string | Uint8Array) => zlibSync(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, { level: 6, mem: 4 });
    const flate = (data: string | Uint8Array, dict: Record<string, number> = {}) => ctx.stream(deflate(data), { Filter: 'FlateDecode', ...dict });
    const small = (data: string | Uint8Array) => {
      const packed = deflate(data);
      return packed.length + 20 < data.length ? ctx.stream(packed, { Filter: 'FlateDecode' }) : ctx.stream(data);
    };
    for (const [page, { ops }] of this.pages) {
      page.node.addContentStream(ctx.register(flate(ops.join('\n'))));
    }
    for (const u of this.uses.values()) {
      const { tt, upem } = u.face;
      const k = 1000 / upem;
      const { bytes, newGid } = tt.subset(u.entries.map((e) => e.gid));
      const digest = createHash('sha256').update(bytes).digest();
      const tag = [...digest.subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
      const baseFont = `${tag}+${tt.postscriptName}`;

      const cidToGid = new Uint8Array((u.entries.length + 1) * 2);
      u.entries.forEach((e, i) => { const g = newGid.get(e.gid)!; cidToGid[2 * i + 2] = g >> 8; cidToGid[2 * i + 3] = g & 255; });
      const widths = u.entries.map((e) => e.w);

      // A glyph that carries no text of its own (a mark, a conjunct's tail) maps to WORD JOINER, not
      // to nothing: pdf.js (Firefox) reads an empty mapping as the raw CID, a control character, and
      // skips invisible format characters. poppler and PDFium never see it: those glyphs sit inside
      // an ActualText span, the line's text or a TAB (drawText).
      const cmapLines = u.entries.map((e, i) => `<${hex4(i + 1)}> <${utf16be(e.text || NO_TEXT)}>`);
      const chunks = Array.from({ length: Math.ceil(cmapLines.length / 100) }, (_, i) => cmapLines.slice(i * 100, i * 100 + 100))
        .map((part) => `${part.length} beginbfchar\n${part.join('\n')}\nendbfchar`); // max 100 per block
      const toUnicode = [
        '/CIDInit /ProcSet findresource begin', '12 dict begin', 'begincmap',
        '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
        '/CMapName /Adobe-Identity-UCS def', '/CMapType 2 def',
        '1 begincodespacerange', '<0000> <FFFF>', 'endcodespacerange', ...chunks,
        'endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end',
      ].join('\n');

      const descriptor = ctx.obj({
        Type: 'FontDescriptor', FontName: baseFont, Flags: 4,
        FontBBox: tt.bbox.map((v) => Math.round(v * k)),
        ItalicAngle: tt.italicAngle, Ascent: Math.round(tt.ascent * k), Descent: Math.round(tt.descent * k),
        CapHeight: Math.round(tt.capHeight * k), StemV: u.face.bold ? 140 : 80,
        FontFile2: ctx.register(flate(bytes, { Length1: bytes.length })),
      });
      const cidFont = ctx.obj({
        Type: 'Font', Subtype: 'CIDFontType2', BaseFont: baseFont,
        CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
        FontDescriptor: ctx.register(descriptor), DW: 0,
        W: [1, widths],
        CIDToGIDMap: ctx.register(small(cidToGid)),
      });
      ctx.assign(u.ref, ctx.obj({
        Type: 'Font', Subtype: 'Type0', BaseFont: baseFont, Encoding: 'Identity-H',
        DescendantFonts: [ctx.register(cidFont)],
        ToUnicode: ctx.register(small(toUnicode)),
      }));
    }
    // A fixed file identifier (pdf-lib writes none by default), from the caller's document id.
    const id = PDFHexString.of(createHash('sha256').update(documentId).digest('hex').slice(0, 32).toUpperCase());
    ctx.trailerInfo.ID = ctx.obj([id, id]);
  }
}
