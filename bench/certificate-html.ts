/**
 * Inputs for the certificate benchmark (a 2-party Latin+Han agreement and the 18-state one) and
 * the EQUIVALENT HTML that Chromium prints: same A4 landscape page, same texts, same Noto TTFs,
 * a vector QR code. Kept apart from the runner so a first-call child process can build its input
 * without pulling in Playwright, and without importing the renderer before it starts the clock.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import QRCode from 'qrcode';
import { assetFile, FONT_ASSETS } from '#shared/certificate/assets.ts';
import type { CertificateInput } from '#shared/certificate/render.ts';
import { certificateLinks, certificatePayloadOf, signingKey, signPayload } from '#shared/certificate/signature.ts';
import {
  ceremonyLine, formatMoney, issueStatement, KIND_LABELS, LABELS, partyDetail, sectorsLine, signingTimeLine, STATUS_LABELS, statusLabel, venueLine,
} from '#shared/certificate/wording.ts';
import { canonicalJson, sha256Hex } from '#shared/domain/canonical.ts';
import type { Agreement, AgreementParty, Ceremony } from '#shared/domain/schemas.ts';

export const CASES = ['2-parties', '18-states'] as const;
export type CaseName = (typeof CASES)[number];

const STATES: { code: string; name: string; localName: string; lang: string }[] =
  JSON.parse(readFileSync(new URL('../infra/local/demo/sco-states.json', import.meta.url), 'utf8')).states;

const BASE = 'https://concord.example';
const STAMP = '2021-08-23T14:35:00+08:00';
const ceremony: Ceremony = {
  id: 'sce-2021-signing', title: 'China-SCO Digital Economy Forum: project signing ceremony',
  event: 'Smart China Expo 2021 (SCE 2021)', venue: 'Chongqing International Expo Center', city: 'Chongqing',
  countryCode: 'CN', startsAt: '2021-08-23T14:00:00+08:00', timeZone: 'Asia/Shanghai', version: 1, createdAt: STAMP, createdBy: 'bench', updatedAt: STAMP, updatedBy: 'bench',
};

const party = (p: Omit<AgreementParty, 'signatory'>, i: number): AgreementParty =>
  ({ ...p, signatory: { name: `Signatory ${i + 1}`, title: 'Director' } });

function agreement(name: CaseName): Agreement {
  const common = { ceremonyId: ceremony.id, status: 'active' as const, version: 1, signedAt: '2021-08-23T14:30:00+08:00',
    createdAt: STAMP, createdBy: 'bench', updatedAt: STAMP, updatedBy: 'bench' };
  if (name === '2-parties') {
    return { ...common, id: 'agr-bench-2', code: 'SCE21-0002', kind: 'investment', sectors: ['smart-logistics', 'investment'],
      title: 'Smart Logistics Hub Investment Agreement', titleZh: '智慧物流枢纽投资协议', value: { amount: '12500000.5', currency: 'USD' },
      parties: [
        party({ partyId: 'city-chongqing', kind: 'city', name: 'Chongqing Municipality', localName: '重庆市', lang: 'zh-Hans', countryCode: 'CN', role: 'host city' }, 0),
        party({ partyId: 'ent-x', kind: 'enterprise', name: 'Zhōngguó Ëxample Trading Co.', countryCode: 'KZ', role: 'investor' }, 1),
      ] };
  }
  return { ...common, id: 'agr-bench-18', code: 'SCE21-0018', kind: 'framework', sectors: ['digital-economy', 'digital-channels'],
    title: 'Joint Declaration on Digital Economy Cooperation', titleZh: '数字经济合作联合声明', value: { amount: '1000000000', currency: 'CNY' },
    parties: STATES.map((s, i) => party({ partyId: `state-${s.code.toLowerCase()}`, kind: 'state', name: s.name, localName: s.localName, lang: s.lang, countryCode: s.code }, i)) };
}

/** A signed renderer input, built the way the registry builds it (a fresh Ed25519 key per process). */
export function certificateInput(name: CaseName): CertificateInput {
  const a = agreement(name);
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const payload = certificatePayloadOf(a, { version: a.version, stateHash: sha256Hex(canonicalJson(a)), at: STAMP }, BASE);
  const jws = signPayload(payload, signingKey(pem));
  return { agreement: a, ceremony, jws, ...certificateLinks(payload, jws) };
}

/** The names a reader must find intact in the PDF: each party's own-script name (or its name if it has none). */
export const nativeNames = (input: CertificateInput) => input.agreement.parties.map((p) => p.localName ?? p.name);

// ---- the equivalent HTML ----------------------------------------------------------------

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

// One family per TTF, in the renderer's fallback order; the same files it embeds, via file:// so
// Chromium reads them from disk and subsets them itself. No faux bold: only Latin has a bold face.
// Noto Sans also has Devanagari, which the renderer draws with Noto Sans Devanagari (preferred for
// that script): the unicode-range sends Chromium there too, so both embed the same faces.
const FACES: [string, keyof typeof FONT_ASSETS, number][] = [
  ['Noto Sans', 'latin', 400], ['Noto Sans', 'latinBold', 700], ['Noto Sans Mono', 'latinMono', 400], ['Noto Sans Armenian', 'armenian', 400],
  ['Noto Sans Devanagari', 'devanagari', 400], ['Noto Sans Arabic', 'arabic', 400], ['Noto Sans Khmer', 'khmer', 400],
  ['Noto Sans Sinhala', 'sinhala', 400], ['Noto Sans Tamil', 'tamil', 400], ['Noto Sans Thaana', 'thaana', 400],
  ['Noto Sans Myanmar', 'myanmar', 400], ['Noto Sans Lao', 'lao', 400], ['Noto Sans SC', 'han', 400], ['Noto Sans JP', 'hanExtra', 400],
  ['Noto Nastaliq Urdu', 'urdu', 400],
];
const NOT_DEVANAGARI = 'unicode-range: U+0000-08FF, U+0980-A8DF, U+A900-10FFFF;';
const fontFaces = FACES.map(([family, asset, weight]) => `@font-face { font-family: '${family}'; font-weight: ${weight}; ` +
  `src: url('${pathToFileURL(assetFile(FONT_ASSETS[asset])).href}') format('truetype'); ${family === 'Noto Sans' ? NOT_DEVANAGARI : ''} }`).join('\n');
// Urdu's Nastaliq for text marked Urdu, as the renderer sets the bench's certificates (it falls back to Naskh
// where Nastaliq would cost a page, the heading or the parties' type), and for nothing else.
const families = [...new Set(FACES.filter(([f]) => f !== 'Noto Sans Mono' && f !== 'Noto Nastaliq Urdu').map(([f]) => `'${f}'`))].join(', ');

const CSS = `
${fontFaces}
@page { size: A4 landscape; margin: 0 }
* { box-sizing: border-box; margin: 0; padding: 0 }
html, body { width: 297mm; height: 210mm; overflow: hidden }
body { font-family: ${families}; font-synthesis: none; color: rgb(28,33,48); position: relative; line-height: 1.25 }
:lang(ur) { font-family: 'Noto Nastaliq Urdu', ${families} }
.frame { position: absolute; inset: 20pt; border: 1.4pt solid rgb(26,64,128) }
.frame::after { content: ''; position: absolute; inset: 2.6pt; border: 0.4pt solid rgb(26,64,128) }
.page { position: absolute; inset: 40pt 50pt 32pt 50pt; display: flex; flex-direction: column }
.muted { color: rgb(102,110,128) } .accent { color: rgb(26,64,128) } b { font-weight: 700 }
.top { display: flex; justify-content: space-between; font-size: 8pt; font-weight: 700 }
h1 { text-align: center; font-size: 22pt; margin-top: 14pt } .zh1 { text-align: center; font-size: 13pt }
h2 { text-align: center; font-size: 15pt; margin-top: 8pt } .zh2 { text-align: center; font-size: 12pt }
hr { border: 0; border-top: 0.5pt solid rgb(191,199,214); margin: 6pt 0 }
.facts { display: grid; grid-template-columns: 1fr 1fr; gap: 3pt 20pt; font-size: 9.5pt; white-space: nowrap }
.facts .wide { grid-column: 1 / 3 } label { font-size: 7.5pt; color: rgb(102,110,128); margin-right: 6pt }
.parties { flex: 1; display: flex; flex-direction: column; justify-content: center; min-height: 0 }
.grid { display: grid; grid-auto-flow: row; gap: 0 14pt }
/* Left-aligned like the PDF even when dir=auto makes a line RTL; fixed line height, as tall scripts would push rows apart. */
.party div { white-space: nowrap; overflow: hidden; text-align: left; line-height: 1.2 }
.footer { display: flex; gap: 20pt; align-items: flex-end }
.footer .text { flex: 1; font-size: 9.5pt } .statement { font-size: 7.5pt; color: rgb(102,110,128); margin-top: 6pt; line-height: 10pt }
.qr { width: 92pt; text-align: right } .qr svg { width: 92pt; height: 92pt; display: block; margin-left: auto }
.url { font-family: 'Noto Sans Mono'; font-size: 6.5pt; white-space: nowrap; text-align: right; margin-top: 3pt }
`;

/** The certificate as HTML with the same content and page geometry as the PDF renderer's. */
export async function certificateHtml(input: CertificateInput): Promise<string> {
  const { agreement: a, verifyUrl, keysUrl } = input;
  const [kindEn, kindZh] = KIND_LABELS[a.kind];
  const [statusEn, statusZh] = STATUS_LABELS[a.status];
  const c = input.ceremony;
  // Party blocks in the type and columns the renderer sets them in (imported here, when the HTML is
  // built, so that a first-call child building its input does not load the renderer early).
  const { PARTY_STYLES, renderCertificate } = await import('#shared/certificate/render.ts');
  let s: { name: number; local: number; detail: number } | undefined;
  let [gutter, compact] = [14, false];
  await renderCertificate(input, ({ partyType, partyGutter, compactHeading }) => ([s, gutter, compact] = [partyType, partyGutter, compactHeading]));
  const columns = PARTY_STYLES.find((style) => a.parties.length <= style.upTo)!.columns(a.parties.length);
  const rows = Math.ceil(a.parties.length / columns);
  const qr = await QRCode.toString(verifyUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  const parties = a.parties.map((p) => {
    const local = p.localName && p.localName !== p.name
      ? `<div dir="auto" lang="${esc(p.lang ?? 'und')}" style="font-size:${s!.local}pt">${esc(p.localName)}</div>` : '';
    return `<div class="party"><div dir="auto" lang="en" style="font-size:${s!.name}pt"><b>${esc(p.name)}</b></div>${local}` +
      `<div style="color:rgb(61,69,84);font-size:${s!.detail}pt">${esc(partyDetail(p))}</div></div>`;
  }).join('\n');
  const [statement, statementZh] = issueStatement(a.version, keysUrl);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Certificate ${esc(a.code)}</title><style>${CSS}</style></head>
<body><div class="frame"></div><div class="page">
<div class="top muted"><span>${esc(LABELS.registry)}</span><span>Code 编号  ${esc(a.code)}   ·   Version 版本  ${a.version}</span></div>
${compact
    ? `<h1 class="accent" style="font-size:20pt">${LABELS.title} <span lang="zh-Hans" style="font-size:13pt;font-weight:400">${LABELS.titleZh}</span></h1>`
    : `<h1 class="accent">${LABELS.title}</h1><div class="zh1 accent" lang="zh-Hans">${LABELS.titleZh}</div>`}
<h2>${esc(a.title)}</h2>${a.titleZh ? `<div class="zh2" lang="zh-Hans">${esc(a.titleZh)}</div>` : ''}<hr>
<div class="facts">
<div><label>${LABELS.kind}</label>${esc(`${kindEn} · ${kindZh}`)}</div><div><label>${esc(statusLabel(a.version))}</label><b>${esc(`${statusEn} · ${statusZh}`)}</b></div>
<div><label>${LABELS.signed}</label>${esc(signingTimeLine(a.signedAt, input.ceremony))}</div><div><label>${LABELS.venue}</label>${esc(venueLine(c, a.place))}</div>
<div class="wide"><label>${LABELS.ceremony}</label>${esc(ceremonyLine(c, a.signedAt))}</div></div>
<div class="parties"><div class="accent" style="font-size:9pt;margin-bottom:6pt"><b>${esc(LABELS.parties(a.parties.length))}</b></div>
<div class="grid" style="grid-template-rows:repeat(${rows}, auto);grid-template-columns:repeat(${columns}, 1fr);column-gap:${gutter}pt;row-gap:${s!.detail * 0.9}pt">${parties}</div></div>
<div class="footer"><div class="text"><div><label>${LABELS.sectors}</label>${esc(sectorsLine(a.sectors))}</div>${a.value ? `<div><label>${LABELS.value}</label>${esc(formatMoney(a.value))}</div>` : ''}
<p class="statement">${esc(statement)}</p><p class="statement" lang="zh-Hans">${esc(statementZh)}</p></div>
<div class="qr">${qr}</div></div><div class="url">${esc(verifyUrl)}</div>
</div></body></html>`;
}
