/** The verification result as a small self-contained HTML page, for people who scan the QR code. */
import type { Verification } from '#shared/domain/schemas.ts';
import { ceremonyDays, formatDay, formatSigningTime } from './wording.ts';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Chinese text, marked as such (screen readers, Han glyph forms). */
const zhSpan = (text: string) => `<span lang="zh-Hans">${escape(text)}</span>`;

const LOOK: Record<Verification['status'], [string, string, string]> = {
  valid: ['Valid certificate', '证书真实有效', '#1b6e3a'],
  superseded: ['Superseded: a newer version exists', '已被新版本取代', '#8a5a00'],
  voided: ['Voided agreement', '协议已作废', '#a11a1a'],
  invalid: ['Not a genuine certificate', '证书核验未通过', '#a11a1a'],
};

/** What a reader should do next, in English and Chinese. */
function advice(v: Verification): [string, string] {
  switch (v.status) {
    case 'valid': return v.agreement?.ceremony?.correctedAt
      ? ['The details below are the registry\'s record: they should match the certificate in front of you, except the ceremony\'s details if the certificate was downloaded before they were corrected (see below).', '以下为登记系统所载信息，应与您所持证书一致；如证书下载于仪式信息更正之前，仪式信息可能不同（见下文）。']
      : ['The details below are the registry\'s record: they should match the certificate in front of you.', '以下为登记系统所载信息，应与您所持证书一致。'];
    case 'superseded': return [`This certificate describes version ${v.version}. Ask the parties or the registry for the certificate of version ${v.currentVersion}, which is current.`, `此证书对应第${v.version}版。请向签约方或登记机构索取现行第${v.currentVersion}版证书。`];
    case 'voided': {
      const [en, zh] = v.voidedAt ? formatDay(v.voidedAt, v.agreement?.ceremony ?? {}) : [];
      return en
        ? [`The agreement was voided on ${en} and is no longer in force: do not rely on this certificate.`, `该协议已于${zh}作废，不再有效，请勿以此证书为依据。`]
        : ['The agreement is no longer in force: do not rely on this certificate.', '该协议已不再有效，请勿以此证书为依据。'];
    }
    case 'invalid': return ['Do not rely on this document or link as a certificate. If someone gave it to you as one, ask the registry that should have issued it.', '请勿将此文件或链接作为证书使用。如有人将其作为证书提供给您，请向该证书声称的签发方核实。'];
  }
}

/** The ceremony's days as the certificate prints them, in both languages. */
const days = (c: NonNullable<NonNullable<Verification['agreement']>['ceremony']>, signedAt: string) => {
  if (!c.startsAt) return '';
  const [en, zh] = ceremonyDays({ startsAt: c.startsAt, endsAt: c.endsAt, timeZone: c.timeZone }, signedAt);
  return ` · ${escape(en)} · ${zhSpan(zh)}`;
};

/** A note that the ceremony was corrected, and when: a certificate issued before prints it as it was. */
const correction = (at: string | undefined) => {
  if (!at) return '';
  const [en, zh] = formatDay(at, {}); // UTC: the record's time, written in it
  return `<br><small>Corrected on ${escape(en)} (UTC): a certificate downloaded before then prints the ceremony as it was. · ${zhSpan(`仪式信息已于${zh}（UTC）更正；此前下载的证书载有更正前的仪式信息。`)}</small>`;
};

/** A line in English, then its Chinese on the next line, each marked with its language. */
type Lines = [en: string, zh?: string];

/** `anotherFile`: the answer to an uploaded file, which offers to check another. */
export function verificationPage(v: Verification, anotherFile = false): string {
  const [en, zh, colour] = LOOK[v.status];
  const a = v.agreement;
  const facts = a
    ? `<h2>${escape(a.title)}</h2>${a.titleZh ? `<p lang="zh-Hans">${escape(a.titleZh)}</p>` : ''}
<dl><dt>Code · ${zhSpan('编号')}</dt><dd>${escape(v.code ?? '')} (version ${v.version} of ${v.currentVersion} · ${zhSpan(`第${v.version}版，共${v.currentVersion}版`)})</dd>
<dt>Signed · ${zhSpan('签署时间')}</dt><dd>${formatSigningTime(a.signedAt, a.ceremony ?? {}).map((when, i) => (i === 0 ? escape(when) : zhSpan(when))).join(' · ')}</dd>
${a.ceremony ? `<dt>Ceremony · ${zhSpan('签约仪式')}</dt><dd>${escape([a.ceremony.title, a.ceremony.event, a.ceremony.city].filter(Boolean).join(', '))}${days(a.ceremony, a.signedAt)}${correction(a.ceremony.correctedAt)}</dd>` : ''}
<dt>Parties · ${zhSpan('签约方')}</dt><dd><ul>${a.parties.map((p) => `<li>${escape(p.name)}${p.localName ? ` · <bdi${p.lang ? ` lang="${escape(p.lang)}"` : ''}>${escape(p.localName)}</bdi>` : ''}</li>`).join('')}</ul></dd></dl>`
    : '';
  return page(en, zh, colour, [[v.detail, v.detailZh], advice(v)], facts + (anotherFile ? CHECK_ANOTHER : ''));
}

/** Back to the upload page: the answer to a form sits at the form's own address (`POST /verify`), so "" is `GET /verify`. */
const CHECK_ANOTHER = `<p><a href="">Check another certificate file</a> · <a href="" lang="zh-Hans">核验另一份证书文件</a></p>`;

/**
 * The page that takes a certificate file: a plain form (no script) that sends it to its own
 * address, `POST /verify`, as multipart/form-data; the answer is the verdict page.
 */
export function uploadPage(maxBytes: number): string {
  const mb = maxBytes / (1024 * 1024);
  const form = `<form method="post" enctype="multipart/form-data">
<p><label for="file">Certificate (PDF, at most ${mb} MB) · ${zhSpan(`证书（PDF，不超过 ${mb} MB）`)}</label><br>
<input type="file" id="file" name="file" accept="application/pdf,.pdf" required></p>
<p><button type="submit">Check · ${zhSpan('核验')}</button></p></form>`;
  return page('Check a certificate', '核验证书', '#1a4080', [[
    'Choose the PDF file of a Concord certificate: the registry says whether these exact bytes are a certificate it issued, and whether the agreement is still in force. The file is checked, not kept.',
    '请选择 Concord 证书的 PDF 文件：登记系统将核验该文件是否确为其签发的证书，以及协议是否仍然有效。文件仅用于核验，不会被保存。',
  ], [
    'A certificate on paper: scan its QR code instead.',
    '如为纸质证书，请直接扫描证书上的二维码。',
  ]], form);
}

/** The gist of a refusal in Chinese, by status (the English detail beside it says exactly what). */
const PROBLEM_ZH: Record<number, string> = {
  400: '所提交的内容有误，未能核验（例如未选择文件，或网址不完整）。',
  413: '文件过大，超出证书 PDF 文件的大小上限。',
  415: '不支持此文件类型或编码：请上传证书的 PDF 文件。',
};

/** A request the verification pages could not take (no file, a file too large, a busy registry), for a browser. */
export function problemPage(status: number, detail: string): string {
  const busy = status >= 500;
  return page(busy ? 'Nothing could be checked just now' : 'Nothing could be checked', busy ? '暂时无法核验' : '无法核验', '#1a4080', [
    [detail, PROBLEM_ZH[status] ?? (busy ? '登记系统暂时繁忙。' : '所提交的内容有误，未能核验。')],
    busy
      ? ['Try again in a moment.', '请稍后再试。']
      : ['Go back, and choose the certificate\'s PDF file, or scan its QR code.', '请返回并选择证书的 PDF 文件，或扫描证书上的二维码。'],
  ], '');
}

/**
 * For someone who typed only a certificate's code, or whose copy of the link lost the end of its
 * signature (`signatureLength` of `expected`): nothing could be checked, nothing is wrong with the paper.
 */
export function incompleteLinkPage(cut?: { signatureLength: number; expected: number }): string {
  return page('Incomplete address', '网址不完整', '#1a4080', [cut
    ? [
      `This address is cut short: its signature has ${cut.signatureLength} of the ${cut.expected} characters a certificate's has, so nothing could be checked. Scan the QR code, or type the whole address printed under it.`,
      `此网址不完整：其中的签名只有${cut.signatureLength}个字符，证书的签名应有${cut.expected}个字符，因此无法核验。请扫描二维码，或输入二维码下方印制的完整网址。`,
    ]
    : [
      'This address is incomplete: type the whole address printed under the QR code, with its v= and sig= parts, or scan the code.',
      '请输入二维码下方印制的完整网址（包括 v= 与 sig= 部分），或直接扫描二维码。',
    ]], '');
}

/**
 * The page: the verdict as its one top heading (what a screen reader jumps to), English then
 * Chinese, each part marked with its language; no script, no external resource, no framing.
 */
function page(en: string, zh: string, colour: string, paragraphs: Lines[], facts: string): string {
  const text = paragraphs
    .map(([lineEn, lineZh]) => `<p>${escape(lineEn)}${lineZh ? `<br>${zhSpan(lineZh)}` : ''}</p>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(en)} · ${escape(zh)} · Concord</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1c2130;overflow-wrap:anywhere}
.status{border-left:.4rem solid ${colour};padding:.5rem 1rem;background:#f5f6f8}.status h1{color:${colour};font-size:1.3rem;margin:.2rem 0}
h1 span{white-space:nowrap}h2{font-size:1.1rem;margin:1.2rem 0 .2rem}dt{color:#667;font-size:.85rem;margin-top:.6rem}dd{margin:0}ul{margin:.2rem 0;padding-left:1.2rem}</style></head>
<body><header><p>Concord registry · <span lang="zh-Hans">协议登记系统</span></p></header>
<main><section class="status"><h1>${escape(en)} · ${zhSpan(zh)}</h1>${text}</section>${facts}</main></body></html>`;
}
