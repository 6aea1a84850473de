/**
 * Text shaping for certificates: itemize a line into runs (script, font, bidi level), shape each
 * run with HarfBuzz (the reference shaper: ligatures, reordering, mark positioning), and return
 * glyphs in visual order with positions in 1/1000 em. Fonts are parsed once per process, lazily:
 * a Latin-only certificate never reads the 10 MB CJK font (a character that the font preferred
 * for its script lacks makes the fallback search load fonts in order until one has it).
 */
import { readFileSync } from 'node:fs';
import * as hb from 'harfbuzzjs';
import { writtenRightToLeft } from '#shared/domain/formats.ts';
import { assetFile, FONT_ASSETS, type Asset } from './assets.ts';
import { BoundedCache } from './bounded-cache.ts';
import { TrueTypeFont } from './truetype.ts';

/** A face's weight; `mono`: the monospaced Latin face (for an address to type), the regular one for other scripts. */
export type Weight = 'regular' | 'bold' | 'mono';

/** Fallback chain, in order; each font is preferred for its scripts (Noto Sans also covers Devanagari). */
const FONTS: { key: string; regular: Asset; bold?: Asset; mono?: Asset; scripts: string[]; cascading?: boolean }[] = [
  { key: 'sans', regular: FONT_ASSETS.latin, bold: FONT_ASSETS.latinBold, mono: FONT_ASSETS.latinMono, scripts: ['Latn', 'Cyrl', 'Grek'] },
  { key: 'armn', regular: FONT_ASSETS.armenian, scripts: ['Armn'] },
  { key: 'deva', regular: FONT_ASSETS.devanagari, scripts: ['Deva'] },
  { key: 'arab', regular: FONT_ASSETS.arabic, scripts: ['Arab'] },
  { key: 'khmr', regular: FONT_ASSETS.khmer, scripts: ['Khmr'] },
  { key: 'sinh', regular: FONT_ASSETS.sinhala, scripts: ['Sinh'] },
  { key: 'taml', regular: FONT_ASSETS.tamil, scripts: ['Taml'] },
  { key: 'thaa', regular: FONT_ASSETS.thaana, scripts: ['Thaa'] },
  { key: 'mymr', regular: FONT_ASSETS.myanmar, scripts: ['Mymr'] },
  { key: 'laoo', regular: FONT_ASSETS.lao, scripts: ['Laoo'] },
  { key: 'sc', regular: FONT_ASSETS.han, scripts: ['Hani', 'Hira', 'Kana', 'Bopo'] },
  // Last resort only (no script prefers it): the few Han characters Noto Sans SC does not have.
  { key: 'jp', regular: FONT_ASSETS.hanExtra, scripts: [] },
  // By language only (faceByLanguage), never a fallback: Urdu's Nastaliq.
  { key: 'nastaliq', regular: FONT_ASSETS.urdu, scripts: [], cascading: true },
  // After the fonts above in the fallback search: each is loaded only for its own script.
  { key: 'kore', regular: FONT_ASSETS.korean, scripts: ['Hang'] },
  { key: 'thai', regular: FONT_ASSETS.thai, scripts: ['Thai'] },
  { key: 'geor', regular: FONT_ASSETS.georgian, scripts: ['Geor'] },
  { key: 'hebr', regular: FONT_ASSETS.hebrew, scripts: ['Hebr'] },
  { key: 'beng', regular: FONT_ASSETS.bengali, scripts: ['Beng'] },
  { key: 'gujr', regular: FONT_ASSETS.gujarati, scripts: ['Gujr'] },
  { key: 'guru', regular: FONT_ASSETS.gurmukhi, scripts: ['Guru'] },
  { key: 'knda', regular: FONT_ASSETS.kannada, scripts: ['Knda'] },
  { key: 'telu', regular: FONT_ASSETS.telugu, scripts: ['Telu'] },
  { key: 'mlym', regular: FONT_ASSETS.malayalam, scripts: ['Mlym'] },
  { key: 'orya', regular: FONT_ASSETS.oriya, scripts: ['Orya'] },
  { key: 'ethi', regular: FONT_ASSETS.ethiopic, scripts: ['Ethi'] },
  { key: 'mong', regular: FONT_ASSETS.mongolian, scripts: ['Mong'] },
  { key: 'tibt', regular: FONT_ASSETS.tibetan, scripts: ['Tibt'] },
  { key: 'yiii', regular: FONT_ASSETS.yi, scripts: ['Yiii'] },
  { key: 'syrc', regular: FONT_ASSETS.syriac, scripts: ['Syrc'] },
  { key: 'tfng', regular: FONT_ASSETS.tifinagh, scripts: ['Tfng'] },
  { key: 'cans', regular: FONT_ASSETS.canadianSyllabics, scripts: ['Cans'] },
  { key: 'cher', regular: FONT_ASSETS.cherokee, scripts: ['Cher'] },
];
/** FONTS by key, and the font preferred for each script (the first listing it): looked up for every letter shaped. */
const FONT_BY_KEY = new Map(FONTS.map((f) => [f.key, f]));
const FONT_BY_SCRIPT = new Map<string, (typeof FONTS)[number]>();
for (const f of FONTS) for (const script of f.scripts) if (!FONT_BY_SCRIPT.has(script)) FONT_BY_SCRIPT.set(script, f);

/** Unicode script -> ISO 15924 tag (what HarfBuzz's setScript expects). */
const SCRIPTS = Object.entries({
  Latin: 'Latn', Cyrillic: 'Cyrl', Greek: 'Grek', Armenian: 'Armn', Arabic: 'Arab', Hebrew: 'Hebr',
  Devanagari: 'Deva', Khmer: 'Khmr', Sinhala: 'Sinh', Tamil: 'Taml', Thaana: 'Thaa', Myanmar: 'Mymr', Lao: 'Laoo',
  Han: 'Hani', Hiragana: 'Hira', Katakana: 'Kana', Bopomofo: 'Bopo',
  Hangul: 'Hang', Thai: 'Thai', Georgian: 'Geor', Bengali: 'Beng', Gujarati: 'Gujr', Gurmukhi: 'Guru', Kannada: 'Knda',
  Telugu: 'Telu', Malayalam: 'Mlym', Oriya: 'Orya', Ethiopic: 'Ethi', Mongolian: 'Mong', Tibetan: 'Tibt',
  Yi: 'Yiii', Syriac: 'Syrc', Tifinagh: 'Tfng', Canadian_Aboriginal: 'Cans', Cherokee: 'Cher',
}).map(([name, tag]) => [new RegExp(`\\p{Script=${name}}`, 'u'), tag] as const);
/** The right-to-left scripts a bundled font draws, by Unicode name, with their ISO 15924 tags. */
const RTL_BUNDLED = { Arabic: 'Arab', Hebrew: 'Hebr', Thaana: 'Thaa', Syriac: 'Syrc' };
const RTL_SCRIPTS = new Set(Object.values(RTL_BUNDLED));
/**
 * Letters of right-to-left scripts of the Basic Multilingual Plane that no bundled font draws:
 * N'Ko, Samaritan, Mandaic. They print as boxes, so what they are for is the text a reader copies
 * from those boxes, and viewers (PDFium, pdf.js) copy these scripts in order when they run right to
 * left. Those beyond the BMP (Adlam, Mende Kikakui, the historic ones) they take for left-to-right
 * text: those run left to right here, and are copied in order by pdf.js and poppler.
 */
const RTL_UNBUNDLED = /[\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}]/u;
const CJK = new Set(['Hani', 'Hira', 'Kana', 'Bopo']);
/** What may follow digits set among Han text: Han, kana, or CJK and full-width punctuation (年, 版, ）). */
const CJK_AFTER_DIGITS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303F\uFF01-\uFF60]/u;
const WEAK = /[\p{Script=Common}\p{Script=Inherited}]/u;
/**
 * What stays in the run before it, whether or not its font maps it (a face's cmap lists no
 * variation selectors): ZWNJ and ZWJ, and variation selectors, which the font before them
 * resolves with its base (cmap format 14: 葛 U+E0100 is Katsushika's variant in Noto Sans JP).
 */
const JOINS_PREVIOUS = /[\u200C\u200D\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/u;

export interface Face {
  bold: boolean;
  /** The parsed font file: metrics, and glyph data for subsetting. */
  tt: TrueTypeFont;
  hbFont: hb.Font;
  /** Font units per em (the `tt`'s, at hand for scaling positions). */
  upem: number;
  /** Every code point the face maps. */
  cmap: Set<number>;
  /** Whether its letters step off the baseline within a word (Nastaliq): see TextEngine.drawText. */
  cascading: boolean;
}

const faces = new Map<string, Face>();

function face(key: string, weight: Weight): Face {
  const entry = FONT_BY_KEY.get(key)!;
  const asset = (weight === 'bold' && entry.bold) || (weight === 'mono' && entry.mono) || entry.regular;
  let f = faces.get(asset.bundlePath);
  if (!f) {
    const bytes = readFileSync(assetFile(asset));
    const hbFace = new hb.Face(new hb.Blob(bytes));
    const tt = new TrueTypeFont(bytes);
    f = { bold: asset === entry.bold, tt, hbFont: new hb.Font(hbFace), upem: tt.unitsPerEm, cmap: new Set(hbFace.collectUnicodes()), cascading: entry.cascading === true };
    faces.set(asset.bundlePath, f);
  }
  return f;
}

/** ISO 15924 tag, or null for Common/Inherited (spaces, digits, punctuation, marks). */
function scriptOf(ch: string): string | null {
  for (const [re, tag] of SCRIPTS) if (re.test(ch)) return tag;
  return WEAK.test(ch) ? null : 'Zzzz';
}

/**
 * The font a language reads its script in, where that differs by language: Japanese and Korean
 * draw many Han characters otherwise than Chinese (直, 骨, 角), and a name typed in Japanese should
 * print as a Japanese reader writes it; Urdu is written in Nastaliq, Arabic and Persian in Naskh.
 */
const HAN_BY_LANGUAGE: Record<string, string> = { ja: 'jp', ko: 'kore' };
const ARABIC_BY_LANGUAGE: Record<string, string> = { ur: 'nastaliq' };
const primaryOf = (lang: string) => lang.split('-')[0]!.toLowerCase();
/** `flat`: not a face whose letters step off the baseline (Nastaliq), but the script's usual one. */
const faceByLanguage = (script: string, lang: string, flat: boolean): string | undefined => {
  if (CJK.has(script)) return HAN_BY_LANGUAGE[primaryOf(lang)];
  const key = script === 'Arab' ? ARABIC_BY_LANGUAGE[primaryOf(lang)] : undefined;
  return key && flat && FONT_BY_KEY.get(key)!.cascading ? undefined : key;
};

/** Whether text in `lang` is set in a face whose letters step off the baseline (Urdu's Nastaliq), where it is not `flat`. */
export const cascadingLanguage = (lang: string | undefined): boolean =>
  lang !== undefined && FONT_BY_KEY.get(ARABIC_BY_LANGUAGE[primaryOf(lang)] ?? '')?.cascading === true;

function pickFace(script: string | null, cp: number, weight: Weight, lang?: string, flat = false): Face {
  const byLanguage = script && lang ? faceByLanguage(script, lang, flat) : undefined;
  if (byLanguage && face(byLanguage, weight).cmap.has(cp)) return face(byLanguage, weight);
  const preferred = script ? FONT_BY_SCRIPT.get(script) : undefined;
  if (preferred && face(preferred.key, weight).cmap.has(cp)) return face(preferred.key, weight);
  // A language's own face (Nastaliq) is none of the fallbacks: it draws only what its language writes.
  for (const { key, cascading } of FONTS) if (!cascading && face(key, weight).cmap.has(cp)) return face(key, weight);
  return face('sans', weight); // .notdef, but the text stays extractable
}

interface Run { start: number; end: number; face: Face; script: string; level: number }

/**
 * Bidi classes (UAX #9, Table 4), worked out as JavaScript has no Bidi_Class property: format
 * characters (BN), marks (NSM), the weak characters of names and figures by code point (below),
 * listed neutrals; then strong by script (AL for Arabic, Thaana and Syriac, R for Hebrew and other
 * right-to-left scripts, L for the rest), L for a letter of no script, and neutral for the rest.
 */
const EUROPEAN_NUMBER = /[0-9\u00B2\u00B3\u00B9\u06F0-\u06F9\u2070\u2074-\u2079\u2080-\u2089\u2488-\u249B\uFF10-\uFF19\u{1D7CE}-\u{1D7FF}\u{1F100}-\u{1F10A}]/u;
const ARABIC_NUMBER = /[\u0600-\u0605\u0660-\u0669\u066B\u066C\u06DD\u0890\u0891\u08E2]/u;
const EUROPEAN_SEPARATOR = /[+\-\u207A\u207B\u208A\u208B\u2212\uFB29\uFE62\uFE63\uFF0B\uFF0D]/u;
const COMMON_SEPARATOR = /[,./:\u00A0\u060C\u202F\u2044\uFE50\uFE52\uFE55\uFF0C\uFF0E\uFF0F\uFF1A]/u;
// Currency signs are terminators, but for the Afghani and Rial signs, which are Arabic letters (AL).
const EUROPEAN_TERMINATOR = /[#%\u00B0\u00B1\u0609\u060A\u066A\u2030-\u2034\u212E\u2213\uFE5F\uFE69\uFE6A\uFF03-\uFF05]|(?![\u060B\uFDFC])\p{Sc}/u;
const ARABIC_LETTERS = new Set(['Arab', 'Thaa', 'Syrc']);

type BidiClass = 'L' | 'R' | 'AL' | 'EN' | 'AN' | 'ES' | 'CS' | 'ET' | 'NSM' | 'BN' | 'N';

/** Format characters the algorithm sets aside (X9, Bidi_Class BN): the soft hyphen, ZWSP, ZWNJ, ZWJ, word joiners, the BOM. */
const BOUNDARY_NEUTRAL = /[\u00AD\u180E\u200B-\u200D\u2060-\u2064\u206A-\u206F\uFEFF\u{1BCA0}-\u{1BCA3}\u{E0001}\u{E0020}-\u{E007F}]/u;
/** Nonspacing and enclosing marks: NSM, whatever their script (Hebrew points, Arabic harakat); but for two Kannada vowel signs, which are L. */
const MARK = /(?![\u0CBF\u0CC6])[\p{Mn}\p{Me}]/u;
/**
 * Other neutrals (ON) of scripts whose letters are strong, or of none: the modifier letters of
 * prime, accents and tone (ʹ ˆ ˈ, not the ʻ of "Oʻzbekiston"), Arabic symbols (U+0606, U+0607, U+060E,
 * U+060F, ۞, ۩, the ornate parentheses, U+FD40-U+FD4F, U+FDCF, ﷽, U+FDFE, U+FDFF), the Tibetan and
 * Ogham brackets (paired ones, see CLOSING_BRACKET), and the CJK and Kangxi radicals.
 */
const OTHER_NEUTRAL = /[\u02B9\u02BA\u02C2-\u02CF\u02D2-\u02DF\u02E5-\u02ED\u02EF-\u02FF\u0606\u0607\u060E\u060F\u06DE\u06E9\uFD3E\uFD3F\uFD40-\uFD4F\uFDCF\uFDFD-\uFDFF\u0F3A-\u0F3D\u169B\u169C\u2E80-\u2FDF]/u;

/** Strong characters of the Common script: the directional marks (LRM, RLM, ALM), and Arabic punctuation and tatweel. */
const COMMON_STRONG: Record<string, BidiClass> = { '\u200E': 'L', '\u200F': 'R', '\u061C': 'AL', '\u061B': 'AL', '\u061F': 'AL', '\u0640': 'AL' };

function bidiClass(ch: string, script: string | null): BidiClass {
  const strong = COMMON_STRONG[ch];
  if (strong) return strong;
  if (BOUNDARY_NEUTRAL.test(ch)) return 'BN';
  if (MARK.test(ch)) return 'NSM';
  if (EUROPEAN_NUMBER.test(ch)) return 'EN';
  if (ARABIC_NUMBER.test(ch)) return 'AN'; // before the script: Arabic-Indic digits are Script=Arabic
  if (EUROPEAN_SEPARATOR.test(ch)) return 'ES';
  if (COMMON_SEPARATOR.test(ch)) return 'CS';
  if (EUROPEAN_TERMINATOR.test(ch)) return 'ET';
  if (OTHER_NEUTRAL.test(ch)) return 'N';
  if (script) return ARABIC_LETTERS.has(script) ? 'AL' : RTL_SCRIPTS.has(script) || RTL_UNBUNDLED.test(ch) ? 'R' : 'L';
  // A letter of the Common script (ー, ʻ, µ, ℂ) is strong left to right.
  return /\p{L}/u.test(ch) ? 'L' : 'N';
}

/** Whether the first strong character of a paragraph of these classes runs right to left (UBA P2/P3). */
const firstStrongRtl = (classes: readonly BidiClass[]): boolean => ['R', 'AL'].includes(classes.find((c) => c === 'L' || c === 'R' || c === 'AL') ?? 'L');

/**
 * A character's script and bidi class, remembered: working them out takes some forty regular
 * expressions, and a wrap analyses every line it tries, the same characters over and over. Looked
 * up for every character of every line tried, so a plain map, emptied when it holds more than a few
 * scripts' worth (a name may hold any of Unicode's characters).
 */
function classesOf(ch: string): { script: string | null; bidi: BidiClass } {
  let classes = characterClasses.get(ch);
  if (!classes) {
    const script = scriptOf(ch);
    if (characterClasses.size >= 20_000) characterClasses.clear();
    characterClasses.set(ch, (classes = { script, bidi: bidiClass(ch, script) }));
  }
  return classes;
}
const characterClasses = new Map<string, { script: string | null; bidi: BidiClass }>();

/**
 * The classes that can take a bidi level above 0 in a left-to-right paragraph: right-to-left
 * letters (R, AL: Arabic punctuation and tatweel too, though their script is Common) and Arabic
 * numbers (AN). Without them, every level of such a paragraph is 0.
 */
const RIGHT_TO_LEFT: ReadonlySet<BidiClass> = new Set(['R', 'AL', 'AN']);
const mayRunRightToLeft = (text: string) => [...text].some((ch) => RIGHT_TO_LEFT.has(classesOf(ch).bidi));

/**
 * A paragraph runs right to left when its first strong character does (UBA P2/P3), or, in a
 * language written right to left (`lang`), when it holds any right-to-left letter: an Arabic name
 * that opens with a Latin word ("IBM الشرق الأوسط") is still an Arabic line, the Latin word at its right.
 */
export function rtlParagraph(text: string, lang?: string): boolean {
  const classes = [...text].map((ch) => classesOf(ch).bidi);
  if (lang !== undefined && writtenRightToLeft(lang) && classes.some((c) => c === 'R' || c === 'AL')) return true;
  return firstStrongRtl(classes);
}

/**
 * Resolved bidi types of a paragraph, every character L, R, EN or AN, or N where rules N1/N2
 * decide: UBA W1-W7 (a number keeps its separators, "1,234.56" and "12:30"; digits after Arabic
 * letters are Arabic numbers; a percent or currency sign goes with its European number).
 */
function weakTypes(classes: readonly BidiClass[], base: 0 | 1): string[] {
  const sos = base ? 'R' : 'L';
  const t: string[] = [...classes];
  let strong = sos;
  t.forEach((c, i) => {
    if (c === 'NSM') t[i] = c = i ? t[i - 1]! : sos; // W1
    if (c === 'EN' && strong === 'AL') t[i] = 'AN'; // W2
    else if (c === 'L' || c === 'R' || c === 'AL') strong = c;
  });
  t.forEach((c, i) => { if (c === 'AL') t[i] = 'R'; }); // W3
  for (let i = 1; i + 1 < t.length; i++) { // W4
    const [before, after] = [t[i - 1], t[i + 1]];
    if (before !== after) continue;
    if ((t[i] === 'ES' && before === 'EN') || (t[i] === 'CS' && (before === 'EN' || before === 'AN'))) t[i] = before!;
  }
  for (let i = 0; i < t.length; i++) { // W5: a run of terminators touching a European number joins it
    if (t[i] !== 'ET') continue;
    let j = i;
    while (t[j] === 'ET') j++;
    if (t[i - 1] === 'EN' || t[j] === 'EN') t.fill('EN', i, j);
    i = j;
  }
  strong = sos;
  return t.map((c) => { // W6: separators and terminators left over are neutral; W7: numbers after L are L
    if (c === 'ES' || c === 'CS' || c === 'ET') return 'N';
    if (c === 'L' || c === 'R') strong = c;
    return c === 'EN' && strong === 'L' ? 'L' : c;
  });
}

/**
 * Ranges of paired brackets that are neighbours, opening then closing (U+0028 U+0029; ❨ ❩ ... ❴ ❵),
 * from their first opening to their last closing one (BidiBrackets.txt).
 */
const NEIGHBOUR_BRACKETS: [first: number, last: number][] = [
  [0x28, 0x29], [0xf3a, 0xf3d], [0x169b, 0x169c], [0x2045, 0x2046], [0x207d, 0x207e], [0x208d, 0x208e], [0x2308, 0x230b], [0x2329, 0x232a],
  [0x2768, 0x2775], [0x27c5, 0x27c6], [0x27e6, 0x27ef], [0x2983, 0x2998], [0x29d8, 0x29db], [0x29fc, 0x29fd], [0x2e22, 0x2e29], [0x2e55, 0x2e5c],
  [0x3008, 0x3011], [0x3014, 0x301b], [0xfe59, 0xfe5e], [0xff08, 0xff09], [0xff5f, 0xff60], [0xff62, 0xff63],
];

/**
 * Paired brackets (Bidi_Paired_Bracket_Type, BidiBrackets.txt): each opening bracket's closing one.
 * Most pairs are neighbours; the others are listed. U+2329/U+232A pair with U+3008/U+3009 too
 * (canonical equivalents).
 */
const CLOSING_BRACKET = new Map<number, number>([
  ...NEIGHBOUR_BRACKETS.flatMap(([first, last]) => Array.from({ length: (last - first + 1) / 2 }, (_, i): [number, number] => [first + 2 * i, first + 2 * i + 1])),
  [0x5b, 0x5d], [0x7b, 0x7d], [0xff3b, 0xff3d], [0xff5b, 0xff5d],
  // Not neighbours, though in a range above: ⦍ closes with ⦐, and ⦏ with ⦎ (these entries replace the range's).
  [0x298d, 0x2990], [0x298f, 0x298e],
]);
const CLOSES = new Set(CLOSING_BRACKET.values());
/** The form a bracket is matched by: U+2329 and U+232A are U+3008 and U+3009 (BD16). */
const canonicalBracket = (cp: number) => (cp === 0x2329 ? 0x3008 : cp === 0x232a ? 0x3009 : cp);
/** BD16 stops pairing past this many open brackets. */
const MAX_OPEN_BRACKETS = 63;

/** The pairs of brackets (BD16) among a paragraph's neutrals, by their opening bracket's position. */
function bracketPairs(chars: string[], t: string[]): [number, number][] {
  const pairs: [number, number][] = [];
  const open: { closing: number; at: number }[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (t[i] !== 'N') continue;
    const cp = canonicalBracket(chars[i]!.codePointAt(0)!);
    const closing = CLOSING_BRACKET.get(cp);
    if (closing !== undefined) {
      if (open.length === MAX_OPEN_BRACKETS) break;
      open.push({ closing: canonicalBracket(closing), at: i });
    } else if (CLOSES.has(cp)) {
      const match = open.findLastIndex((o) => o.closing === cp);
      if (match < 0) continue;
      pairs.push([open[match]!.at, i]);
      open.length = match;
    }
  }
  return pairs.sort((a, b) => a[0] - b[0]);
}

/**
 * UBA N0: a pair of brackets takes the direction of the text inside it: the embedding direction
 * when that is there; else the other when the text before the pair runs that way too; else the
 * embedding direction. An Arabic title's "(بالإنابة)" in a left-to-right line stays one
 * right-to-left run, and a Latin "(Egypt)" in an Arabic name one left-to-right run.
 */
function resolveBrackets(chars: string[], classes: readonly BidiClass[], t: string[], base: 0 | 1): void {
  const strong = (c: string | undefined) => (c === 'L' ? 'L' : c === 'R' || c === 'EN' || c === 'AN' ? 'R' : undefined);
  const e = base ? 'R' : 'L';
  for (const [open, close] of bracketPairs(chars, t)) {
    let inside: 'L' | 'R' | undefined;
    for (let i = open + 1; i < close && inside !== e; i++) inside = strong(t[i]) ?? inside;
    if (!inside) continue;
    let before: string | undefined;
    for (let i = open - 1; i >= 0 && !before; i--) before = strong(t[i]);
    const type = inside === e || (before ?? e) !== inside ? e : inside;
    for (const at of [open, close]) {
      t[at] = type;
      // Marks on a bracket go with it (they were resolved to its type by W1).
      for (let i = at + 1; i < chars.length && classes[i] === 'NSM'; i++) t[i] = type;
    }
  }
}

/**
 * Bidi levels of a paragraph's characters (code points): strong types by script, the weak rules
 * W1-W7, N0 (paired brackets), N1/N2, I1/I2. No explicit embeddings: enough for names and
 * certificate lines.
 */
function paragraphLevels(chars: string[], classes: readonly BidiClass[], base: 0 | 1): number[] {
  // Format characters (BN) are set aside (X9), and each takes the level of the character before it.
  const kept = classes.flatMap((c, i) => (c === 'BN' ? [] : [i]));
  if (kept.length < chars.length) {
    const levels = paragraphLevels(kept.map((i) => chars[i]!), kept.map((i) => classes[i]!), base);
    let k = 0;
    let last: number = base;
    return chars.map((_, i) => (kept[k] === i ? (last = levels[k++]!) : last));
  }
  const t = weakTypes(classes, base);
  resolveBrackets(chars, classes, t, base);
  const dir = (c: string) => (c === 'EN' || c === 'AN' ? 'R' : c); // N1: numbers count as R
  const near = (i: number, step: number) => {
    for (let j = i + step; j >= 0 && j < t.length; j += step) if (t[j] !== 'N') return dir(t[j]!);
    return base ? 'R' : 'L';
  };
  return t.map((c, i) => {
    const d = c === 'N' ? (near(i, -1) === near(i, 1) ? near(i, -1) : base ? 'R' : 'L') : c;
    return d === 'R' ? 1 : d === 'EN' || d === 'AN' || base ? 2 : 0;
  });
}

/** A paragraph's code points, their scripts and bidi levels. */
interface Paragraph { text: string; rtl: boolean | undefined; scripts: (string | null)[]; levels: number[] }
let lastParagraph: Paragraph | undefined;

/**
 * The last paragraph analysed is kept: a wrapped paragraph's lines are shaped one after another,
 * each with the same paragraph around it, which is then analysed once, not once per line.
 */
function analyse(text: string, rtl: boolean | undefined): Paragraph {
  if (lastParagraph?.text === text && lastParagraph.rtl === rtl) return lastParagraph;
  const chars = [...text];
  const scripts = chars.map((ch) => classesOf(ch).script);
  const classes = chars.map((ch) => classesOf(ch).bidi); // once per paragraph
  const base = (rtl ?? firstStrongRtl(classes)) ? 1 : 0;
  // In a left-to-right paragraph without right-to-left letters or Arabic numbers, the weak rules
  // leave only L (European numbers after L) and neutrals between L, which resolve to L: every level
  // is 0. Most lines a wrap tries are such: they skip the rules.
  const leftToRight = base === 0 && !classes.some((c) => RIGHT_TO_LEFT.has(c));
  return (lastParagraph = { text, rtl, scripts, levels: leftToRight ? chars.map(() => 0) : paragraphLevels(chars, classes, base) });
}

/**
 * Runs of (font, script, bidi level) of one line. Levels are the paragraph's (UBA resolves them
 * before lines break): a wrapped line gets the text around it as `context`, so "3-4" after Persian
 * words reads the same whether or not a line starts with it. Neutrals and marks stay in the
 * preceding run when its font covers them, so they are shaped in context (the Sinhala ZWJ must
 * reach HarfBuzz inside its run).
 */
function itemize(text: string, weight: Weight, rtl?: boolean, context?: LineContext, lang?: string, flat = false): Run[] {
  const chars = [...text];
  const from = context ? [...context.before].length : 0;
  const paragraph = analyse(context ? context.before + text + context.after : text, rtl);
  const sc = paragraph.scripts.slice(from, from + chars.length);
  const levels = paragraph.levels.slice(from, from + chars.length);
  const nextScript = (i: number) => sc.slice(i).find((x) => x) ?? sc.slice(0, i).reverse().find((x) => x) ?? 'Latn';
  // The script of the next character that has one, for each position (undefined: none in the line).
  const following: (string | undefined)[] = [];
  for (let i = chars.length - 1, next: string | undefined; i >= 0; i--) {
    following[i] = next;
    next = sc[i] ?? next;
  }
  const runs: Run[] = [];
  let pos = 0;
  chars.forEach((ch, i) => {
    const cp = ch.codePointAt(0)!;
    const prev = runs.at(-1);
    const same = prev !== undefined && prev.level === levels[i];
    const script = sc[i] ?? (same ? prev.script : nextScript(i));
    // ASCII digits, spaces and punctuation after CJK text, or between the words of two scripts, take
    // the Latin font (as typesetters do): the spaces of the separator between a Sinhala title and
    // "City" are not Sinhala's, twice as wide as Latin's. In bold, digits between Han characters
    // (2026年11月30日) stay in the Han font: there is no bold Han, and bold digits stood out.
    const inCjkBold = weight === 'bold' && cp >= 0x30 && cp <= 0x39 && CJK_AFTER_DIGITS.test(chars.slice(i).find((c) => !/[0-9]/.test(c)) ?? '');
    const latin = !sc[i] && cp < 0x250 && (CJK.has(script) ? !inCjkBold : prev !== undefined && (following[i] ?? prev.script) !== prev.script);
    const keepsRun = same && !sc[i] && (prev.face.cmap.has(cp) || JOINS_PREVIOUS.test(ch)) && !latin;
    const f = keepsRun ? prev.face : pickFace(sc[i] ?? (latin ? 'Latn' : script), cp, weight, lang, flat);
    if (same && prev.face === f && prev.script === script) prev.end = pos + ch.length;
    else runs.push({ start: pos, end: pos + ch.length, face: f, script, level: levels[i]! });
    pos += ch.length;
  });
  return runs;
}

/** UBA L2: reverse every maximal sequence at level >= k, for k = max..1. */
function reorder(runs: Run[]): Run[] {
  const order = runs.map((_, i) => i);
  for (let level = Math.max(0, ...runs.map((r) => r.level)); level >= 1; level--) {
    for (let i = 0; i < order.length;) {
      if (runs[order[i]!]!.level < level) { i++; continue; }
      let j = i;
      while (j < order.length && runs[order[j]!]!.level >= level) j++;
      order.splice(i, j - i, ...order.slice(i, j).reverse());
      i = j;
    }
  }
  return order.map((i) => runs[i]!);
}

export interface ShapedGlyph {
  face: Face;
  gid: number;
  /** From the line origin, offsets applied, in 1/1000 em. */
  x: number;
  y: number;
  /** The Unicode this glyph carries in ToUnicode: its whole cluster, or '' for the cluster's other glyphs. */
  text: string;
  /** Width written to /W (1/1000 em, 3 decimals): the cluster's advance for the carrier, else 0. */
  pdfWidth: number;
  /** The glyph belongs to a right-to-left run. */
  rtl: boolean;
}

/** The text of a wrapped line's paragraph before and after it (the spaces it broke at included). */
export interface LineContext { before: string; after: string }

/** `flat`: in a language whose face steps its letters off the baseline (Urdu's Nastaliq), the script's usual face (Naskh) instead. */
export interface TextOptions { weight?: Weight; lang?: string | undefined; rtl?: boolean; context?: LineContext | undefined; flat?: boolean }

export interface ShapedLine { glyphs: readonly ShapedGlyph[]; width: number }

/** A line's key in the caches below: every part in its own slot (text may hold any separator a key could use). */
const lineKey = (text: string, opts: TextOptions) =>
  JSON.stringify([opts.weight ?? 'regular', opts.lang ?? '', opts.rtl ?? null, opts.context?.before ?? null, opts.context?.after ?? null, opts.flat === true, text]);

/**
 * Shaped lines by text and options: labels, boilerplate and party names recur across certificates.
 * Within a budget of glyphs (not of entries: a line of a thousand broken clusters weighs a
 * thousand times one of a single word).
 */
const shaped = new BoundedCache<string, ShapedLine>(400_000, (_, line) => line.glyphs.length);

/** Shapes one line: glyphs in visual (left-to-right drawing) order. Results are shared: never mutate them. */
export function shapeLine(text: string, opts: TextOptions = {}): ShapedLine {
  return shaped.get(lineKey(text, opts), () => shapeUncached(text, opts));
}

/**
 * Lines' advance widths (1/1000 em) by text and options, apart from the shaped lines: a layout
 * measures far more lines than it draws (every line a wrap tries, at every size and width tried:
 * some 13,000 lines, 3 MB of keys and entries, for 50 parties with every text at its longest),
 * and a width needs no glyph records. Within a budget of bytes: a key's two per character, and
 * about 64 for its entry and number.
 */
const widths = new BoundedCache<string, number>(8_000_000, (key) => 2 * key.length + 64);

/** The advance width of one line, in 1/1000 em: shapeLine(text, opts).width, without the glyphs. */
function lineWidth(text: string, opts: TextOptions): number {
  return widths.get(lineKey(text, opts), () => {
    let pen = 0;
    // The pen moves as in shapeUncached, glyph after glyph in the same order: the same sum to the last bit.
    shapeRuns(text, opts, (run, buf) => {
      const k = 1000 / run.face.upem;
      for (const g of buf.getGlyphPositions()) pen += g.xAdvance * k;
    });
    return pen;
  });
}

/**
 * The language HarfBuzz is told: language, script and region subtags only. Variants, extensions
 * and private use select nothing in these fonts, and HarfBuzz keeps state for every tag it sees,
 * for good: 3,000 made-up tags (ar-x-00000001, ...) slowed every later line eightfold.
 */
export const shapingLanguage = (tag: string) => /^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|\d{3}))?(?=-|$)/.exec(tag)?.[0];

/** One HarfBuzz buffer, reset for every run: a buffer is freed only by a finalizer, which no synchronous render lets run (2 GB of WASM memory). */
let buffer: hb.Buffer | undefined;

/**
 * Space separators no bundled font has (U+1680 OGHAM SPACE MARK) are set as U+0020, not as an
 * empty box; their text stays as written. One UTF-16 unit for one, so offsets still match.
 */
const drawableSpaces = (text: string, weight: Weight) =>
  text.replace(/(?! )\p{Zs}/gu, (ch) => {
    const cp = ch.codePointAt(0)!;
    // The faces already loaded first: the search through FONTS loads every face it passes.
    const drawable = [...faces.values()].some((f) => f.cmap.has(cp)) || FONTS.some(({ key }) => face(key, weight).cmap.has(cp));
    return drawable ? ch : ' ';
  });

/**
 * Shapes `original`'s runs with HarfBuzz, in visual order, handing `take` each run with the
 * buffer that holds its glyphs (until the next run). Positions and glyphs are best read apart:
 * harfbuzzjs's getGlyphInfosAndPositions defines four hidden properties on every glyph's object,
 * and took longer than the shaping itself.
 */
function shapeRuns(original: string, opts: TextOptions, take: (run: Run, shaped: hb.Buffer) => void): void {
  const text = drawableSpaces(original, opts.weight ?? 'regular');
  for (const run of reorder(itemize(text, opts.weight ?? 'regular', opts.rtl, opts.context, opts.lang, opts.flat))) {
    const buf = (buffer ??= new hb.Buffer());
    buf.reset();
    // The whole string plus an item range gives HarfBuzz the context on both sides, and
    // clusters come back as UTF-16 indices into `text`.
    buf.addText(text, run.start, run.end - run.start);
    buf.setDirection(run.level % 2 === 1 ? hb.Direction.RTL : hb.Direction.LTR);
    buf.setScript(run.script);
    const language = opts.lang && shapingLanguage(opts.lang);
    if (language) buf.setLanguage(language);
    hb.shape(run.face.hbFont, buf);
    take(run, buf);
  }
}

function shapeUncached(original: string, opts: TextOptions): ShapedLine {
  const glyphs: ShapedGlyph[] = [];
  let pen = 0;
  shapeRuns(original, opts, (run, buf) => {
    const positions = buf.getGlyphPositions();
    const out = buf.getGlyphInfos().map((info, i) => ({ ...info, ...positions[i]! }));
    const k = 1000 / run.face.upem;
    // Each cluster's text goes on ONE glyph (the first spacing glyph on the pen position) whose
    // PDF width is the whole cluster's advance: extractors then see one box per cluster, abutting
    // its neighbours, and neither split words nor drop text.
    const clusters = new Map<number, number[]>();
    out.forEach((g, i) => clusters.set(g.cluster, [...(clusters.get(g.cluster) ?? []), i]));
    const bounds = [...clusters.keys(), run.end].sort((a, b) => a - b);
    const carrier = new Map<number, [string, number]>();
    const rtl = run.level % 2 === 1;
    for (const [c, members] of clusters) {
      // The carrier: a spacing glyph, best one HarfBuzz left in place; one on the baseline (a kerned
      // Arabic letter) before a mark above or below it, which extractors would read as another word.
      const spacing = members.filter((i) => out[i]!.xAdvance! > 0);
      const on = spacing.find((i) => !out[i]!.xOffset && !out[i]!.yOffset) ?? spacing.find((i) => !out[i]!.yOffset) ?? spacing[0] ?? members[0]!;
      const chars = original.slice(c, bounds[bounds.indexOf(c) + 1]); // as written: a replaced space still copies as itself
      // Extractors turn right-to-left text into logical order by reversing the characters they read
      // left to right, a cluster's characters among them: a cluster of several characters (a Thaana
      // consonant and its vowel sign, an Arabic letter and its harakat) is mapped in reverse, so it
      // comes out in order.
      // Its /W width is rounded to what the PDF writes (3 decimals), so the pen follows the same value.
      const w = members.reduce((sum, i) => sum + out[i]!.xAdvance!, 0) * k;
      carrier.set(on, [rtl ? [...chars].reverse().join('') : chars, Math.round(w * 1000) / 1000]);
    }
    out.forEach((g, i) => {
      const [t, w] = carrier.get(i) ?? ['', 0];
      glyphs.push({ face: run.face, gid: g.codepoint, x: pen + g.xOffset * k, y: g.yOffset * k, text: t, pdfWidth: w, rtl });
      pen += g.xAdvance * k;
    });
  });
  return { glyphs, width: pen };
}

/** Advance width of `text` at `size` points. */
export function measure(text: string, size: number, opts: TextOptions = {}): number {
  return (lineWidth(text, opts) * size) / 1000;
}

/**
 * How far `text`'s ink reaches above and below the baseline at `size` points (both >= 0), marks
 * where HarfBuzz placed them included: stacked Arabic harakat and Myanmar medials reach well past
 * the font's usual line.
 */
export function inkExtent(text: string, size: number, opts: TextOptions = {}): { above: number; below: number } {
  const line = shapeLine(text, opts);
  let ink = inks.get(line);
  if (!ink) {
    ink = { above: 0, below: 0 };
    for (const g of line.glyphs) {
      const range = g.face.tt.glyphYRange(g.gid);
      if (!range) continue;
      const k = 1000 / g.face.upem;
      ink.above = Math.max(ink.above, g.y + range[1] * k);
      ink.below = Math.max(ink.below, -(g.y + range[0] * k));
    }
    inks.set(line, ink);
  }
  return { above: (ink.above * size) / 1000, below: (ink.below * size) / 1000 };
}

/** Ink extents of shaped lines, in 1/1000 em: computed once per line, like the shaping itself. */
const inks = new WeakMap<ShapedLine, { above: number; below: number }>();

/**
 * Where each of `text`'s wrapped lines sits in it, for shaping the line with its paragraph's bidi
 * levels; nothing for a text on one line, which is its own paragraph.
 */
export function contextsOf(text: string, lines: readonly string[], rtl = false): (LineContext | undefined)[] {
  // Without a right-to-left letter or an Arabic number, every level is 0 whatever surrounds a line:
  // the context would change nothing, and would make wrap()'s shaped lines miss the cache.
  if (lines.length < 2 || (!rtl && !mayRunRightToLeft(text))) return lines.map(() => undefined);
  let from = 0;
  return lines.map((line) => {
    const at = text.indexOf(line, from);
    if (at < 0) return undefined;
    from = at + line.length;
    return { before: text.slice(0, at), after: text.slice(from) };
  });
}

/** Spaces a line may break at: every space separator but the no-break ones (U+00A0, U+2007, U+202F). */
const BREAKING_SPACE_RUN = /([ \u1680\u2000-\u2006\u2008-\u200A\u205F\u3000]+)/;

/**
 * Whether `text` at `size` almost surely wraps onto more than `most` lines of `maxWidth`: even its
 * whole width, less all that `most - 1` breaks could drop (a run of spaces each, at most an em a
 * space), and with a margin for kerning, is wider than `most` lines. Not a strict bound: a line on
 * its own may take narrower fonts than the whole text (neutrals after Han text), and a grapheme
 * wider than the line overflows it; callers check the size before the one it lets them start at.
 */
export function surelyMoreLines(text: string, size: number, maxWidth: number, most: number, opts: TextOptions = {}): boolean {
  if (!Number.isFinite(most)) return false;
  const longestBreak = Math.max(0, ...text.split(BREAKING_SPACE_RUN).filter((_, i) => i % 2 === 1).map((run) => [...run].length));
  return measure(text, size, opts) - (most - 1) * longestBreak * size > 1.01 * most * maxWidth;
}

/**
 * Where a line may not break between graphemes (East Asian line breaking, UAX #14 classes CL, CP,
 * EX, IS, NS and OP): not before closing punctuation, a comma or stop, or a small kana or
 * iteration mark (a line must not start "，和…"), nor after opening punctuation (nor end "（");
 * nor before Khmer's and Myanmar's stops and commas (។ ៕ ။ ၊, class BA) or Thai's repetition and
 * abbreviation marks (ๆ ฯ), Devanagari's dandas (। ॥) or Arabic's comma and stops (، ؛ ؟ ۔); nor on
 * either side of a no-break space (a word split for want of room is not split there, which would
 * start or end a line with the space), nor before a breaking space held between two words (see
 * breakableParts).
 */
const NO_LINE_START = /^[\p{Pe}\p{Pf}·\-\u2010/，。、；：？！．,.;:!?‼⁇⁈⁉…‥・ー々〻ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ។៕။၊ฯๆ।॥،؛؟۔\u00A0\u2007\u202F \u1680\u2000-\u2006\u2008-\u200A\u205F\u3000]/u;
const NO_LINE_END = /[\p{Ps}\p{Pi}\u00A0\u2007\u202F]$/u;
const mayBreakBetween = (before: string, after: string) => {
  if (!punctuationAllows(before, after)) return false;
  const [last, first] = [/(\P{M})\p{M}*$/u.exec(before)?.[1], String.fromCodePoint(after.codePointAt(0) ?? 0x20)];
  return !inOneWord(last, first) && !(NUMBER_START.test(before) && /\p{N}/u.test(first)) && !(INFIX_SEPARATED.test(before) && spacedWordCharacter(first));
};
/**
 * What punctuation alone allows: where a word wider than its line breaks when it holds no break its
 * letters allow. Not after an opening bracket, even one a space follows (LB14: "有限公司（ / 北京）"),
 * nor inside a dash of two em dashes ("——", LB17).
 */
const punctuationAllows = (before: string, after: string) =>
  !NO_LINE_START.test(after) && !NO_LINE_END.test(before.replace(/[ \u3000]+$/u, '').slice(-2)) && !(before.endsWith('—') && after.startsWith('—'));

/**
 * Letters and digits of scripts written with spaces hold together where text breaks between
 * characters (UAX #14 LB23-LB28): "2024" and "SCO" in a Chinese title stay whole. Each side's base
 * letter decides (marks go with it). So does a number's separator between digits (LB25: "12,500").
 */
const inOneWord = (last: string | undefined, first: string) =>
  (spacedWordCharacter(last) && spacedWordCharacter(first)) || (DIGIT.test(last ?? '') && DIGIT.test(first)); // digits of any script (២០២៤)
const spacedWordCharacter = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch) && !BREAKS_WITHOUT_SPACES.test(ch);
const DIGIT = /\p{Nd}/u;
/**
 * What a number's next digit holds to: a separator between digits (LB25: "12,500"), a currency
 * sign, a plus or a hyphen before it ("¥100", "+49", "2024-08-22").
 */
const NUMBER_START = /\p{N}\p{M}*[.,:\u060C\u066B\u066C]$|[\p{Sc}+\-]$/u;
/** A stop, comma, colon or semicolon right after a letter holds to the letter after it (LB29: "e.V.", "www.example.org"). */
const INFIX_SEPARATED = /[\p{L}\p{N}]\p{M}*[.,:;]$/u;

/** Spaces at either end of a line: breaking ones, and no-break ones where a line too narrow for their words had to break at one. */
const EDGE_SPACES = /^\p{Zs}+|\p{Zs}+$/gu;

/**
 * What may not start a line even after a space (UAX #14 LB13: closing brackets and punctuation,
 * stops, commas, ! and ?; and as Thai writes "ต่าง ๆ" and Khmer, Myanmar and Devanagari set a stop
 * after a space, those marks), and what may not end one before a space (LB14: an opening bracket).
 */
const NO_START_AFTER_SPACE = /^[\p{Pe}/，。、；：？！．,.;:!?‼⁇⁈⁉។៕။၊ฯๆ।॥،؛؟۔]/u;
const NO_END_BEFORE_SPACE = /\p{Ps}$/u;
/**
 * Quotation marks set off by spaces hold to the words they enclose (as French sets « guillemets »),
 * more loosely than the punctuation above: a final one that closes, one a space, punctuation or the
 * end follows (LB15b), does not start a line; a word that is an initial one, or one after a bracket
 * or another quotation mark, opening (LB15a), does not end one. Not one that opens or closes a word:
 * a line may start "’s-Hertogenbosch" or "»Freunde«".
 */
const CLOSING_QUOTE = /^\p{Pf}(?:\p{P}|$)/u;
const OPENING_QUOTE = /^\p{Pi}$|[\p{Ps}\p{Pi}]\p{Pi}$/u;

/** Whether the word `after` a space holds to the word `before` it: by punctuation (LB13, LB14), and by quotation marks too unless `loose`. */
const heldTo = (before: string, after: string, loose = false) =>
  NO_START_AFTER_SPACE.test(after) || NO_END_BEFORE_SPACE.test(before.slice(-2)) || (!loose && (CLOSING_QUOTE.test(after) || OPENING_QUOTE.test(before)));

/**
 * Scripts written without spaces between words (UAX #14 class SA): Thai, Lao, Khmer, Myanmar and
 * the Tai scripts. A line breaks in them between words, which only a dictionary finds (ICU's, through
 * Intl.Segmenter); between graphemes only within a word wider than the line.
 */
const WORDS_UNSPACED = /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tai_Tham}\p{Script=New_Tai_Lue}\p{Script=Tai_Viet}]/u;
/** Scripts a line breaks in between words without a space (or between any two characters): Han and kana, Yi, and those of WORDS_UNSPACED. */
const BREAKS_WITHOUT_SPACES = new RegExp(`[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Bopomofo}\\p{Script=Yi}]|${WORDS_UNSPACED.source}`, 'u');

/**
 * `word` segmented by `granularity` for `lang`, remembered: a wrap is tried at many widths and sizes
 * (see balancedWrap, shrinkToFit), and a segmenter, a dictionary's above all, is slow to make and run.
 */
function segments(word: string, lang: string | undefined, granularity: 'grapheme' | 'word'): readonly string[] {
  const key = `${granularity} ${lang ?? ''}\u0000${word}`;
  let found = segmented.get(key);
  if (!found) {
    const segmenterKey = `${granularity} ${lang ?? ''}`;
    let segmenter = segmenters.get(segmenterKey);
    if (!segmenter) {
      if (segmenters.size >= 64) segmenters.clear(); // as many as names' languages: a few
      segmenters.set(segmenterKey, (segmenter = new Intl.Segmenter(lang, { granularity })));
    }
    found = [...segmenter.segment(word)].map((s) => s.segment);
    if (segmented.size >= 1024) segmented.clear();
    segmented.set(key, found);
  }
  return found;
}
const segmenters = new Map<string, Intl.Segmenter>();
const segmented = new Map<string, readonly string[]>();

/**
 * `word` (split at breaking spaces, but for those holding two words together: see breakableParts)
 * in a script without spaces (see WORDS_UNSPACED) as the words a line may break between: those the
 * dictionary finds, held together across a space (which a dictionary takes for a word of its own)
 * and where a line may not break (before ។ or ๆ, say). Undefined for a word in other scripts, which
 * is one word.
 */
function dictionaryWords(word: string, lang: string | undefined): readonly string[] | undefined {
  if (!WORDS_UNSPACED.test(word)) return undefined;
  const words: string[] = [];
  for (const segment of segments(word, lang, 'word')) {
    const last = words.at(-1);
    if (last !== undefined && (/^\s/u.test(segment) || /\s$/u.test(last.slice(-1)) || !mayBreakBetween(last, segment))) words[words.length - 1] = last + segment;
    else words.push(segment);
  }
  return words;
}

/** For each of `pieces` (the graphemes of `word`, in order), whether a word starts with it; undefined when every grapheme boundary may be a break. */
function wordStarts(word: string, pieces: readonly string[], lang: string | undefined): boolean[] | undefined {
  const words = dictionaryWords(word, lang);
  if (!words) return undefined;
  const starts = new Set<number>();
  let at = 0;
  for (const w of words) {
    starts.add(at);
    at += w.length;
  }
  at = 0;
  return pieces.map((piece) => {
    const start = starts.has(at);
    at += piece.length;
    return start;
  });
}

/** Where a compound breaks: after each of its hyphens and dashes. */
const AFTER_HYPHEN = /(?<=[-\u2010\u2013\u2014])/u;

/** Spaces that words are held together across (breaking ones, in a held group: see breakableParts). */
const ANY_SPACE_RUN = /([ \u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+)/;

/**
 * A word held together across spaces (no-break ones, or breaking ones: see breakableParts), split at
 * them as `text.split(BREAKING_SPACE_RUN)` splits (words at even indices), for a line too narrow for
 * it whole; undefined for one without such a space, or in a script that breaks without spaces. One
 * held by quotation marks breaks first where only they hold it, keeping what punctuation holds
 * ("« Transports / » :", not "« Transports » / :"); split again if a part is still too wide.
 */
const heldApart = (word: string): string[] | undefined => {
  if (!ANY_SPACE_RUN.test(word) || BREAKS_WITHOUT_SPACES.test(word)) return undefined;
  const loosely = breakableParts(word, true);
  return loosely.length > 1 ? loosely : word.split(ANY_SPACE_RUN);
};

/**
 * `text` split at its breaking spaces: words at even indices, each after the space it follows (at
 * odd ones). A word that may not start a line after a space (ๆ, ។, "!": see NO_START_AFTER_SPACE)
 * goes with the word before it, as one ending with an opening bracket goes with the next, and a
 * quotation mark set off by spaces with the word it encloses (unless `loose`: see heldTo): the space
 * between them stays, and is a break only where the two do not fit a line together (see wrap).
 */
function breakableParts(text: string, loose = false): string[] {
  const parts: string[] = [];
  for (const [i, part] of text.split(BREAKING_SPACE_RUN).entries()) {
    const before = parts.at(-2);
    const glued = i % 2 === 0 && i >= 2 && part && before && heldTo(before, part, loose);
    if (glued) parts.splice(-2, 2, `${before}${parts.at(-1)}${part}`);
    else parts.push(part);
  }
  return parts;
}

/**
 * Greedy wrap at spaces (a no-break space holds its words together); within a line, words keep the
 * spaces written between them (an ideographic space stays one), and a break drops them. A word
 * wider than maxWidth (CJK, or a long name in a script without spaces) breaks between graphemes (in
 * Thai, Lao, Khmer or Myanmar between the dictionary's words where one fits, starting on the line
 * before it: see WORDS_UNSPACED), never before a mark (a Myanmar or Lao vowel sign would start the
 * next line on a dotted circle), nor where East Asian punctuation forbids (above); each break is
 * found by bisection, so a long word costs a few measurements per line, not one per grapheme.
 */
export function wrap(text: string, size: number, maxWidth: number, opts: TextOptions = {}): string[] {
  const lines: string[] = [];
  // No line starts or ends with a space: a no-break one next to a breaking one at a break ("a \u00A0word") goes too.
  const push = (l: string) => { const trimmed = l.replace(EDGE_SPACES, ''); if (trimmed) lines.push(trimmed); };
  let line = '';
  const fits = (t: string) => measure(t, size, opts) <= maxWidth;
  // Words at even indices, each after the space it follows (at odd ones): kept as written within a line.
  const parts = breakableParts(text);
  for (let i = 0; i < parts.length; i += 2) {
    const word = parts[i]!;
    if (!word) {
      // An empty word (a group held apart at a space that began it): the spaces around it stay one, and none is lost.
      if (i + 1 < parts.length) parts[i + 1] = `${parts[i - 1] ?? ''}${parts[i + 1]}`;
      continue;
    }
    const candidate = line ? `${line}${parts[i - 1]}${word}` : word;
    if (fits(candidate)) { line = candidate; continue; }
    if (fits(word)) {
      push(line);
      line = word;
      continue;
    }
    // Words held together at a space, a no-break one or one held (see breakableParts), that do not
    // fit a line together break at that space after all, rather than inside one of them ("Jean-Pierre
    // / Dupont-Martin"), unless their script breaks between words without one (Han, Thai: "数字经 / 济 。").
    const held = heldApart(word);
    if (held) {
      parts.splice(i, 1, ...held);
      i -= 2;
      continue;
    }
    // Break points: grapheme boundaries that do not fall before a mark.
    const pieces: string[] = [];
    for (const segment of segments(word, opts.lang, 'grapheme')) {
      if (pieces.length > 0 && /^\p{M}/u.test(segment)) pieces[pieces.length - 1] += segment;
      else pieces.push(segment);
    }
    const words = wordStarts(word, pieces, opts.lang);
    const breaksAnywhere = BREAKS_WITHOUT_SPACES.test(word);
    const before = (at: number) => (pieces[at - 2] === undefined ? pieces[at - 1]! : pieces[at - 2] + pieces[at - 1]!);
    const mayBreakBefore = (at: number) => mayBreakBetween(before(at), pieces[at]!);
    const wordBreak = (at: number) => words![at]! && mayBreakBefore(at);
    let from = 0;
    if (line) {
      // In a script without spaces, the first words of one wider than a line finish the line before it, as far as they fit.
      const lead = `${line}${parts[i - 1]}`;
      // In Han or kana, where a line may break between any two characters, as far as they fit too.
      const breaks = pieces.map((_, at) => at).filter((at) => at > 0 && (words ? wordBreak(at) : breaksAnywhere && mayBreakBefore(at)));
      let [lo, hi] = [0, breaks.length]; // how many of those breaks' words fit after `lead`
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits(lead + pieces.slice(0, breaks[mid - 1]).join(''))) lo = mid;
        else hi = mid - 1;
      }
      from = lo > 0 ? breaks[lo - 1]! : 0;
      push(from > 0 ? lead + pieces.slice(0, from).join('') : line);
      line = '';
    }
    while (from < pieces.length) {
      // The most pieces from `from` that fit (at least one, so that every line makes progress): a
      // line's worth found by doubling, then by bisection, so a long word is not measured whole per line.
      let lo = from + 1;
      let hi = pieces.length;
      for (let step = 2; lo < hi; step *= 2) {
        const probe = Math.min(hi, from + step);
        if (!fits(pieces.slice(from, probe).join(''))) { hi = probe - 1; break; }
        lo = probe;
      }
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits(pieces.slice(from, mid).join(''))) lo = mid;
        else hi = mid - 1;
      }
      // In a script without spaces, back to the last word that starts on this line, if one does after its first.
      let between = lo;
      if (words && between < pieces.length) {
        while (between > from + 1 && !wordBreak(between)) between -= 1;
        if (wordBreak(between)) lo = between;
      }
      // Else back to where the line may break, where what it moves to the next line then fits there
      // whole: before a number or a word of a spaced script ("2024" in Chinese), after a hyphen or
      // dash ("2024– / 2025"). Else (what would move is wider than a line anyway) where punctuation
      // allows, filling the line and moving a character or two to the next ("Württember / g-…",
      // never "Württemberg / -International").
      const movesWhole = (at: number) => {
        let end = at + 1;
        while (end < pieces.length && !mayBreakBefore(end)) end += 1;
        return fits(pieces.slice(at, end).join(''));
      };
      for (const [allows, enough] of [[mayBreakBefore, movesWhole], [(at: number) => punctuationAllows(before(at), pieces[at]!), () => true]] as const) {
        let at = lo;
        while (at < pieces.length && at > from + 1 && !allows(at)) at -= 1;
        if (at < pieces.length && allows(at) && enough(at)) { lo = at; break; }
      }
      // A shorter piece of a joining script can be wider (a letter cut off takes its wider final form): it must fit too.
      while (lo < pieces.length && lo > from + 1 && !fits(pieces.slice(from, lo).join(''))) lo -= 1;
      // A space a line still breaks at (one held between two words, see breakableParts, or a no-break one in too narrow a line) goes, as any space at a break.
      const part = pieces.slice(from, lo).join('');
      if (lo < pieces.length) push(part); else line = part.replace(EDGE_SPACES, '');
      from = lo;
    }
  }
  push(line);
  return lines;
}

/**
 * `text` on as many lines as `wrap` takes at `maxWidth`, but as even as they go: wrapped at the
 * narrowest width that takes no more lines (found by bisection), so that a title's last line is not
 * one word ("… Industry Forum / Platform"), nor a name's ("Islamic Republic of / Iran" is set
 * "Islamic / Republic of Iran"). Never narrower than a word that fits a line, which would break it
 * (a word wider than a line breaks as `wrap` breaks it); to half a point.
 */
export function balancedWrap(text: string, size: number, maxWidth: number, opts: TextOptions = {}, greedy = wrap(text, size, maxWidth, opts)): string[] {
  if (greedy.length < 2) return greedy;
  // From about a line's share of the text (the spaces a break drops aside), and no narrower than the
  // widest word that fits a line (a wider one breaks anyway: in Thai, say, between the words in it;
  // a compound, after its hyphens: "Nordrhein-Westfalen- / Außenwirtschaftsberatungszentrum").
  const words = breakableParts(text).filter((_, i) => i % 2 === 0)
    .flatMap((word) => (measure(word, size, opts) <= maxWidth ? [word] : dictionaryWords(word, opts.lang) ?? heldApart(word)?.filter((_, i) => i % 2 === 0) ?? word.split(AFTER_HYPHEN)))
    .map((word) => measure(word, size, opts));
  let narrow = Math.max(measure(text, size, opts) / greedy.length, ...words.filter((width) => width <= maxWidth)) - 0.01;
  let [wide, best] = [maxWidth, greedy];
  while (wide - narrow > 0.5) { // to half a point
    const width = (narrow + wide) / 2;
    const lines = wrap(text, size, width, opts);
    if (lines.length <= greedy.length) [wide, best] = [width, lines];
    else narrow = width;
  }
  return best;
}

/** Sizes from `size` down by 10% a step, as far as `floor` (which is the last), or for 200 steps (type far below a point). */
export function shrinking(size: number, floor: number): number[] {
  const sizes = [size];
  while (sizes.length < 200 && sizes.at(-1)! > floor) sizes.push(Math.max(floor, sizes.at(-1)! * 0.9));
  return sizes;
}

/**
 * `text` wrapped at the first of `sizes` (largest first) that takes at most `most` lines, or at the
 * last. Sizes that surely take more (see surelyMoreLines) are passed over without a wrap; that rule
 * bounds most texts but not all (a line on its own may take narrower fonts than the whole text),
 * so from the first size tried it steps back up while the larger size fits too. Where fitting is
 * monotonic in size, this ends where trying every size in turn would; a text of the widest
 * characters is spared forty wraps.
 */
export function shrinkToFit(text: string, sizes: number[], width: number, most: number, style: TextOptions): { size: number; lines: string[] } {
  const wrapAt = (i: number) => wrap(text, sizes[i]!, width, style);
  let i = 0;
  while (i < sizes.length - 1 && surelyMoreLines(text, sizes[i]!, width, most, style)) i++;
  let lines = wrapAt(i);
  if (lines.length <= most) {
    for (let up = i - 1; up >= 0; up--) {
      const larger = wrapAt(up);
      if (larger.length > most) break;
      [i, lines] = [up, larger];
    }
  } else {
    while (lines.length > most && i < sizes.length - 1) lines = wrapAt(++i);
  }
  return { size: sizes[i]!, lines };
}
