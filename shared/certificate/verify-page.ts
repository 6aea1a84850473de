/** The verification result as a small self-contained HTML page, for people who scan the QR code. */
import type { Verification } from '#shared/domain/schemas.ts';
import { formatSigningTime } from './wording.ts';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const LOOK: Record<Verification['status'], [string, string, string]> = {
  valid: ['Valid certificate', '证书有效', '#1b6e3a'],
  superseded: ['Superseded: a newer version exists', '已被新版本取代', '#8a5a00'],
  voided: ['Voided agreement', '协议已作废', '#a11a1a'],
  invalid: ['Not a genuine certificate', '证书无效', '#a11a1a'],
};

/** What a reader should do next, in English and Chinese. */
function advice(v: Verification): [string, string] {
  switch (v.status) {
    case 'valid': return ['The details below are the registry\'s record: they should match the certificate in front of you.', '以下内容为登记系统的记录，应与您手中的证书一致。'];
    case 'superseded': return [`This certificate describes version ${v.version}. Ask the parties or the registry for the certificate of version ${v.currentVersion}, which is current.`, `此证书对应第 ${v.version} 版。请向签约方或登记系统索取现行的第 ${v.currentVersion} 版证书。`];
    case 'voided': return ['The agreement is no longer in force: do not rely on this certificate.', '该协议已不再有效，请勿以此证书为依据。'];
    case 'invalid': return ['Do not rely on this document as a certificate. If someone gave it to you as one, ask the registry that should have issued it.', '请勿将此文件作为证书使用。如有人将其作为证书提供给您，请向应出具该证书的登记系统核实。'];
  }
}

export function verificationPage(v: Verification): string {
  const [en, zh, colour] = LOOK[v.status];
  const [adviceEn, adviceZh] = advice(v);
  const a = v.agreement;
  const facts = a
    ? `<h2>${escape(a.title)}</h2>${a.titleZh ? `<p lang="zh-Hans">${escape(a.titleZh)}</p>` : ''}
<dl><dt>Code · 编号</dt><dd>${escape(v.code ?? '')} (version ${v.version} of ${v.currentVersion})</dd>
<dt>Signed · 签署</dt><dd>${escape(formatSigningTime(a.signedAt, a.ceremony ?? {}).join(' · '))}</dd>
${a.ceremony ? `<dt>Ceremony · 仪式</dt><dd>${escape([a.ceremony.title, a.ceremony.event, a.ceremony.city].filter(Boolean).join(', '))}</dd>` : ''}
<dt>Parties · 签约方</dt><dd><ul>${a.parties.map((p) => `<li>${escape(p.name)}${p.localName ? ` · <bdi>${escape(p.localName)}</bdi>` : ''}</li>`).join('')}</ul></dd></dl>`
    : '';
  return page(en, zh, colour, [v.detail, `${adviceEn}\n${adviceZh}`], facts);
}

/** For someone who typed only a certificate's code: nothing was checked yet, nothing is wrong with the paper. */
export function incompleteLinkPage(): string {
  return page('Incomplete address', '网址不完整', '#1a4080', [
    'This address is incomplete: type the whole address printed under the QR code, with its v= and sig= parts, or scan the code.',
    '请输入二维码下方印制的完整网址（包括 v= 与 sig= 部分），或直接扫描二维码。',
  ], '');
}

function page(en: string, zh: string, colour: string, lines: string[], facts: string): string {
  const paragraphs = lines.map((line) => `<p>${line.split('\n').map(escape).join('<br>')}</p>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${en} · Concord</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1c2130}
.status{border-left:.4rem solid ${colour};padding:.5rem 1rem;background:#f5f6f8}.status strong{color:${colour};font-size:1.3rem}
dt{color:#667;font-size:.85rem;margin-top:.6rem}dd{margin:0}ul{margin:.2rem 0;padding-left:1.2rem}</style></head>
<body><p>Concord registry · 协议登记</p><div class="status"><strong>${en} · ${zh}</strong>${paragraphs}</div>${facts}</body></html>`;
}
