/**
 * The web edge's HTML pages, for people in a browser rather than API clients: the verification
 * result as a small self-contained page (for people who scan the QR code), the upload form, the page
 * for an incomplete link, and the problem page a browser gets instead of problem+json (functions/meta
 * gives it for what no route matches, too). HTML for the web edge, not certificate rendering: it
 * takes only the certificate's wording and size limit from shared/certificate.
 */
import { writtenRightToLeft } from '#shared/domain/formats.ts';
import type { GenuineVerification, Verification } from '#shared/domain/schemas.ts';
import { MAX_CERTIFICATE_BYTES } from '#shared/certificate/signature.ts';
import { ceremonyDays, ceremonyName, formatDay, formatSigningTime, MONTHS, venueLine } from '#shared/certificate/wording.ts';
import type { ErrorPage } from './handler.ts';
import { prefersChinese } from './request.ts';

/**
 * The pages load nothing and run nothing, and no other site may frame them (to dress up a
 * verdict). The upload page's form may post to the registry itself, and nowhere else. Names,
 * ceremonies and cities sit in <bdi>: a right-to-left one does not reorder the separators beside it.
 */
const policy = (formAction: string) => ({
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action ${formAction}; frame-ancestors 'none'`,
  // A link's page has its signature in its address: it goes nowhere else in a Referer.
  'referrer-policy': 'no-referrer',
});
export const PAGE_HEADERS = policy("'none'");
export const FORM_PAGE_HEADERS = policy("'self'");

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Dates, times and version numbers in a page's own wording, kept on one line while they fit one: on
 * a phone, Chinese broke "2021年8月 / 23日" and "第1 / 版", English "23 / August 2021". English ones
 * get no-break spaces, Chinese ones a span that keeps its characters together (keep-all); in enlarged
 * text on a narrow screen, either still breaks rather than run off it (overflow-wrap:anywhere, not nowrap).
 */
const KEPT_TOGETHER = new RegExp([
  '-?\\d{4}年\\d{1,2}月\\d{1,2}日(?:至(?:-?\\d{4}年)?(?:\\d{1,2}月)?\\d{1,2}日)?(?: \\d{2}:\\d{2})?', '第\\d+版(?:，共\\d+版)?',
  `(?<!\\d)\\d{1,2}(?:–\\d{1,2})? (?:${MONTHS.join('|')})(?: -?\\d{4})?(?:, \\d{2}:\\d{2})?`, '[Vv]ersion \\d+(?: of \\d+)?',
].join('|'), 'g');
/** No break at a space, nor after a comma (a word joiner): keep-all alone still broke "…23日 / 14:30" and "第1版， / 共12版". */
const keptTogether = (html: string) =>
  html.replace(KEPT_TOGETHER, (phrase) => {
    const unbroken = phrase.replace(/ /g, '\u00A0');
    return /\p{Script=Han}/u.test(phrase) ? `<span class="together">${unbroken.replace(/，/g, '，\u2060')}</span>` : unbroken;
  });

/** How a verdict looks: its headline in English and Chinese, and a mark and colours that tell it apart without colour too. */
interface Look { en: string; zh: string; mark: string; colour: string; tint: string }

const LOOK: Record<Verification['status'], Look> = {
  valid: { en: 'Valid certificate', zh: '证书真实有效', mark: '✓', colour: '#1b6e3a', tint: '#e6f3ea' },
  superseded: { en: 'Out of date: a newer version exists', zh: '证书非现行版本：协议已修订', mark: '!', colour: '#7a5000', tint: '#fbf1dc' },
  voided: { en: 'Voided agreement', zh: '协议已作废', mark: '⊘', colour: '#464d5e', tint: '#eceef3' },
  invalid: { en: 'Not verified', zh: '证书核验未通过', mark: '✕', colour: '#a11a1a', tint: '#fbe9e9' },
};
/** Nothing was judged (an incomplete address, a refused request, a file that is no PDF): information, not a verdict. */
const INFO = { mark: 'i', colour: '#1a4080', tint: '#e8eef7' };

/** What a reader should do next, in English and Chinese; `file`: the answer to an uploaded file, whose every byte was checked. */
function advice(v: Verification, file: boolean): [string, string] {
  switch (v.status) {
    case 'valid': {
      if (file) return ['Every word in this file is as the registry issued it.', '此文件内容与登记系统签发时完全一致，未经任何改动。'];
      const [corrected, correctedZh] = v.agreement.ceremony?.correctedAt
        ? [' (the ceremony\'s may differ if the certificate was downloaded before they were corrected: see below)', '（如证书下载于仪式信息更正之前，仪式信息可能不同，见下文）']
        : ['', ''];
      return [
        `Compare the details below with the certificate in front of you${corrected}. The value, the signatories and the other terms are not shown here: to check every word, upload the certificate's PDF file.`,
        `请将以下信息与您所持证书核对${correctedZh}。协议金额、签署人等其他内容不在此显示；如需核验全部内容，请上传证书的 PDF 文件。`,
      ];
    }
    case 'superseded': {
      const [en, zh] = onSigningClock(v.supersededAt, v);
      const next = v.version + 1;
      return [
        `This certificate describes version ${v.version}. Version ${next} replaced it on ${en}. Ask the parties or the registry for the certificate of version ${v.currentVersion}, which is current.`,
        `此证书对应第${v.version}版。本版已于${zh}被第${next}版取代。请向签约方或登记机构索取现行第${v.currentVersion}版证书。`,
      ];
    }
    case 'voided': {
      const [en, zh] = onSigningClock(v.voidedAt, v);
      return [`The agreement was voided on ${en}: do not rely on this certificate.`, `该协议已于${zh}作废，请勿以此证书为依据。`]; // the verdict's detail says it is no longer in force
    }
    // A file cut short, or with blank bytes added, is not verified either (a forger may cut one too), but one downloaded again may be.
    case 'invalid': if (file && v.reason === 'padded') {
      return ['Download the certificate again from where you had it, and check the new copy; or check it with its QR code.', '请从原处重新下载证书，并核验重新下载的文件；或扫描证书上的二维码核验。'];
    }
    if (file && v.reason === 'incomplete') {
      return ['Do not rely on this file as it is. If it is a certificate you downloaded, download it again from where you had it, and check the new copy.', '请勿以此文件现有内容为依据。如为您下载的证书，请从原处重新下载，并核验重新下载的文件。'];
    }
    return file
      ? ['Do not rely on this document as a certificate. If someone gave it to you as one, ask the registry that should have issued it.', '请勿将此文件作为证书使用。如有人将其作为证书提供给您，请向应签发该证书的登记机构核实。']
      // A link's verdict already tells a typist what to check (the printed address, the QR code): the advice goes on from there.
      : [
        'If a scanned link fails too, do not rely on the document as a certificate, and ask the registry that should have issued it.',
        '如扫描二维码所得的链接也核验未通过，请勿将您所持的文件视为有效证书，并向应签发该证书的登记机构核实。',
      ];
  }
}

/** The day of `at` (a void, an amendment) on the clock the certificate prints its signing time by. */
const onSigningClock = (at: string, v: GenuineVerification) => formatDay(at, v.agreement.signedAt, v.agreement.ceremony ?? {});

/** An English and a Chinese piece (of markup) in the reader's order (see Order). */
const ordered = (en: string, zh: string, order: Order) => (order === 'zh' ? [zh, en] : [en, zh]);

/** An English and a Chinese piece of markup in the reader's order, the second marked with its language. */
const markupInOrder = (en: string, zh: string, order: Order, between = ' · ') =>
  ordered(order === 'zh' ? `<span lang="en">${keptTogether(en)}</span>` : keptTogether(en), `<span lang="zh-Hans">${keptTogether(zh)}</span>`, order).join(between);

/** An English and a Chinese text in the reader's order, the second marked with its language. */
const inOrder = (en: string, zh: string, order: Order, between = ' · ') => markupInOrder(escape(en), escape(zh), order, between);

/** The signing time as the certificate prints it: in both languages, then the clock both are on. */
const signedWhen = (...[signedAt, ceremony, order]: [...Parameters<typeof formatSigningTime>, Order]) => {
  const [en, zh, zone] = formatSigningTime(signedAt, ceremony);
  return `${inOrder(en, zh, order)} · ${escape(zone)}`;
};

/** The ceremony's days as the certificate prints them, in both languages. */
const days = (c: NonNullable<GenuineVerification['agreement']['ceremony']>, signedAt: string, order: Order) => {
  if (!c.startsAt) return '';
  const [en, zh] = ceremonyDays({ startsAt: c.startsAt, endsAt: c.endsAt, timeZone: c.timeZone }, signedAt);
  return ` · ${inOrder(en, zh, order)}`;
};

/**
 * A note that the ceremony was corrected, and when (on the clock of the page's other days): a
 * certificate issued before prints it as it was. For a file known to print it so, what it prints.
 */
const correction = (v: GenuineVerification, order: Order) => {
  const at = v.agreement.ceremony?.correctedAt;
  if (!at) return '';
  const printed = v.ceremonyAsPrinted && asPrinted(v, v.ceremonyAsPrinted, order);
  if (printed) return printed;
  const [en, zh] = onSigningClock(at, v);
  return `<br><span class="note">${inOrder(`Corrected on ${en}: a certificate downloaded before then prints the ceremony as it was.`, `仪式信息已于${zh}更正；此前下载的证书载有更正前的仪式信息。`, order)}</span>`;
};

/**
 * What a file prints of its ceremony where a later correction changed it, in the words the
 * certificate prints it in (markup); empty if none of that can be told apart here.
 */
function asPrinted(v: GenuineVerification, printed: NonNullable<GenuineVerification['ceremonyAsPrinted']>, order: Order): string {
  const changed = (...fields: (keyof typeof printed.fields)[]) => fields.some((f) => f in printed.fields);
  const now = v.agreement.ceremony!;
  const was = { ...now, ...Object.fromEntries(Object.entries(printed.fields).map(([f, value]) => [f, value ?? undefined])) };
  const quoted = (text: string) => `“<bdi dir="ltr">${escape(text)}</bdi>”`;
  const { signedAt } = v.agreement;
  const parts: [string, string][] = [];
  if (changed('venue', 'city', 'countryCode')) parts.push([`the venue as ${quoted(venueLine(was))}`, `地点为${quoted(venueLine(was))}`]);
  if (changed('title', 'event')) parts.push([`the ceremony as ${quoted(ceremonyName(was))}`, `仪式为${quoted(ceremonyName(was))}`]);
  if (changed('startsAt', 'endsAt', 'timeZone') && was.startsAt && now.startsAt) {
    const daysOf = (c: typeof now) => ceremonyDays({ startsAt: c.startsAt!, endsAt: c.endsAt, timeZone: c.timeZone }, signedAt);
    const [wasDays, nowDays] = [daysOf(was), daysOf(now)];
    if (wasDays[0] !== nowDays[0]) parts.push([`its days as ${escape(wasDays[0])}`, `日期为${escape(wasDays[1])}`]);
    // The clock the signing time prints on (a time zone, or the offset the ceremony's times are written in).
    const [then, current] = [formatSigningTime(signedAt, was), formatSigningTime(signedAt, now)];
    if (then.join() !== current.join()) parts.push([`the signing time as ${escape(`${then[0]} · ${then[2]}`)}`, `签署时间为${escape(`${then[1]} · ${then[2]}`)}`]);
  }
  if (parts.length === 0) return '';
  const [en, zh] = onSigningClock(printed.correctedAt, v).map(escape) as [string, string];
  return `<br><span class="note">${markupInOrder(`This file prints the ceremony as it was before its correction on ${en}: ${parts.map(([p]) => p).join('; ')}. The details above are as corrected.`,
    `此文件所载为${zh}更正前的仪式信息：${parts.map(([, p]) => p).join('；')}。上方所列为更正后的信息。`, order)}</span>`;
}

/**
 * Which version the certificate is, among how many: a void is recorded as a version too, so for a
 * voided agreement the note says when it was voided rather than "1 of 2", which reads as a newer
 * one in force, or "version 2 voided it", which reads as a new version.
 */
function versionNote(v: GenuineVerification, order: Order): string {
  const [version, current] = [v.version, v.currentVersion];
  if (v.status !== 'voided') return inOrder(`version ${version} of ${current}`, `第${version}版，共${current}版`, order);
  if (version === current) return inOrder(`version ${version}, the record of the void`, `第${version}版，为作废记录`, order);
  const [en, zh] = onSigningClock(v.voidedAt, v);
  return inOrder(`version ${version}; the agreement was voided on ${en}`, `第${version}版；协议已于${zh}作废`, order);
}

/** Which language a page puts first: English, unless the reader's browser asks for Chinese first. */
export type Order = 'en' | 'zh';

/** The order for a request's headers (lower-cased names). */
export const pageOrder = (headers: Record<string, string | undefined>): Order => (prefersChinese(headers) ? 'zh' : 'en');

/** A line in English, then its Chinese on the next line, each marked with its language. */
type Lines = [en: string, zh?: string];

/** The public facts of a genuine certificate's agreement, to compare with the paper. */
/** Letters of the scripts written right to left. */
const RTL_LETTER = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Mandaic}\p{Script=Samaritan}\p{Script=Yezidi}]/u;

/**
 * A local name's direction where its first letter would not give it (a `<bdi>` takes that one): as
 * the certificate prints it, right to left in a language written so when it holds such a letter
 * ("IBM الشرق الأوسط" in Arabic).
 */
const localDirection = (name: string, lang: string | undefined) => (lang !== undefined && writtenRightToLeft(lang) && RTL_LETTER.test(name) ? ' dir="rtl"' : '');

function publicFacts(v: GenuineVerification, order: Order): string {
  const a = v.agreement;
  // One heading for the one title, in both languages (a heading list shows it once), the second smaller.
  const titles = ordered(escape(a.title), a.titleZh ? `<span lang="zh-Hans">${escape(a.titleZh)}</span>` : '', order).filter(Boolean);
  return `<h2>${titles.map((t, i) => (i === 0 ? t : `<br><span class="second">${t}</span>`)).join('')}</h2>
<dl><dt>${inOrder('Code', '编号', order)}</dt><dd>${escape(v.code)}${order === 'zh' ? `（${versionNote(v, order)}）` : ` (${versionNote(v, order)})`}</dd>
<dt>${inOrder('Signed', '签署时间', order)}</dt><dd>${signedWhen(a.signedAt, a.ceremony ?? {}, order)}</dd>
${a.ceremony ? `<dt>${inOrder('Venue', '地点', order)}</dt><dd><bdi dir="ltr">${escape(venueLine(a.ceremony))}</bdi></dd>
<dt>${inOrder('Ceremony', '签约仪式', order)}</dt><dd><bdi dir="ltr">${escape(ceremonyName(a.ceremony))}</bdi>${days(a.ceremony, a.signedAt, order)}${correction(v, order)}</dd>` : ''}
<dt>${inOrder('Parties', '签约方', order)}</dt><dd><ul>${a.parties.map((p) => `<li><bdi>${escape(p.name)}</bdi>${p.localName ? ` · <bdi${p.lang ? ` lang="${escape(p.lang)}"` : ''}${localDirection(p.localName, p.lang)}>${escape(p.localName)}</bdi>` : ''}</li>`).join('')}</ul></dd></dl>`;
}

/** `anotherFile`: the answer to an uploaded file, which offers to check another. */
export function verificationPage(v: Verification, anotherFile = false, order: Order = 'en'): string {
  // A file that is no PDF at all (a photo of the paper, say) was not judged: it is told what to do instead.
  if (v.status === 'invalid' && v.reason === 'not-a-pdf') {
    return page({ en: 'Not a PDF file', zh: '不是 PDF 文件', ...INFO }, [[v.detail, v.detailZh]], checkAnother(order), order);
  }
  const look = LOOK[v.status];
  const facts = v.status === 'invalid' ? '' : publicFacts(v, order);
  return page(look, [[v.detail, v.detailZh], advice(v, anotherFile)], facts + (anotherFile ? checkAnother(order) : checkFile(order)), order, v.status === 'invalid' ? undefined : v.code);
}

/** Back to the upload page: the answer to a form sits at the form's own address (`POST /verify`), so "" is `GET /verify`. */
const checkAnother = (order: Order) => nextStep('', 'Check another certificate file', '核验另一份证书文件', order);
/** From any other verification page to the upload page. */
const checkFile = (order: Order) => nextStep('/verify', 'Check a certificate\'s PDF file', '上传证书 PDF 文件进行核验', order);

/** A link to the next step (fixed text, as markup), in both languages, in the reader's order. */
function nextStep(href: string, en: string, zh: string, order: Order): string {
  return `<p class="next">${ordered(`<a href="${href}">${en}</a>`, `<a href="${href}" lang="zh-Hans">${zh}</a>`, order).join(' ')}</p>`;
}

/**
 * The page that takes a certificate file: a plain form (no script) that sends it to its own
 * address, `POST /verify`, as multipart/form-data; the answer is the verdict page.
 */
export function uploadPage(maxBytes: number, order: Order = 'en'): string {
  const mb = maxBytes / (1024 * 1024);
  const form = `<form method="post" enctype="multipart/form-data">
<p><label for="file">${inOrder(`Certificate (PDF, at most ${mb}\u00a0MB)`, `证书（PDF，不超过 ${mb}\u00a0MB）`, order)}</label><br>
<input type="file" id="file" name="file" accept="application/pdf,.pdf" required></p>
<p><button type="submit">${inOrder('Check', '核验', order)}</button></p></form>`;
  return page({ en: 'Check a certificate', zh: '核验证书', colour: INFO.colour, tint: INFO.tint }, [[
    'Choose the PDF file of a Concord certificate: the registry says whether this very file, unaltered, is a certificate it issued, and whether the agreement is still in force. The file is checked, not kept.',
    '请选择 Concord 证书的 PDF 文件：登记系统将核验该文件是否确为其签发且未经改动的证书，以及协议是否仍然有效。文件仅用于核验，不会被保存。',
  ], [
    'A certificate on paper: scan its QR code instead.',
    '如为纸质证书，请直接扫描证书上的二维码。',
  ]], form, order);
}

const MAX_MB = MAX_CERTIFICATE_BYTES / (1024 * 1024);

/** The gist of a refusal, by status, in plain words in both languages (the exact detail follows it). */
const PROBLEM_GIST: Record<number, [string, string]> = {
  400: ['What was sent could not be checked: for example, no file was chosen, the file is empty, or the address is incomplete.', '所提交的内容有误，未能核验（例如未选择文件、文件为空，或网址不完整）。'],
  413: [`The file is too large: a certificate's PDF file is at most ${MAX_MB}\u00a0MB.`, `文件过大：上传文件不得超过 ${MAX_MB}\u00a0MB。`],
  415: ['This kind of file cannot be checked: choose the certificate\'s PDF file.', '无法核验此类文件，请上传证书的 PDF 文件。'],
};

/** The registry's own page, for someone who types only its domain: what it is, and the way to check a certificate. */
export function homePage(order: Order = 'en'): string {
  return page({ en: 'Concord registry', zh: '协议登记系统', ...INFO }, [
    ['The registry of cooperation agreements signed at expo ceremonies. Each agreement it records has a certificate that anyone can check.', '本系统登记在展会签约仪式上签署的合作协议。所登记的每份协议均有证书，任何人均可核验。'],
    ['To check a certificate, scan its QR code, or upload its PDF file.', '如需核验证书，请扫描证书上的二维码，或上传证书的 PDF 文件。'],
  ], checkFile(order), order);
}

/**
 * A request the verification pages could not take (no file, a file too large, a busy registry), or
 * an address the registry has no page at (a mistyped one), for a browser.
 */
export function problemPage(status: number, detail: string, order: Order = 'en'): string {
  if (status === 404 || status === 405) {
    return page({ en: 'No page here', zh: '页面不存在', ...INFO }, [
      ['The registry has no page at this address.', '登记系统中不存在此页面。'],
      ['To check a certificate, scan its QR code, or upload its PDF file.', '如需核验证书，请扫描证书上的二维码，或上传证书的 PDF 文件。'],
    ], checkFile(order), order); // no details: which route a path lacks means nothing to a reader
  }
  const busy = status >= 500;
  const gist = PROBLEM_GIST[status] ?? (busy ? ['The registry is busy.', '登记系统暂时繁忙。'] : ['What was sent could not be checked.', '所提交的内容有误，未能核验。']);
  return page({ en: busy ? 'Nothing could be checked just now' : 'Nothing could be checked', zh: busy ? '暂时无法核验' : '无法核验', ...INFO }, [
    gist,
    busy
      ? ['Try again in a moment.', '请稍后再试。']
      : ['Choose the certificate\'s PDF file, or scan its QR code.', '请选择证书的 PDF 文件，或扫描证书上的二维码。'],
  ], details(detail, order), order);
}

/** A refusal's exact detail (English, for whoever helps), then the way on to the upload page. */
const details = (detail: string, order: Order) => `<p class="detail">${inOrder('Details', '详情（英文）', order)}${order === 'zh' ? ': ' : '：'}${escape(detail)}</p>${checkFile(order)}`;

/** A problem as a browser sees it, in the reader's language order (a function's `errorPage`). */
export const browserProblemPage: ErrorPage = (status, detail, headers) => ({ body: problemPage(status, detail, pageOrder(headers)), headers: PAGE_HEADERS });

/**
 * Why a link could not be checked: it lacks its `v=` or `sig=` part (someone typed only the code),
 * one of them holds what no printed link does (a second signature, text pasted after the link), or
 * its signature lost its end (`signatureLength` of `expected`).
 */
export type UncheckedLink = 'missing' | 'not-as-printed' | { signatureLength: number; expected: number };

/** For a link that could not be checked (see UncheckedLink): nothing could be checked, nothing is wrong with the paper. */
export function incompleteLinkPage(why: UncheckedLink, order: Order = 'en'): string {
  const [en, zh, lines] = typeof why === 'string' ? UNCHECKED[why] : cutShortLink(why);
  return page({ en, zh, ...INFO }, [lines], checkFile(order), order);
}

/** A headline in English and Chinese, and the paragraph under it. */
type Explained = [en: string, zh: string, lines: Lines];

const UNCHECKED: Record<Exclude<UncheckedLink, object>, Explained> = {
  missing: ['Incomplete address', '网址不完整', [
    'This address is incomplete: scan the QR code, or type the whole address printed under it, with its v= and sig= parts.',
    '此网址不完整：请扫描二维码，或输入二维码下方印制的完整网址（包括 v= 与 sig= 部分）。',
  ]],
  'not-as-printed': ['Address not as printed', '网址与印制网址不符', [
    'This address is not as printed under a QR code: its v= or sig= part holds something a certificate\'s link does not (a second signature, or text pasted after the link), so nothing could be checked. Scan the QR code, or type the address exactly as printed under it.',
    '此网址与二维码下方印制的网址不符：其中的 v= 或 sig= 部分含有证书链接所没有的内容（例如第二个签名，或粘贴在链接后的文字），因此无法核验。请扫描二维码，或按印制的网址逐字输入。',
  ]],
};

const cutShortLink = ({ signatureLength, expected }: Exclude<UncheckedLink, string>): Explained => ['Incomplete address', '网址不完整', [
  `This address is cut short: its signature has ${signatureLength} characters where a certificate's has ${expected}, so nothing could be checked. Scan the QR code, or type the whole address printed under it.`,
  `此网址不完整：其中的签名只有${signatureLength}个字符，证书的签名应有${expected}个字符，因此无法核验。请扫描二维码，或输入二维码下方印制的完整网址。`,
]];

/**
 * The page: the verdict as its one top heading (what a screen reader jumps to), English then
 * Chinese on lines of their own (no separator left at a line's end on a phone), each part marked
 * with its language, after a mark (✓, !, ⊘, ✕, i) that tells the verdicts apart without colour; no script, no external resource, no framing. Text is 15 px or more, and
 * what a thumb taps is at least 44 px tall.
 */
/** `code`: the certificate's, in the title too, so that tabs of several certificates checked are told apart. */
function page(look: { en: string; zh: string; mark?: string; colour: string; tint: string }, paragraphs: Lines[], facts: string, order: Order = 'en', code?: string): string {
  const { en, zh, mark, colour, tint } = look;
  // Chinese first for a reader whose browser asks for it first; English is then marked as English.
  const both = (lineEn: string, lineZh: string, between: string) => inOrder(lineEn, lineZh, order, between);
  const text = paragraphs
    .map(([lineEn, lineZh]) => `<p>${lineZh ? both(lineEn, lineZh, '<br>') : escape(lineEn)}</p>`)
    .join('\n');
  const badge = mark ? `<span class="mark" aria-hidden="true">${mark}</span> ` : '';
  return `<!doctype html><html lang="${order === 'zh' ? 'zh-Hans' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${order === 'zh' ? `${escape(zh)} · ${escape(en)}` : `${escape(en)} · ${escape(zh)}`}${code ? ` · ${escape(code)}` : ''} · Concord</title><style>body{font-family:system-ui,sans-serif;font-size:1rem;line-height:1.5;max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#1c2130;overflow-wrap:anywhere}
.status{border-left:.4rem solid ${colour};border-radius:.3rem;padding:.5rem 1rem;background:${tint}}.status h1{color:${colour};font-size:1.35rem;margin:.2rem 0}
.mark{display:inline-block;min-width:1.6rem;height:1.6rem;line-height:1.6rem;margin-right:.15rem;border-radius:50%;background:${colour};color:#fff;text-align:center;font-size:1.05rem}
h1 span[lang="zh-Hans"],bdi:is([lang|="zh"],[lang|="ja"],[lang|="ko"]),.together{word-break:keep-all}h2{font-size:1.15rem;margin:1.2rem 0 .2rem}h2 .second{font-size:.91em}dt{color:#555d6e;font-size:.95rem;margin-top:.6rem}dd{margin:0}ul{margin:.2rem 0;padding-left:1.2rem}
.note,.detail{color:#555d6e;font-size:.95rem}a{display:inline-block;padding:.625rem 0}.next{display:flex;flex-wrap:wrap;column-gap:1.5rem}input,button{font:inherit}input[type=file]{width:100%;padding:.6rem 0}::file-selector-button{min-height:2.75rem;padding:0 1rem;font:inherit}
button:focus-visible{outline-offset:2px}button{width:100%;min-height:3rem;border:2px solid transparent;border-radius:.4rem;background:#1a4080;color:#fff;font-weight:600}</style></head>
<body${order === 'zh' ? ' lang="en"' : ''}><header><p><a href="/">${inOrder('Concord registry', '协议登记系统', order)}</a></p></header>
<main><section class="status"><h1>${badge}${both(en, zh, '<br>')}</h1>${text}</section>${facts}</main></body></html>`;
}
