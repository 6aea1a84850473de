/**
 * What a certificate says, in English and Simplified Chinese: labels, dates in the ceremony's
 * time zone, and money formatted for people from its exact decimal string (never via a float).
 */
import { countryName, countryNameZh, currencyMinorUnits } from '#shared/domain/iso-codes.ts';
import { RuleViolation } from '#shared/domain/errors.ts';
import { ceremonyDayRange, dateOfDay, dayNumber, offsetLabel, signingClock, two } from '#shared/domain/time-zones.ts';
import type { Agreement, AgreementParty, Ceremony, PartyKind, PUBLIC_CEREMONY_FIELDS } from '#shared/domain/schemas.ts';

export const KIND_LABELS: Record<Agreement['kind'], [string, string]> = {
  mou: ['Memorandum of understanding', '谅解备忘录'],
  framework: ['Framework agreement', '框架协议'],
  investment: ['Investment agreement', '投资协议'],
  trade: ['Trade agreement', '贸易协议'],
  'sister-city': ['Sister-city agreement', '友好城市协议'],
  cooperation: ['Cooperation agreement', '合作协议'],
  other: ['Agreement', '协议'],
};

export const SECTOR_LABELS: Record<Agreement['sectors'][number], [string, string]> = {
  'digital-economy': ['Digital economy', '数字经济'],
  'e-commerce': ['E-commerce', '电子商务'],
  'smart-tourism': ['Smart tourism', '智慧旅游'],
  'smart-logistics': ['Smart logistics', '智慧物流'],
  'digital-channels': ['Digital channels', '数字通道'],
  'industrial-internet': ['Industrial internet', '工业互联网'],
  trade: ['Trade', '贸易'],
  investment: ['Investment', '投资'],
  culture: ['Culture', '文化'],
  education: ['Education', '教育'],
  other: ['Other', '其他'],
};

export const PARTY_KIND_LABELS: Record<PartyKind, [string, string]> = {
  state: ['State', '国家'],
  city: ['City', '城市'],
  enterprise: ['Enterprise', '企业'],
  organization: ['International organization', '国际组织'],
};

/** An organization of one country (a ministry, an agency, a chamber of commerce) is no international one. */
const NATIONAL_ORGANIZATION: [string, string] = ['Organization', '机构'];

export const STATUS_LABELS: Record<Agreement['status'], [string, string]> = {
  active: ['In force', '有效'],
  voided: ['Voided', '已作废'],
};

/**
 * The status row's label: a certificate is fixed once issued, so its status is the version's. A
 * later version, or a void, shows when the QR code is checked.
 */
export const statusLabel = (version: number): string => `Status at version ${version} 第${version}版状态`;

/**
 * Between the items of a fact (sectors, the ceremony and its days, the signing time on two clocks):
 * bound to the item before it, so that a wrapped fact never starts a line with it.
 */
const FACT_SEPARATOR = '\u00A0· ';

/**
 * The sectors, each in English and Chinese: "Digital economy 数字经济 · Trade 贸易" (not ", " after
 * Chinese), each sector's Chinese bound to its English (a wrapped line never starts with it).
 */
export const sectorsLine = (sectors: Agreement['sectors']): string => sectors.map((s) => SECTOR_LABELS[s].join('\u00A0')).join(FACT_SEPARATOR);

/** Under the status of a later version in force: the day its amendment was recorded (see formatDay). */
export const amendedNote = ([en, zh]: [string, string]): string => `Amended on ${en}  ·  本协议已于${zh}修订`;

/** Fixed labels a certificate prints (and the benchmark's HTML twin of it). */
export const LABELS = {
  registry: 'CONCORD REGISTRY  ·  协议登记系统',
  title: 'Certificate of Agreement',
  titleZh: '协议登记证书',
  kind: 'Kind 协议类型',
  signed: 'Signed 签署时间',
  venue: 'Venue 地点',
  ceremony: 'Ceremony 签约仪式',
  sectors: 'Sectors 合作领域',
  value: 'Value 协议金额',
  parties: (count: number) => `Parties and signatories 签约方及签署人（共${count}方）`,
};

/**
 * Where it was signed: the agreement's own place, the venue, the city, the country. A part that
 * is already one of the comma-separated items before it is left out: a place written as
 * "Pavilion 3, Chongqing International Expo Center" is not followed by the venue again (while
 * the city Chongqing still follows the venue whose name holds it).
 */
export function venueLine(c: Pick<Ceremony, 'venue' | 'city' | 'countryCode'>, place?: string): string {
  const fold = (s: string) => s.normalize('NFKC').toLowerCase().trim();
  const named = new Set<string>();
  const parts: string[] = [];
  for (const part of [place, c.venue, c.city, countryName(c.countryCode)]) {
    // A part of several items ("Taiwan, China") is left out when each of them is named already.
    if (!part || part.split(/[,，、]/).every((item) => named.has(fold(item)))) continue;
    parts.push(part);
    for (const item of part.split(/[,，、]/)) named.add(fold(item));
  }
  return parts.join(', ');
}

/** The ceremony's name, with the event it was part of: "… signing ceremony — Smart China Expo 2021 (SCE 2021)". */
export const ceremonyName = (c: Pick<Ceremony, 'title' | 'event'>): string => (c.event ? `${c.title} — ${c.event}` : c.title);

/** The ceremony, with the event it was part of, and its days in English and Chinese (see ceremonyDays). */
export const ceremonyLine = (c: Ceremony, signedAt: string): string => [ceremonyName(c), ...ceremonyDays(c, signedAt)].join(FACT_SEPARATOR);

/**
 * A ceremony's days on its own clock (ceremonyDayRange: the days the signing-day rule holds a
 * signing to, so that the two dates on a certificate agree). "23 August 2021",
 * "23–25 August 2021", "30 August – 2 September 2021"; in Chinese "2021年8月23日至25日".
 */
export function ceremonyDays(c: Pick<Ceremony, 'startsAt' | 'endsAt' | 'timeZone'>, signedAt: string): [string, string] {
  const [first, last] = ceremonyDayRange(c, signedAt);
  const [from, to] = [dateOfDay(first), dateOfDay(last)];
  if (first === last) return dayLabel(from);
  if (from.y !== to.y) return [`${from.d} ${MONTHS[from.m]} ${from.y} – ${to.d} ${MONTHS[to.m]} ${to.y}`, `${from.y}年${from.m + 1}月${from.d}日至${to.y}年${to.m + 1}月${to.d}日`];
  if (from.m !== to.m) return [`${from.d} ${MONTHS[from.m]} – ${to.d} ${MONTHS[to.m]} ${from.y}`, `${from.y}年${from.m + 1}月${from.d}日至${to.m + 1}月${to.d}日`];
  return [`${from.d}–${to.d} ${MONTHS[from.m]} ${from.y}`, `${from.y}年${from.m + 1}月${from.d}日至${to.d}日`];
}

const HAN_OR_KANA = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Letters of the scripts that write the Arabic comma (،): Arabic's, and Thaana's (Dhivehi) and Syriac's, which take it too. */
const ARABIC_COMMA_LETTER = /(?=\p{L})[\p{Script=Arabic}\p{Script=Thaana}\p{Script=Syriac}]/u;

/** Between the items of a signatory line: bound to the item before it, so that no line starts with it. */
const ITEM_SEPARATOR = '\u00A0\u00A0·  ';

/**
 * `items` joined by `separator` ("  ·  "), but for the spaces before its dot right after a
 * full-width closing bracket, whose own blank half takes their place: "朱华荣（董事长）·  investor",
 * not a gap twice as wide as the others.
 */
export const joinItems = (items: readonly string[], separator: string): string =>
  items.reduce((line, item, i) => (i === 0 ? item : `${line}${FULL_WIDTH_CLOSING.test(line) ? separator.trimStart() : separator}${item}`), '');
const FULL_WIDTH_CLOSING = /[）】」』〕》〉］｝〗〙〛｠]$/u;

/**
 * The line under a party's names: who signed for it (the heading says "and signatories", once for
 * every party), its role, its kind (not for a state: its name says so; an organization with a
 * country is an "Organization", not an international one), its country. `fitsOnALine`: whether a text fits on one line where the line is printed.
 */
export function partyDetail(p: AgreementParty, fitsOnALine: (text: string) => boolean = () => true): string {
  // A Chinese or Japanese name's title follows it in full-width brackets: "朱华荣（董事长）", "山田太郎（代表取締役）"
  // (after a full-width comma where the title has brackets of its own: "李明，（代）总经理", "李明，总经理(代)"); an
  // Arabic-script name and title are joined with the Arabic comma: "محمد علی، وزیر" (a Dhivehi or Syriac one too). The letters
  // that meet decide, past any bracket or digit ("（代）总经理", "۲ معاون").
  const { name, title } = p.signatory;
  const letters = (text: string) => [...text].filter((ch) => /\p{L}/u.test(ch));
  const meet = (script: RegExp) => script.test(letters(name).at(-1) ?? '') && script.test(letters(title!)[0] ?? '');
  const who = !title ? name
    : meet(HAN_OR_KANA) ? (/[（）()]/.test(title) ? `${name}，${title}` : `${name}（${title}）`)
    : `${name}${meet(ARABIC_COMMA_LETTER) ? '،' : ','} ${title}`;
  // No-break spaces keep each name of a kind or country whole when the line wraps ("Sri Lanka", not
  // "Sri" then "Lanka"), and the English name with the Chinese one, unless the two are wider than a
  // line ("South Georgia and the South Sandwich Islands 南乔治亚和南桑威奇群岛"): then it breaks between them.
  const whole = (english: string, chinese: string | undefined) => {
    const [en, zh] = [english, chinese].map((name) => name?.replace(/ /g, '\u00A0'));
    if (!zh) return en;
    return fitsOnALine(`${en}\u00A0${zh}`) ? `${en}\u00A0${zh}` : `${en} ${zh}`;
  };
  const kind = p.kind === 'state' ? undefined : whole(...(p.kind === 'organization' && p.countryCode ? NATIONAL_ORGANIZATION : PARTY_KIND_LABELS[p.kind]));
  const country = p.countryCode && whole(countryName(p.countryCode), countryNameZh(p.countryCode));
  return joinItems([who, p.role, kind, country].filter((item): item is string => Boolean(item)), ITEM_SEPARATOR);
}

/** The verdict's detail on an uploaded file that is no PDF at all (a photo of a paper certificate, say): nothing to judge. */
export const NOT_A_PDF = [
  'This file is not a PDF, so it cannot be a certificate\'s file. A paper certificate, or a photo or scan of one, is checked by scanning its QR code.',
  '此文件不是 PDF 文件，因此不是证书文件。如为纸质证书或其照片、扫描件，请扫描证书上的二维码核验。',
] as const;

/** What the registry states under the facts, in English and Chinese. */
export function issueStatement(version: number, keysUrl: string): [string, string] {
  return [
    `Concord certifies that the agreement above was signed at the ceremony shown and recorded in its registry; this certificate is for version ${version}. Scan the QR code or open the address below to check that it is genuine and still current. The keys at ${keysUrl} let anyone check its Ed25519 signature offline.`, // no full stop after the address, to be typed with it
    `Concord 协议登记系统兹证明：上述协议已在所列签约仪式上签署，并已在本系统登记。本证书所载为该协议第${version}版。请扫描二维码或访问下方网址，核验本证书是否真实、是否为现行版本。任何人均可使用 ${keysUrl} 公布的公钥，离线验证本证书的 Ed25519 数字签名。`,
  ];
}

/** "USD 12,500,000.00": grouped integer part, fraction padded to the currency's minor units. */
export function formatMoney({ amount, currency }: { amount: string; currency: string }): string {
  const [whole = '0', fraction = ''] = amount.split('.');
  const digits = currencyMinorUnits(currency) ?? fraction.length;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency} ${grouped}${digits > 0 ? `.${fraction.padEnd(digits, '0')}` : ''}`;
}

export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * The signing time as people at the ceremony saw it: in the ceremony's IANA time zone; or else
 * in the offset the signing was logged with; or, for a signing logged in UTC ("Z"), in the offset
 * of the ceremony's own start (the venue's clock: UTC would print the wrong day); else UTC.
 * English, Chinese, and the clock: its offset (and zone). Formatted by hand, not by Intl, so that a certificate stays byte-identical
 * across ICU versions.
 */
export function formatSigningTime(signedAt: string, ceremony: CeremonyClock): [en: string, zh: string, zone: string] {
  const { seconds, day: [en, zh], time } = wallClock(signedAt, ceremony);
  const offset = offsetLabel(seconds);
  // The zone's name as people read it: "America/Argentina/Buenos Aires", not its identifier's "Buenos_Aires".
  return [`${en}, ${time}`, `${zh} ${time}`, ceremony.timeZone ? `${offset} (${ceremony.timeZone.replace(/_/g, ' ')})` : offset];
}

/**
 * The signing time as a certificate prints it: English, Chinese, then the clock both are on, so
 * that a reader of either language has the zone ("23 August 2021, 14:30 · 2021年8月23日 14:30 · UTC+08:00 (Asia/Shanghai)").
 */
export const signingTimeLine = (signedAt: string, ceremony: CeremonyClock): string => formatSigningTime(signedAt, ceremony).join(FACT_SEPARATOR);

/**
 * The day of an instant after the signing (a void, an amendment) on the clock the signing time
 * prints by (see formatSigningTime): the ceremony's time zone, at that instant; else the offset
 * the signing's own time is read on (an instant logged in UTC is not read in UTC).
 * "30 November 2026", "2026年11月30日".
 */
export function formatDay(at: string, signedAt: string, ceremony: CeremonyClock): [string, string] {
  const seconds = signingClock(ceremony.timeZone ? at : signedAt, ceremony);
  return dayLabel(dateOfDay(dayNumber(at, seconds)));
}

type CeremonyClock = Parameters<typeof signingClock>[1];

function wallClock(at: string, ceremony: CeremonyClock): { seconds: number; day: [string, string]; time: string } {
  const seconds = signingClock(at, ceremony);
  const wall = new Date(Date.parse(at) + seconds * 1000);
  return { seconds, day: dayLabel(dateOfDay(dayNumber(at, seconds))), time: `${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}` };
}

/** A calendar date as certificates print it: "30 November 2026", "2026年11月30日". */
const dayLabel = ({ y, m, d }: ReturnType<typeof dateOfDay>): [string, string] => [`${d} ${MONTHS[m]} ${y}`, `${y}年${m + 1}月${d}日`];

/**
 * The most distinct characters a certificate embeds glyphs for. Real ones use a few hundred;
 * names and titles of tens of thousands of distinct Han characters take seconds to subset and
 * megabytes to embed, so they are refused before any of that work.
 */
export const MAX_DISTINCT_CHARACTERS = 8_000;

/**
 * What a certificate of `a` prints of its ceremony `c` (render.ts: heading and facts), each line
 * with the ceremony's facts it is made of: a correction of a fact changes a file only through them
 * (a start moved within its day, on the same clock, prints the same days).
 */
export const CEREMONY_LINES: { fields: readonly (typeof PUBLIC_CEREMONY_FIELDS)[number][]; line: (c: Ceremony, a: Agreement) => string }[] = [
  { fields: ['venue', 'city', 'countryCode'], line: (c, a) => venueLine(c, a.place) },
  { fields: ['title', 'event', 'startsAt', 'endsAt', 'timeZone'], line: (c, a) => ceremonyLine(c, a.signedAt) },
  // The clock of the signing time, and of the day an amendment or a void was recorded: the time
  // zone's, or (a signing logged in UTC at a ceremony without one) the offset its start and end are written in.
  { fields: ['timeZone', 'startsAt', 'endsAt'], line: (c, a) => `${signingTimeLine(a.signedAt, c)} ${formatDay(a.updatedAt, a.signedAt, c).join(' ')}` },
];

/** The free text a certificate prints of its ceremony. */
export const ceremonyText = (c: Ceremony): string => [c.title, c.event, c.venue, c.city].filter(Boolean).join('');

/** The free text a certificate of `a` prints (its fixed wording aside): what its fonts are subset for. */
export const printedText = (a: Agreement, c: Ceremony): string =>
  [a.title, a.titleZh, a.place, a.code, ...a.parties.flatMap((p) => [p.name, p.localName, p.role, p.signatory.name, p.signatory.title]), ceremonyText(c)]
    .filter(Boolean).join('');

/**
 * Refuses (422) an agreement whose certificate would print too many distinct characters; `logged`:
 * false for a signing being logged, whose code nobody has seen yet (the refusal does not name it).
 */
export const assertPrintable = (a: Agreement, c: Ceremony, logged = true): void =>
  assertFewEnoughCharacters(printedText(a, c), logged ? `The certificate of ${a.code}` : 'This signing\'s certificate');

/** `whose`: the certificate the refusal names, as its sentence starts. */
export function assertFewEnoughCharacters(printed: string, whose: string): void {
  const distinct = new Set(printed).size; // a string iterates by code point
  if (distinct <= MAX_DISTINCT_CHARACTERS) return;
  throw new RuleViolation(`${whose} would draw ${distinct} distinct characters, more than the ${MAX_DISTINCT_CHARACTERS} a certificate may embed: use fewer distinct characters in its names and titles`, [
    { path: '', message: `must use at most ${MAX_DISTINCT_CHARACTERS} distinct characters` },
  ]);
}
