/**
 * The certificate: one A4 landscape page (a long party list continues on annex pages), English
 * and Simplified Chinese labels, every party's name in its own script, a vector QR code with the
 * verification URL printed under it, and the signed payload in the document info. A pure function
 * of its input: the same agreement version and key give byte-identical PDFs (fixed dates and file
 * id, deterministic signature and subsets).
 */
import { PDFDict, PDFDocument, PDFHexString, PDFInvalidObject, PDFName, PDFRef, PDFString, type PDFPage } from 'pdf-lib';
import { codePoint } from '#shared/domain/formats.ts';
import type { Agreement, AgreementParty, Ceremony } from '#shared/domain/schemas.ts';
import { pdfNumber, TextEngine } from './pdf-text.ts';
import { qrCodeOperators } from './qr.ts';
import { balancedWrap, cascadingLanguage, contextsOf, inkExtent, measure, rtlParagraph, shrinking, shrinkToFit, wrap, type TextOptions } from './shaping.ts';
import {
  amendedNote, ceremonyLine, formatMoney, formatDay, issueStatement, KIND_LABELS, LABELS, joinItems, partyDetail, sectorsLine, signingTimeLine, STATUS_LABELS, statusLabel, venueLine,
} from './wording.ts';

export interface CertificateInput {
  /** The agreement as of the version being certified. */
  agreement: Agreement;
  ceremony: Ceremony;
  /** The compact JWS of the certificate payload. */
  jws: string;
  verifyUrl: string;
  keysUrl: string;
}

/** The info-dictionary key that carries the JWS, for verifiers. */
export const JWS_INFO_KEY = 'ConcordCertificate';

const W = 841.89;
const H = 595.28;
const M = 40;
type Rgb = [number, number, number];
const INK: Rgb = [0.11, 0.13, 0.19];
const MUTED: Rgb = [0.4, 0.43, 0.5];
/** Who signed for a party, in small type: darker than labels, lighter than names. */
const SIGNATORY: Rgb = [0.24, 0.27, 0.33];
const ACCENT: Rgb = [0.1, 0.25, 0.5];
const ALERT: Rgb = [0.72, 0.1, 0.1];

interface Style extends TextOptions { size: number; color?: Rgb }

/**
 * Text placement on one page: left, centred, right, and shrink-to-fit within a width. Without a
 * page it only measures: a layout is tried that way before it is drawn.
 */
class Writer {
  constructor(private readonly engine: TextEngine, private readonly page?: PDFPage) {}

  /** Vector drawing (frame, rules, QR code) as raw content-stream operators, in the page's one stream. */
  draw(ops: string): void {
    if (this.page) this.engine.raw(this.page, ops);
  }

  at(text: string, x: number, y: number, style: Style, maxWidth?: number): number {
    let { size } = style;
    if (maxWidth !== undefined) {
      const width = measure(text, size, style);
      if (width > maxWidth) size = (size * maxWidth) / width;
    }
    if (!this.page) return measure(text, size, style); // what drawText returns
    return this.engine.drawText(this.page, text, { ...style, x, y, size, color: style.color ?? INK });
  }

  centred(text: string, y: number, style: Style, maxWidth = W - 2 * M - 40): void {
    const size = Math.min(style.size, (style.size * maxWidth) / Math.max(1, measure(text, style.size, style)));
    this.at(text, (W - measure(text, size, style)) / 2, y, { ...style, size });
  }

  right(text: string, xRight: number, y: number, style: Style, maxWidth?: number): void {
    const size = maxWidth === undefined ? style.size : Math.min(style.size, (style.size * maxWidth) / Math.max(1, measure(text, style.size, style)));
    this.at(text, xRight - measure(text, size, style), y, { ...style, size });
  }

  /**
   * A label and its value; a long value wraps (see blockLines, at most `maxLines` lines) under
   * itself, its lines FIELD_LINE apart, or further where their marks need it; a `note` (smaller,
   * plain) follows on a line of its own. Returns the lines' height it took, in lines (a line more
   * than the first takes FIELD_LINE).
   */
  field(label: string, value: string, x: number, y: number, width: number, { style = {}, maxLines = 3, note }: { style?: Partial<Style>; maxLines?: number; note?: string } = {}): number {
    const labelWidth = this.at(label, x, y, { size: 7.5, color: MUTED });
    // A fact takes another line rather than shrink below 85%: it has the width of the page to wrap in.
    // Left to right like its label and the certificate, whatever script it starts with: a fact is
    // items in the certificate's order (an Arabic place, then the venue, city and country), which
    // a right-to-left paragraph would set from the right, its Latin items split around the Arabic.
    const lines = blockLines(value, style.size ?? 9.5, width - labelWidth - 6, { rtl: false, ...style }, maxLines, 0.85);
    if (note) lines.push(...blockLines(note, 8.5, width - labelWidth - 6, { color: SIGNATORY, rtl: false }, 2, 0.85));
    let drop = 0;
    lines.forEach((line, i) => {
      if (i > 0) drop += Math.max(FIELD_LINE, lines[i - 1]!.below + line.above + clearance(lines[i - 1]!.style.size, line.style.size));
      this.at(line.text, x + labelWidth + 6 + line.indent, y - drop, line.style, width - labelWidth - 6);
    });
    return 1 + drop / FIELD_LINE;
  }
}

/** Baseline distance between the lines of a wrapped field value. */
const FIELD_LINE = 11.5;

const stroke = (color: Rgb, width: number, path: string) => `q ${color.map(pdfNumber).join(' ')} RG ${pdfNumber(width)} w ${path} S Q`;
const box = (inset: number) => `${inset} ${inset} ${pdfNumber(W - 2 * inset)} ${pdfNumber(H - 2 * inset)} re`;

function frame(w: Writer): void {
  w.draw(stroke(ACCENT, 1.4, box(M / 2)));
  w.draw(stroke(ACCENT, 0.4, box(M / 2 + 4)));
}

const rule = (w: Writer, y: number) => w.draw(stroke([0.75, 0.78, 0.84], 0.5, `${M + 10} ${pdfNumber(y)} m ${pdfNumber(W - M - 10)} ${pdfNumber(y)} l`));

/**
 * `text` wrapped at the largest of `sizes` that needs at most `most` lines (two); else at the
 * smallest, on as many lines as it takes up to `maxLines`, past which the type shrinks further: a
 * title of 300 very wide characters (U+FDFD) must not push the facts off the page. Every line
 * keeps the paragraph's direction (`style.rtl`).
 */
function fitLines<S extends Omit<TextOptions, 'rtl' | 'context'>>(text: string, sizes: number[], paragraph: S, maxLines: number, most = 2): { size: number; lines: { text: string; style: S & TextOptions }[] } {
  const width = W - 2 * M - 120;
  const style = paragraphStyle(text, paragraph);
  for (const size of sizes) {
    const lines = wrap(text, size, width, style);
    if (lines.length <= most) return { size, lines: paragraphLines(text, balancedWrap(text, size, width, style, lines), style) };
  }
  const { size, lines } = shrinkToFit(text, shrinking(sizes.at(-1)!, 0), width, maxLines, style);
  return { size, lines: paragraphLines(text, balancedWrap(text, size, width, style, lines), style) };
}

/** A paragraph's style: every line keeps its direction (a right-to-left name's second line may begin with Latin or digits). */
const paragraphStyle = <S extends object>(text: string, paragraph: S): S & { rtl: boolean } => {
  const { rtl, lang } = paragraph as { rtl?: boolean; lang?: string };
  return { ...paragraph, rtl: rtl ?? rtlParagraph(text, lang) }; // a direction given is kept
};

/** `text`'s wrapped lines, each with its paragraph's style and the text around it (for the paragraph's bidi levels). */
function paragraphLines<S extends TextOptions>(text: string, lines: string[], style: S): { text: string; style: S }[] {
  const contexts = contextsOf(text, lines, style.rtl);
  return lines.map((t, i) => ({ text: t, style: { ...style, context: contexts[i] } }));
}


/**
 * The line at the top of every page: the registry, and the certificate's code and version (and,
 * where there are annex pages, the page of how many: "Page 页码 1/2", so that a missing page shows).
 * `changed`: for a first page whose heading and facts have no room to say it, the day of the void,
 * or of the amendment that made this version.
 */
function masthead(w: Writer, a: Agreement, page?: { page: number; of: number }, changed?: { voided: [string, string] } | { amended: string }): void {
  w.at(LABELS.registry, M + 10, H - 58, { size: 8, color: MUTED, weight: 'bold' });
  // An annex page can travel alone: it says so too when the agreement is void.
  if (page && page.page > 1 && a.status === 'voided') w.centred('VOIDED  ·  已作废', H - 58, { size: 8, weight: 'bold', color: ALERT });
  if (changed && 'voided' in changed) w.centred(`VOIDED on ${changed.voided[0]}  ·  本协议已于${changed.voided[1]}作废`, H - 58, { size: 8, weight: 'bold', color: ALERT }, 400);
  if (changed && 'amended' in changed) w.centred(changed.amended, H - 58, { size: 8, color: SIGNATORY }, 400);
  w.right(`Code 编号  ${a.code}   ·   Version 版本  ${a.version}${page ? `   ·   Page 页码  ${page.page}/${page.of}` : ''}`, W - M - 10, H - 58, { size: 8, color: MUTED, weight: 'bold' });
}

/** The agreement's titles, laid out once for every heading tried (see fitLines). */
interface Titles { title: ReturnType<typeof fitLines>; zh?: ReturnType<typeof fitLines> }

function titlesOf(a: Agreement): Titles {
  // Titles run to 300 characters: smaller type keeps a long one to two lines, and none is ever cut.
  const title = fitLines(a.title, TITLE_SIZES, { weight: 'bold' }, 4);
  return { title, ...(a.titleZh && { zh: fitLines(a.titleZh, zhSizes(title.size), { lang: 'zh-Hans' }, 3) }) };
}

/** The English title's sizes, largest first; a roomier title keeps to those of 12 pt or more (see roomierTitles). */
const TITLE_SIZES = [15, 13.5, 12, 11, 10];

/** The Chinese title's sizes: no larger than the English one it translates. */
const zhSizes = (titleSize: number) => {
  const sizes = [12, 11, 10, 9].filter((size) => size <= titleSize);
  return sizes.length > 0 ? sizes : [titleSize];
};

/**
 * Long titles in larger type, on a line more (three, or four before they shrink), for a page with
 * the room (see renderCertificate); undefined when neither title would print larger so.
 */
function roomierTitles(a: Agreement, titles: Titles): Titles | undefined {
  // Titles already in their largest type (most are) cannot print larger: nothing to lay out again.
  if (titles.title.size === TITLE_SIZES[0] && (!titles.zh || titles.zh.size === zhSizes(titles.title.size)[0])) return undefined;
  const title = fitLines(a.title, TITLE_SIZES.filter((size) => size >= 12), { weight: 'bold' }, 4, 3);
  const zh = a.titleZh ? fitLines(a.titleZh, zhSizes(title.size), { lang: 'zh-Hans' }, 4, 3) : undefined;
  const larger = title.size > titles.title.size || (zh && titles.zh && zh.size > titles.zh.size);
  const smaller = title.size < titles.title.size || (zh && titles.zh && zh.size < titles.zh.size);
  return larger && !smaller ? { title, ...(zh && { zh }) } : undefined;
}

/**
 * The heading: the certificate's name in English and Chinese, the agreement's titles, and a banner
 * when it is void. `compact` (for a list of parties that would not fit the page as well otherwise,
 * see layParties): the two names on one line, 26 points less, and a void marked by a badge beside
 * them and its day in the masthead, instead of the banner (15 points more); an amendment's day goes
 * to the masthead too, instead of under the status (see facts).
 */
function heading(w: Writer, a: Agreement, ceremony: Ceremony, titles: Titles, compact = false, pages = 1): number {
  const voided = a.status === 'voided' ? formatDay(a.updatedAt, a.signedAt, ceremony) : undefined;
  const amended = amendedOn(a, ceremony);
  masthead(w, a, pages > 1 ? { page: 1, of: pages } : undefined, !compact ? undefined : voided ? { voided } : amended === undefined ? undefined : { amended });
  // The baseline of the certificate's names, and how far their ink (and a void's badge) reaches below it.
  let y: number;
  let namesBelow: number;
  if (compact) {
    const [en, zh, badge] = [{ size: 20, weight: 'bold' as const, color: ACCENT }, { size: 13, color: ACCENT }, { size: 11, weight: 'bold' as const, color: ALERT }];
    const [enWidth, zhWidth] = [measure(LABELS.title, en.size, en), measure(LABELS.titleZh, zh.size)];
    const badgeWidth = voided ? measure(VOID_BADGE, badge.size, badge) + 12 : 0;
    const x = (W - enWidth - 12 - zhWidth - (voided ? 16 + badgeWidth : 0)) / 2;
    w.at(LABELS.title, x, H - 86, en);
    w.at(LABELS.titleZh, x + enWidth + 12, H - 86, zh);
    if (voided) {
      const left = x + enWidth + 12 + zhWidth + 16;
      w.draw(stroke(ALERT, 1.2, `${pdfNumber(left)} ${pdfNumber(H - 91)} ${pdfNumber(badgeWidth)} 17 re`));
      w.at(VOID_BADGE, left + 6, H - 86, badge);
    }
    y = H - 86;
    namesBelow = Math.max(inkExtent(LABELS.title, en.size, en).below, inkExtent(LABELS.titleZh, zh.size).below, voided ? 5 : 0);
  } else {
    w.centred(LABELS.title, H - 92, { size: 22, weight: 'bold', color: ACCENT });
    w.centred(LABELS.titleZh, H - 112, { size: 13, color: ACCENT });
    y = H - 112;
    namesBelow = inkExtent(LABELS.titleZh, 13).below;
  }
  const { title, zh } = titles;
  // Each baseline clears the line above's descenders and this line's ascenders, whatever their
  // sizes, and the ink of marks that reach further (vocalized Arabic, stacked Myanmar, and accents
  // stacked thirty high, which would run up over the certificate's names): the first title line
  // sits 28 points under the names, or further.
  let above = { below: namesBelow, size: 0 };
  let first = true;
  const put = (line: { text: string; style: TextOptions }, size: number, pitch: number) => {
    const ink = inkExtent(line.text, size, line.style);
    y -= Math.max(first ? 28 : pitch, above.below + ink.above + clearance(above.size, size));
    w.centred(line.text, y, { ...line.style, size });
    [above, first] = [{ ...ink, size }, false];
  };
  // From a line of `last` type (with its own pitch) to one of `size`: the own pitch, or more for larger type.
  const pitch = (last: { size: number; own: number }, size: number) => Math.max(last.own, last.size * 0.3 + size * 1.05 + 1);
  let last = { size: title.size, own: (title.size * 19) / 15 };
  for (const line of title.lines) put(line, title.size, last.own);
  if (zh) {
    for (const line of zh.lines) {
      put(line, zh.size, pitch(last, zh.size));
      last = { size: zh.size, own: (zh.size * 17) / 12 };
    }
  }
  y -= pitch(last, 12);
  if (voided && !compact) {
    const [onEn, onZh] = voided;
    w.centred(`VOIDED on ${onEn} — this agreement is no longer in force  ·  本协议已于${onZh}作废，不再有效`, y, { size: 10, weight: 'bold', color: ALERT });
    y -= 15;
  }
  rule(w, y + 4);
  return y - 12;
}

/** The compact heading's mark of a void, framed in red beside the certificate's names. */
const VOID_BADGE = 'VOIDED  已作废';

/** A later version in force is an amendment's: the day it was recorded. */
const amendedOn = (a: Agreement, ceremony: Ceremony) => (a.version > 1 && a.status === 'active' ? amendedNote(formatDay(a.updatedAt, a.signedAt, ceremony)) : undefined);

/** The facts under the heading; an amendment's day under the status, unless the heading is `compact` (it is in the masthead then). */
function facts(w: Writer, a: Agreement, ceremony: Ceremony, top: number, compact: boolean): number {
  const [kindEn, kindZh] = KIND_LABELS[a.kind];
  const [statusEn, statusZh] = STATUS_LABELS[a.status];
  const amended = compact ? undefined : amendedOn(a, ceremony);
  const col = (W - 2 * M - 20) / 2;
  const left = M + 10;
  const right = left + col + 10;
  // Rows of two fields side by side, then the ceremony across; a row is as tall as its longer value.
  // A venue longer than two lines beside the signing time gets a row across of its own, so that
  // it wraps at a readable size. Four lines at most across: the heading and these rows always leave
  // the footer its room, whatever the lengths.
  let y = top;
  const row = (lines: number) => { y -= 15 + (lines - 1) * FIELD_LINE; };
  row(Math.max(
    w.field(LABELS.kind, `${kindEn} · ${kindZh}`, left, y, col - 10),
    w.field(statusLabel(a.version), `${statusEn} · ${statusZh}`, right, y, col - 10, { style: a.status === 'voided' ? { color: ALERT, weight: 'bold' } : { weight: 'bold' }, note: amended }),
  ));
  const venue = [LABELS.venue, venueLine(ceremony, a.place)] as const;
  const signed = [LABELS.signed, signingTimeLine(a.signedAt, ceremony)] as const;
  if (wrap(venue[1], 9.5, col - 10 - measure(venue[0], 7.5) - 6).length > 2) {
    // The signing time then has the row to itself too, rather than wrap in half of it.
    row(w.field(...signed, left, y, 2 * col));
    row(w.field(...venue, left, y, 2 * col, { maxLines: 4 }));
  } else {
    row(Math.max(w.field(...signed, left, y, col - 10), w.field(...venue, right, y, col - 10)));
  }
  row(w.field(LABELS.ceremony, ceremonyLine(ceremony, a.signedAt), left, y, 2 * col, { maxLines: 4 }));
  return y - 3;
}

/** Clear space between lines spaced by their ink, as a share of their type (see clearance). */
const CLEAR = 0.12;

/**
 * Sizes of a party block (name, local name, detail line, block height) by how many parties share
 * the page, and the clear space its lines keep where their ink spaces them (`clear`, a share of the
 * type: see clearance): a crowded page keeps 0.8 point, so that 24 parties in many scripts still fit one page.
 */
export const PARTY_STYLES = [
  { upTo: 3, name: 13, local: 14, detail: 8.5, block: 62, clear: CLEAR, columns: (n: number) => n },
  { upTo: 8, name: 10.5, local: 11, detail: 7.5, block: 44, clear: CLEAR, columns: () => 2 },
  { upTo: Infinity, name: 9, local: 9.5, detail: 6.5, block: 31, clear: 0, columns: () => 3 },
];

/**
 * One printed line of a party block or field, with how far its ink reaches above and below the
 * baseline and how far it is set in from the block's left edge (points, at full size).
 */
interface BlockLine { text: string; style: Style; above: number; below: number; indent: number }

/**
 * `text` in `width`: on one line if it fits with the type at least `downTo` of its size (85% or
 * more); else wrapped, onto two lines if the type need not shrink below `downTo` for that, else at
 * full size onto as many lines as it takes, up to `maxLines` (past those, the type shrinks again).
 * Facts take 85%; party blocks 1 (never shrunk here: their size is chosen for the whole grid).
 * `balanced`: lines as even as they go (a name: see balancedWrap).
 */
function blockLines(text: string, size: number, width: number, paragraph: Omit<Style, 'size'>, maxLines: number, downTo: number, balanced = false): BlockLine[] {
  const style = paragraphStyle(text, paragraph);
  const line = (t: string, lineStyle: TextOptions, s: number): BlockLine =>
    ({ text: t, style: { ...lineStyle, size: s }, ...inkExtent(t, s, lineStyle), indent: 0 });
  const oneLine = Math.min(size, (size * width) / Math.max(1, measure(text, size, style)));
  if (oneLine >= size * Math.max(0.85, downTo)) return [line(text, style, oneLine)];
  const shrinkTo = (most: number, floor: number) => {
    const { size: s, lines } = shrinkToFit(text, shrinking(size, floor), width, most, style);
    return { s, lines };
  };
  let { s, lines } = shrinkTo(2, size * downTo);
  if (lines.length > 2) ({ s, lines } = shrinkTo(maxLines, size * 0.3));
  // A bounded block (a fact) keeps its bound whatever it takes: the page below it is spoken for.
  if (lines.length > maxLines) ({ s, lines } = shrinkTo(maxLines, 0));
  if (balanced) lines = balancedWrap(text, s, width, style, lines);
  const block = paragraphLines(text, lines, style).map((l) => line(l.text, l.style, s));
  if (style.rtl) {
    // Right-to-left lines start at the right: they align on the right edge of the widest, which stays at the block's left.
    const widths = block.map((l) => measure(l.text, s, l.style));
    const widest = Math.max(...widths);
    block.forEach((l, i) => (l.indent = widest - widths[i]!));
  }
  return block;
}

/** A party's block: its parts' lines (name, local name, detail line), their baselines' offsets, and how far its ink reaches below the first baseline. */
interface PartyBlock { parts: BlockLine[][]; offsets: number[][]; end: number }

interface PartyBlocks { style: PartyStyle; columns: number; width: number; blocks: PartyBlock[] }

/** Type sizes of a party grid: names, local names, signatory lines, and the height a block takes at least. */
type PartyStyle = Pick<(typeof PARTY_STYLES)[number], 'name' | 'local' | 'detail' | 'block' | 'clear'>;

/**
 * Every party's block, wrapped once per grid. Each part (names, local names, signatory lines)
 * prints at one size across the grid, so that parties side by side look alike: the largest at which
 * every one of them fits on one line, but not below 85% of the style's size; one that does not fit
 * even at 85% (a ministry's full name) wraps at that size, and makes no other smaller. Past a bound
 * of lines (six for a name, ten for the signatory line: its parts at their limits fit) a part shrinks itself, so that one name of
 * the widest characters cannot shrink every party's block on every page.
 */
function partyBlocks(list: AgreementParty[], style: PartyStyle, columns: number, flat: boolean): PartyBlocks {
  const width = columnWidth(style, columns);
  const texts = list.map((p) => {
    const local = p.localName && p.localName !== p.name ? p.localName : undefined;
    return [
      { text: p.name, paragraph: { weight: 'bold' as const }, maxLines: 6, balanced: true },
      local === undefined ? undefined : { text: local, paragraph: { lang: p.lang, flat }, maxLines: 6, balanced: true },
      // Left to right like the certificate, whatever script the signatory's name starts with: its
      // items (name and title, role, kind, country) read in that order; right-to-left words next to
      // each other (an Arabic name, title and role) read as one right-to-left run.
      // (Where it may break between a country's two names is decided below, at the size it prints at.)
      { text: partyDetail(p), paragraph: { color: SIGNATORY, rtl: false }, maxLines: 10, balanced: false },
    ];
  });
  const sizes = ([[style.name, SMALLEST_NAME], [style.local, SMALLEST_NAME], [style.detail, SMALLEST_DETAIL]] as const).map(([full, smallest], part) => {
    // A hair under the exact fit: at the exact size the text measures a rounding error over the width, and would wrap.
    const oneLine = texts.map((t) => t[part]).filter((t) => t !== undefined)
      .map((t) => ((full * width) / Math.max(1, measure(t.text, full, paragraphStyle(t.text, t.paragraph)))) * (1 - 1e-9));
    // One that would not fit on one line even at the floor wraps anyway: it makes no other smaller.
    const floor = oneLineFloor(full, smallest);
    return Math.min(full, ...oneLine.filter((size) => size >= floor));
  });
  // A country's two names stay together on a line if they fit one at the size the line prints at
  // (no-break spaces and spaces measure alike: the sizes above hold).
  texts.forEach((parts, i) => (parts[2]!.text = partyDetail(list[i]!, (t) => measure(t, sizes[2]!, {}) <= width)));
  // At that size: on one line, or wrapped (downTo 1: not shrunk again).
  const blocks = texts.map((parts) => blockLayout(style, parts.map((t, part) => (t ? blockLines(t.text, sizes[part]!, width, t.paragraph, t.maxLines, 1, t.balanced) : []))));
  return { style, columns, width, blocks };
}

/** Blocks laid out in `rows` rows, in reading order (row by row): each block's baseline offsets and each row's height as drawn, at full size; `natural`, their sum. */
interface PartyGrid { blocks: PartyBlock[]; pitches: number[]; nameAbove: number; natural: number }

/**
 * A block with its baseline offsets, part by part, and how far its ink reaches below its first
 * baseline, at full size: lines are spaced by their ink, so stacked Arabic harakat, Myanmar
 * medials and Khmer subscripts never touch the line above or below. A block's layout depends on
 * nothing else (its signatory line follows its own names), so it is worked out once per certificate.
 */
function blockLayout(style: PartyBlocks['style'], parts: BlockLine[][]): PartyBlock {
  const usual = [0, style.local * 1.15, style.detail * 1.6]; // from the line before to a part's first baseline
  let last = { offset: 0, below: 0, size: 0 };
  const offsets = parts.map((lines, part) => {
    const first = lines[0];
    let offset = part > 0 && first ? last.offset + Math.max(usual[part]!, last.below + first.above + clearance(last.size, first.style.size, style.clear)) : 0;
    return lines.map((line, k) => {
      if (k > 0) offset += Math.max(line.style.size * 1.2, lines[k - 1]!.below + line.above + clearance(lines[k - 1]!.style.size, line.style.size, style.clear));
      last = { offset, below: line.below, size: line.style.size };
      return offset;
    });
  });
  return { parts, offsets, end: last.offset + last.below };
}

/**
 * Blocks in `rows` rows, in the parties' order row by row (left to right, as a list of signatories
 * is read: the first two parties side by side): each row is as tall as its tallest block. Within a
 * row, signatory lines whose names take as many lines, or one more (a local name's), share the
 * lowest of their baselines: a party without a local name keeps the room rather than have its
 * signatory line sit higher than its neighbour's; one beside a name of more lines stays under its own.
 */
function partyGrid({ style, columns }: PartyBlocks, placed: PartyBlock[], rows: number): PartyGrid {
  const linesAbove = (b: PartyBlock) => b.parts.slice(0, -1).reduce((n, lines) => n + lines.length, 0);
  const shifts = new Map<PartyBlock, number>();
  for (let from = 0; from < placed.length; from += columns) {
    // Groups of a row's blocks, fewest lines first, each as many lines as its first or one more.
    const row = placed.slice(from, from + columns).sort((p, q) => linesAbove(p) - linesAbove(q));
    for (let start = 0; start < row.length;) {
      let end = start;
      while (end < row.length && linesAbove(row[end]!) <= linesAbove(row[start]!) + 1) end++;
      const group = row.slice(start, end);
      const baseline = Math.max(...group.map((b) => b.offsets.at(-1)![0]!));
      for (const b of group) shifts.set(b, baseline - b.offsets.at(-1)![0]!);
      start = end;
    }
  }
  const blocks = placed.map((block) => {
    const shift = shifts.get(block) ?? 0;
    return shift === 0 ? block : { ...block, offsets: [...block.offsets.slice(0, -1), block.offsets.at(-1)!.map((o) => o + shift)], end: block.end + shift };
  });
  const nameAbove = Math.max(0, ...blocks.map((b) => b.parts[0]![0]!.above));
  // Each row takes the height of its tallest block, and at least the style's `block`: that is what
  // the grid needs. Drawn, the space under each row (from its ink to the next row's) is the same,
  // their mean, so that a short row padded to `block` does not stand further from the next than a
  // tall one does (4.7 against 11 points); the grid keeps its height.
  const ends = Array.from({ length: rows }, (_, row) => Math.max(...blocks.slice(row * columns, (row + 1) * columns).map((b) => b.end)));
  const pitches = ends.map((end) => Math.max(style.block, end + BLOCK_GAP + nameAbove));
  const natural = pitches.reduce((a, b) => a + b, 0);
  const gap = rows > 0 ? (natural - ends.reduce((a, b) => a + b, 0)) / rows - nameAbove : 0;
  return { blocks, pitches: ends.map((end) => end + nameAbove + gap), nameAbove, natural };
}

/** How much larger than their number's style parties print when the page has room for it (see layParties). */
const ROOMY = 1.15;

/** Below this scale a party grid is too small to read: the list continues on an annex page instead. */
const MIN_PARTY_SCALE = 0.85;

/** The smallest a party's name (or local name) and its signatory line print, however many parties sign (points). */
export const SMALLEST_NAME = 6.5;
export const SMALLEST_DETAIL = 5.5;

/**
 * How small a party block's part (of `full` points in its style) may print to stay on one line: 85%
 * of its size, and no smaller than would print below `smallest` points on a grid at
 * MIN_PARTY_SCALE. Past that it wraps.
 */
const oneLineFloor = (full: number, smallest: number) => Math.min(full, Math.max(0.85 * full, smallest / MIN_PARTY_SCALE));

/**
 * Which parties go on which page, in whole rows: all on the first page if they fit at
 * MIN_PARTY_SCALE or more; else as many rows as fit there (none, if even one does not) and the rest
 * on annex pages, at least one row each. One scale for every page, so a name looks the same size
 * wherever it is. Once the list continues on an annex anyway, each page takes the rows that fit it
 * at full size, spaced as drawParties spaces rows that have room (half a name's size more):
 * squeezing in a row more would shrink every name, and leave the rows no room between them (a
 * signatory line ran into the next party's name), to save no page. Rows shrink to fit only where
 * that saves a page, or gets the first page a row.
 */
function planParties(parts: PartyBlocks, firstBand: number, annexBand: number): { pages: PartyGrid[]; scale: number } {
  const { blocks, columns } = parts;
  const gridOf = (from: number, rows: number) => partyGrid(parts, blocks.slice(from, from + rows * columns), rows);
  const all = gridOf(0, Math.ceil(blocks.length / columns));
  if (all.natural * MIN_PARTY_SCALE <= firstBand) return { pages: [all], scale: Math.min(1, firstBand / all.natural) };
  /** Pages of as many rows as fit each at `least` of their size, with `spacing` more under each row. */
  const paginate = (least: number, spacing: number) => {
    const pages: PartyGrid[] = [];
    for (let from = 0, band = firstBand; from < blocks.length; band = annexBand) {
      // The most rows that fit (each row adds height).
      let rows = 0;
      let grid = gridOf(from, 0);
      for (let r = 1; r <= Math.ceil((blocks.length - from) / columns); r++) {
        const candidate = gridOf(from, r);
        if (candidate.natural * least + r * spacing > band) break;
        [rows, grid] = [r, candidate];
      }
      if (rows === 0 && pages.length > 0) [rows, grid] = [1, gridOf(from, 1)]; // an annex page always makes progress
      pages.push(grid);
      from += Math.min(rows * columns, blocks.length - from);
    }
    const scale = Math.min(1, ...pages.map((grid, i) => (grid.natural > 0 ? (i === 0 ? firstBand : annexBand) / grid.natural : 1)));
    return { pages, scale };
  };
  const full = paginate(1, parts.style.name / 2);
  const shrunk = paginate(MIN_PARTY_SCALE, 0);
  const firstRow = (plan: typeof full) => plan.pages[0]!.blocks.length > 0;
  return full.pages.length <= shrunk.pages.length && firstRow(full) === firstRow(shrunk) ? full : shrunk;
}

/**
 * The parties' blocks and their pages, and which of the first page's bands (`firstBands`: under
 * the full heading, then under the compact one; each measured when first needed) they take. At the
 * style their number calls for if they all fit on the first page under the full heading without
 * shrinking, or 15% larger (ROOMY) if that fits too (a line too long for it wraps): a few parties
 * fill the room they have. Else, style by style from theirs down (as many columns): under the full
 * heading if it holds them without shrinking, else under the compact one if it holds them on the
 * page at all (its band is the larger: a party more never buys larger type by a change of heading). Else at the style
 * their number calls for, under the full heading, continued on annex pages, unless not one row of
 * it fits on the first page (long titles, a voided banner, long facts): then the first of its
 * compact heading, a smaller style's full heading, its compact one... at which one does, so that
 * the first page lists parties (if none does, the list starts on the next page, in the type of
 * their number).
 */
function layParties(blocksIn: (style: PartyStyle, columns: number) => PartyBlocks, count: number, firstBands: (() => number)[], annexBand: number): { parts: PartyBlocks; pages: PartyGrid[]; scale: number; band: number } {
  const natural = PARTY_STYLES.findIndex((p) => count <= p.upTo);
  const columns = PARTY_STYLES[natural]!.columns(count);
  const styles = PARTY_STYLES.slice(natural);
  const heights: number[] = [];
  const planOf = (parts: PartyBlocks, band: number) => ({ parts, band, ...planParties(parts, (heights[band] ??= firstBands[band]!()), annexBand) });
  const blocksOf = (i: number) => blocksIn(styles[i]!, columns);
  const plain = planOf(blocksOf(0), 0);
  if (plain.pages.length === 1 && plain.scale >= 1) {
    if (plain.pages[0]!.natural * ROOMY > heights[0]!) return plain; // a quick no (parts that shrank to one line grow less)
    const { name, local, detail, block, clear } = styles[0]!;
    const roomy = planOf(blocksIn({ name: name * ROOMY, local: local * ROOMY, detail: detail * ROOMY, block: block * ROOMY, clear }, columns), 0);
    return roomy.pages.length === 1 && roomy.scale >= 1 ? roomy : plain;
  }
  let paginated: ReturnType<typeof layParties> = plain; // their number's style under the full heading, unless its first page lists none and another's does
  for (const i of styles.keys()) {
    const full = i === 0 ? plain : planOf(blocksOf(i), 0);
    if (full.pages.length === 1 && full.scale >= 1) return full;
    // The compact heading where the full one would shrink them (or not hold them), so that a party
    // more never buys larger type by a change of heading: its band is the larger, so it prints them as large or larger.
    const compact = planOf(blocksOf(i), 1);
    if (compact.pages.length === 1) return compact;
    for (const plan of [full, compact]) if (paginated.pages[0]!.blocks.length === 0 && plan.pages[0]!.blocks.length > 0) paginated = plan;
  }
  return paginated;
}

/** Draws one page's party grid under its heading, between `top` and `bottom`: centred on the first page, from the top on an annex. */
function drawParties(w: Writer, parts: PartyBlocks, grid: PartyGrid, scale: number, heading: string, top: number, bottom: number, centred: boolean): void {
  const band = top - 10 - bottom;
  // Room a page's grid leaves goes partly between its rows (up to half a name's size), so that one
  // party's last line does not run into the next one's name; on the first page the rest above and below.
  const rows = grid.pitches.length;
  const spare = Math.max(0, band - grid.natural * scale);
  const rowGap = rows > 1 ? Math.min(spare / rows, (parts.style.name * scale) / 2) : 0;
  const height = grid.natural * scale + (rows - 1) * rowGap;
  const first = top - 10 - (centred ? (band - height) / 2 : 0) - grid.nameAbove * scale;
  // The heading sits right above the grid, wherever centring puts it.
  w.at(heading, M + 10, first + grid.nameAbove * scale + 8, { size: 9, weight: 'bold', color: ACCENT });
  grid.blocks.forEach((block, i) => {
    const x = M + 10 + (i % parts.columns) * (parts.width + gutter(parts.style));
    const row = Math.floor(i / parts.columns);
    const y = first - grid.pitches.slice(0, row).reduce((a, b) => a + b, 0) * scale - row * rowGap;
    block.parts.forEach((lines, part) => lines.forEach((line, k) => {
      w.at(line.text, x + line.indent * scale, y - block.offsets[part]![k]! * scale, { ...line.style, size: line.style.size * scale }, parts.width);
    }));
  });
}

/**
 * Clear space between the ink of one line and the next (a title's, a fact's, a party block's),
 * where their ink rather than their type's usual pitch spaces them (Tibetan and Myanmar stacks,
 * vocalized Arabic, accents stacked high): a share (CLEAR, 12%) of the larger of the two lines'
 * type, so that marks stay visibly clear of the next line (at 0.8 pt a Tibetan vowel sign seemed to
 * touch a name in bold above it), and 0.8 point at least.
 */
function clearance(upper: number, lower: number, share = CLEAR): number {
  return Math.max(0.8, Math.max(upper, lower) * share);
}
const BLOCK_GAP = 3;

/** Between two columns of parties: one and a half times the names' size, 14 points at least, so that names side by side do not read as one. */
const gutter = (style: Pick<PartyStyle, 'name'>) => Math.max(14, style.name * 1.5);

/** The width of a column of parties in `style`, `columns` across the page. */
export const columnWidth = (style: Pick<PartyStyle, 'name'>, columns: number) => (W - 2 * M - 20 - gutter(style) * (columns - 1)) / columns;

function footer(w: Writer, input: CertificateInput): void {
  const { agreement: a, verifyUrl, keysUrl } = input;
  const qr = 92;
  const qrX = W - M - 10 - qr;
  const qrY = M / 2 + 34;
  w.draw(qrCodeOperators(verifyUrl, qrX, qrY, qr));
  w.right(verifyUrl, W - M - 10, M / 2 + 20, { size: 6.5, color: INK, weight: 'mono' }, W - 2 * M - 20);

  const width = qrX - M - 30;
  let y = 150;
  y -= (w.field(LABELS.sectors, sectorsLine(a.sectors), M + 10, y, width) - 1) * FIELD_LINE;
  if (a.value) w.field(LABELS.value, formatMoney(a.value), M + 10, (y -= 14), width);
  y -= 18;
  const [statement, statementZh] = issueStatement(a.version, keysUrl);
  // Both statements name the keys' address: the longest a registry may have takes them a size smaller, clear of the printed link.
  let size = 7.5;
  let lines: [string[], string[]];
  for (;; size -= 0.5) {
    lines = [wrap(statement, size, width), wrapChinese(statementZh, size, width)];
    if (y - (lines[0].length + lines[1].length - 1) * STATEMENT_PITCH * size - 4 >= LOWEST_STATEMENT || size <= SMALLEST_STATEMENT) break;
  }
  for (const line of lines[0]) { w.at(line, M + 10, y, { size, color: MUTED }); y -= STATEMENT_PITCH * size; }
  y -= 4; // the Chinese statement is a paragraph of its own
  for (const line of lines[1]) { w.at(line, M + 10, y, { size, color: MUTED, lang: 'zh-Hans' }); y -= STATEMENT_PITCH * size; }
}

/** The statements' line pitch for their size (10 points at 7.5), the lowest baseline they take (clear of the printed link under the QR code), and their smallest size. */
const STATEMENT_PITCH = 4 / 3;
const LOWEST_STATEMENT = M / 2 + 20 + 14;
const SMALLEST_STATEMENT = 6;

/**
 * Chinese prose in lines broken after its punctuation (，。：；), where Chinese breaks: wrapping at
 * spaces alone left "Concord" on a line of its own before a sentence with none. A clause longer
 * than a line wraps as `wrap` does.
 */
function wrapChinese(text: string, size: number, width: number): string[] {
  const opts = { lang: 'zh-Hans' };
  const lines: string[] = [];
  let line = '';
  for (const clause of text.split(/(?<=[，。：；])/)) {
    if (measure(line + clause, size, opts) <= width) { line += clause; continue; }
    if (line) lines.push(line);
    const parts = wrap(clause, size, width, opts);
    lines.push(...parts.slice(0, -1));
    line = parts.at(-1) ?? '';
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * A document-info text string: printable ASCII as a literal string (pdf-lib would write every
 * string as UTF-16 hex, four bytes per letter), anything else as UTF-16 hex, which readers need.
 */
function infoString(value: string): PDFString | PDFHexString {
  return /^[\x20-\x7e]*$/.test(value) ? PDFString.of(value.replace(/[\\()]/g, '\\$&')) : PDFHexString.fromText(value);
}

/**
 * Object streams make the file about a tenth smaller, but would compress the info dictionary too.
 * Written out as ready-made bytes, it stays a plain object (pdf-lib never packs those), so its
 * JWS can be found in the raw bytes, as POST /verify and a curious `grep` do, without a PDF parser.
 */
function keepInfoPlain(doc: PDFDocument, ref: PDFRef, info: PDFDict): void {
  const bytes = new Uint8Array(info.sizeInBytes());
  info.copyBytesInto(bytes, 0);
  // Under a new, last object number, so it is written after the other objects: as the file's first
  // object, a title over 128 characters set off poppler's linearization probe ("Syntax Error:
  // Unterminated string"), which parses the first object with a short buffer.
  doc.context.delete(ref);
  doc.context.trailerInfo.Info = doc.context.register(PDFInvalidObject.of(bytes));
}

export interface RenderReport {
  /** Characters no bundled font has, drawn as empty boxes, as `U+XXXX` (the text still extracts). */
  undrawable: string[];
  /** The type the parties' names, local names and signatory lines are set in (points, before a part shrinks to stay on one line). */
  partyType: { name: number; local: number; detail: number };
  /** The points between two columns of parties, and whether the heading is the compact one (see layParties). */
  partyGutter: number;
  compactHeading: boolean;
}

export async function renderCertificate(input: CertificateInput, report?: (r: RenderReport) => void): Promise<Uint8Array> {
  const { agreement: a, ceremony, jws } = input;
  const doc = await PDFDocument.create({ updateMetadata: false });
  const signed = new Date(a.signedAt);
  const info = doc.context.obj({});
  const infoRef = doc.context.register(info);
  doc.context.trailerInfo.Info = infoRef; // pdf-lib's setCreationDate() and the like write here
  const text = (key: string, value: string) => info.set(PDFName.of(key), infoString(value));
  text('Title', `Certificate ${a.code} v${a.version}: ${a.title}`);
  text('Subject', `Certificate of agreement ${a.code}, version ${a.version}, issued by the Concord registry`);
  text('Keywords', ['Concord', 'certificate', a.code, `version ${a.version}`, a.id].join(' '));
  text('Author', 'Concord registry');
  text('Creator', 'Concord registry');
  text('Producer', 'Concord');
  doc.setLanguage('en');
  // Viewers show the title (code, version, agreement) in their title bar, not the file name.
  doc.catalog.getOrCreateViewerPreferences().setDisplayDocTitle(true);
  // Created when signed; modified when this version was recorded (a void or an amendment, later;
  // a signing may be logged up to a day before it is signed: then the signing time).
  doc.setCreationDate(signed);
  doc.setModificationDate(new Date(Math.max(signed.getTime(), Date.parse(a.updatedAt))));
  info.set(PDFName.of(JWS_INFO_KEY), PDFString.of(jws));

  const page = doc.addPage([W, H]);
  const engine = new TextEngine(doc);
  const w = new Writer(engine, page);
  frame(w);
  // The room for the parties' list under each heading, measured before anything is drawn.
  const measuring = new Writer(engine);
  // More parties than one page holds legibly continue on annex pages, framed and headed like the first.
  const annexTop = H - 78;
  // The parties' blocks by style and face, wrapped when first needed: the same for every heading
  // (a layout judged as if voided, then the agreement's own, share them: `lay`'s `of` is the
  // agreement itself or it as if voided, with the same parties).
  const blocks = new Map<string, PartyBlocks>();
  const blocksIn = (flat: boolean) => (style: PartyStyle, columns: number) => {
    const key = JSON.stringify([style, columns, flat]);
    let parts = blocks.get(key);
    if (!parts) blocks.set(key, (parts = partyBlocks(a.parties, style, columns, flat)));
    return parts;
  };
  const lay = (t: Titles, flat: boolean, of: typeof a = a) => {
    const under = (compact: boolean) => () => facts(measuring, of, ceremony, heading(measuring, of, ceremony, t, compact), compact) - 10 - 168;
    return { flat, ...layParties(blocksIn(flat), a.parties.length, [under(false), under(true)], annexTop - 10 - (M + 10)) };
  };
  let titles = titlesOf(a);
  // Urdu is set in Nastaliq, whose words step down from their first letter: a line of it takes
  // about twice the height of one in Naskh. Where that would cost the certificate a page, its full
  // heading or its parties' type, it is set in Naskh (as Arabic and Persian are) instead. Decided as
  // if the agreement were voided (the void's banner is the most room a later version's heading
  // takes), so that a void does not redraw a party's name in another hand.
  let flat = false;
  let judged: ReturnType<typeof lay> | undefined;
  if (a.parties.some((p) => p.localName && cascadingLanguage(p.lang))) {
    const voided = { ...a, status: 'voided' as const };
    const cost = (l: ReturnType<typeof lay>) => [l.pages.length, l.band, -l.parts.style.name * l.scale];
    const [inNastaliq, inNaskh] = [lay(titles, false, voided), lay(titles, true, voided)];
    const [nastaliq, naskh] = [cost(inNastaliq), cost(inNaskh)];
    // Worse in the first of the three that differs (by more than rounding).
    const i = nastaliq.findIndex((c, k) => Math.abs(c - naskh[k]!) > 1e-6);
    flat = i >= 0 && nastaliq[i]! > naskh[i]!;
    // A voided agreement's layout is the one just judged.
    if (a.status === 'voided') judged = flat ? inNaskh : inNastaliq;
  }
  let layout = judged ?? lay(titles, flat);
  // Long titles take larger type on a line more where the parties keep their type, on the page, under the full heading.
  const unshrunk = (l: typeof layout) => l.pages.length === 1 && l.scale >= 1 && l.band === 0;
  const roomier = unshrunk(layout) ? roomierTitles(a, titles) : undefined;
  if (roomier) {
    const roomy = lay(roomier, layout.flat);
    if (unshrunk(roomy) && roomy.parts.style.name >= layout.parts.style.name) [titles, layout] = [roomier, roomy];
  }
  const { parts, pages, scale, band } = layout;
  const top = facts(w, a, ceremony, heading(w, a, ceremony, titles, band === 1, pages.length), band === 1);
  const total = a.parties.length;
  let from = 0;
  pages.forEach((grid, i) => {
    const shown = grid.blocks.length;
    const more = from + shown < total ? (shown === 0 ? ['listed on the next page', '见下页'] : ['continued on the next page', '续见下页']) : [];
    const partiesHeading = joinItems([LABELS.parties(total), ...more], '  ·  ');
    if (i === 0) drawParties(w, parts, grid, scale, partiesHeading, top, 168, shown > 0);
    else {
      const annex = new Writer(engine, doc.addPage([W, H]));
      frame(annex);
      masthead(annex, a, { page: i + 1, of: pages.length });
      const [range, rangeZh] = shown === 1 ? [`${from + 1}`, `第${from + 1}方`] : [`${from + 1}–${from + shown}`, `第${from + 1}至第${from + shown}方`];
      const heading = from === 0 ? partiesHeading : joinItems(['Parties and signatories, continued 签约方及签署人（续）', `${range} of ${total}`, `${rangeZh}，共${total}方`, ...more], '  ·  ');
      drawParties(annex, parts, grid, scale, heading, annexTop, M + 10, false);
    }
    from += shown;
  });
  footer(w, input);
  engine.finalize(`${a.id}#${a.version}`);
  const { name, local, detail } = parts.style;
  report?.({ undrawable: [...engine.undrawable].map(codePoint), partyType: { name: name * scale, local: local * scale, detail: detail * scale }, partyGutter: gutter(parts.style), compactHeading: band === 1 });
  keepInfoPlain(doc, infoRef, info);
  return doc.save({ useObjectStreams: true, objectsPerTick: Infinity });
}
