/**
 * Certificates: every script comes back out of the PDF exactly, the glyphs drawn are HarfBuzz's,
 * the file is deterministic and small, and it verifies (or not) exactly as it should.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hb from 'harfbuzzjs';
import * as fontkit from 'fontkit';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { agreement, logSigning, party, setup } from './support/fixtures.ts';
import { actualTexts, drawnBlocks, type DrawnGlyph } from './support/pdf-glyphs.ts';
import { pdfiumLines, pdfjsItems, pdfToText } from './support/pdf-text.ts';
import { plain } from './support/pages.ts';
import { canonical, sha256 } from './support/chain.ts';
import type { RenderReport } from '#shared/certificate/render.ts';
import type { ShapedLine } from '#shared/certificate/shaping.ts';
import type { Agreement } from '#shared/domain/schemas.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

const require = createRequire(import.meta.url);
const jsQR = require('jsqr') as typeof import('jsqr').default;
const STATES: { code: string; name: string; localName: string; lang: string }[] = JSON.parse(readFileSync('infra/local/demo/sco-states.json', 'utf8')).states;
/** Certificates and renderings for people to look at, kept after the run. */
const OUT = 'tests/out';
/** The files this run reads back with poppler: its own, so that another run at the same time cannot swap them. */
const WORK = mkdtempSync(join(tmpdir(), 'concord-certificates-'));
const BASE = 'https://concord.example';

let t: TestRegistry;
let cer: string;
let all18: { id: string; code: string; pdf: Buffer };
let bilateral: { id: string; code: string; pdf: Buffer };

/** The id of the key that signs certificates now, as the public key set gives it. */
const signingKeyId = async () => (await t.call('GET', '/.well-known/concord-keys.json', { token: null })).body.keys[0].kid as string;

async function certificate(id: string, query = '', token = t.tokens.staff) {
  return t.call('GET', `/agreements/${id}/certificate.pdf${query}`, { token });
}

/**
 * An agreement as the API returns it (with its ceremony), changed by `change` and rendered straight
 * through the renderer, unsigned: for layouts no signing would reach quickly. Written to tests/out
 * under `name` when given, for people to look at.
 */
async function renderVariant(
  agreementId: string, change: (now: { agreement: any; ceremony: any }) => { agreement?: any; ceremony?: any; verifyUrl?: string; keysUrl?: string }, name?: string,
  report?: (r: RenderReport) => void,
): Promise<Buffer> {
  const { renderCertificate } = await import('#shared/certificate/render.ts');
  const agreement = (await t.call('GET', `/agreements/${agreementId}`)).body;
  const ceremony = (await t.call('GET', `/ceremonies/${agreement.ceremonyId}`)).body;
  const input = { agreement, ceremony, jws: 'x.y.z', verifyUrl: `${BASE}/verify/X?v=1&sig=z`, keysUrl: `${BASE}/k`, ...change({ agreement, ceremony }) };
  const pdf = Buffer.from(await renderCertificate(input, report));
  if (name) keep(name, pdf);
  return pdf;
}

/** A verification page's headline (its one h1), without the mark before it. */
const headline = (html: string) => /<h1>(?:<span class="mark" aria-hidden="true">[^<]*<\/span> )?(.*?)<\/h1>/.exec(html)?.[1];

/** Writes `name`.pdf for this run's tools to read (the path returned), and a copy into OUT for people. */
function keep(name: string, pdf: Uint8Array): string {
  const file = join(WORK, `${name}.pdf`);
  writeFileSync(file, pdf);
  writeFileSync(join(OUT, `${name}.pdf`), pdf);
  return file;
}

beforeAll(async () => {
  t = await startTestRegistry({ publicBaseUrl: BASE });
  cer = await setup(t, [
    ...STATES.map((s) => party(`st-${s.code.toLowerCase()}`, { kind: 'state', name: s.name, localName: s.localName, lang: s.lang, countryCode: s.code })),
    party('cq', { kind: 'city', name: 'Chongqing Municipality', localName: '重庆市', lang: 'zh-Hans' }),
    // 𠮷 lies outside the Basic Multilingual Plane: a surrogate pair in ToUnicode.
    party('ent-x', { name: 'Zhōngguó Ëxample Trading Co.', localName: '𠮷祥贸易', lang: 'zh-Hans', countryCode: 'KZ' }),
  ]);
  const big = await logSigning(t, cer, agreement(STATES.map((s) => `st-${s.code.toLowerCase()}`), {
    title: 'Joint Declaration on Digital Economy Cooperation', titleZh: '数字经济合作联合声明', kind: 'framework',
    sectors: ['digital-economy', 'digital-channels'], value: { amount: '1000000000', currency: 'CNY' },
  }));
  const two = await logSigning(t, cer, agreement(['cq', 'ent-x'], { title: 'Smart Logistics Hub Investment', titleZh: '智慧物流枢纽投资协议', kind: 'investment', value: { amount: '12500000.5', currency: 'USD' } }));
  for (const r of [big, two]) expect(r.status).toBe(201);
  const [p18, p2] = await Promise.all([certificate(big.body.id), certificate(two.body.id)]);
  all18 = { id: big.body.id, code: big.body.code, pdf: p18.body };
  bilateral = { id: two.body.id, code: two.body.code, pdf: p2.body };
  mkdirSync(OUT, { recursive: true });
});
afterAll(async () => {
  await t.close();
  rmSync(WORK, { recursive: true, force: true });
});

describe('certificate content', () => {
  it('gives back every state\'s official name, in its own script, through pdftotext', () => {
    const text = pdfToText(all18.pdf);
    for (const s of STATES) {
      expect(text, s.code).toContain(s.localName.normalize('NFC'));
      expect(text, s.code).toContain(s.name);
    }
    expect(text).toContain('数字经济合作联合声明');
    expect(pdfToText(bilateral.pdf)).toContain('𠮷祥贸易');
    expect(text).toContain(`${BASE}/verify/${all18.code}?v=1&sig=`);
  });

  it('gives back every state\'s name on a line of its own, with nothing attached, in Chrome\'s PDF engine (PDFium) too', async () => {
    const lines = await pdfiumLines(all18.pdf);
    for (const s of STATES) expect(lines, s.code).toContain(s.localName.normalize('NFC'));
  });

  it('gives back every state\'s name as one text item in Firefox\'s PDF engine (pdf.js), even नेपाल, which begins with a mark', async () => {
    const items = await pdfjsItems(all18.pdf);
    for (const s of STATES) expect(items, s.code).toContain(s.localName.normalize('NFC'));
  });

  it('hands readers that honour ActualText (Acrobat, poppler, PDFium) each left-to-right name with marks whole, and never a right-to-left one reversed', async () => {
    const spans = await actualTexts(all18.pdf);
    for (const code of ['IN', 'KH', 'NP', 'LK']) expect(spans, code).toContain(STATES.find((s) => s.code === code)!.localName.normalize('NFC'));
    // Right-to-left lines keep their text on the glyphs; their marks sit in a span that says TAB.
    expect(spans.filter((text) => /[\p{Script=Arabic}\p{Script=Thaana}]/u.test(text))).toEqual([]);
    expect(spans).toContain('\t');
  });

  it('keeps a name whole in pdf.js when its first cluster holds a joiner before its mark, or a second script follows', async () => {
    const names = ['ක\u200D්ව ලංකා', 'नेपाल Nepal'];
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({ agreement: { ...a, parties: a.parties.map((p: any, i: number) => ({ ...p, localName: names[i], lang: undefined })) } }));
    const items = (await pdfjsItems(pdf)).join('|');
    // A format character at the end of a glyph's text makes pdf.js drop the glyph; a cut into another font's run splits the cluster.
    expect(items).toContain('ක\u200D්ව ලංකා');
    expect(items).toMatch(/नेपाल\|? ?\|?Nepal/);
  });

  it('draws for each name exactly the glyphs and positions HarfBuzz shapes from the same font', async () => {
    const blocks = await drawnBlocks(all18.pdf);
    for (const s of STATES) expectHarfBuzzGlyphs(blocks, s.localName, s.lang, s.code);
    // Latin with diacritics: composite glyphs, whose components the subsetter must carry along.
    expectHarfBuzzGlyphs(await drawnBlocks(bilateral.pdf), 'Zhōngguó Ëxample Trading Co.', 'en', 'Latin', 'Bold');
  });

  it('keeps every line of text clear of every other, whatever the scripts: no two lines\' ink touches', async () => {
    for (const pdf of [all18.pdf, bilateral.pdf]) expect(touchingLines(await drawnBlocks(pdf))).toEqual([]);
  });

  it('maps every glyph drawn in ToUnicode (pdf.js turns an empty mapping into a control character)', async () => {
    for (const pdf of [all18.pdf, bilateral.pdf]) expect((await drawnBlocks(pdf)).flat().filter((g) => !g.mapped)).toEqual([]);
  });

  it('finds a font for every character: no .notdef box anywhere, not even for 𠮷 (beyond the BMP, not in Noto Sans SC)', async () => {
    for (const pdf of [all18.pdf, bilateral.pdf]) {
      const boxes = (await drawnBlocks(pdf)).flat().filter((g) => g.gid === 0);
      expect(boxes.map((g) => g.text)).toEqual([]);
    }
    const name = (await drawnBlocks(bilateral.pdf)).find((b) => b.map((g) => g.text).join('') === '𠮷祥贸易')!;
    expect(name.map((g) => g.font)).toEqual(['NotoSansJP-Regular', 'NotoSansSC-Regular', 'NotoSansSC-Regular', 'NotoSansSC-Regular']);
  });

  it('draws the scripts of later SCO partners too: Thaana (right to left), Myanmar, Lao, Tamil; and fully vocalized Arabic', async () => {
    await setup(t, LATER_PARTNERS.map((p) => party(`lp-${p.lang}`, { kind: 'state', name: p.name, localName: p.localName, lang: p.lang, countryCode: p.code })), cer);
    const signed = await logSigning(t, cer, agreement(LATER_PARTNERS.map((p) => `lp-${p.lang}`), { title: 'Partners in their own scripts' }));
    const pdf = (await certificate(signed.body.id)).body as Buffer;
    execFileSync('pdftoppm', ['-r', '110', '-png', '-singlefile', keep('certificate-later-partners', pdf), join(OUT, 'certificate-later-partners')]);
    const text = pdfToText(pdf);
    const lines = await pdfiumLines(pdf);
    const items = await pdfjsItems(pdf);
    const blocks = await drawnBlocks(pdf);
    for (const p of LATER_PARTNERS) {
      expectHarfBuzzGlyphs(blocks, p.localName, p.lang, p.code);
      const forms = popplerForms(p.localName.normalize('NFC'));
      expect(forms.some((form) => text.includes(form)), `${p.code}: ${forms.join(' or ')}`).toBe(true);
      // PDFium keeps even a right-to-left name's final mark in place.
      expect(lines, p.code).toContain(p.localName.normalize('NFC'));
      // And pdf.js, as one text item.
      expect(items, p.code).toContain(p.localName.normalize('NFC'));
    }
    expect(blocks.flat().filter((g) => g.gid === 0).map((g) => g.text)).toEqual([]);
    // Stacked harakat and Myanmar medials reach far above and below the line: the block opens up for them, and leaves clear space.
    expect(touchingLines(blocks, 1.2)).toEqual([]);
  });

  it('draws the scripts of the expos\' neighbours and partners too: Korean, Thai, Georgian, Hebrew, Bengali, India\'s other scripts, Ethiopic, Mongolian, Tibetan, Yi, Syriac, Tifinagh, Canadian syllabics, Cherokee; Han in Japanese and Korean forms', async () => {
    const ids = MORE_SCRIPTS.map((p, i) => `ms-${i}-${p.lang.toLowerCase()}`);
    await setup(t, MORE_SCRIPTS.map((p, i) => party(ids[i]!, { kind: p.kind, name: p.name, localName: p.localName, lang: p.lang, countryCode: p.code })), cer);
    const signed = await logSigning(t, cer, agreement(ids, { title: 'Names in many more scripts' }));
    const pdf = (await certificate(signed.body.id)).body as Buffer;
    execFileSync('pdftoppm', ['-r', '110', '-png', '-singlefile', keep('certificate-more-scripts', pdf), join(OUT, 'certificate-more-scripts')]);
    const text = pdfToText(pdf);
    const blocks = await drawnBlocks(pdf);
    for (const p of MORE_SCRIPTS) {
      // Karachi's Urdu in Naskh: in Nastaliq, twice as tall, the 24 parties took an annex page.
      expectHarfBuzzGlyphs(blocks, p.localName, p.lang, `${p.code} ${p.lang}`, 'Regular', p.lang === 'ur' ? 'sans-arabic/NotoSansArabic' : undefined);
      const forms = popplerForms(p.localName.normalize('NFC'));
      expect(forms.some((form) => text.includes(form)), `${p.lang}: ${forms.join(' or ')}`).toBe(true);
    }
    expect(blocks.flat().filter((g) => g.gid === 0).map((g) => g.text)).toEqual([]);
    expect(touchingLines(blocks)).toEqual([]);
  });

  it('leaves clear space over marks that reach above the type: Tibetan vowel signs under a name in bold', async () => {
    // Lhasa's vowel signs (ོ, ེ) reach higher than any Latin letter: spaced by their ink with 0.8 pt to spare, they seemed to touch "Lhasa".
    await setup(t, [
      party('city-lhasa-full', { kind: 'city', name: 'Lhasa', localName: 'ལྷ་ས་གྲོང་ཁྱེར།', lang: 'bo', countryCode: 'CN' }),
      party('city-male-full', { kind: 'city', name: 'Malé', localName: 'މާލެ', lang: 'dv', countryCode: 'MV' }),
    ], cer);
    const signed = await logSigning(t, cer, agreement(['city-lhasa-full', 'city-male-full'], { title: 'Friendship between Lhasa and Malé' }));
    const pdf = (await certificate(signed.body.id)).body as Buffer;
    keep('certificate-tibetan', pdf);
    const blocks = await drawnBlocks(pdf);
    expectHarfBuzzGlyphs(blocks, 'ལྷ་ས་གྲོང་ཁྱེར།', 'bo', 'Lhasa');
    expect(touchingLines(blocks, 1.5)).toEqual([]);
  });

  it('tells operators when a name has characters no bundled font can draw (it still renders, with boxes)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await setup(t, [party('sat-party', { kind: 'organization', name: 'Santal Council', localName: 'ᱥᱟᱱᱛᱟᱲᱤ', lang: 'sat', countryCode: 'IN' })], cer);
      const covered = await logSigning(t, cer, agreement(['cq', 'ent-x'], { title: 'Every character covered' }));
      expect((await certificate(covered.body.id)).status).toBe(200);
      expect(warn).not.toHaveBeenCalled();
      const signed = await logSigning(t, cer, agreement(['cq', 'sat-party'], { title: 'A script without a font' }));
      expect((await certificate(signed.body.id)).status).toBe(200);
      const logged = warn.mock.calls.map(([line]) => line);
      expect(logged).toEqual([expect.objectContaining({ event: expect.stringContaining('no bundled font'), agreementId: signed.body.id, version: 1 })]);
      // Ol Chiki (Santali): no bundled font has it.
      expect(logged[0].characters.sort()).toEqual(['U+1C5B', 'U+1C5F', 'U+1C64', 'U+1C65', 'U+1C71', 'U+1C72']);
    } finally {
      warn.mockRestore();
    }
    // In an emoji sequence the emoji are missing, not the joiner or the variation selector between them.
    const { renderCertificate } = await import('#shared/certificate/render.ts');
    const now = (await t.call('GET', `/agreements/${bilateral.id}`)).body;
    const reported: string[][] = [];
    await renderCertificate({
      agreement: { ...now, parties: [{ ...now.parties[0], localName: 'Family \u{1F468}\u200D\u{1F469} \u2764\uFE0F' }, now.parties[1]] },
      ceremony: (await t.call('GET', `/ceremonies/${now.ceremonyId}`)).body, jws: 'x.y.z', verifyUrl: `${BASE}/verify/X?v=1&sig=z`, keysUrl: `${BASE}/k`,
    }, ({ undrawable }) => reported.push(undrawable));
    expect(reported).toEqual([['U+1F468', 'U+1F469', 'U+2764']]);
    // Boxes in a right-to-left script of the BMP (N'Ko, Samaritan) run right to left, as PDFium and
    // pdf.js read them, so their text copies in order; Adlam, beyond the BMP, which they take for
    // left to right, runs left to right and copies in order from pdf.js and poppler.
    const [nko, samaritan, adlam] = ['ߒߞߏ ߞߊ߲ߜߍ', 'ࠔࠌࠓࠉ', '𞤆𞤵𞤤𞤢𞤪 𞤊𞤵𞥅𞤼𞤢'];
    const boxes = await renderCertificate({
      agreement: { ...now, parties: [nko, samaritan, adlam].map((localName, i) => ({ ...now.parties[i % 2], partyId: `box-${i}`, name: `Party ${i}`, localName })) },
      ceremony: (await t.call('GET', `/ceremonies/${now.ceremonyId}`)).body, jws: 'x.y.z', verifyUrl: `${BASE}/verify/X?v=1&sig=z`, keysUrl: `${BASE}/k`,
    });
    const [lines, items, text] = [await pdfiumLines(boxes), await pdfjsItems(boxes), pdfToText(Buffer.from(boxes))];
    for (const name of [nko, samaritan]) expect([lines.includes(name), items.includes(name)], name).toEqual([true, true]);
    expect([items.includes(adlam), text.includes(adlam)]).toEqual([true, true]);
  });

  it('lists the parties in their order row by row, left to right, as a list is read', async () => {
    const blocks = await drawnBlocks(all18.pdf);
    const at = (name: string) => {
      const block = blocks.find((b) => b.map((g) => g.text).join('') === name && b[0]!.font.includes('Bold'));
      expect(block, name).toBeDefined();
      return { x: Math.round(block![0]!.x), y: Math.round(block![0]!.y) };
    };
    const places = STATES.map((s) => at(s.name));
    const columns = [...new Set(places.map((p) => p.x))].sort((a, b) => a - b);
    const rows = [...new Set(places.map((p) => p.y))].sort((a, b) => b - a);
    expect([columns.length, rows.length]).toEqual([3, 6]);
    expect(places.map((p) => [rows.indexOf(p.y), columns.indexOf(p.x)])).toEqual(STATES.map((_, i) => [Math.floor(i / 3), i % 3]));
  });

  it.each([
    ['one day', '2021-08-23T14:00:00+08:00', undefined, 'Asia/Shanghai', '23 August 2021', '2021年8月23日'],
    ['days in a month', '2021-08-23T09:00:00+08:00', '2021-08-25T18:00:00+08:00', 'Asia/Shanghai', '23–25 August 2021', '2021年8月23日至25日'],
    ['days across months', '2021-08-30T09:00:00+08:00', '2021-09-02T18:00:00+08:00', undefined, '30 August – 2 September 2021', '2021年8月30日至9月2日'],
    ['days across years', '2021-12-30T09:00:00-05:00', '2022-01-02T12:00:00-05:00', 'America/New_York', '30 December 2021 – 2 January 2022', '2021年12月30日至2022年1月2日'],
    ['an evening in UTC, on the venue\'s clock', '2021-08-23T16:30:00Z', '2021-08-23T20:00:00Z', 'Asia/Shanghai', '24 August 2021', '2021年8月24日'],
    ['an end written in an offset that puts it on the day before', '2021-08-24T00:30:00+08:00', '2021-08-23T12:00:00-05:00', undefined, '24 August 2021', '2021年8月24日'],
    // Without a time zone, a start in UTC names no clock: the signing's (here UTC-08:00), as its date prints.
    ['a start in UTC, read on the signing\'s clock', '2021-08-23T01:00:00Z', undefined, undefined, '22 August 2021', '2021年8月22日'],
    ['a start in UTC and an end with an offset: the start on the end\'s', '2021-08-23T01:00:00Z', '2021-08-22T20:00:00-08:00', undefined, '22 August 2021', '2021年8月22日'],
    ['a start with an offset and an end in UTC: the end on the start\'s', '2024-03-10T20:00:00-05:00', '2024-03-11T03:30:00Z', undefined, '10 March 2024', '2024年3月10日'],
    ['the last day of 9999 into 10000 on the venue\'s clock', '9999-12-31T05:00:00Z', '9999-12-31T20:00:00Z', 'Pacific/Kiritimati', '31 December 9999 – 1 January 10000', '9999年12月31日至10000年1月1日'],
  ])('prints a ceremony\'s days on its own clock: %s', async (_name, startsAt, endsAt, timeZone, en, zh) => {
    // (The signing below is logged on UTC-08:00; what depends on its clock is tested after.)
    const { ceremonyDays } = await import('#shared/certificate/wording.ts');
    expect(ceremonyDays({ startsAt, ...(endsAt && { endsAt }), ...(timeZone && { timeZone }) }, '2021-08-22T19:00:00-08:00')).toEqual([en, zh]);
  });

  it.each([
    ['USD', '12500000', 'USD 12,500,000.00'],
    ['JPY', '1000000', 'JPY 1,000,000'],
    ['KWD', '1250.5', 'KWD 1,250.500'],
    ['CLF', '10', 'CLF 10.0000'],
    // A unit of account has no minor unit: its amount prints with the decimals it has.
    ['XDR', '1500000', 'XDR 1,500,000'],
    ['XDR', '1500000.25', 'XDR 1,500,000.25'],
  ])('prints a value in %s for people: %s as "%s"', async (currency, amount, printed) => {
    const { formatMoney } = await import('#shared/certificate/wording.ts');
    expect(formatMoney({ amount, currency })).toBe(printed);
  });

  it('reads a ceremony time logged in UTC on the venue\'s offset when the other names one, else on the signing\'s clock', async () => {
    const { ceremonyDays, signingTimeLine } = await import('#shared/certificate/wording.ts');
    const evening = { startsAt: '2024-03-10T20:00:00-05:00', endsAt: '2024-03-11T03:30:00Z' };
    // Signed far east: the ceremony is still one evening at the venue (UTC-05:00), not two days on UTC+08:00.
    expect(ceremonyDays(evening, '2024-03-11T09:00:00+08:00')).toEqual(['10 March 2024', '2024年3月10日']);
    // Both times in UTC: on the signing's clock, so its date and the ceremony's agree.
    expect(ceremonyDays({ startsAt: '2024-03-11T01:00:00Z' }, '2024-03-11T09:00:00+08:00')).toEqual(['11 March 2024', '2024年3月11日']);
    expect(ceremonyDays({ startsAt: '2024-03-11T01:00:00Z' }, '2024-03-10T20:30:00-05:00')).toEqual(['10 March 2024', '2024年3月10日']);
    // A signing logged in UTC prints on the start's offset, else the end's.
    expect(spaced(signingTimeLine('2024-03-11T04:30:00Z', { startsAt: '2024-03-11T01:00:00Z', endsAt: '2024-03-10T23:59:00-05:00' }))).toBe('10 March 2024, 23:30 · 2024年3月10日 23:30 · UTC-05:00');
    // "-00:00" is UTC with the place's offset unknown (RFC 3339), as "Z" is; "+00:00" is a place's clock (London's in winter).
    expect(spaced(signingTimeLine('2024-03-11T04:30:00-00:00', { startsAt: '2024-03-10T20:00:00-05:00' }))).toBe('10 March 2024, 23:30 · 2024年3月10日 23:30 · UTC-05:00');
    expect(spaced(signingTimeLine('2024-03-11T04:30:00+00:00', { startsAt: '2024-03-10T20:00:00-05:00' }))).toBe('11 March 2024, 04:30 · 2024年3月11日 04:30 · UTC+00:00');
  });

  it('keeps the footer clear of the printed address, and inside the frame, under the longest registry address and every sector', async () => {
    const base = `https://${'registry-'.repeat(21)}example.org`.slice(0, 200);
    const pdf = await renderVariant(bilateral.id, ({ agreement }) => ({
      agreement: { ...agreement, sectors: ['digital-economy', 'e-commerce', 'smart-tourism', 'smart-logistics', 'digital-channels', 'industrial-internet', 'trade', 'investment', 'culture', 'education', 'other'] },
      verifyUrl: `${base}/verify/ZZZZ-ZZZZ?v=1&sig=${'A'.repeat(86)}`, keysUrl: `${base}/.well-known/concord-keys.json`,
    }), 'certificate-long-address');
    const blocks = await drawnBlocks(pdf);
    expect(touchingLines(blocks)).toEqual([]);
    for (const g of blocks.flat().filter((g) => g.ink)) expect(g.ink![1]).toBeGreaterThan(24);
  });

  it('prints every label in English and Chinese', () => {
    const text = pdfToText(bilateral.pdf).replace(/\s+/g, ' ');
    for (const label of [
      'CONCORD REGISTRY · 协议登记系统', 'Code 编号', 'Version 版本', 'Certificate of Agreement 协议登记证书', 'Kind 协议类型', 'Status at version 1 第1版状态',
      'In force · 有效', 'Signed 签署时间', 'Venue 地点', 'Ceremony 签约仪式', 'Parties and signatories 签约方及签署人（共2方）', 'City 城市', 'Enterprise 企业',
      'Sectors 合作领域', 'Digital economy 数字经济', 'Value 协议金额', 'Concord 协议登记系统兹证明：上述协议已在所列签约仪式上签署，并已在本系统登记。本证书所载为该协议第1版。', `任何人均可使用 ${BASE}/.well-known/concord-keys.json 公布的公钥，离线验证本证书的 Ed25519 数字签名。`, 'City 城市 · China 中国', 'Enterprise 企业 · Kazakhstan 哈萨克斯坦',
      'Ceremony 签约仪式 Ceremony cer-test · 23 August 2021 · 2021年8月23日',
    ]) expect(text, label).toContain(label);
  });

  it('keeps a party\'s kind and country whole, with their Chinese names, when its signatory line wraps', async () => {
    const { partyDetail } = await import('#shared/certificate/wording.ts');
    const detail = (kind: string, countryCode?: string) => partyDetail({ partyId: 'x', kind: kind as 'state', name: 'X', signatory: { name: 'A' }, ...(countryCode && { countryCode }) });
    // A Chinese or Japanese name's title follows it in full-width brackets; an Arabic-script pair is joined with "، ", any other with ", ".
    const signed = (name: string, title: string) => partyDetail({ partyId: 'x', kind: 'enterprise', name: 'X', signatory: { name, title } });
    expect(signed('朱华荣', '董事长').startsWith('朱华荣（董事长）·  ')).toBe(true); // the bracket's blank half is the space before the dot
    expect(signed('Zhu Huarong', '董事长').startsWith('Zhu Huarong, 董事长')).toBe(true);
    expect(signed('朱华荣', 'Chairman').startsWith('朱华荣, Chairman')).toBe(true);
    expect(signed('朱华荣 Zhu Huarong', '董事长').startsWith('朱华荣 Zhu Huarong, 董事长')).toBe(true); // the characters that meet decide
    expect([signed('محمد علی', 'وزیر اقتصاد'), signed('محمد علی', 'Minister'), signed('Mohammad Ali', 'وزیر')].map((d) => d.split('\u00A0')[0]))
      .toEqual(['محمد علی، وزیر اقتصاد', 'محمد علی, Minister', 'Mohammad Ali, وزیر']);
    // Dhivehi (Thaana) and Syriac write the Arabic comma too.
    expect([signed('މުޙައްމަދު', 'ވަޒީރު'), signed('ܡܪܝ ܐܦܪܝܡ', 'ܦܛܪܝܪܟܐ')].map((d) => d.split('\u00A0')[0])).toEqual(['މުޙައްމަދު، ވަޒީރު', 'ܡܪܝ ܐܦܪܝܡ، ܦܛܪܝܪܟܐ']);
    // The letters that meet decide, past a bracket or a digit; a title with brackets of its own follows a full-width comma.
    expect([signed('李明', '（代）总经理'), signed('王华', '【常务】副主任'), signed('محمد عبد الله', '(بالإنابة) وزير'), signed('رضا احمدی', '۲ معاون')].map((d) => d.split(/\u00A0|·/)[0]))
      .toEqual(['李明，（代）总经理', '王华（【常务】副主任）', 'محمد عبد الله، (بالإنابة) وزير', 'رضا احمدی، ۲ معاون']);
    expect(signed('李明', '总经理(代)').startsWith('李明，总经理(代)')).toBe(true);
    const { joinItems } = await import('#shared/certificate/wording.ts');
    expect([joinItems([], ' · '), joinItems(['a'], ' · '), joinItems(['（a）', 'b', 'c'], '  ·  ')]).toEqual(['', 'a', '（a）·  b  ·  c']);
    expect(partyDetail({ partyId: 'x', kind: 'enterprise', name: 'X', lang: 'ja', signatory: { name: '山田太郎', title: '代表取締役' } }).startsWith('山田太郎（代表取締役）')).toBe(true);
    // A state's name says it is one: its line names its country only. Each item's separator goes with it, never starting a line.
    expect(detail('state', 'LK')).toBe('A\u00A0\u00A0·  Sri\u00A0Lanka\u00A0斯里兰卡');
    expect(detail('organization')).toContain('·  International\u00A0organization\u00A0国际组织');
    // An organization of one country (a ministry, say) is not called international.
    expect(detail('organization', 'IR')).toBe('A\u00A0\u00A0·  Organization\u00A0机构\u00A0\u00A0·  Iran\u00A0伊朗');
    expect(detail('city', 'CN')).toContain('·  City\u00A0城市\u00A0\u00A0·  China\u00A0中国');
    const { wrap, measure } = await import('#shared/certificate/shaping.ts');
    for (const width of [60, 80, 100, 120]) {
      for (const line of wrap(detail('city', 'CN'), 6.5, width)) expect(line, `${width}`).not.toMatch(/^·|^中国|^城市/);
    }
    // A name wider than a column with its Chinese one may still break between them, not inside either.
    const fits = (text: string) => measure(text, 6.5, {}) <= 140;
    const lines = wrap(partyDetail({ partyId: 'x', kind: 'enterprise', name: 'X', signatory: { name: 'A' }, countryCode: 'HM' }, fits), 6.5, 140);
    expect(lines.some((line) => line.endsWith('Heard\u00A0Island\u00A0and\u00A0McDonald\u00A0Islands'))).toBe(true);
    expect(lines.at(-1)).toBe('赫德岛和麦克唐纳群岛');
  });

  it('has a Chinese name for every country it has an English one for, and for no other code', async () => {
    const { countryName, countryNameZh, isCountryCode } = await import('#shared/domain/iso-codes.ts');
    const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
    const codes = letters.flatMap((a) => letters.map((b) => a + b));
    expect(codes.filter((c) => isCountryCode(c) !== (countryNameZh(c) !== undefined))).toEqual([]);
    expect(codes.filter(isCountryCode)).toHaveLength(249);
    expect(['CN', 'KZ', 'RU', 'IN', 'PK', 'BY', 'HK', 'MO', 'TW', 'PS'].map((c) => `${countryName(c)} ${countryNameZh(c)}`)).toEqual([
      'China 中国', 'Kazakhstan 哈萨克斯坦', 'Russia 俄罗斯', 'India 印度', 'Pakistan 巴基斯坦', 'Belarus 白俄罗斯',
      // As China officially writes them, where CLDR does otherwise.
      'Hong Kong SAR, China 中国香港特别行政区', 'Macao SAR, China 中国澳门特别行政区', 'Taiwan, China 中国台湾', 'Palestine 巴勒斯坦',
    ]);
    // Written out as the UN and ISO write them, not in CLDR's informal forms ("&", "St.", "Congo - Kinshasa", "Myanmar (Burma)").
    const informal = codes.filter(isCountryCode).map(countryName).filter((name) => /&|\bSt\.|\bU\.S\.| - |\(Burma\)|SAR China/.test(name));
    expect(informal).toEqual([]);
    expect(['CD', 'CG', 'BA', 'VC', 'MM'].map(countryName)).toEqual(['Democratic Republic of the Congo', 'Republic of the Congo', 'Bosnia and Herzegovina', 'Saint Vincent and the Grenadines', 'Myanmar']);
    // Never "South Korea" or "North Korea" beside 韩国 and 朝鲜: the forms the states, the UN and China write.
    expect(['KR', 'KP', 'CV', 'VN', 'VA'].map((c) => `${countryName(c)} ${countryNameZh(c)}`)).toEqual([
      'Republic of Korea 韩国', 'Democratic People’s Republic of Korea 朝鲜', 'Cabo Verde 佛得角', 'Viet Nam 越南', 'Vatican City 梵蒂冈',
    ]);
  });

  it('draws the QR code as vectors, and it decodes to the printed verification URL', () => {
    const text = pdfToText(bilateral.pdf);
    const printed = /(https:\/\/concord\.example\/verify\/\S+)/.exec(text)?.[1];
    expect(printed).toMatch(new RegExp(`^${BASE}/verify/${bilateral.code}\\?v=1&sig=[A-Za-z0-9_-]{86}$`));
    const file = keep('certificate-2-parties', bilateral.pdf);
    // No raster anywhere (the dictionaries sit in compressed object streams, so ask poppler).
    const images = execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' }).trim().split('\n').slice(2);
    expect(images).toEqual([]);
    execFileSync('pdftoppm', ['-r', '150', '-png', '-singlefile', file, join(WORK, 'qr')]);
    const png = PNG.sync.read(readFileSync(join(WORK, 'qr.png')));
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(printed);
  });

  it('prints the verification URL, which people type from paper, in the monospaced face that tells l from I and 0 from O', async () => {
    const blocks = await drawnBlocks(bilateral.pdf);
    const url = blocks.find((b) => b.map((g) => g.text).join('').startsWith(`${BASE}/verify/`))!;
    expect(new Set(url.map((g) => g.font.replace(/^[A-Z]{6}\+/, '')))).toEqual(new Set(['NotoSansMono-Regular']));
    // Everything else Latin stays in Noto Sans.
    const title = blocks.find((b) => b.map((g) => g.text).join('') === 'Certificate of Agreement')!;
    expect(title[0]!.font).toMatch(/NotoSans-Bold$/);
  });

  it('renders sample PNGs for people to look at', () => {
    for (const [name, pdf] of [['certificate-18-states', all18.pdf], ['certificate-2-parties', bilateral.pdf]] as const) {
      execFileSync('pdftoppm', ['-r', '110', '-png', '-singlefile', keep(name, pdf), join(WORK, name)]);
      expect(readFileSync(join(WORK, `${name}.png`)).length).toBeGreaterThan(50_000);
      copyFileSync(join(WORK, `${name}.png`), join(OUT, `${name}.png`));
    }
  });

  it('sets the metadata, dated at the signing time and modified when recorded', async () => {
    const file = keep('certificate-18-states', all18.pdf);
    const info = execFileSync('pdfinfo', ['-isodates', file], { encoding: 'utf8' });
    expect(info).toMatch(new RegExp(`Title:\\s+Certificate ${all18.code} v1: Joint Declaration on Digital Economy Cooperation`));
    expect(info).toMatch(/Subject:\s+Certificate of agreement .+ version 1/);
    expect(info).toMatch(new RegExp(`Keywords:\\s+Concord certificate ${all18.code} version 1 ${all18.id}`));
    expect(info).toMatch(/CreationDate:\s+2021-08-23T06:30:00/);
    // Modified when the version was recorded (logged after the signing here).
    const { createdAt } = (await t.call('GET', `/agreements/${all18.id}`)).body;
    expect(/ModDate:\s+(\S+)/.exec(info)?.[1]).toBe(`${createdAt.slice(0, 19)}Z`);
    // A signing logged ahead of its time is not modified before it was created.
    const ahead = await renderVariant(bilateral.id, ({ agreement }) => ({ agreement: { ...agreement, signedAt: '2030-01-01T08:00:00+08:00', updatedAt: '2029-12-31T12:00:00.000Z' } }));
    const aheadInfo = execFileSync('pdfinfo', ['-isodates', keep('certificate-logged-ahead', ahead)], { encoding: 'utf8' });
    expect([/CreationDate:\s+(\S+)/.exec(aheadInfo)?.[1], /ModDate:\s+(\S+)/.exec(aheadInfo)?.[1]]).toEqual(['2030-01-01T00:00:00Z', '2030-01-01T00:00:00Z']);
    expect(info).toMatch(/Pages:\s+1/);
    expect(info).toMatch(/Page size:\s+841.89 x 595.28/);
  });

  it('asks viewers to show the title, not the file name, and says the text is English', async () => {
    const { PDFDocument, PDFName } = await import('pdf-lib');
    const doc = await PDFDocument.load(all18.pdf);
    expect(doc.catalog.getViewerPreferences()?.getDisplayDocTitle()).toBe(true);
    expect(doc.catalog.get(PDFName.of('Lang'))?.toString()).toBe('(en)');
  });

  it.each([
    ['parentheses and a backslash', 'Phase (2) of 3) \\ plan'],
    ['non-ASCII letters', 'Café Čiž — 智慧物流 𠮷'],
    // Over 128 characters: as the file's first object, the info dictionary tripped poppler's linearization probe.
    ['300 characters', `Memorandum of Understanding on the SCO Digital Economy Cooperation Platform ${'and Joint Research Centre '.repeat(9)}`.slice(0, 300).trimEnd()],
  ])('writes a title with %s into the metadata intact', async (_name, title) => {
    await renderVariant(bilateral.id, ({ agreement }) => ({ agreement: { ...agreement, title } }), 'certificate-title');
    const file = join(WORK, 'certificate-title.pdf');
    const info = spawnSync('pdfinfo', ['-enc', 'UTF-8', file], { encoding: 'utf8' });
    expect(info.stdout).toContain(`Title:           Certificate ${bilateral.code} v1: ${title}\n`);
    expect(info.stderr).toBe(''); // no "Syntax Error" of any kind
    expect(spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' }).stderr).toBe('');
  });

  it('breaks Chinese as Chinese is set: no line starts with a comma, stop or closing bracket, nor ends with an opening one', async () => {
    const { measure, wrap } = await import('#shared/certificate/shaping.ts');
    const opts = { lang: 'zh-Hans' };
    const width = measure('数'.repeat(10), 11, opts) + 0.5; // ten characters a line
    // Filled line by line, each of these would break right before the punctuation (or after the opening bracket).
    for (const [text, mark] of [[`${'数'.repeat(10)}，${'字'.repeat(12)}`, '，'], [`${'数'.repeat(10)}）${'字'.repeat(12)}`, '）'], [`${'数'.repeat(10)}。`, '。']] as const) {
      const lines = wrap(text, 11, width, opts);
      expect(lines.join(''), mark).toBe(text);
      expect(lines.map((l) => l[0]), mark).not.toContain(mark);
      expect(lines[0], mark).toHaveLength(9); // one character moved to go with it
    }
    const opening = wrap(`${'数'.repeat(9)}（${'字'.repeat(12)}）`, 11, width, opts);
    expect(opening.map((l) => l.at(-1))).not.toContain('（');
    expect(opening[1]!.startsWith('（')).toBe(true);
    // Japanese too: no line starts with a small kana or a long-vowel or iteration mark.
    for (const mark of ['ッ', 'ー', '々']) {
      const lines = wrap(`${'数'.repeat(10)}${mark}${'字'.repeat(12)}`, 11, width, { lang: 'ja' });
      expect(lines.map((l) => l[0]), mark).not.toContain(mark);
    }
    // A run with nowhere it may break still fills its lines (it cannot move back).
    const dots = wrap('…'.repeat(30), 11, width, opts);
    expect(dots.join('')).toBe('…'.repeat(30));
    expect(dots[0]!.length).toBeGreaterThan(5);
  });

  it('keeps a number or a Latin word in Chinese text whole where a line breaks: "2024", "SCO" and "12,500,000" never split', async () => {
    const { balancedWrap, measure, wrap } = await import('#shared/certificate/shaping.ts');
    const text = '中国—上海合作组织数字经济论坛2024年会议SCO成员国签署12,500,000元协议';
    for (let width = 60; width <= 300; width += 3) {
      const lines = wrap(text, 10, width, { lang: 'zh-Hans' });
      expect(lines.join(''), String(width)).toBe(text);
      for (const [a, b] of lines.slice(1).map((l, i) => [lines[i]!, l] as const)) expect(`${a.at(-1)}|${b[0]}`, `${width}: ${lines.join(' / ')}`).not.toMatch(/^[0-9A-Z,]\|[0-9A-Z,]$/);
    }
    // Where what would move to the next line is wider than a line anyway, the line fills instead.
    expect(wrap('中国Internationalization', 10, measure('中国Internation', 10))).toEqual(['中国Internation', 'alization']);
    expect(wrap('Longname', 10, measure('Longn', 10))).toEqual(['Longn', 'ame']);
    // A word wider than its line breaks after its hyphen or dash where what follows then fits a line.
    expect(wrap('Dupont-Longname', 10, measure('Dupont-Longn', 10))).toEqual(['Dupont-', 'Longname']);
    expect(wrap('€ 2024–2025', 18, 69.1)).toEqual(['€', '2024–', '2025']);
    // Digits of any script hold together, and a currency sign to its number (UAX #14 LB25).
    expect(wrap('ឆ្នាំ២០២៤', 12, 37, { lang: 'km' })).toEqual(['ឆ្នាំ', '២០២៤']);
    expect(wrap('合作金额¥100万元整', 12, 31, { lang: 'zh-Hans' })).toEqual(['合作', '金额', '¥100', '万元', '整']);
    // No line starts with "/" (LB13), nor ends with an opening bracket a space follows (LB14); "——" stays whole (LB17).
    expect(wrap('Ministry of Trade / Department of Commerce', 12, 100)).toEqual(['Ministry of', 'Trade /', 'Department of', 'Commerce']);
    expect(wrap('有限公司（ 北京）', 12, 63.5, { lang: 'zh-Hans' })).toEqual(['有限公司', '（ 北京）']);
    for (let width = 24; width <= 80; width += 2) expect(wrap('中国——东盟博览会', 12, width, { lang: 'zh-Hans' }).join('|'), String(width)).not.toMatch(/—\|—/);
    // Nor after a hyphen between digits (LB25), nor after a stop between letters (LB29), where what follows fits a line.
    expect(wrap('电话：1234-5678', 12, 70, { lang: 'zh-Hans' })).toEqual(['电话：', '1234-5678']);
    expect(wrap('www.example.org/agreements', 16, 150)).toEqual(['www.example.org/', 'agreements']);
    // A Han word wider than its line first finishes the line it follows (a title with one space broke there, half a line short).
    const title = '关于2021年中国—上海合作组织数字经济产业论坛（SCE 2021）框架下共建“一带一路”智慧物流枢纽及跨境电子商务（B2B）合作项目';
    expect(wrap(title, 12, 400, { lang: 'zh-Hans' })[0]).toMatch(/（SCE 2021）框架下/);
    // A balanced name is no narrower than the widest part of a compound between its hyphens.
    expect(balancedWrap('Industrie- und Handelskammer Nordrhein-Westfalen-Außenwirtschaftsberatungszentrum', 9, 180, { weight: 'bold' }))
      .toEqual(['Industrie- und Handelskammer', 'Nordrhein-Westfalen-', 'Außenwirtschaftsberatungszentrum']);
    // Never before a hyphen (UAX #14 LB21): no line of "-" alone, none starting with one.
    for (let width = 20; width <= 200; width += 1) {
      const lines = wrap('Baden-Württemberg-International-Gesellschaft', 10, width);
      expect(lines.join(''), String(width)).toBe('Baden-Württemberg-International-Gesellschaft');
      expect(lines.filter((line) => line.startsWith('-')), `${width}: ${lines.join(' / ')}`).toEqual([]);
    }
  });

  it('prints a title of 300 characters, and a Chinese title as long, in full, on lines that do not touch', async () => {
    const title = `Memorandum of Understanding on the Establishment of the SCO Digital Economy Platform ${'and a Joint Research Centre '.repeat(8)}`.slice(0, 300).trimEnd();
    const titleZh = '关于建立上海合作组织数字经济合作平台及联合研究中心的谅解备忘录'.repeat(10).slice(0, 300);
    const pdf = await renderVariant(bilateral.id, ({ agreement }) => ({ agreement: { ...agreement, title, titleZh } }));
    const text = pdfToText(pdf);
    expect(text.replace(/\s+/g, ' ')).toContain(title);
    expect(text.replace(/\s+/g, '')).toContain(titleZh);
    expect(touchingLines(await drawnBlocks(pdf))).toEqual([]);
  });

  it('spaces wrapped title and fact lines by their ink: vocalized Arabic marks never meet the line next to them', async () => {
    const vocalized = 'ٱلْمَمْلَكَةٱلْعَرَبِيَّةٱلسُّعُودِيَّة'.repeat(10);
    const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
      agreement: { ...a, title: vocalized.slice(0, 300) },
      ceremony: { ...ceremony, title: 'Holding Logistics Free Investment of Foreign City the Trade Federation and Investment City Logistics Institute Development Trade Republic Commerce Innovation Authority Cooperation', event: vocalized.slice(0, 300) },
    }));
    expect(touchingLines(await drawnBlocks(pdf))).toEqual([]);
  });

  it('sets a title whose accents stack thirty high under the certificate\'s names, not over them, under either heading', async () => {
    const stacked = `Stacked a${'\u0301'.repeat(30)}`.normalize('NFC');
    for (const id of [bilateral.id, all18.id]) {
      let report: RenderReport | undefined;
      const pdf = await renderVariant(id, ({ agreement: a }) => ({ agreement: { ...a, title: stacked } }), undefined, (r) => (report = r));
      const blocks = await drawnBlocks(pdf);
      const inked = (b: DrawnGlyph[]) => b.filter((g) => g.ink);
      const titleBlock = blocks.find((b) => textOf(b).startsWith('Stacked'))!;
      const names = blocks.filter((b) => ['Certificate of Agreement', '协议登记证书'].includes(textOf(b)));
      expect(names, id).toHaveLength(2);
      const titleTop = Math.max(...inked(titleBlock).map((g) => g.ink![3]));
      const namesBottom = Math.min(...names.flatMap((b) => inked(b).map((g) => g.ink![1])));
      expect(titleTop, `${id} (compact: ${report?.compactHeading})`).toBeLessThan(namesBottom);
    }
  });

  it('never sets the Chinese title larger than the English one it translates', async () => {
    const title = 'Memorandum of Understanding on Cooperation in Digital Government, Cross-Border Electronic Payments, Smart Logistics, Smart Tourism, Industrial Internet Platforms and the Development of Digital Channels between the Parties';
    // Eighteen parties leave the titles no room for a line more (see the next test).
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, title, titleZh: '关于数字政府与跨境电子支付合作的谅解备忘录', parties: Array.from({ length: 18 }, (_, i) => ({ ...a.parties[i % 2]!, partyId: `p${i}` })) },
    }));
    const blocks = await drawnBlocks(pdf);
    const size = (test: (text: string) => boolean) => blocks.find((b) => test(b.map((g) => g.text).join('')))![0]!.size;
    const english = size((text) => text.startsWith('Memorandum of Understanding'));
    expect(english).toBeLessThan(12);
    // As large as the English one, where the Chinese title's sizes allow it (both 11 pt here).
    expect(size((text) => text.startsWith('关于数字政府'))).toBe(english);
  });

  it('sets long titles in larger type on a line more when the page has the room, and never takes it from the parties', async () => {
    const title = 'Memorandum of Understanding between the Ministry of Commerce of the People\'s Republic of China and the Ministry of Trade and Integration of the Republic of Kazakhstan on Deepening Practical Cooperation in the Digital Economy';
    const titleZh = '中华人民共和国商务部与哈萨克斯坦共和国贸易和一体化部关于在上海合作组织框架下深化数字经济、跨境电子商务、智慧物流和工业互联网领域务实合作以及共同推动中国—中亚数字丝绸之路建设的谅解备忘录';
    const titleLines = async (parties: number) => {
      const reports: RenderReport[] = [];
      const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
        agreement: { ...a, title, titleZh, parties: Array.from({ length: parties }, (_, i) => ({ ...a.parties[i % 2]!, partyId: `p${i}` })) },
      }), undefined, (r) => reports.push(r));
      const lines = (await drawnBlocks(pdf)).map((b) => ({ text: b.map((g) => g.text).join(''), size: b[0]!.size }));
      const [en, zh] = [lines.filter((l) => title.includes(l.text)), lines.filter((l) => titleZh.includes(l.text))];
      expect([en.map((l) => l.text).join(' '), zh.map((l) => l.text).join('')]).toEqual([title, titleZh]);
      return { en: en.length, enSize: en[0]!.size, zh: zh.length, zhSize: zh[0]!.size, party: reports[0]!.partyType.name };
    };
    // Two parties: the titles take three lines each in larger type (they took two, at 10 and 9 pt), the Chinese no larger than the English.
    const roomy = await titleLines(2);
    expect(roomy.en).toBe(3);
    expect(roomy.enSize).toBeGreaterThanOrEqual(12);
    expect(roomy.zhSize).toBeGreaterThan(9);
    expect(roomy.zhSize).toBeLessThanOrEqual(roomy.enSize);
    // The parties keep the type they have under short titles (two: 15% larger than 13 pt, in the room they have).
    const short: number[] = [];
    await renderVariant(bilateral.id, ({ agreement: a }) => ({ agreement: { ...a, title: 'Short', titleZh: '短' } }), undefined, (r) => short.push(r.partyType.name));
    expect(short).toEqual([roomy.party]);
    expect(roomy.party).toBeCloseTo(13 * 1.15);
    // Eight parties would have to shrink under the roomier titles: the titles keep to two lines.
    const crowded = await titleLines(8);
    expect([crowded.en, crowded.zh]).toEqual([2, 2]);
    expect(crowded.enSize).toBeLessThan(12);
  });

  it('breaks a title or a name into lines as even as they go, never inside a word: no last line of one word', async () => {
    const { balancedWrap, wrap, measure } = await import('#shared/certificate/shaping.ts');
    const bold = { weight: 'bold' as const };
    // "Platform" alone on a title's second line; "Iran" alone under a state's name.
    const title = 'Memorandum of Understanding on the China-SCO Digital Economy Industry Forum Platform';
    expect(wrap(title, 15, 641.89, bold).at(-1)).toBe('Platform');
    expect(balancedWrap(title, 15, 641.89, bold)).toEqual(['Memorandum of Understanding on the China-SCO', 'Digital Economy Industry Forum Platform']);
    const width = measure('Islamic Republic of', 10.5, bold) + 1;
    expect(wrap('Islamic Republic of Iran', 10.5, width, bold)).toEqual(['Islamic Republic of', 'Iran']);
    expect(balancedWrap('Islamic Republic of Iran', 10.5, width, bold)).toEqual(['Islamic', 'Republic of Iran']); // the narrower of two even ways
    // No narrower than its widest word: a word is never broken to even the lines.
    expect(balancedWrap('Antidisestablishmentarianism is long', 10, measure('Antidisestablishmentarianism is', 10) + 1)).toEqual(['Antidisestablishmentarianism', 'is long']);
    // Nor a word that fits, beside one wider than a line (which breaks where it must).
    const thai = 'สำนักงานคณะกรรมการส่งเสริมการลงทุน กระทรวงการต่างประเทศ กระทรวงพาณิชย์แห่งราชอาณาจักรไทยและสำนักงานส่งเสริมการค้าระหว่างประเทศ';
    const column = measure('สำนักงานคณะกรรมการส่งเสริมการลงทุน', 9.5, { lang: 'th' }) + 2;
    const thaiLines = balancedWrap(thai, 9.5, column, { lang: 'th' });
    expect(thaiLines.join('').replace(/ /g, '')).toBe(thai.replace(/ /g, ''));
    for (const word of ['สำนักงานคณะกรรมการส่งเสริมการลงทุน', 'กระทรวงการต่างประเทศ']) expect(thaiLines.some((line) => line.includes(word)), thaiLines.join(' | ')).toBe(true);
    // Text without spaces (Chinese) evens out too; what fits on a line stays one line.
    const zh = '关于数字政府与跨境电子支付合作的谅解备忘录';
    const halves = balancedWrap(zh, 12, measure(zh, 12, { lang: 'zh-Hans' }) * 0.8, { lang: 'zh-Hans' });
    expect([halves.length, Math.abs(halves[0]!.length - halves[1]!.length) <= 1, halves.join('')]).toEqual([2, true, zh]);
    expect(balancedWrap(title, 15, 2000, bold)).toEqual([title]);
    // On the certificate: the demo memorandum's title on two even lines.
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({ agreement: { ...a, title } }));
    const lines = (await drawnBlocks(pdf)).map((b) => b.map((g) => g.text).join('')).filter((line) => title.includes(line) && line.length > 10);
    expect(lines).toEqual(['Memorandum of Understanding on the China-SCO', 'Digital Economy Industry Forum Platform']);
  });

  it('wraps a long party name onto a second line at a readable size instead of shrinking it to fit one', async () => {
    const name = 'Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan';
    const localName = 'Қазақстан Республикасының Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі';
    let otherName = '';
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => {
      otherName = a.parties[1].name;
      return { agreement: { ...a, parties: [{ ...a.parties[0], name, localName, lang: 'kk' }, ...a.parties.slice(1), { ...a.parties[1], partyId: 'third' }] } };
    }, 'certificate-long-name');
    // Reading order, not layout: the other columns share the name's lines.
    const text = pdfToText(pdf, { raw: true }).replace(/\s+/g, ' ');
    expect(text).toContain(name);
    expect(text).toContain(localName);
    const blocks = await drawnBlocks(pdf);
    const nameLines = blocks.filter((b) => b[0]!.font.includes('Bold') && name.includes(textOf(b)));
    expect(nameLines.map(textOf).join(' ')).toBe(name);
    expect(nameLines.length).toBeGreaterThan(1);
    // Three parties print names at 13 pt; one line would have needed about 5. Wrapped at 85% or more,
    // at the size every party's name prints at: names side by side look alike.
    const other = blocks.find((b) => b[0]!.font.includes('Bold') && textOf(b) === otherName)!;
    for (const line of nameLines) expect(line[0]!.size).toBeGreaterThanOrEqual(13 * 0.85 * 0.85);
    expect(new Set([...nameLines, other].map((b) => b[0]!.size.toFixed(3))).size).toBe(1);
    expect(touchingLines(blocks)).toEqual([]);
  });

  it('sets a wrapped right-to-left name or title right to left: every line in its direction, a name\'s lines starting on the right', async () => {
    // Each wraps (evenly) before Latin words: a second line read on its own would begin left to right, with the Latin on the left.
    const localName = 'وزارت ارتباطات و فناوری اطلاعات Digital Silk Road دفتر همکاری';
    const title = 'یادداشت تفاهم همکاری میان وزارت ارتباطات و فناوری اطلاعات Digital Silk Road Cooperation Office دفتر همکاری';
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, title, parties: [{ ...a.parties[0], localName, lang: 'fa' }, ...a.parties.slice(1), { ...a.parties[1], partyId: 'third' }] },
    }), 'certificate-rtl-wrap');
    const blocks = await drawnBlocks(pdf);
    const inked = (line: DrawnGlyph[]) => line.filter((g) => g.ink).map((g) => g.ink!);
    // From the top: the title's two lines, then the name's two.
    const lines = blocks.filter((b) => b.some((g) => g.font.includes('Arabic'))).sort((p, q) => q[0]!.y - p[0]!.y);
    expect(lines).toHaveLength(4);
    for (const line of [lines[1]!, lines[3]!]) {
      const arabic = inked(line.filter((g) => g.font.includes('Arabic')));
      const latin = inked(line.filter((g) => !g.font.includes('Arabic')));
      expect(latin.length).toBeGreaterThan(6);
      // The Latin words come first, so they stand on the right of the line, the Persian after them on the left.
      expect(Math.min(...latin.map((ink) => ink[0]))).toBeGreaterThan(Math.max(...arabic.map((ink) => ink[2])));
    }
    // The name's lines end on the right together (within side bearings); the second, a little shorter (evened), starts further in on the left.
    const [first, second] = lines.slice(2).map((line) => ({ left: Math.min(...inked(line).map((ink) => ink[0])), right: Math.max(...inked(line).map((ink) => ink[2])) }));
    expect(Math.abs(first!.right - second!.right)).toBeLessThan(1.5);
    expect(second!.left - first!.left).toBeGreaterThan(4);
    expect(touchingLines(blocks)).toEqual([]);
  });

  it('spaces an annex page\'s rows with the room it has, so that a signatory line never runs into the next party\'s name', async () => {
    const pdf = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: Array.from({ length: 30 }, (_, i) => ({ ...a.parties[i % 18], partyId: `p-${i}`, signatory: { name: `Signatory No. ${i + 1}`, title: 'Director' } })) },
    }));
    const blocks = (await drawnBlocks(pdf, 1)).map((b) => ({ text: b.map((g) => g.text).join(''), x: b[0]!.x, bottom: Math.min(...b.filter((g) => g.ink).map((g) => g.ink![1])), top: Math.max(...b.filter((g) => g.ink).map((g) => g.ink![3])) }));
    const signatories = blocks.filter((b) => b.text.startsWith('Signatory No.'));
    expect(signatories.length).toBeGreaterThan(3);
    for (const line of signatories) {
      const below = blocks.filter((b) => Math.abs(b.x - line.x) < 1 && b.top < line.bottom).sort((p, q) => q.top - p.top)[0];
      if (below) expect(line.bottom - below.top, line.text).toBeGreaterThan(6); // half a name's size more than the blocks' own 3 pt
    }
  });

  it('prints a list that continues on an annex at full size, its rows spaced, rather than shrink every name to squeeze a row more onto the first page', async () => {
    // A joint declaration of the 18 states, five signed by ministers and thirteen by ambassadors, whose titles take two lines.
    const ambassador = 'Ambassador Extraordinary and Plenipotentiary to the People\'s Republic of China';
    let report: RenderReport | undefined;
    const declaration = (over: Record<string, unknown>) => renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: {
        ...a, ...over, title: 'Joint Declaration on Digital Economy Cooperation among the Member States, Observer States and Dialogue Partners of the Shanghai Cooperation Organisation',
        parties: a.parties.map((p: any, i: number) => ({ ...p, signatory: { name: 'Head of Delegation', title: i < 5 ? 'Minister of Digital Development, Communications and Mass Media' : ambassador } })),
      },
    }), undefined, (r) => (report = r));
    // Voided, its banner under the titles takes a line: its parties keep their type (they printed at 8.2 pt), a row going to the annex.
    await declaration(VOIDED);
    expect(report!.partyType.name).toBe(9);
    const pdf = await declaration({});
    expect((await (await import('pdf-lib')).PDFDocument.load(pdf)).getPageCount()).toBe(2);
    // The 9 pt of eighteen parties, on both pages.
    expect(report!.partyType.name).toBe(9);
    for (const n of [0, 1]) {
      const names = (await drawnBlocks(pdf, n)).filter((b) => b[0]!.font.includes('Bold') && STATES.some((st) => st.name === textOf(b)));
      expect(names.length).toBeGreaterThan(2);
      for (const name of names) expect(name[0]!.size).toBe(9);
    }
    // A signatory line stands clear of the next party's name under it: half a name's size more than the blocks' own 3 pt (it was about 3 pt).
    const blocks = (await drawnBlocks(pdf, 0)).filter((b) => b.some((g) => g.ink));
    const names = blocks.filter((b) => b[0]!.font.includes('Bold') && STATES.some((st) => st.name === textOf(b)));
    // Each name of the second row on, and the lowest line above it in its column (its neighbour's signatory line).
    const below = names.filter((name) => names.some((other) => Math.abs(other[0]!.x - name[0]!.x) < 1 && inkTop(other) > inkTop(name)));
    const gaps = below.map((name) => Math.min(...blocks.filter((b) => Math.abs(b[0]!.x - name[0]!.x) < 1 && inkBottom(b) > inkTop(name)).map((b) => inkBottom(b) - inkTop(name))));
    expect(gaps.length).toBeGreaterThan(3);
    for (const gap of gaps) expect(gap).toBeGreaterThan(6);
  });

  it('sets an Urdu name in the same hand in every version: a void\'s banner does not switch it from Nastaliq to Naskh', async () => {
    // Pakistan and its IT ministry, then other states; Nastaliq where it costs nothing even with the banner.
    const ministry = { partyId: 'org-pk-moitt', kind: 'organization', name: 'Ministry of Information Technology and Telecommunication, Government of Pakistan', localName: 'وزارت انفارمیشن ٹیکنالوجی و ٹیلی کمیونیکیشن، حکومت پاکستان', lang: 'ur', countryCode: 'PK' };
    const nastaliq = async (n: number, voided: boolean) => {
      const pdf = await renderVariant(all18.id, ({ agreement: a }) => {
        const pk = a.parties.find((p: any) => p.lang === 'ur');
        const others = a.parties.filter((p: any) => p.lang !== 'ur');
        const parties = [pk, ministry, ...others].slice(0, n).map((p: any) => ({ ...p, signatory: { name: 'Signatory', title: 'Minister for Digital Development, Innovation and Aerospace Industry' } }));
        return { agreement: { ...a, title: 'Memorandum', parties, ...(voided && VOIDED) } };
      });
      return (await drawnBlocks(pdf)).some((b) => b.some((g) => g.font.startsWith('NotoNastaliqUrdu')));
    };
    const hands: boolean[] = [];
    for (const n of [4, 5, 6, 7]) {
      const [first, void_] = [await nastaliq(n, false), await nastaliq(n, true)];
      expect(void_, `${n} parties`).toBe(first);
      hands.push(first);
    }
    expect(hands).toContain(true); // not Naskh throughout
  });

  it('never gives a list more room for a taller name: a row that needs more height makes the grid no shorter', async () => {
    // Seven and eight voided parties: evening the rows' gaps out of their least made a Tibetan name's
    // taller row shrink every other row's gap, and its list took the full heading where a Cyrillic one needed the compact.
    const heading = async (n: number, localName: string, lang: string) => {
      let report: RenderReport | undefined;
      await renderVariant(all18.id, ({ agreement: a }) => {
        const parties = a.parties.filter((p: any) => p.lang !== 'ur').slice(0, n).map((p: any) => ({ ...p, signatory: { name: 'Head of Delegation', title: 'Director' } }));
        parties[0] = { ...parties[0], localName, lang };
        return { agreement: { ...a, ...VOIDED, title: 'Joint Declaration', parties } };
      }, undefined, (r) => (report = r));
      return [report!.compactHeading ? 1 : 0, -report!.partyType.name];
    };
    for (const n of [7, 8]) {
      const [plain, taller] = [await heading(n, 'Тест', 'ru'), await heading(n, 'ལྷ་ས་གྲོང་ཁྱེར།', 'bo')];
      expect(taller[0]!, `${n} parties`).toBeGreaterThanOrEqual(plain[0]!);
      if (taller[0] === plain[0]) expect(taller[1]!, `${n} parties`).toBeGreaterThanOrEqual(plain[1]! - 1e-6);
    }
  });

  it('spaces the rows of parties alike: a short row does not stand further from the next than a tall one', async () => {
    const ministry = {
      name: 'Ministry of Digital Development, Innovation and Aerospace Industry of the Republic of Kazakhstan',
      localName: 'Қазақстан Республикасы Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі', lang: 'kk',
      signatory: { name: 'Bagdat Mussin', title: 'Minister of Digital Development, Innovation and Aerospace Industry' },
    };
    const names = [ministry.name, 'Islamic Republic of Iran', 'SCO Business Council', 'Islamic Republic of Pakistan', 'Bakı Rəqəmsal Həllər MMC'];
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: names.map((name, i) => ({ ...a.parties[i % 2], partyId: `p${i}`, name, ...(i === 0 && ministry) })) },
    }));
    const blocks = (await drawnBlocks(pdf)).filter((b) => b.some((g) => g.ink));
    // Each row's first name (the ministry's first line), then the space under each row (its lowest ink) to the next row's highest.
    const rowTops = [names[0]!, names[2]!, names[4]!].map((name) => inkTop(blocks.find((b) => b[0]!.font.includes('Bold') && textOf(b).length > 8 && name.startsWith(textOf(b)))!));
    const gaps = [0, 1].map((r) => Math.min(...blocks.filter((b) => inkTop(b) <= rowTops[r]! + 0.5 && inkTop(b) > rowTops[r + 1]! + 0.5).map(inkBottom)) - rowTops[r + 1]!);
    expect(gaps[0]).toBeGreaterThan(3);
    expect(Math.abs(gaps[0]! - gaps[1]!)).toBeLessThan(0.5); // 4.7 and 11 points when short rows were padded to the style's block
  });

  it('continues the party list on an annex page when more parties sign than one page holds legibly (here 30)', async () => {
    const pdf = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: Array.from({ length: 30 }, (_, i) => ({ ...a.parties[i % 18], partyId: `p-${i}`, signatory: { name: `Signatory No. ${i + 1}`, title: 'Director' } })) },
    }), 'certificate-30-parties');
    expect(execFileSync('pdfinfo', [join(WORK, 'certificate-30-parties.pdf')], { encoding: 'utf8' })).toMatch(/Pages:\s+2\n/);
    const page = (n: number) => pdfToText(pdf, { raw: true, page: n });
    const signatories = (text: string) => [...text.matchAll(/Signatory No\. (\d+)/g)].map((m) => Number(m[1]));
    // Every party once, in order, the first page first; the annex says what it continues.
    expect([...signatories(page(1)), ...signatories(page(2))]).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // After a full-width bracket the dot takes the bracket's blank half for its spaces before it.
    expect(page(1)).toContain('Parties and signatories 签约方及签署人（共30方）· continued on the next page');
    // Each page says which of how many it is, so that a page gone missing shows.
    expect([page(1), page(2)].map((text) => /Page 页码 (\d+\/\d+)/.exec(text)?.[1])).toEqual(['1/2', '2/2']);
    expect(page(2)).toMatch(new RegExp(`Parties and signatories, continued 签约方及签署人（续）· ${signatories(page(1)).length + 1}–30 of 30 · 第${signatories(page(1)).length + 1}至第30方，共30方`));
    const sizes = new Set<number>();
    for (const n of [0, 1]) {
      const blocks = await drawnBlocks(pdf, n);
      expect(touchingLines(blocks)).toEqual([]);
      const names = blocks.filter((b) => b[0]!.font.includes('Bold') && STATES.some((st) => st.name === b.map((g) => g.text).join('')));
      expect(names.length).toBeGreaterThan(8);
      for (const name of names) sizes.add(name[0]!.size);
    }
    // One size on every page, and at 85% of the usual 9 pt or more.
    expect(sizes.size).toBe(1);
    expect([...sizes][0]).toBeGreaterThanOrEqual(9 * 0.85);
  });

  it('prints signatory lines at their length limits, with countries of the longest names, at one size and not below 5.5 pt: wrapped, not shrunk one by one', async () => {
    const { SMALLEST_DETAIL } = await import('#shared/certificate/render.ts');
    const [name, title, role] = [`${'Abdulkhamid Nurmukhamedov-Sultanbekov '.repeat(6)}`.slice(0, 200).trim(), 'Deputy Prime Minister and Minister of Foreign Economic Relations, '.repeat(4).slice(0, 200).trim(), 'Coordinating party for the implementation and monitoring of the joint action programme of the parties'.slice(0, 100)];
    for (const count of [3, 9]) {
      const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
        agreement: { ...a, parties: Array.from({ length: count }, (_, i) => ({ partyId: `p-${i}`, kind: 'state', name: `Party ${i + 1}`, countryCode: ['CD', 'KP', 'VC', 'BA', 'AE', 'GS', 'KZ', 'IN', 'KH'][i], role, signatory: { name, title } })) },
      }), `certificate-longest-signatory-lines-${count}`);
      const sizes = new Set<number>();
      const doc = await (await import('pdf-lib')).PDFDocument.load(pdf);
      for (let n = 0; n < doc.getPageCount(); n++) {
        for (const b of await drawnBlocks(pdf, n)) if (b.map((g) => g.text).join('').includes('Nurmukhamedov')) sizes.add(Math.round(b[0]!.size * 100) / 100);
      }
      expect([...sizes], `${count} parties`).toHaveLength(1);
      expect([...sizes][0], `${count} parties`).toBeGreaterThanOrEqual(SMALLEST_DETAIL);
    }
  });

  it('prints no party\'s name below 6.5 pt and no signatory line below 5.5 pt, however many parties sign and however long their lines', async () => {
    const title = 'Deputy Minister for International Cooperation, Digital Development and Innovation of the Republic (acting)';
    const pdf = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: Array.from({ length: 50 }, (_, i) => ({ ...a.parties[i % 18], partyId: `p-${i}`, role: 'Co-organizer of the digital economy platform', signatory: { name: `Signatory No. ${i + 1}`, title } })) },
    }), 'certificate-50-parties');
    const { SMALLEST_NAME, SMALLEST_DETAIL } = await import('#shared/certificate/render.ts');
    const doc = await (await import('pdf-lib')).PDFDocument.load(pdf);
    const signatories: number[] = [];
    for (let n = 0; n < doc.getPageCount(); n++) {
      const blocks = await drawnBlocks(pdf, n);
      expect(touchingLines(blocks), `page ${n + 1}`).toEqual([]);
      // The smallest type on a certificate is a party's signatory line.
      expect(Math.min(...blocks.flat().map((g) => g.size)), `page ${n + 1}`).toBeGreaterThanOrEqual(SMALLEST_DETAIL - 0.01);
      const names = blocks.filter((b) => b[0]!.font.includes('Bold') && STATES.some((st) => st.name === b.map((g) => g.text).join('')));
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(name[0]!.size, `page ${n + 1}`).toBeGreaterThanOrEqual(SMALLEST_NAME - 0.01);
      signatories.push(...[...pdfToText(pdf, { raw: true, page: n + 1 }).matchAll(/Signatory No\. (\d+)/g)].map((m) => Number(m[1])));
    }
    expect(signatories).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(pdfToText(pdf, { raw: true }).replace(/\s+/g, ' ')).toContain(title);
  });

  it('takes a paragraph\'s direction from its first strong character, the directional marks (LRM, RLM) included', async () => {
    const { rtlParagraph } = await import('#shared/certificate/shaping.ts');
    expect([rtlParagraph('\u200Fabc شركة'), rtlParagraph('\u200Eشركة abc'), rtlParagraph('12 شركة'), rtlParagraph('؟ abc')]).toEqual([true, false, true, true]);
  });

  it('runs a local name right to left in a language written so, where it holds right-to-left letters, whatever word it opens with', async () => {
    const { rtlParagraph } = await import('#shared/certificate/shaping.ts');
    const name = 'IBM الشرق الأوسط (دبي) – فرع 3';
    expect([rtlParagraph(name), rtlParagraph(name, 'ar'), rtlParagraph(name, 'ar-AE'), rtlParagraph(name, 'az-Arab'), rtlParagraph(name, 'az'), rtlParagraph(name, 'en')]).toEqual([false, true, true, true, false, false]);
    // The language's likely script (CLDR's), whatever else the tag holds: a deprecated code, an extension, Nastaliq's own script code.
    expect(['iw', 'ckb', 'ur-Aran', 'ar-u-nu-latn', 'en-u-nu-arab', 'ar-Latn', 'sd-Deva'].map((tag) => rtlParagraph('IBM שלום شركة', tag))).toEqual([true, true, true, true, false, false, false]);
    // Without a right-to-left letter the language does not turn it; a Latin-script tag of such a language neither.
    expect([rtlParagraph('IBM Middle East', 'ar'), rtlParagraph('Ali Valiyev ولی', 'ug-Latn'), rtlParagraph('IBM שלום', 'he')]).toEqual([false, false, true]);
    // Drawn on a certificate: the Latin word at the line's right, the Arabic reading from it leftwards.
    const pdf = await renderVariant(bilateral.id, ({ agreement }) => ({ agreement: { ...agreement, parties: [{ ...agreement.parties[0], localName: name, lang: 'ar' }, agreement.parties[1]] } }), 'certificate-rtl-local-name');
    const line = (await drawnBlocks(pdf)).find((b) => b.some((g) => g.text === 'I') && b.some((g) => g.text.includes('ش')))!;
    const xOf = (ch: string) => line.find((g) => g.text.includes(ch))!.x;
    expect(xOf('I')).toBeGreaterThan(xOf('ش'));
    expect(xOf('ش')).toBeGreaterThan(xOf('3'));
  });

  it('sets spaces and punctuation between two scripts in the Latin font; between words of one script, in its own', async () => {
    const { measure } = await import('#shared/certificate/shaping.ts');
    // Noto Sans Sinhala's space is 500 units, Noto Sans's 260: a separator after a Sinhala title gaped.
    const [title, separator] = ['නගරාධිපති', '  ·  City 城市'];
    expect(measure(`${title}${separator}`, 1000)).toBeCloseTo(measure(title, 1000) + measure(separator, 1000), 6);
    expect(measure('කේසර සේනානායක', 1000)).toBeCloseTo(measure('කේසර', 1000) + 500 + measure('සේනානායක', 1000), 6);
  });

  it('draws digits between Han characters in bold text in the Han font, which has no bold: not bold digits among regular Han', async () => {
    const { shapeLine } = await import('#shared/certificate/shaping.ts');
    const faces = (text: string, weight: 'regular' | 'bold') => new Set(shapeLine(text, { weight }).glyphs.map((g) => g.face));
    expect(faces('本协议已于2026年11月30日作废', 'bold').size).toBe(1);
    expect([...faces('本协议已于2026年11月30日作废', 'bold')][0]!.bold).toBe(false);
    // In regular text digits take the Latin font, as typesetters set them; after Han at a line's end too, in bold.
    expect(faces('已于2026年', 'regular').size).toBe(2);
    expect(faces('签约方 (18)', 'bold').size).toBe(2);
    // Between full-width brackets, as the parties' heading sets its count, they stay with the Han too.
    expect(faces('签约方及签署人（共18方）', 'bold').size).toBe(1);
  });

  it('draws an ideographic variation sequence as the font\'s variant glyph, as HarfBuzz does: Katsushika\'s 葛\u{E0100}, not the plain 葛', async () => {
    const { shapeLine } = await import('#shared/certificate/shaping.ts');
    const { font } = referenceFont('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf');
    for (const text of ['葛\u{E0100}飾区', '辻\u{E0100}']) {
      const buffer = new hb.Buffer();
      buffer.addText(text);
      buffer.guessSegmentProperties();
      buffer.setLanguage('ja');
      hb.shape(font, buffer);
      const line = shapeLine(text, { lang: 'ja' });
      expect(line.glyphs.map((g) => g.gid), text).toEqual(buffer.getGlyphInfosAndPositions().map((g) => g.codepoint));
      expect(new Set(line.glyphs.map((g) => g.face)).size, text).toBe(1);
      expect(line.glyphs.map((g) => g.text).join(''), text).toBe(text); // the selector is copied with its character
    }
  });

  it('keeps a number in right-to-left text whole, with its separators, as the Unicode bidi algorithm does', async () => {
    const { shapeLine } = await import('#shared/certificate/shaping.ts');
    const drawn = (text: string) => drawnText(shapeLine(text));
    expect(drawn('سرمایه 1,234.56 ریال')).toBe('لایر 1,234.56 هیامرس');
    expect(drawn('سرمایه ۱٬۲۳۴٫۵۶ ریال')).toBe('لایر ۱٬۲۳۴٫۵۶ هیامرس');
    expect(drawn('شعبه 12:30 تهران')).toBe('نارهت 12:30 هبعش');
    expect(drawn('نمبر ۱۲۳٫۴۵')).toBe('۱۲۳٫۴۵ ربمن');
    // A sign after a European number goes with it; after Arabic letters digits are Arabic numbers, and it does not (W2, W5).
    expect(drawn('Room 12% قسمت')).toBe('Room 12% تمسق');
    expect(drawn('شعبه 3.5% تهران')).toBe('نارهت %3.5 هبعش');
  });

  it('takes a character\'s bidi class as Unicode gives it where its script alone would not: Common letters (ー), marks, Arabic symbols (﷽), format characters (a soft hyphen)', async () => {
    const { rtlParagraph, shapeLine } = await import('#shared/certificate/shaping.ts');
    const drawn = (text: string, rtl?: boolean) => drawnText(shapeLine(text, { rtl }));
    // A letter of the Common script is strong left to right: Japanese keeps its long-vowel mark in a right-to-left line.
    expect(drawn('ミラー', true)).toBe('ミラー');
    expect(drawn('aー', true)).toBe('aー');
    // A mark goes with what it follows (a Hebrew point after a digit), and one with nothing before it takes the paragraph's direction.
    expect(drawn('1\u05B4', true)).toBe('1\u05B4');
    expect(drawn('\u0610محمد', false)).toBe('\u0610دمحم');
    // The bismillah ligature is a neutral: a line opening with it is still an English line.
    expect(rtlParagraph('\uFDFD Agreement between A and B')).toBe(false);
    // A soft hyphen is ignored: the number around it stays in order.
    expect(drawn('شركة 5\u00AD6 ب')).toContain('5\u00AD6');
    // A modifier letter prime is a neutral, not a letter: at the end of a right-to-left line it goes with the line.
    expect(drawn('شهر Tver\u02B9')).toBe('\u02B9Tver رهش');
  });

  it('resolves paired brackets together (UBA N0): an Arabic title\'s "(acting)" and a Latin "(Egypt)" in an Arabic name keep their brackets facing each other', async () => {
    const { shapeLine } = await import('#shared/certificate/shaping.ts');
    const drawn = (text: string, rtl?: boolean) => drawnText(shapeLine(text, { rtl }));
    const bracketsRtl = (text: string, rtl?: boolean) => shapeLine(text, { rtl }).glyphs.filter((g) => /[()[\]]/.test(g.text)).map((g) => g.rtl);
    // A signatory line runs left to right: the brackets of an Arabic title go with the Arabic words around them, not one with the Latin after it.
    expect(bracketsRtl('محمد علي, وزير الاقتصاد (بالإنابة) · Enterprise', false)).toEqual([true, true]);
    expect(drawn('وزير (بالإنابة) · Enterprise', false)).toBe(')ةبانإلاب( ريزو · Enterprise'); // drawn mirrored: "(…)" as it reads
    // A right-to-left name: the brackets of the Latin words in it go with them.
    expect(bracketsRtl('شركة Huawei (Egypt)')).toEqual([false, false]);
    expect(drawn('شركة Huawei (Egypt)')).toBe('Huawei (Egypt) ةكرش');
    // Arabic in brackets after Latin words, in a left-to-right line: the brackets take the line's direction.
    expect(bracketsRtl('Co. (شركة) Ltd', false)).toEqual([false, false]);
    // Nested: the outer pair follows the Arabic before it, the inner one the Latin; an unmatched bracket is a neutral as before.
    expect(bracketsRtl('شركة [Huawei (Egypt)] م', true)).toEqual([true, false, false, true]);
    expect(bracketsRtl('شركة Huawei (Egypt', true)).toEqual([false]);
    // Pairs as BidiBrackets.txt has them: ⦍ closes with ⦐ (not its neighbour ⦎).
    expect(shapeLine('a \u298Dאב\u2990 ג', { rtl: false }).glyphs.filter((g) => /[\u298D\u2990]/u.test(g.text)).map((g) => g.rtl)).toEqual([false, false]);
  });

  it('resolves a wrapped line\'s bidi in its paragraph: a number reads the same wherever the line breaks', async () => {
    const { contextsOf, shapeLine, wrap } = await import('#shared/certificate/shaping.ts');
    const drawn = (text: string, context?: { before: string; after: string }) => drawnText(shapeLine(text, { rtl: true, context }));
    // After Persian words, digits are Arabic numbers (W2): "3-4" reads 4-3 and "50%" %50, as on a line of their own.
    expect(drawn('ساختمان 3-4 و 50% تخفیف')).toBe('فیفخت %50 و 4-3 نامتخاس');
    expect(drawn('3-4 و 50% تخفیف', { before: 'ساختمان ', after: '' })).toBe('فیفخت %50 و 4-3');
    expect(drawn('3-4 و 50% تخفیف')).not.toBe('فیفخت %50 و 4-3'); // alone, the line would start a paragraph of its own
    // And the renderer hands each wrapped line its place in the paragraph. This name breaks before
    // 1234-5678, which as Arabic numbers reads 5678-1234; a line of its own would read 1234-5678.
    const name = 'شهرداری کلان‌شهر تهران منطقه 1234-5678 و 50% تخفیف ویژه'; // before the number in three parties' type, and 15% larger
    const lines = wrap(name, 14, 120, { rtl: true });
    expect(lines.length).toBeGreaterThan(2);
    const contexts = contextsOf(name, lines);
    expect(contexts.map((c, i) => `${c!.before}${lines[i]}${c!.after}`)).toEqual(lines.map(() => name));
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [{ ...a.parties[0], localName: name, lang: 'fa' }, ...a.parties.slice(1), { ...a.parties[1], partyId: 'third' }] },
    }));
    const numbers = (await drawnBlocks(pdf)).filter((b) => b.some((g) => g.font.includes('Arabic'))).map((b) => b.map((g) => g.text).join('').replace(/[^0-9%-]/g, ''));
    expect(numbers.join('')).toBe('%505678-1234');
  });

  it('gives a wrapped line of a left-to-right paragraph its place there when the paragraph\'s only right-to-left characters are Arabic punctuation or tatweel (Common script, yet strong right to left)', async () => {
    const { contextsOf, shapeLine } = await import('#shared/certificate/shaping.ts');
    const drawn = (text: string, context?: { before: string; after: string }) => drawnText(shapeLine(text, { context }));
    for (const mark of ['\u061B', '\u061F', '\u0640']) {
      const lines = ['Cooperation agreement', `${mark} again`];
      const contexts = contextsOf(lines.join(' '), lines);
      expect(contexts[1], `U+${mark.codePointAt(0)!.toString(16)}`).toEqual({ before: 'Cooperation agreement ', after: '' });
      // In its paragraph the line runs left to right; on its own, it would start a right-to-left paragraph and read backwards.
      expect(drawn(lines[1]!, contexts[1])).toBe(`${mark} again`);
      expect(drawn(lines[1]!)).toBe(`again ${mark}`);
    }
  });

  it('measures a line as wide as it is drawn, to the last bit: the width a layout measures and the pen that draws add up the same advances', async () => {
    const { measure, shapeLine } = await import('#shared/certificate/shaping.ts');
    const texts = [...STATES.flatMap((st) => [st.name, st.localName]), 'سرمایه ۱٬۲۳۴٫۵۶ ریال', 'ساختمان 3-4 و 50% تخفیف', '签约方及签署人（共18方）', 'कर्नाटक, ಬೆಂಗಳೂರು 560001'];
    const options = [{}, { weight: 'bold' as const }, { rtl: true }, { lang: 'ja' }, { context: { before: 'شركة ', after: ' م' } }];
    for (const text of texts) for (const opts of options) expect(measure(text, 1000, opts), `${text} ${JSON.stringify(opts)}`).toBe(shapeLine(text, opts).width);
  });

  it('lets one name of the widest characters shrink itself, not every party\'s block', async () => {
    const pdf = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: a.parties.map((p: any, i: number) => (i === 0 ? { ...p, localName: '\uFDFD'.repeat(200), lang: 'ar' } : p)) },
    }));
    const doc = await (await import('pdf-lib')).PDFDocument.load(pdf);
    const sizes: number[] = [];
    for (let n = 0; n < doc.getPageCount(); n++) {
      const blocks = await drawnBlocks(pdf, n);
      expect(touchingLines(blocks), `page ${n + 1}`).toEqual([]);
      sizes.push(...blocks.filter((b) => b[0]!.font.includes('Bold') && STATES.some((st) => st.name === b.map((g) => g.text).join(''))).map((b) => b[0]!.size));
    }
    expect(sizes).toHaveLength(18);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(9 * 0.75);
  });

  it('shapes any number of lines in bounded memory, and tells lines apart whatever their text holds', async () => {
    const { shapeLine, shapingLanguage } = await import('#shared/certificate/shaping.ts');
    // One HarfBuzz buffer for every run: each new buffer was freed only by a finalizer, which a
    // synchronous render never lets run (50 maximal parties took 2 GB of WASM memory).
    shapeLine('warm-up ب');
    const before = process.memoryUsage().external;
    for (let i = 0; i < 300; i++) shapeLine(`${i} ${'aب'.repeat(50)}`);
    expect((process.memoryUsage().external - before) / 1e6).toBeLessThan(20);
    // The cache key keeps its parts apart: "|" in a name once made two lines share a key.
    const first = shapeLine('L1', { context: { before: 'W ', after: ' Q|Z' } });
    const second = shapeLine('Z|L1', { context: { before: 'W ', after: ' Q' } });
    expect([first, second].map((line) => line.glyphs.map((g) => g.text).join(''))).toEqual(['L1', 'Z|L1']);
    // HarfBuzz hears language, script and region only: it keeps state for every tag it is told.
    expect(['zh-Hans', 'ar-x-00000001', 'en-u-ca-gregory', 'sr-Latn-RS', 'es-419', 'kk', 'tlh'].map(shapingLanguage)).toEqual(['zh-Hans', 'ar', 'en', 'sr-Latn-RS', 'es-419', 'kk', 'tlh']);
  });

  it('refuses, with a 422 that says why, a certificate too large for a function to hand out', async () => {
    const { assertServable } = await import('#shared/registry/certificates.ts');
    // No larger than POST /verify takes back: every file handed out can be checked by upload.
    const { MAX_CERTIFICATE_BYTES } = await import('#shared/certificate/signature.ts');
    const { ROUTES } = await import('#shared/http/routes.ts');
    expect(MAX_CERTIFICATE_BYTES).toBe(ROUTES.find((r) => r.method === 'POST' && r.path === '/verify')!.upload!.maxBytes);
    expect(() => assertServable(new Uint8Array(MAX_CERTIFICATE_BYTES), 'ABCD-EFGH')).not.toThrow();
    expect(() => assertServable(new Uint8Array(MAX_CERTIFICATE_BYTES + 1), 'ABCD-EFGH')).toThrow(/ABCD-EFGH would be 2\.0 MB, more than the 2 MB/);
    // Such a file comes from tens of thousands of distinct Han characters: refused before seconds of subsetting.
    const { assertFewEnoughCharacters, MAX_DISTINCT_CHARACTERS } = await import('#shared/certificate/wording.ts');
    const han = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
    expect(() => assertFewEnoughCharacters(han(MAX_DISTINCT_CHARACTERS), 'ABCD-EFGH')).not.toThrow();
    expect(() => assertFewEnoughCharacters(han(MAX_DISTINCT_CHARACTERS + 1), 'ABCD-EFGH')).toThrow(/draw 8001 distinct characters, more than the 8000/);
    // Only what is printed counts: a summary (never printed) of other characters does not.
    const { printedText } = await import('#shared/certificate/wording.ts');
    const now = (await t.call('GET', `/agreements/${bilateral.id}`)).body;
    const ceremonyNow = (await t.call('GET', `/ceremonies/${now.ceremonyId}`)).body;
    expect(printedText({ ...now, summary: han(2000) }, ceremonyNow)).toBe(printedText(now, ceremonyNow));
    expect(printedText(now, ceremonyNow)).toContain(now.parties[1].localName);
  });

  it('shrinks a text to fit at the size trying every size in turn would find, though it skips most of them unwrapped', async () => {
    const { shrinking, shrinkToFit, surelyMoreLines, wrap } = await import('#shared/certificate/shaping.ts');
    const texts = [
      'Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan',
      '重庆市\u3000人民政府\u3000\u3000外事办公室\u3000国际合作处',
      'A    B    C    D    E    F    G    H    I    J    K    L',
      'وزارت ارتباطات و فناوری اطلاعات جمهوری اسلامی ایران',
      '\uFDFD'.repeat(40),
      'ព្រះរាជាណាចក្រកម្ពុជា '.repeat(6),
      // Where the skip rule is no bound: a line of neutrals on its own takes a narrower font than
      // after Han text, and a grapheme wider than the line overflows it.
      `中国${'•'.repeat(120)}`,
      `中${'…'.repeat(120)}`,
    ];
    let skipped = 0;
    for (const text of texts) {
      for (const [size, floor] of [[14, 14 * 0.6], [14, 0], [9.5, 0], [3.5, 0]] as const) {
        for (const [width, most] of [[120, 2], [240, 4], [360, 2]] as const) {
          const sizes = shrinking(size, floor);
          let linear = 0;
          while (linear < sizes.length - 1 && wrap(text, sizes[linear]!, width).length > most) linear += 1;
          expect(shrinkToFit(text, sizes, width, most, {}).size, `${text.slice(0, 12)} from ${size} pt in ${width}`).toBe(sizes[linear]);
          if (surelyMoreLines(text, sizes[0]!, width, most)) skipped += 1;
        }
      }
    }
    expect(skipped).toBeGreaterThan(20);
  });

  it('wraps Thai, Lao, Khmer and Myanmar between words (a dictionary finds them), between graphemes only within a word wider than the line', async () => {
    const { balancedWrap, wrap } = await import('#shared/certificate/shaping.ts');
    const names: [string, string][] = [
      ['th', 'กรมส่งเสริมการค้าระหว่างประเทศกระทรวงพาณิชย์แห่งราชอาณาจักรไทยสำนักงานส่งเสริมการค้าในต่างประเทศณนครฉงชิ่ง'],
      ['lo', 'ກະຊວງອຸດສາຫະກຳແລະການຄ້າແຫ່ງສາທາລະນະລັດປະຊາທິປະໄຕປະຊາຊົນລາວສຳນັກງານຕາງໜ້າການຄ້າປະຈຳນະຄອນຈົງຊິ່ງ'],
      ['km', 'ក្រសួងពាណិជ្ជកម្មនៃព្រះរាជាណាចក្រកម្ពុជានិងអគ្គនាយកដ្ឋានកម្ពុជាបារមីនិងការផ្សព្វផ្សាយពាណិជ្ជកម្ម'],
      ['my', 'ပြည်ထောင်စုသမ္မတမြန်မာနိုင်ငံတော်ဒီဂျစ်တယ်စီးပွားရေးဝန်ကြီးဌာန'],
    ];
    for (const [lang, name] of names) {
      const starts = new Set([...new Intl.Segmenter(lang, { granularity: 'word' }).segment(name)].map((s) => s.index));
      for (const width of [90, 150, 240]) {
        for (const lines of [wrap(name, 11, width, { lang }), balancedWrap(name, 11, width, { lang })]) {
          expect(lines.length, `${lang} in ${width}`).toBeGreaterThan(1);
          expect(lines.join('')).toBe(name);
          let at = 0;
          for (const line of lines.slice(0, -1)) {
            at += line.length;
            expect(starts.has(at), `${lang} in ${width}: ${lines.join(' | ')}`).toBe(true);
          }
        }
      }
    }
    // A word wider than the line still breaks, between graphemes (อาณาจักร, "kingdom", in 30 pt).
    const kingdom = wrap('ราชอาณาจักรไทย', 11, 30, { lang: 'th' });
    expect(kingdom.join('')).toBe('ราชอาณาจักรไทย');
    expect(kingdom.length).toBeGreaterThan(3);
    for (let width = 40; width <= 200; width += 5) {
      // Khmer's and Myanmar's stops and commas end a line, never start one.
      for (const [lang, text] of [['km', 'ក្រសួងពាណិជ្ជកម្ម។ព្រះរាជាណាចក្រកម្ពុជា៕'], ['my', 'မြန်မာနိုင်ငံ။ဒီဂျစ်တယ်၊စီးပွားရေးဝန်ကြီးဌာန။']]) {
        for (const lines of [wrap(text!, 11, width, { lang }), balancedWrap(text!, 11, width, { lang })]) {
          for (const line of lines) expect(line, `${lang} in ${width}: ${lines.join(' | ')}`).not.toMatch(/^[។៕။၊]/u);
        }
      }
      // A no-break space holds the words either side together (a dictionary takes it for a word), where they fit a line.
      if (width < 90) continue;
      const held = wrap('กรมส่งเสริมการค้าระหว่างประเทศ\u00A0กระทรวงพาณิชย์\u00A0แห่งราชอาณาจักรไทย', 11, width, { lang: 'th' });
      for (const line of held) expect(line, `${width}: ${held.join(' | ')}`).not.toMatch(/^\u00A0|\u00A0$/u);
    }
    // A name wider than the line after a short word starts on that word's line, as far as its words fit.
    const after = wrap('ธนาคาร กรมส่งเสริมการค้าระหว่างประเทศกระทรวงพาณิชย์แห่งราชอาณาจักรไทย', 11, 150, { lang: 'th' });
    expect(after[0]).toMatch(/^ธนาคาร กรม/u);
    expect(after).toHaveLength(3);
  });

  it('never starts a line with what may not start one, at a space either (Thai writes "ต่าง ๆ"), nor with a no-break space, nor leaves a line wider than its width', async () => {
    const { balancedWrap, measure, wrap } = await import('#shared/certificate/shaping.ts');
    const cases: [string, string][] = [
      ['th', 'กระทรวงต่าง ๆ'], ['th', 'ประเทศต่าง ๆ ในเอเชีย'], ['th', 'กรุงเทพ ฯ'], ['km', 'ព្រះរាជាណាចក្រកម្ពុជា ។'], ['my', 'မြန်မာနိုင်ငံ ။'],
      ['zh-Hans', '数字经济 。'], ['km', 'ក្រសួង។'], ['zh-Hans', '字字。'], ['ja', '字字々'], ['zh-Hans', '字〔字'],
      ['zh-Hans', '重庆市\u00A0人民政府'], ['en', 'Acme\u00A0Trading'], ['th', 'ไทย\u00A0ประเทศไทย'],
    ];
    for (const [lang, text] of cases) {
      for (let width = 10; width <= 120; width += 0.5) {
        for (const lines of [wrap(text, 11, width, { lang }), balancedWrap(text, 11, width, { lang })]) {
          const shown = `${lang} in ${width}: ${lines.join(' | ')}`;
          expect(lines.join('').replace(/\s/gu, ''), shown).toBe(text.replace(/\s/gu, ''));
          // Never a blank line, nor a space at either end of one.
          for (const line of lines) expect(line, shown).toMatch(/^\S(?:.*\S)?$/u);
          // Where the line is wide enough for the two that must stay together, they do.
          if (width < 40) continue;
          for (const line of lines.slice(1)) expect(line, shown).not.toMatch(/^[\u00A0ๆฯ។៕။၊。々]/u);
          for (const line of lines.slice(0, -1)) expect(line, shown).not.toMatch(/[〔\u00A0]$/u);
        }
      }
    }
    // "ต่าง ๆ" moves to the next line whole; the line before keeps what fits.
    expect(wrap('กระทรวงต่าง ๆ', 11, 57.44, { lang: 'th' })).toEqual(['กระทรวง', 'ต่าง ๆ']);
    expect(wrap('字字。', 11, 22.5, { lang: 'zh-Hans' })).toEqual(['字', '字。']);
    expect(wrap('数字经济 。', 11, 45, { lang: 'zh-Hans' })).toEqual(['数字经', '济 。']);
    // In Latin text, words held together at a space that do not fit a line together break there (a word is not split for them)...
    expect(wrap('Bonjour !', 11, 42)).toEqual(['Bonjour', '!']);
    expect(wrap('Bonjour !', 11, 60)).toEqual(['Bonjour !']);
    expect(balancedWrap('Bonjour !', 11, 42)).toEqual(['Bonjour', '!']);
    // Words joined by a no-break space that do not fit a line together break there, not inside one of them.
    expect(wrap('100\u00A0%', 10, 18, { lang: 'fr' })).toEqual(['100', '%']);
    expect(wrap('Jean-Pierre\u00A0Dupont', 10, 60)).toEqual(['Jean-Pierre', 'Dupont']);
    expect(balancedWrap('Jean-Pierre\u00A0Dupont', 10, 60)).toEqual(['Jean-Pierre', 'Dupont']);
    // A no-break space beside a breaking one goes at a break, as the breaking one does: no line starts or ends with one.
    expect(wrap('Alpha \u00A0Beta', 10, 40)).toEqual(['Alpha', 'Beta']);
    expect(wrap('Alpha\u00A0 Beta', 10, 40)).toEqual(['Alpha', 'Beta']);
    // A breaking space before a no-break one inside a line stays (it was lost where a held group began with the no-break one).
    expect(wrap('and \u00A0( USD', 12, 32)).toEqual(['and \u00A0(', 'USD']);
    // ...and quotation marks and apostrophes hold nothing together: a line may start with one.
    for (const width of [83, 100, 133]) expect(wrap('Gemeente ’s-Hertogenbosch', 10, width), `${width}`).toEqual(['Gemeente', '’s-Hertogenbosch']);
    expect(wrap('Verein »Freunde Chongqings« e.V.', 10, 70)).toEqual(['Verein', '»Freunde', 'Chongqings«', 'e.V.']);
    // But French guillemets set off by spaces hold to the words they enclose (UAX #14 LB15a, LB15b):
    // no line ends "«" or starts "» :", as no line starts ":".
    const french = 'Association « Route de la soie numérique » : coopération « franco-chinoise » ; délégation « Asie » !';
    for (let width = 30; width <= 300; width += 0.5) {
      for (const lines of [wrap(french, 10, width, { lang: 'fr' }), balancedWrap(french, 10, width, { lang: 'fr' })]) {
        const shown = `${width}: ${lines.join(' | ')}`;
        // A group too wide for the line breaks where only its quotation marks hold it, first: never before its ":" or ";".
        for (const line of lines) expect(line, shown).not.toMatch(/^[:;]/u);
        if (width < 110) continue; // where "« franco-chinoise » ;" fits a line
        expect(lines.join(' '), shown).toBe(french);
        for (const line of lines) expect(line, shown).not.toMatch(/^[»:;!]|«$/u);
      }
    }
    expect(wrap('Société « Transports » : fret', 10, 80, { lang: 'fr' })).toEqual(['Société', '« Transports » :', 'fret']);
    expect(wrap('Société « Transports » : fret', 10, 58, { lang: 'fr' })).toEqual(['Société «', 'Transports', '» : fret']);
    // A shorter piece of Arabic can be wider (its last letter takes its final form): every line is measured.
    for (let width = 10; width <= 40; width += 0.25) {
      for (const line of wrap('دفتر)', 10, width, { lang: 'ar' })) {
        if ([...line].length > 1) expect(measure(line, 10, { lang: 'ar' }), `${width}: ${line}`).toBeLessThanOrEqual(width);
      }
    }
  });

  it('wraps a word wider than the line between graphemes, never before a mark, and keeps no-break spaces', async () => {
    const { wrap } = await import('#shared/certificate/shaping.ts');
    const myanmar = 'ပြည်ထောင်စုသမ္မတမြန်မာနိုင်ငံတော်ဒီဂျစ်တယ်စီးပွားရေးဝန်ကြီးဌာန'.repeat(3);
    const lines = wrap(myanmar, 11, 120, { lang: 'my' });
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.join('')).toBe(myanmar);
    for (const line of lines) expect(line, line).not.toMatch(/^\p{M}/u);
    expect(wrap('Acme\u00A0Trading Company of Greater Chongqing', 11, 90)).toContain('Acme\u00A0Trading');
    // A space no bundled font has (U+1680) is set as U+0020, not as an empty box.
    const { shapeLine } = await import('#shared/certificate/shaping.ts');
    const ogham = shapeLine('Acme\u1680Trading').glyphs;
    expect(ogham.filter((g) => g.gid === 0)).toEqual([]);
    expect(ogham.map((g) => g.text).join('')).toBe('Acme\u1680Trading');
    // Spaces stay as written within a line (U+3000 is not turned into U+0020); a break drops them.
    expect(wrap('重庆市\u3000人民政府  外事办公室', 11, 500, { lang: 'zh-Hans' })).toEqual(['重庆市\u3000人民政府  外事办公室']);
    expect(wrap('重庆市\u3000人民政府\u3000外事办公室', 11, 60, { lang: 'zh-Hans' })).toEqual(['重庆市', '人民政府', '外事办公室']);
  });

  it('wraps long facts (venue, ceremony, all eleven sectors) instead of shrinking them to a few points, and nothing touches', async () => {
    const { SECTORS } = await import('#shared/domain/schemas.ts');
    const long = {
      title: 'Project signing ceremony of the China-SCO Digital Economy Forum, part of the Smart China Expo 2021, with the ministers of the member states',
      event: 'China-SCO Digital Economy Forum: project signing ceremony, Smart China Expo 2021 (SCE 2021), Chongqing, 23-25 August 2021',
      venue: 'Chongqing International Expo Center, Hall N1, Level 2, Conference Room 3, 66 Yuelai Avenue, Liangjiang New Area',
    };
    const pdf = await renderVariant(bilateral.id, ({ agreement, ceremony }) => ({ agreement: { ...agreement, sectors: [...SECTORS] }, ceremony: { ...ceremony, ...long } }), 'certificate-long-facts');
    const text = pdfToText(pdf, { raw: true }).replace(/\s+/g, ' ');
    for (const part of [long.title, long.event, long.venue, 'Education 教育 · Other 其他']) expect(text).toContain(part);
    const blocks = await drawnBlocks(pdf);
    expect(touchingLines(blocks)).toEqual([]);
    // Field values stay at 85% of their 9.5 pt or more: they wrap instead.
    const values = blocks.filter((b) => [long.title, long.venue, 'Digital economy'].some((v) => b.map((g) => g.text).join('').startsWith(v.slice(0, 12))));
    expect(values.length).toBeGreaterThanOrEqual(3);
    for (const value of values) expect(value[0]!.size).toBeGreaterThanOrEqual(9.5 * 0.85);
  });

  it('starts no wrapped line of a fact with its separator, nor with a sector\'s Chinese: each item\'s dot stays with it, each Chinese with its English', async () => {
    const { SECTOR_LABELS } = await import('#shared/certificate/wording.ts');
    // Seven sectors beside a value: the line broke before "· Trade 贸易".
    const sectors = ['digital-economy', 'smart-logistics', 'industrial-internet', 'investment', 'digital-channels', 'trade', 'education'];
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({ agreement: { ...a, title: 'Hub agreement', titleZh: '枢纽协议', sectors, value: { amount: '162000000000', currency: 'KZT' } } }));
    const lines = (await drawnBlocks(pdf)).map((b) => textOf(b).trimStart());
    const sectorLines = lines.filter((line) => sectors.some((sector) => line.includes(SECTOR_LABELS[sector as keyof typeof SECTOR_LABELS][1])));
    expect(sectorLines.length).toBeGreaterThan(1); // it wraps
    expect(lines.filter((line) => line.startsWith('·'))).toEqual([]);
    expect(sectorLines.filter((line) => Object.values(SECTOR_LABELS).some(([, zh]) => line.startsWith(zh)))).toEqual([]);
  });

  it('sets a fact left to right whatever script it starts with: an Arabic place, then the venue, city and country in order', async () => {
    const place = 'قاعة التوقيع رقم 3، مركز تشونغتشينغ الدولي للمعارض';
    const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
      agreement: { ...a, place },
      ceremony: { ...ceremony, venue: 'Chongqing International Expo Center', city: 'Chongqing', countryCode: 'CN' },
    }));
    const blocks = await drawnBlocks(pdf);
    const label = blocks.find((b) => textOf(b).startsWith('Venue'))!;
    // The value's lines (a block each): drawn right of the label, from its baseline down, above the ceremony's row.
    const ceremonyY = blocks.find((b) => textOf(b).startsWith('Ceremony'))![0]!.y;
    const lines = blocks.filter((b) => b[0]!.x > label[0]!.x + 10 && b[0]!.y <= label[0]!.y + 0.1 && b[0]!.y > ceremonyY + 1).map((b) => b.filter((g) => g.text !== ''));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    // Every line starts where the value does (a right-to-left paragraph set its shorter line in from the left).
    const starts = lines.map((line) => line[0]!.x);
    for (const x of starts) expect(x).toBeCloseTo(starts[0]!, 0);
    // The Arabic place first (at the left of its line), then the Latin items, in order, to the end of the last line.
    const arabic = (g: DrawnGlyph) => g.font.includes('Arabic');
    expect(arabic(lines[0]![0]!)).toBe(true);
    const latin = lines.map((line) => line.filter((g) => !arabic(g)).map((g) => g.text).join('')).join(' ').replace(/\s+/g, ' ').trim();
    expect(latin).toMatch(/^[،,]? ?Chongqing International Expo ?Center, Chongqing, China$/);
  });

  it('keeps the facts on the page and readable whatever the title\'s width: 300 of the widest character, and long venues', async () => {
    const words = (n: number, word: string) => Array.from({ length: n }, (_, i) => `${word} ${i}`).join(' ').slice(0, n).trim();
    const wide = '\uFDFD'.repeat(300); // ﷽, one character some three ems wide
    const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
      agreement: { ...a, title: wide, titleZh: wide, place: words(200, 'Pavilion') },
      ceremony: { ...ceremony, venue: words(200, 'Hall'), city: words(100, 'Chongqing'), title: words(300, 'Ceremony'), event: words(300, 'Forum') },
    }), 'certificate-wide-title');
    const blocks = await drawnBlocks(pdf);
    expect(touchingLines(blocks)).toEqual([]);
    const page1 = pdfToText(pdf, { page: 1 });
    for (const label of ['Kind 协议类型', 'Status at version 1', 'Signed 签署时间', 'Venue 地点', 'Ceremony 签约仪式', 'Sectors 合作领域']) expect(page1).toContain(label);
    // Every glyph inside the frame; the facts above the footer (its first line sits at 150 pt).
    for (const g of blocks.flat().filter((g) => g.ink)) {
      expect(g.ink![1]).toBeGreaterThan(20);
      expect(g.ink![3]).toBeLessThan(595.28 - 20);
    }
    const labelY = (label: string) => blocks.find((b) => b.map((g) => g.text).join('').startsWith(label))![0]!.y;
    expect(labelY('Ceremony')).toBeGreaterThan(170);
    // The venue and the ceremony wrap across the page at a readable size instead of shrinking to a few points.
    const sizes = blocks.filter((b) => /^(Pavilion|Ceremony 0|Forum 0)/.test(b.map((g) => g.text).join(''))).map((b) => b[0]!.size);
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    for (const size of sizes) expect(size).toBeGreaterThanOrEqual(7);

    // Facts of the widest character too: each keeps to its four lines, however small that makes it.
    const widest = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
      agreement: { ...a, title: wide, titleZh: wide, place: wide.slice(0, 200) },
      ceremony: { ...ceremony, venue: wide.slice(0, 200), city: wide.slice(0, 100), title: wide, event: wide },
    }), 'certificate-widest-facts');
    const widestBlocks = await drawnBlocks(widest);
    expect(touchingLines(widestBlocks)).toEqual([]);
    const ceremonyLabel = widestBlocks.find((b) => b.map((g) => g.text).join('').startsWith('Ceremony'))!;
    const ceremonyLines = widestBlocks.filter((b) => b[0]!.font.includes('Arabic') && b[0]!.y <= ceremonyLabel[0]!.y + 0.01 && b[0]!.y > 150);
    expect(ceremonyLines.length).toBeGreaterThan(0);
    expect(Math.min(...ceremonyLines.map((b) => b[0]!.y))).toBeGreaterThan(150 + 9);
  });

  it('lays out every field at its schema maximum without overlap, on every page, with nothing lost', async () => {
    const long = { title: words(300, 'Ceremony'), event: words(300, 'Event'), venue: words(200, 'Venue'), city: words(100, 'City') };
    const title = words(300, 'Title');
    const name = (i: number) => words(200, `Name${i}x`);
    const signatory = { name: words(200, 'Signatory'), title: words(200, 'Title') };
    const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
      agreement: {
        ...a, title, titleZh: '题'.repeat(300), status: 'voided', summary: undefined,
        parties: a.parties.map((p: any, i: number) => ({ ...p, name: name(i), localName: '名'.repeat(200), lang: 'zh-Hans', role: words(100, 'Role'), signatory })),
      },
      ceremony: { ...ceremony, ...long },
    }), 'certificate-maximal');
    const doc = await (await import('pdf-lib')).PDFDocument.load(pdf);
    for (let n = 0; n < doc.getPageCount(); n++) expect(touchingLines(await drawnBlocks(pdf, n)), `page ${n + 1}`).toEqual([]);
    const text = pdfToText(pdf, { raw: true }).replace(/\s+/g, ' ');
    for (const part of [title, long.title, long.event, long.venue, name(0), signatory.title]) expect(text).toContain(part);
    // Every page of a void agreement says so, an annex page that travels alone included.
    for (let n = 2; n <= doc.getPageCount(); n++) expect(pdfToText(pdf, { page: n }), `page ${n}`).toContain('VOIDED · 已作废');
    expect(text.replace(/ /g, '')).toContain('题'.repeat(300));
  });

  it.each([
    ['logged in UTC, at a ceremony on UTC-05:00: the venue\'s clock', '2024-03-11T04:30:00Z', '2024-03-10T22:00:00-05:00', '10 March 2024, 23:30 · 2024年3月10日 23:30 · UTC-05:00'],
    ['logged on UTC+08:00, at a ceremony whose start was logged in UTC: as logged', '2024-03-10T23:30:00+08:00', '2024-03-10T14:00:00Z', '10 March 2024, 23:30 · 2024年3月10日 23:30 · UTC+08:00'],
    ['logged on UTC-04:00, at a ceremony on UTC-05:00: as logged', '2024-03-10T23:30:00-04:00', '2024-03-10T22:00:00-05:00', '10 March 2024, 23:30 · 2024年3月10日 23:30 · UTC-04:00'],
    ['logged in UTC, at a ceremony logged in UTC: UTC', '2024-03-11T04:30:00Z', '2024-03-10T22:00:00Z', '11 March 2024, 04:30 · 2024年3月11日 04:30 · UTC+00:00'],
  ])('without a ceremony time zone, prints a signing %s', async (_name, signedAt, startsAt, printed) => {
    const { signingTimeLine } = await import('#shared/certificate/wording.ts');
    expect(spaced(signingTimeLine(signedAt, { startsAt }))).toBe(printed);
  });

  it('names each part of the venue line once: a place that already names the venue is not followed by it again', async () => {
    const { venueLine } = await import('#shared/certificate/wording.ts');
    const expo = { venue: 'Chongqing International Expo Center', city: 'Chongqing', countryCode: 'CN' } as any;
    expect(venueLine(expo, 'Pavilion 3, Chongqing International Expo Center')).toBe('Pavilion 3, Chongqing International Expo Center, Chongqing, China');
    expect(venueLine(expo, 'Hall B')).toBe('Hall B, Chongqing International Expo Center, Chongqing, China');
    expect(venueLine(expo)).toBe('Chongqing International Expo Center, Chongqing, China');
    expect(venueLine({ ...expo, venue: 'Yuelai Expo Center, CHONGQING' })).toBe('Yuelai Expo Center, CHONGQING, China');
    // A country name of several items ("Taiwan, China") already named is not repeated either.
    expect(venueLine({ venue: 'Taipei World Trade Center, Taipei, Taiwan, China', city: 'Taipei', countryCode: 'TW' } as any)).toBe('Taipei World Trade Center, Taipei, Taiwan, China');
    expect(venueLine({ venue: 'Taipei World Trade Center', city: 'Taipei', countryCode: 'TW' } as any)).toBe('Taipei World Trade Center, Taipei, Taiwan, China');
  });

  it('prints early years in four digits, and a local mean time\'s offset to the second', async () => {
    const { formatSigningTime, signingTimeLine } = await import('#shared/certificate/wording.ts');
    expect(formatSigningTime('0050-01-01T12:00:00Z', {})).toEqual(['1 January 0050, 12:00', '0050年1月1日 12:00', 'UTC+00:00']);
    expect(spaced(signingTimeLine('1890-01-01T00:00:00Z', { timeZone: 'Asia/Shanghai' }))).toBe('1 January 1890, 08:05 · 1890年1月1日 08:05 · UTC+08:05:43 (Asia/Shanghai)');
    // 2 BC is year -0001 (ISO 8601), on Los Angeles' local mean time.
    expect(spaced(signingTimeLine('0000-01-01T00:00:00Z', { timeZone: 'America/Los_Angeles' }))).toBe('31 December -0001, 16:07 · -0001年12月31日 16:07 · UTC-07:52:58 (America/Los Angeles)'); // the zone's name as people read it, no underscore
  });

  it('prints the signing time on the venue\'s clock when the ceremony has no time zone, and the agreement\'s own place', async () => {
    const pdf = await renderVariant(bilateral.id, ({ agreement, ceremony }) => ({
      agreement: { ...agreement, signedAt: '2024-03-11T04:30:00Z', place: 'Hall B, Pavilion of the SCO States' },
      ceremony: { ...ceremony, timeZone: undefined, startsAt: '2024-03-10T22:00:00-05:00' },
    }));
    const text = pdfToText(pdf).replace(/\s+/g, ' ');
    expect(text).toContain('10 March 2024, 23:30 · 2024年3月10日 23:30 · UTC-05:00');
    expect(text).toContain('Hall B, Pavilion of the SCO States, Chongqing International Expo Center');
  });

  it('prints the keys\' address followed by a space, not a full stop that a typist would take for part of it', async () => {
    expect(pdfToText(bilateral.pdf).replace(/\s+/g, ' ')).toContain(`The keys at ${BASE}/.well-known/concord-keys.json let anyone check its Ed25519 signature offline.`);
    // The Chinese statement is a paragraph of its own: more space above it than between its lines.
    const lines = (await drawnBlocks(bilateral.pdf)).filter((b) => b[0]!.size === 7.5).map((b) => ({ text: b.map((g) => g.text).join(''), y: b[0]!.y }));
    const zh = lines.findIndex((l) => l.text.startsWith('Concord 协议登记系统兹证明'));
    expect([lines[zh - 1]!.y - lines[zh]!.y, lines[zh]!.y - lines[zh + 1]!.y].map((d) => Math.round(d))).toEqual([14, 10]);
  });

  it('says the status is the version\'s: a certificate is fixed once issued, and the QR check tells what came later', () => {
    expect(pdfToText(bilateral.pdf).replace(/\s+/g, ' ')).toContain('Status at version 1 第1版状态 In force · 有效');
  });

  it('fits the 18 SCO states on one page when their signatories have ministers\' titles, and each signatory line on one line', async () => {
    const titles = ['Minister of Commerce', 'Minister of Economy', 'Minister of Digital Development', 'Minister of Electronics and IT'];
    const pdf = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: a.parties.map((p: any, i: number) => ({ ...p, signatory: { name: `Signatory ${i + 1}`, title: titles[i % titles.length] } })) },
    }), 'certificate-18-ministers');
    const doc = await (await import('pdf-lib')).PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(1);
    const text = pdfToText(pdf, { raw: true });
    for (let i = 1; i <= 18; i++) expect(text, `${i}`).toMatch(new RegExp(`Signatory ${i}, ${titles[(i - 1) % titles.length]} · [^\\n]+ [\\p{Script=Han}]+\\n`, 'u'));
  });

  it.each([false, true])('fits the 18 SCO states on one page with the signatories of a real declaration, voided too (%s): the heading made compact for them', async (voided) => {
    // Ministers as a joint declaration lists them: titles long enough that some signatory lines wrap.
    const ministers = [
      'Wang Wentao, Minister of Commerce', 'Piyush Goyal, Minister of Commerce and Industry', 'Bakhyt Sultanov, Minister of Trade and Integration',
      'Dastan Dzhumabekov, Minister of Economy and Commerce', 'Syed Naveed Qamar, Minister for Commerce', 'Maxim Reshetnikov, Minister of Economic Development',
      'Zavqi Zavqizoda, Minister of Economic Development and Trade', 'Laziz Kudratov, Minister of Investment and Foreign Trade',
      'Nooruddin Azizi, Acting Minister of Commerce and Industry', 'Alexei Bogdanov, Minister of Antimonopoly Regulation and Trade',
      'Seyyed Reza Fatemi Amin, Minister of Industry, Mine and Trade', 'Bold Javkhlan, Minister of Economy and Development', 'Vahan Kerobyan, Minister of Economy',
      'Mikayil Jabbarov, Minister of Economy', 'Pan Sorasak, Minister of Commerce', 'Damodar Bhandari, Minister for Industry, Commerce and Supplies',
      'Nalin Fernando, Minister of Trade', 'Ömer Bolat, Minister of Trade',
    ].map((m) => m.split(', '));
    const voidedAt = '2021-09-01T02:00:00.000Z';
    const pdf = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: {
        ...a, title: 'Joint Declaration on Digital Economy Cooperation among the SCO States', titleZh: '上海合作组织国家数字经济合作联合声明',
        parties: a.parties.map((p: any, i: number) => ({ ...p, signatory: { name: ministers[i]![0], title: ministers[i]!.slice(1).join(', ') } })),
        ...(voided && { status: 'voided', version: 2, updatedAt: voidedAt }),
      },
    }), `certificate-18-declaration${voided ? '-voided' : ''}`);
    const doc = await (await import('pdf-lib')).PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(1);
    expect(touchingLines(await drawnBlocks(pdf))).toEqual([]);
    const text = pdfToText(pdf).replace(/\s+/g, ' ');
    expect(text).not.toContain('next page');
    for (const [name] of ministers) expect(text).toContain(name);
    // The certificate's English and Chinese names share a line; a void is told in the line above them, with its day.
    const blocks = await drawnBlocks(pdf);
    const baseline = (line: string) => blocks.find((b) => b.map((g) => g.text).join('') === line)?.[0]!.y;
    expect(baseline('协议登记证书')).toBeCloseTo(baseline('Certificate of Agreement')!, 3);
    // A void is marked beside them too, framed in red, and told with its day in the line above.
    if (voided) expect(text).toContain('VOIDED on 1 September 2021 · 本协议已于2021年9月1日作废 Code 编号');
    if (voided) expect(text).toContain('Certificate of Agreement 协议登记证书 VOIDED 已作废');
    else expect(text).not.toContain('VOIDED');
  });

  it('never prints a list in larger type for a party more', async () => {
    const { renderCertificate } = await import('#shared/certificate/render.ts');
    const agreement = (await t.call('GET', `/agreements/${all18.id}`)).body;
    const ceremony = (await t.call('GET', `/ceremonies/${agreement.ceremonyId}`)).body;
    for (const status of ['active', 'voided']) {
      const sizes: number[] = [];
      for (let n = 2; n <= 18; n++) {
        const parties = agreement.parties.slice(0, n).map((p: any, i: number) => ({ ...p, signatory: { name: `Signatory ${i + 1}`, title: i % 2 ? 'Minister of Economic Development and Trade' : 'Minister' } }));
        await renderCertificate({ agreement: { ...agreement, status, version: 2, parties }, ceremony, jws: 'x.y.z', verifyUrl: `${BASE}/verify/X?v=2&sig=z`, keysUrl: `${BASE}/k` }, (r) => sizes.push(r.partyType.name));
      }
      for (let n = 1; n < sizes.length; n++) expect(sizes[n], `${status}, ${n + 2} parties: ${sizes.map((x) => x.toFixed(2)).join(' ')}`).toBeLessThanOrEqual(sizes[n - 1]! + 1e-9);
    }
  });

  it('keeps the full heading where the parties fit under it in their own type, and turns compact where that prints them larger', async () => {
    const headlines = async (pdf: Buffer) => {
      const blocks = await drawnBlocks(pdf);
      const baseline = (line: string) => blocks.find((b) => b.map((g) => g.text).join('') === line)?.[0]!.y;
      return baseline('Certificate of Agreement')! - baseline('协议登记证书')!;
    };
    expect(await headlines(bilateral.pdf)).toBeCloseTo(20, 3);
    // Eighteen states under the full heading would print at about 90%: the compact one gives them their full 9 pt.
    expect(await headlines(all18.pdf)).toBeCloseTo(0, 3);
    const names = (await t.call('GET', `/agreements/${all18.id}`)).body.parties.map((p: { name: string }) => p.name);
    const sizes = (await drawnBlocks(all18.pdf)).filter((b) => names.includes(b.map((g) => g.text).join(''))).map((b) => b[0]!.size);
    expect(Math.max(...sizes)).toBeCloseTo(9, 3);
  });

  it('lists the parties on the first page under the longest title, facts and a void banner: in smaller type rather than all on the next page', async () => {
    const { SECTORS } = await import('#shared/domain/schemas.ts');
    const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
      agreement: {
        ...a, title: words(300, 'Title'), titleZh: '题'.repeat(300), status: 'voided', place: words(200, 'Place'),
        sectors: [...SECTORS], value: { amount: '999999999999999999.999', currency: 'KWD' },
      },
      ceremony: { ...ceremony, title: words(300, 'Ceremony'), event: words(300, 'Event'), venue: words(200, 'Venue'), city: words(100, 'City'), timeZone: 'America/Argentina/Buenos_Aires' },
    }), 'certificate-long-facts');
    const doc = await (await import('pdf-lib')).PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(1);
    const page1 = pdfToText(pdf, { page: 1 });
    expect(page1).not.toContain('next page');
    const agreement = (await t.call('GET', `/agreements/${bilateral.id}`)).body;
    for (const p of agreement.parties as { name: string }[]) expect(page1).toContain(p.name);
    const blocks = await drawnBlocks(pdf);
    expect(touchingLines(blocks)).toEqual([]);
    // The venue takes a row across: so does the signing time, on one line rather than two in half the row.
    const { signingTimeLine } = await import('#shared/certificate/wording.ts');
    expect(blocks.map((b) => b.map((g) => g.text).join(''))).toContain(signingTimeLine(agreement.signedAt, { startsAt: agreement.signedAt, timeZone: 'America/Argentina/Buenos_Aires' }));
  });

  it('keeps a country\'s English and Chinese names on one line when they fit it at the size the line prints at, else breaks between them', async () => {
    const { measure } = await import('#shared/certificate/shaping.ts');
    const pair = 'Heard\u00A0Island\u00A0and\u00A0McDonald\u00A0Islands\u00A0赫德岛和麦克唐纳群岛';
    // Three columns: the other lines print at 8.5 pt, or, with titles that fit only a little smaller, at that size, where the pair fits.
    const { partyDetail } = await import('#shared/certificate/wording.ts');
    const { columnWidth } = await import('#shared/certificate/render.ts');
    const column3 = columnWidth({ name: 13 }, 3);
    let longer = 'First Deputy Minister of Digital Development, Innovations and Aerospace Industry';
    const other = (title: string) => partyDetail({ partyId: 'x', kind: 'enterprise', name: 'X', countryCode: 'KZ', signatory: { name: 'B. Wang', title } });
    while (measure(other(longer), 8.5, {}) > column3 * 1.15) longer = longer.slice(0, -1).trimEnd();
    expect(measure(other(longer), 8.5, {})).toBeGreaterThan(column3); // it does not fit at 8.5 pt, it does at 85%
    // The longest facts leave no room for larger type: three parties' own (15% larger, the pair never fits three columns).
    const crowded = (longest: boolean) => (longest ? { title: words(300, 'Title'), titleZh: '题'.repeat(300), place: words(200, 'Place') } : {});
    const crowdedCeremony = (longest: boolean) => (longest ? { title: words(300, 'Ceremony'), event: words(300, 'Event'), venue: words(200, 'Venue') } : {});
    for (const [columns, title, together] of [[2, 'Director', true], [3, 'Director', false], [3, longer, true]] as const) {
      const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
        agreement: { ...a, ...crowded(title === longer), parties: [{ ...a.parties[0], countryCode: 'HM', signatory: { name: 'A. Li' } }, ...[1, 2].slice(0, columns - 1).map((i) => ({ ...a.parties[1], partyId: `p${i}`, signatory: { name: 'B. Wang', title } }))] },
        ceremony: { ...ceremony, ...crowdedCeremony(title === longer) },
      }));
      const lines = (await drawnBlocks(pdf)).map((b) => ({ text: b.map((g) => g.text).join(''), size: b[0]!.size }));
      const zh = lines.find((l) => l.text.includes('赫德岛和麦克唐纳群岛'))!;
      const column = columnWidth({ name: title === longer ? 13 : 13 * 1.15 }, columns); // larger type but in the crowded case
      expect(measure(pair, zh.size, {}) <= column, `${columns} columns, ${title}: ${zh.size} pt`).toBe(together);
      if (together) expect(zh.text).toContain(pair);
      else {
        expect(zh.text.startsWith('赫德岛')).toBe(true);
        expect(lines.some((l) => l.text.endsWith('Heard\u00A0Island\u00A0and\u00A0McDonald\u00A0Islands'))).toBe(true);
      }
    }
  });

  it('sets a signatory line left to right whatever script the signatory\'s name is in: name and title, then kind and country', async () => {
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [{ ...a.parties[0], countryCode: 'SA', signatory: { name: 'فيصل بن فرحان آل سعود', title: 'Minister of Foreign Affairs' } }, a.parties[1]] },
    }), 'certificate-rtl-signatory');
    const line = (await drawnBlocks(pdf)).find((b) => b.map((g) => g.text).join('').includes('Minister of Foreign Affairs'))!;
    const arabic = line.filter((g) => /\p{Script=Arabic}/u.test(g.text));
    const at = (text: string) => line.find((g) => g.text === text)!.x;
    expect(arabic.length).toBeGreaterThan(0);
    // The name (right to left within itself) comes first, at the line's left; its title after it, then the country.
    expect(Math.max(...arabic.map((g) => g.x))).toBeLessThan(at('M'));
    expect(at('M')).toBeLessThan(at('S'));
    expect(line.map((g) => g.text).join('').replace(/\s+/g, ' ')).not.toMatch(/· ·/);
  });

  it('prints on one line the name that sets every name\'s size (it fits exactly: no rounding error may wrap it)', async () => {
    const { measure, wrap } = await import('#shared/certificate/shaping.ts');
    const { columnWidth } = await import('#shared/certificate/render.ts');
    const width = columnWidth({ name: 10.5 * 1.15 }, 2); // four parties: two columns, in larger type
    const bold = { weight: 'bold' as const, rtl: false };
    // A name whose exact one-line size measures a hair over the column (found as a reviewer did).
    const base = 'Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan and Partners';
    const candidates = Array.from({ length: 400 }, (_, n) => [60, 62, 64, 66, 68, 70].map((cut) => `${base.slice(0, cut).trim()} ${n}`)).flat();
    const full = 10.5 * 1.15; // four parties' 10.5 pt, 15% larger in the room they have here
    const name = candidates.find((t) => {
      const exact = (full * width) / measure(t, full, bold);
      return exact < full && exact >= 0.85 * full && wrap(t, exact, width, bold).length > 1;
    })!;
    expect(name).toBeDefined();
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [{ ...a.parties[0], name }, a.parties[1], { ...a.parties[1], partyId: 'p3' }, { ...a.parties[1], partyId: 'p4' }] },
    }));
    const drawn = (await drawnBlocks(pdf)).find((b) => b.map((g) => g.text).join('') === name);
    expect(drawn).toBeDefined();
    expect(drawn![0]!.size).toBeCloseTo((full * width) / measure(name, full, bold), 3); // at its exact fit, in the larger type
  });

  it('lets a name too long for one line wrap without making the other parties\' names smaller', async () => {
    const name = 'Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan';
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [{ ...a.parties[0], name }, a.parties[1], { ...a.parties[1], partyId: 'p3' }, { ...a.parties[1], partyId: 'p4' }] },
    }));
    const blocks = await drawnBlocks(pdf);
    const sizeOf = (text: string) => blocks.find((b) => b.map((g) => g.text).join('') === text)![0]!.size;
    const other = (await t.call('GET', `/agreements/${bilateral.id}`)).body.parties[1];
    // Four parties: names 10.5 pt, local names 11 pt, at one scale; the long name wraps at its party's size.
    expect(sizeOf(other.name) / sizeOf(other.localName)).toBeCloseTo(10.5 / 11, 3);
    const nameLines = blocks.filter((b) => b[0]!.font.includes('Bold') && name.includes(b.map((g) => g.text).join('')));
    expect(nameLines.length).toBeGreaterThan(1);
    for (const line of nameLines) expect(line[0]!.size).toBeCloseTo(sizeOf(other.name), 3);
  });

  it('prints a few parties in larger type where the page has room for it, many in the type of their number', async () => {
    const sizes = async (pdf: Buffer, starts: string[]) => {
      const blocks = await drawnBlocks(pdf);
      return starts.map((start) => blocks.find((b) => b.map((g) => g.text).join('').startsWith(start))![0]!.size);
    };
    const two = (await t.call('GET', `/agreements/${bilateral.id}`)).body.parties;
    // Two parties: 13 pt names and 8.5 pt signatory lines, 15% larger.
    const [name, line] = await sizes(bilateral.pdf, [two[0].name, two[0].signatory.name]);
    expect([name, line].map((x) => Number(x!.toFixed(3)))).toEqual([Number((13 * 1.15).toFixed(3)), Number((8.5 * 1.15).toFixed(3))]);
    // Columns a name and a half apart, so that names side by side do not read as one.
    const nameBlocks = (await drawnBlocks(bilateral.pdf)).filter((b) => [two[0].name, two[1].name].includes(b.map((g) => g.text).join('')));
    const { columnWidth } = await import('#shared/certificate/render.ts');
    expect(nameBlocks[1]![0]!.x - nameBlocks[0]![0]!.x).toBeCloseTo(columnWidth({ name: name! }, 2) + 1.5 * name!, 3);
    // Eighteen fill the page in their own type (9 pt names, at most).
    const eighteen = (await t.call('GET', `/agreements/${all18.id}`)).body.parties.map((p: { name: string }) => p.name);
    for (const size of await sizes(all18.pdf, eighteen.slice(0, 3))) expect(size).toBeLessThanOrEqual(9);
  });

  it('sets a row\'s signatory lines on one baseline, a party without a local name keeping its room', async () => {
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [a.parties[0], { ...a.parties[1], localName: undefined, lang: undefined }, { ...a.parties[0], partyId: 'p3', name: 'A name long enough to wrap onto a second line in its column' }, { ...a.parties[1], partyId: 'p4' }] },
    }));
    const blocks = await drawnBlocks(pdf);
    const signatories = (await t.call('GET', `/agreements/${bilateral.id}`)).body.parties.map((p: any) => p.signatory.name);
    const baselines = blocks.filter((b) => signatories.some((name: string) => b.map((g) => g.text).join('').startsWith(name))).map((b) => b[0]!.y);
    expect(baselines).toHaveLength(4);
    expect(new Set(baselines.map((y) => y.toFixed(2))).size).toBe(2); // two rows, one baseline each
    // By lines, not points: a local name in a tall script (Myanmar) is one line too.
    const myanmar = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [
        { ...a.parties[0], name: 'Republic of the Union of Myanmar', localName: 'ပြည်ထောင်စုသမ္မတ မြန်မာနိုင်ငံတော်', lang: 'my', signatory: { name: 'Signatory M' } },
        { ...a.parties[1], name: 'ASEAN Secretariat', localName: undefined, lang: undefined, signatory: { name: 'Signatory A' } },
        // A local name of two lines, one more than Myanmar's: they share a baseline, and the signatory
        // line without a local name, two lines fewer, stays with Myanmar's rather than slide after it.
        { ...a.parties[1], partyId: 'p3', name: 'Ministry', localName: 'Министерство иностранных дел Республики Казахстан', lang: 'ru', signatory: { name: 'Signatory K' } },
      ] },
    }));
    const lines = (await drawnBlocks(myanmar)).map((b) => ({ text: b.map((g) => g.text).join(''), y: b[0]!.y }));
    const at = (name: string) => lines.find((l) => l.text.startsWith(name))!.y;
    expect(at('Signatory M')).toBeCloseTo(at('Signatory A'), 2);
    expect(at('Signatory K')).toBeLessThan(at('Signatory M') - 10);
  });

  it('puts room the first page leaves between the rows of parties, so that one party\'s last line does not run into the next one\'s name', async () => {
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [a.parties[0], a.parties[1], { ...a.parties[0], partyId: 'p3', name: 'Third Party' }, { ...a.parties[1], partyId: 'p4' }] },
    }));
    const blocks = await drawnBlocks(pdf);
    const third = blocks.find((b) => textOf(b) === 'Third Party')!;
    // The first party's signatory line: the last line of its block, the one right above the third's name.
    const firstLine = blocks.filter((b) => b[0]!.x === third[0]!.x && inkOf(b).bottom > inkOf(third).top).sort((p, q) => inkOf(p).bottom - inkOf(q).bottom)[0]!;
    // A page with room to spare: half a name's size more between the rows than the blocks' own
    // spacing gives (about 9 pt of clear space at four parties' 10.5 pt names; here the names
    // print larger, in the room the page has, and so does all of it).
    const size = third[0]!.size;
    expect(size).toBeCloseTo(10.5 * 1.15, 3);
    expect(inkOf(firstLine).bottom - inkOf(third).top).toBeGreaterThan((9 * size) / 10.5 + size / 2 - 0.5);
    expect(inkOf(firstLine).bottom - inkOf(third).top).toBeLessThan((9 * size) / 10.5 + size / 2 + 0.5); // half a name's size, no more
  });

  it('keeps a row clear of the one above when it moves a signatory line down to its neighbour\'s baseline', async () => {
    const longTitle = 'First Deputy Minister of Digital Development, Innovations and Aerospace Industry, Special Representative for Cooperation';
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [
        // No local name, and a signatory line that wraps: moved down to its neighbour's, it ends lower than the block did.
        { ...a.parties[1], localName: undefined, lang: undefined, signatory: { name: 'Signatory A', title: longTitle } },
        { ...a.parties[0], partyId: 'pb' },
        { ...a.parties[0], partyId: 'pc', name: 'Third Party' },
        { ...a.parties[1], partyId: 'pd', name: 'Fourth Party' },
      ] },
    }));
    const blocks = await drawnBlocks(pdf);
    expect(touchingLines(blocks)).toEqual([]);
    const third = blocks.find((b) => textOf(b) === 'Third Party')!;
    const above = blocks.filter((b) => Math.abs(b[0]!.x - third[0]!.x) < 1 && inkOf(b).bottom > inkOf(third).top).sort((p, q) => inkOf(p).bottom - inkOf(q).bottom)[0]!;
    expect(inkOf(above).bottom - inkOf(third).top).toBeGreaterThan(6); // about 11 pt; a row sized without the move leaves under 1
  });

  it('spaces the fact row under a wrapped value by the ink its marks take, not by its count of lines', async () => {
    const vocalized = 'ٱلْمَمْلَكَةُ ٱلْعَرَبِيَّةُ ٱلسُّعُودِيَّةُ '.repeat(10);
    const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
      agreement: { ...a, place: vocalized.slice(0, 200).trim() }, ceremony: { ...ceremony, venue: vocalized.slice(7, 207).trim(), city: vocalized.slice(14, 114).trim() },
    }));
    const blocks = await drawnBlocks(pdf);
    expect(touchingLines(blocks)).toEqual([]);
    const label = blocks.find((b) => textOf(b) === 'Ceremony 签约仪式')!;
    const venueLast = Math.min(...blocks.filter((b) => /\p{Script=Arabic}/u.test(textOf(b))).map((b) => b[0]!.y));
    // A row's 15 points under the venue's last line, wherever the marks put that line (by line count alone, about 12).
    expect(venueLast - label[0]!.y).toBeGreaterThanOrEqual(15 - 0.01);
  });

  it('wraps party names and local names into even lines, and fills a signatory line before it wraps', async () => {
    const name = 'Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan';
    const localName = 'Қазақстан Республикасының Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі';
    const linesWith = async (first: object) => (await drawnBlocks(await renderVariant(bilateral.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: [{ ...a.parties[0], ...first }, ...a.parties.slice(1), { ...a.parties[1], partyId: 'third' }] },
    })))).map(textOf);
    // Greedy wrapping leaves "Kazakhstan" and "министрлігі" alone, or nearly, on their last lines.
    expect((await linesWith({ name })).filter((l) => name.includes(l) && l.length > 3)).toEqual(['Ministry of Digital', 'Development, Innovations', 'and Aerospace Industry of', 'the Republic of Kazakhstan']);
    expect((await linesWith({ localName, lang: 'kk' })).filter((l) => localName.includes(l) && l.length > 3)).toEqual(['Қазақстан', 'Республикасының Цифрлық', 'даму, инновациялар және', 'аэроғарыш өнеркәсібі', 'министрлігі']);
    // A signatory line is no name: it runs as far as it goes, the rest on the next line.
    const ministers = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: a.parties.map((p: any, i: number) => ({ ...p, signatory: { name: `Signatory ${i}`, title: 'Minister of Economic Development and Trade, Special Representative' } })) },
    }));
    expect((await drawnBlocks(ministers)).map(textOf)).toContain('Signatory 0, Minister of Economic Development and Trade, Special');
  });

  it('wraps a title shrunk past two lines into even lines too', async () => {
    const title = `Memorandum of Understanding on the Establishment of the SCO Digital Economy Platform ${'and a Joint Research Centre '.repeat(8)}`.slice(0, 300).trimEnd();
    const pdf = await renderVariant(bilateral.id, ({ agreement: a }) => ({ agreement: { ...a, title } }));
    const lines = (await drawnBlocks(pdf)).filter((b) => b[0]!.font.includes('Bold') && title.includes(textOf(b)) && textOf(b).length > 20);
    const { measure } = await import('#shared/certificate/shaping.ts');
    const widths = lines.map((l) => measure(textOf(l), l[0]!.size, { weight: 'bold' }));
    expect(lines.length).toBeGreaterThan(2);
    expect(Math.max(...widths) - Math.min(...widths)).toBeLessThan(0.2 * Math.max(...widths));
  });

  it('takes the compact heading only when the full one cannot hold the list as well: for larger type, or for a row on the first page', async () => {
    const { SECTORS } = await import('#shared/domain/schemas.ts');
    // Parties with 120-character names, under facts crowded to the lengths the schema allows.
    const crowded = (n: number, titleLength: number) => renderVariant(all18.id, ({ agreement: a, ceremony }) => ({
      agreement: {
        ...a, title: words(titleLength, 'Title'), titleZh: '题'.repeat(titleLength), place: words(200, 'Place'), sectors: [...SECTORS],
        parties: Array.from({ length: n }, (_, i) => ({ ...a.parties[i % 18], partyId: `p${i}`, name: `${words(120, 'Ministry')} ${i}`, localName: words(120, 'Министерство'), lang: 'ru', signatory: { name: `Signatory ${i + 1}`, title: 'Director' } })),
      },
      ceremony: { ...ceremony, title: words(300, 'Ceremony'), event: words(300, 'Event'), venue: words(200, 'Venue') },
    }), undefined, (r) => (report = r));
    let report: RenderReport | undefined;
    // Three parties fit under the full heading in a smaller type: that, not the compact heading.
    await crowded(3, 20);
    expect(report?.compactHeading).toBe(false);
    // Four under a long title: the full heading leaves the first page no row; the compact one gives them one.
    const four = await crowded(4, 150);
    expect(report?.compactHeading).toBe(true);
    expect(pdfToText(four, { page: 1 })).toMatch(/Ministry0/);
    // Thirty go to annex pages whichever heading: the full one stays, and the report gives the type drawn.
    const thirty = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, parties: Array.from({ length: 30 }, (_, i) => ({ ...a.parties[i % 18], partyId: `p-${i}`, signatory: { name: `Signatory No. ${i + 1}`, title: 'Director' } })) },
    }), undefined, (r) => (report = r));
    expect(report?.compactHeading).toBe(false);
    const drawn = (await drawnBlocks(thirty)).filter((b) => b[0]!.font.includes('Bold') && STATES.some((st) => st.name === textOf(b))).map((b) => b[0]!.size);
    expect(report?.partyType.name).toBeCloseTo(Math.max(...drawn), 3);
  });

  it('centres the compact heading with its void badge, the title 28 points under it, and says VOIDED on once under either heading', async () => {
    const voided = VOIDED;
    const pdf = await renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, ...voided, parties: a.parties.map((p: any, i: number) => ({ ...p, signatory: { name: `Minister ${i}`, title: 'Minister of Economic Development and Trade' } })) },
    }), undefined, (r) => expect(r.compactHeading).toBe(true));
    const blocks = await drawnBlocks(pdf);
    const en = blocks.find((b) => textOf(b) === 'Certificate of Agreement')!;
    const badge = blocks.find((b) => /^VOIDED\s*已作废$/.test(textOf(b)))!;
    const left = Math.min(...en.filter((g) => g.ink).map((g) => g.ink![0]));
    const right = Math.max(...badge.filter((g) => g.ink).map((g) => g.ink![2])) + 6; // the badge's frame
    expect((left + right) / 2).toBeCloseTo(841.89 / 2, 0);
    expect(en[0]!.y - blocks.find((b) => textOf(b).startsWith('Joint Declaration'))![0]!.y).toBeCloseTo(28, 1);
    expect(pdfToText(pdf, { page: 1 }).match(/VOIDED on/g)).toHaveLength(1);
    const full = await renderVariant(bilateral.id, ({ agreement: a }) => ({ agreement: { ...a, ...voided } }), undefined, (r) => expect(r.compactHeading).toBe(false));
    expect(pdfToText(full).match(/VOIDED on/g)).toHaveLength(1);
  });

  it('puts an amendment\'s day in the masthead under the compact heading, so that an amended version keeps its first version\'s one page', async () => {
    const { PDFDocument } = await import('pdf-lib');
    // Signatory lines long enough that the 18 parties take the compact heading, at the least scale
    // that keeps them on one page: the amendment's line under the status pushed them onto an annex.
    const version = (over: Record<string, unknown>) => renderVariant(all18.id, ({ agreement: a }) => ({
      agreement: { ...a, ...over, parties: a.parties.map((p: any) => ({ ...p, signatory: { name: `Representative of ${p.countryCode}`, title: 'Minister of Digital Development' } })) },
    }), undefined, (r) => (report = r));
    let report: RenderReport | undefined;
    const first = await version({ version: 1 });
    const firstType = report!.partyType;
    expect([report!.compactHeading, (await PDFDocument.load(first)).getPageCount()]).toEqual([true, 1]);
    const amended = await version({ version: 2, updatedAt: '2021-09-01T02:00:00.000Z' });
    expect([report!.compactHeading, (await PDFDocument.load(amended)).getPageCount(), report!.partyType]).toEqual([true, 1, firstType]);
    const text = pdfToText(amended).replace(/\s+/g, ' ');
    expect(text.match(/Amended on 1 September 2021 · 本协议已于2021年9月1日修订/g)).toHaveLength(1);
    // In the masthead, with the code and version: before the certificate's name.
    expect(text.indexOf('Amended on')).toBeLessThan(text.indexOf('Certificate of Agreement'));
  });

  it('keeps the type of the parties\' number on annex pages when no smaller type gets a row onto the first page', async () => {
    const { SECTORS } = await import('#shared/domain/schemas.ts');
    const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony }) => ({
      agreement: {
        ...a, title: words(300, 'Title'), titleZh: '题'.repeat(300), status: 'voided', place: words(200, 'Place'), sectors: [...SECTORS],
        parties: [0, 1, 2].map((i) => ({ ...a.parties[i % 2], partyId: `x${i}`, name: `Party ${i + 1} ${words(180, 'Ministry')}`, localName: words(200, 'Министерство'), lang: 'ru', role: words(100, 'Role'), signatory: { name: words(200, 'Name'), title: words(200, 'Minister') } })),
      },
      ceremony: { ...ceremony, title: words(300, 'Ceremony'), event: words(300, 'Event'), venue: words(200, 'Venue'), city: words(100, 'City') },
    }));
    expect(pdfToText(pdf, { page: 1 })).toContain('listed on the next page');
    const names = (await drawnBlocks(pdf, 1)).filter((b) => /^Party \d/.test(b.map((g) => g.text).join('')));
    expect(names.length).toBeGreaterThan(0);
    // Three parties' 13 pt names, at 85% at the least: not the 9 pt of many parties' type.
    for (const name of names) expect(name[0]!.size).toBeGreaterThanOrEqual(13 * 0.85 * 0.85 - 0.01);
  });

  it('keeps 18 parties in 9 scripts under 150 KB', () => {
    expect(all18.pdf.length).toBeLessThan(150 * 1024);
  });
});

describe('determinism', () => {
  it('renders the same input to the same bytes, whatever the caches hold', async () => {
    const render = () => renderVariant(bilateral.id, ({ agreement }) => ({ agreement: { ...agreement, title: 'A title never shaped before' } }));
    const cold = await render(); // its title is not in the shaping cache yet
    const warm = await render();
    expect(sha256(warm)).toBe(sha256(cold));
  });

  it('gives byte-identical files on every request, with the SHA-256 as ETag', async () => {
    const again = await certificate(all18.id);
    expect(sha256(again.body)).toBe(sha256(all18.pdf));
    expect(again.headers.get('etag')).toBe(`"${sha256(all18.pdf)}"`);
    // A partner's certificate is for them: no shared cache keeps it, and every use asks again (304 while unchanged).
    expect(again.headers.get('cache-control')).toBe('private, no-cache');
    const tag = again.headers.get('etag')!;
    // If-None-Match compares weakly, takes a list, and "*" matches any file (RFC 9110 §13.1.2).
    for (const ifNoneMatch of [tag, `W/${tag}`, `"other", ${tag}`, '*']) {
      const cached = await t.call('GET', `/agreements/${all18.id}/certificate.pdf`, { headers: { 'if-none-match': ifNoneMatch } });
      expect(cached.status, ifNoneMatch).toBe(304);
      expect(cached.headers.get('etag')).toBe(tag);
      expect(cached.headers.get('content-type')).toBe('application/pdf'); // not a type the gateway would pick
      expect(cached.headers.get('cache-control')).toBe('private, no-cache');
    }
    const stale = await t.call('GET', `/agreements/${all18.id}/certificate.pdf`, { headers: { 'if-none-match': '"0000"' } });
    expect(stale.status).toBe(200);
  });

  it('answers HEAD with the headers of the GET (ETag, type, length) and no content', async () => {
    const head = await t.call('HEAD', `/agreements/${all18.id}/certificate.pdf`);
    expect([head.status, head.headers.get('etag'), head.headers.get('content-type'), head.headers.get('content-length')])
      .toEqual([200, `"${sha256(all18.pdf)}"`, 'application/pdf', String(all18.pdf.length)]);
    expect(head.headers.get('content-disposition')).toMatch(/^inline; filename="concord-.+-v1\.pdf"$/);
    expect(head.body).toHaveLength(0);
    expect((await t.call('HEAD', `/agreements/${all18.id}/certificate.pdf`, { headers: { 'if-none-match': head.headers.get('etag')! } })).status).toBe(304);
    // Access is the GET's: no token, no headers worth having.
    const anonymous = await t.call('HEAD', `/agreements/${all18.id}/certificate.pdf`, { token: null });
    expect([anonymous.status, anonymous.headers.get('etag'), anonymous.body.length]).toEqual([401, null, 0]);
  });
});


describe('access', () => {
  it('reads a code as people type it, and nothing longer than a code typed with spaces as one', async () => {
    const { typedCode } = await import('#shared/domain/ids.ts');
    for (const typed of ['958K-S6DM', '958k-s6dm', '958KS6DM', '958k s6dm', ' 958K - S6DM ', '958K\u3000S6DM', '958K\u2010S6DM', '958K\u2013S6DM', '958K\u2212S6DM', '\uff19\uff15\uff18\uff2b\uff0d\uff33\uff16\uff24\uff2d']) expect(typedCode(typed), typed).toBe('958K-S6DM');
    expect([typedCode('1O1L-0I0O'), typedCode('loli-oioo')]).toEqual(['1011-0100', '1011-0100']);
    // U is no code character; nine characters are no code; padding beyond a typed code's is none either.
    expect([typedCode('958U-S6DM'), typedCode('958K-S6DMX'), typedCode(`958K${' '.repeat(10)}S6DM`), typedCode('ag-3bvcw19cjnhbadehvjyx')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('reads an agreement by its printed code too: the record, its history and its certificate, to whoever may read them', async () => {
    const byId = await t.call('GET', `/agreements/${bilateral.id}`, { token: t.tokens.auditor });
    const byCode = await t.call('GET', `/agreements/${bilateral.code}`, { token: t.tokens.auditor });
    expect([byCode.status, byCode.body]).toEqual([200, byId.body]);
    expect((await t.call('GET', `/agreements/${bilateral.code}/history`, { token: t.tokens.auditor })).body.agreementId).toBe(bilateral.id);
    expect(sha256((await certificate(bilateral.code, '', t.tokens.partner('cq'))).body)).toBe(sha256(bilateral.pdf));
    // A partner that did not sign learns nothing more from the code than from the id.
    const stranger = await t.call('GET', `/agreements/${bilateral.code}`, { token: t.tokens.partner('st-cn') });
    expect([stranger.status, stranger.body.detail]).toEqual([404, `No agreement with code "${bilateral.code}"`]);
    expect((await t.call('GET', '/agreements/ZZZZ-ZZZZ', { token: t.tokens.auditor })).body.detail).toBe('No agreement with code "ZZZZ-ZZZZ"');
    // The code as people type it, as on the verification page: any case, without its hyphen, O for 0, I or L for 1.
    const typed = bilateral.code.toLowerCase().replace('-', '').replace(/0/g, 'o').replace(/1/g, 'l');
    expect((await t.call('GET', `/agreements/${typed}`, { token: t.tokens.auditor })).body).toEqual(byId.body);
    expect(sha256((await certificate(typed, '', t.tokens.partner('cq'))).body)).toBe(sha256(bilateral.pdf));
    // Copied from a document that printed its hyphen as an en dash.
    expect((await t.call('GET', `/agreements/${encodeURIComponent(bilateral.code.replace('-', '\u2013'))}`, { token: t.tokens.auditor })).body).toEqual(byId.body);
    const typedChange = await t.call('POST', `/agreements/${typed}/void`, { body: { reason: 'r' }, headers: { 'if-match': '"1"' } });
    expect([typedChange.status, typedChange.body.errors?.[0]?.message]).toEqual([404, `must be the agreement's id (${bilateral.id}), not its printed code`]);
    // Changes take the id only (a code mistyped from paper must not void another agreement), and say so.
    for (const [method, path, body] of [['PATCH', `/agreements/${bilateral.code}`, { title: 'X', reason: 'r' }], ['POST', `/agreements/${bilateral.code}/void`, { reason: 'r' }]] as const) {
      const r = await t.call(method, path, { body, headers: { 'if-match': '"1"' } });
      expect([r.status, r.body.detail, r.body.errors]).toEqual([404, `"${bilateral.code}" is the printed code of agreement ${bilateral.id}: changes take the agreement's id, not its code`, [{ path: 'id', message: `must be the agreement's id (${bilateral.id}), not its printed code` }]]);
    }
    // A code no certificate has is no agreement's: told as a code, as printed (O read as 0), naming the path's id.
    // (An id that is no agreement's is told as an id.)
    const nope = await t.call('POST', '/agreements/nope%20nope/void', { body: { reason: 'r' }, headers: { 'if-match': '"1"' } });
    expect([nope.status, nope.body.detail, nope.body.errors]).toEqual([404, 'No agreement has the printed code "N0PE-N0PE" (and changes take an agreement\'s id, not its code)', [{ path: 'id', message: 'is no agreement\'s printed code, nor an agreement\'s id' }]]);
    const unknownId = await t.call('PATCH', '/agreements/ag-nosuchagreement', { body: { summary: 's', reason: 'r' }, headers: { 'if-match': '"1"' } });
    expect([unknownId.status, unknownId.body.detail, unknownId.body.errors]).toEqual([404, 'No agreement with id "ag-nosuchagreement"', [{ path: 'id', message: 'is no agreement\'s id' }]]);
    expect((await t.call('GET', `/agreements/${bilateral.id}`)).body.version).toBe(1);
  });

  it.each([
    ['staff', 200, () => t.tokens.staff, ''],
    ['an auditor', 200, () => t.tokens.auditor, ''],
    ['a partner that signed', 200, () => t.tokens.partner('cq'), ''],
    ['a partner that did not sign', 404, () => t.tokens.partner('st-cn'), ''],
    ['staff, for version 1 explicitly', 200, () => t.tokens.staff, '?version=1'],
    ['staff, for a version that does not exist', 404, () => t.tokens.staff, '?version=7'],
    ['staff, for a version that is not a number', 400, () => t.tokens.staff, '?version=latest'],
  ])('%s -> %i', async (_name, status, token, query) => {
    const r = await certificate(bilateral.id, query, token());
    expect(r.status).toBe(status);
    if (status === 200) expect(r.headers.get('content-type')).toBe('application/pdf');
  });

  it('gives a partner the versions that list its party: not one from before it joined, and those it signed before an amendment took it off', async () => {
    const { body: signed } = await logSigning(t, cer, agreement(['cq', 'ent-x'], { title: 'Partners change' }));
    const replaced = await t.call('PATCH', `/agreements/${signed.id}`, {
      body: { parties: [{ partyId: 'cq', signatory: { name: 'Mayor' } }, { partyId: 'st-cn', signatory: { name: 'Minister' } }], reason: 'the state signs instead' },
      headers: { 'if-match': '"1"' },
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    const status = async (party: string, version: number) => (await certificate(signed.id, `?version=${version}`, t.tokens.partner(party))).status;
    expect([await status('cq', 1), await status('cq', 2)]).toEqual([200, 200]); // on both versions
    expect([await status('st-cn', 1), await status('st-cn', 2)]).toEqual([404, 200]); // joined in version 2
    expect([await status('ent-x', 1), await status('ent-x', 2)]).toEqual([200, 404]); // taken off in version 2: keeps what it signed
    const latest = await certificate(signed.id, '', t.tokens.partner('ent-x'));
    expect([latest.status, latest.body.detail, latest.body.errors]).toEqual([404, `The latest version (2) of agreement ${signed.code} does not list your party`,
      [{ path: 'version', message: 'must be a version that lists your party (1)' }]]);
    // The agreement as it stands is not theirs any more, nor is it listed for them.
    expect((await t.call('GET', `/agreements/${signed.id}`, { token: t.tokens.partner('ent-x') })).status).toBe(404);
    expect((await t.call('GET', '/agreements', { token: t.tokens.partner('ent-x') })).body.items.map((a: { id: string }) => a.id)).not.toContain(signed.id);
    expect(await status('st-cn', 3)).toBe(404);
    expect((await certificate(signed.id, '?version=1', t.tokens.partner('ent-unrelated'))).body.detail).toBe(`No agreement with id "${signed.id}"`); // never a party: nothing to tell
    expect((await certificate(signed.id, '?version=1', t.tokens.auditor)).status).toBe(200);
  });
});

describe('verification', () => {
  async function freshSigning(title: string) {
    const r = await logSigning(t, cer, agreement(['cq', 'ent-x'], { title }));
    const pdf = (await certificate(r.body.id)).body as Buffer;
    const link = /(https:\/\/concord\.example\/verify\/\S+)/.exec(pdfToText(pdf))![1]!.slice(BASE.length);
    return { id: r.body.id as string, pdf, link };
  }
  /** One signing for the tests that only read its certificate or link (tampered copies, typed codes). */
  let shared: ReturnType<typeof freshSigning> | undefined;
  const readOnlySigning = () => (shared ??= freshSigning('Read-only target'));
  const checkLink = async (path: string) => t.call('GET', path, { token: null });
  const checkFile = async (pdf: Buffer) => t.call('POST', '/verify', { token: null, body: pdf, headers: { 'content-type': 'application/pdf' } });
  /** A file the registry never issued, carrying the genuine signature of an agreement's first version (as anyone can make one). */
  async function fileWithGenuineSignature(agreement: Agreement): Promise<Buffer> {
    const { signingKeys } = await import('#shared/store/signing-keys.ts');
    const { certificatePayloadOf, signPayload } = await import('#shared/certificate/signature.ts');
    const entry = (await t.call('GET', `/agreements/${agreement.id}/history`)).body.items[0];
    const jws = signPayload(certificatePayloadOf(agreement, entry, BASE), (await signingKeys())[0]!);
    return Buffer.from(`%PDF-1.7\n1 0 obj\n<< /ConcordCertificate (${jws}) >>\nendobj\ntrailer\n<< /Info 1 0 R >>\n%%EOF\n`, 'latin1');
  }

  it('a fresh certificate is valid, by link and by file, with the public facts', async () => {
    const { pdf, link } = await freshSigning('Valid one');
    for (const r of [await checkLink(link), await checkFile(pdf)]) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'valid', version: 1, currentVersion: 1, agreement: { title: 'Valid one', parties: [{ name: 'Chongqing Municipality', localName: '重庆市' }, { name: 'Zhōngguó Ëxample Trading Co.' }] } });
      // The ceremony's start goes along: a page shows signing times on its clock when it has no time zone.
      // And its venue, which the certificate prints.
      expect(r.body.agreement.ceremony).toMatchObject({ startsAt: expect.stringMatching(/^\d{4}-/), venue: 'Chongqing International Expo Center' });
      expect(r.body).not.toHaveProperty('reason'); // only an invalid answer says why it is one
    }
  });

  it('an amended agreement\'s old certificate is superseded; the new version gets a new, valid one', async () => {
    const { id, pdf, link } = await freshSigning('To be amended');
    await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Amended', reason: 'typo' }, headers: { 'if-match': '"1"' } });
    // The facts are those of the version certified, not of the one that replaced it.
    for (const r of [await checkLink(link), await checkFile(pdf)]) expect(r.body).toMatchObject({ status: 'superseded', version: 1, currentVersion: 2, agreement: { title: 'To be amended' } });
    const v2 = (await certificate(id)).body as Buffer;
    expect(sha256(v2)).not.toBe(sha256(pdf));
    expect((await checkFile(v2)).body).toMatchObject({ status: 'valid', version: 2 });
    // The new certificate says, under its status, the day the amendment was recorded (on the ceremony's clock, Asia/Shanghai).
    const amendedAt = (await t.call('GET', `/agreements/${id}`)).body.updatedAt as string;
    const [en, zh] = dayInShanghai(amendedAt);
    execFileSync('pdftoppm', ['-r', '110', '-png', '-singlefile', keep('certificate-amended', v2), join(OUT, 'certificate-amended')]);
    expect(pdfToText(v2).replace(/\s+/g, ' ')).toContain(`Status at version 2 第2版状态 In force · 有效 Amended on ${en} · 本协议已于${zh}修订`);
    expect(pdfToText(pdf)).not.toContain('Amended');
    // The old one's verdict says when it was superseded: by the amendment that followed it, not
    // by the latest (a second one here); the page says so on the same clock.
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Amended again', reason: 'typo' }, headers: { 'if-match': '"2"' } })).status).toBe(200);
    for (const r of [await checkLink(link), await checkFile(pdf)]) expect(r.body).toMatchObject({ status: 'superseded', currentVersion: 3, supersededAt: amendedAt });
    const page = await t.call('GET', link, { token: null, headers: { accept: 'text/html' } });
    expect(plain(page.body)).toContain(`This certificate describes version 1. Version 2 replaced it on ${en}. Ask the parties or the registry for the certificate of version 3, which is current.`);
    expect(plain(page.body)).toContain(`本版已于${zh}被第2版取代。`);
    const v3 = (await checkFile((await certificate(id)).body)).body;
    expect(v3).toMatchObject({ status: 'valid', version: 3 });
    expect(v3).not.toHaveProperty('supersededAt');
  });

  it('gives the day of an amendment or a void on the clock the signing time prints by, also without a time zone', async () => {
    // Signed at 10:00 on UTC+09:00 (a ceremony without a time zone, its start logged in UTC); the
    // change recorded at 15:28 UTC, which is already 1 December on the signing's clock.
    const clock = { signedAt: '2026-11-30T10:00:00+09:00', version: 2, updatedAt: '2026-11-30T15:28:00.000Z' };
    const ceremony = (c: any) => ({ ...c, timeZone: undefined, startsAt: '2026-11-30T00:00:00Z', endsAt: undefined });
    for (const status of ['active', 'voided']) {
      const pdf = await renderVariant(bilateral.id, ({ agreement: a, ceremony: c }) => ({ agreement: { ...a, ...clock, status }, ceremony: ceremony(c) }));
      const text = pdfToText(pdf).replace(/\s+/g, ' ');
      expect(text).toContain('Signed 签署时间 30 November 2026, 10:00 · 2026年11月30日 10:00 · UTC+09:00');
      expect(text).toContain(status === 'active' ? 'Amended on 1 December 2026 · 本协议已于2026年12月1日修订' : 'VOIDED on 1 December 2026');
    }
    const { verificationPage } = await import('#shared/http/pages.ts');
    const facts = { title: 'T', signedAt: clock.signedAt, parties: [], ceremony: { title: 'C', venue: 'COEX', city: 'Seoul', countryCode: 'KR', startsAt: '2026-11-30T00:00:00Z' } };
    const common = { detail: 'd', detailZh: '细', code: 'AAAA-AAAA', version: 1, agreement: facts };
    expect(plain(verificationPage({ ...common, status: 'superseded', currentVersion: 2, supersededAt: clock.updatedAt }))).toContain('Version 2 replaced it on 1 December 2026.');
    expect(plain(verificationPage({ ...common, status: 'voided', currentVersion: 2, voidedAt: clock.updatedAt }))).toContain('The agreement was voided on 1 December 2026');
    // A ceremony corrected at 20:00 UTC, in Asia/Shanghai: the next day there, as the page's other days are.
    const corrected = { ...facts, ceremony: { ...facts.ceremony, timeZone: 'Asia/Shanghai', correctedAt: '2026-11-30T20:00:00.000Z' } };
    expect(plain(verificationPage({ ...common, status: 'valid', currentVersion: 1, agreement: corrected }))).toContain('Corrected on 1 December 2026: a certificate downloaded before');
  });

  it('a voided agreement\'s certificate verifies as voided, saying when; the void version\'s certificate prints the day', async () => {
    const { id, pdf, link } = await freshSigning('To be voided');
    const voided = await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'signed twice' }, headers: { 'if-match': '"1"' } });
    for (const r of [await checkLink(link), await checkFile(pdf)]) expect(r.body).toMatchObject({ status: 'voided', voidedAt: voided.body.updatedAt });
    // The day on the ceremony's clock (Asia/Shanghai), as the signing time prints.
    const [en, zh] = dayInShanghai(voided.body.updatedAt);
    const page = await t.call('GET', link, { token: null, headers: { accept: 'text/html' } });
    expect(plain(page.body)).toContain(`The agreement was voided on ${en}: do not rely on this certificate.`);
    expect(plain(page.body)).toContain(`该协议已于${zh}作废`);
    expect(page.body).toContain('证书真实，但协议已作废，不再有效。');
    const v2 = (await certificate(id)).body as Buffer;
    expect(pdfToText(v2).replace(/\s+/g, ' ')).toContain(`VOIDED on ${en} — this agreement is no longer in force · 本协议已于${zh}作废`);
    expect(pdfToText(v2)).not.toContain('Amended on'); // a later version, but a void's, not an amendment's
    // Created when signed, modified when voided (what a viewer's document properties show).
    const info = execFileSync('pdfinfo', ['-isodates', keep('certificate-voided', v2)], { encoding: 'utf8' });
    expect([/CreationDate:\s+(\S+)/.exec(info)?.[1], /ModDate:\s+(\S+)/.exec(info)?.[1]]).toEqual(['2021-08-23T06:30:00Z', `${voided.body.updatedAt.slice(0, 19)}Z`]);
    // An agreement in force has no such field.
    expect((await checkLink((await freshSigning('Not voided')).link)).body.voidedAt).toBeUndefined();
  });

  it.each([
    ['a changed version number', (l: string) => l.replace('?v=1', '?v=2'), 'signature-mismatch'],
    ['a changed signature', (l: string) => l.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`), 'signature-mismatch'],
    ['a signature that is too short', (l: string) => l.replace(/sig=.*/, 'sig=abc'), 'cut-short'],
    ['another agreement\'s code', (l: string) => l.replace(/verify\/[^?]+/, `verify/${all18.code}`), 'signature-mismatch'],
    ['a code nobody issued', (l: string) => l.replace(/verify\/[^?]+/, 'verify/ZZZZ-ZZZZ'), 'signature-mismatch'],
    ['a code that is not a code', (l: string) => l.replace(/verify\/[^?]+/, 'verify/%3Cscript%3E'), 'unknown-code'],
  ])('a link with %s is invalid', async (_name, tamper, reason) => {
    const { link } = await readOnlySigning();
    const r = await checkLink(tamper(link));
    expect(r.status).toBe(200);
    // And why, for programs: the reason, which only an invalid answer has.
    expect([r.body.status, r.body.reason]).toEqual(['invalid', reason]);
    // Why, in Chinese too (a browser's page shows both).
    expect(r.body.detailZh).toMatch(/\p{Script=Han}/u);
    expect(r.body.agreement).toBeUndefined();
  });

  it.each([
    ['random bytes', () => Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)), 'not-a-pdf'],
    // Cut short, as an interrupted download leaves it: said so, whether or not the signature survived.
    ['a truncated certificate', () => all18.pdf.subarray(0, Math.floor(all18.pdf.length / 2)), 'incomplete'],
    ['a certificate without its last bytes', () => bilateral.pdf.subarray(0, bilateral.pdf.length - 8), 'incomplete'],
    ['a certificate with bytes after its end', () => Buffer.concat([bilateral.pdf, Buffer.from('% appended\n')]), 'altered'],
    // A line break a mail program added: said so, not called altered; blank bytes before a comment are not only blank bytes.
    ['a certificate with a line break after its end', () => Buffer.concat([bilateral.pdf, Buffer.from('\r\n')]), 'padded'],
    ['a certificate with blank bytes after its end', () => Buffer.concat([bilateral.pdf, Buffer.alloc(100, ' '), Buffer.from('\n\0')]), 'padded'],
    ['a certificate with blank bytes and a comment after its end', () => Buffer.concat([bilateral.pdf, Buffer.from('\n% x\n\n')]), 'altered'],
    ['an edited certificate without its %%EOF', () => { const b = Buffer.from(bilateral.pdf); b.write('Zz', b.indexOf('Certificate ') + 12, 'latin1'); return b.subarray(0, b.lastIndexOf('%%EOF')); }, 'incomplete'],
    ['an edited certificate', () => { const b = Buffer.from(bilateral.pdf); b.write('Zz', b.indexOf('Certificate ') + 12, 'latin1'); return b; }, 'altered'],
    ['a certificate with a forged payload', () => Buffer.from(bilateral.pdf.toString('latin1').replace(/(\/ConcordCertificate \([^.]+\.)([^.])/, (_m, head: string, c: string) => `${head}${c === 'e' ? 'f' : 'e'}`), 'latin1'), 'bad-signature'],
    ['a certificate signed by another key', () => resign(bilateral.pdf), 'bad-signature'],
    // Its signature sits compressed in an object stream now: the answer says what may have happened.
    ['a certificate re-saved by another program', async () => Buffer.from(await (await (await import('pdf-lib')).PDFDocument.load(bilateral.pdf)).save({ useObjectStreams: true })), 'no-signature'],
  ])('a file that is %s is invalid, never a 5xx', async (name, make, reason) => {
    const r = await checkFile(await make());
    expect(r.status).toBe(200);
    expect([r.body.status, r.body.reason]).toEqual(['invalid', reason]);
    if (name.includes('re-saved')) expect(r.body.detail).toMatch(/re-saved by another program/);
    if (reason === 'padded') {
      expect(r.body.detail).toMatch(/^This is a file the registry issued with (2|102) blank bytes \(spaces, line breaks or the like\) added after its end, as some mail and file-transfer programs add them: it shows what the registry issued, but it is not the issued file, byte for byte\.$/);
      const page = await t.call('POST', '/verify', { token: null, body: await make(), headers: { 'content-type': 'application/pdf', accept: 'text/html' } });
      expect([page.status, headline(page.body)]).toEqual([200, 'Not verified<br><span lang="zh-Hans">证书核验未通过</span>']);
      expect(page.body).toContain('Download the certificate again from where you had it, and check the new copy; or check it with its QR code.');
    }
    if (reason === 'incomplete') {
      expect(r.body.detail).toMatch(/not the certificate as issued: its download or copy was probably cut short/);
      // Not verified (a forger may cut a file too), but a browser is told to download it again.
      const page = await t.call('POST', '/verify', { token: null, body: await make(), headers: { 'content-type': 'application/pdf', accept: 'text/html' } });
      expect([page.status, headline(page.body)]).toEqual([200, 'Not verified<br><span lang="zh-Hans">证书核验未通过</span>']);
      expect(page.body).toContain('If it is a certificate you downloaded, download it again from where you had it');
    }
  });

  it('accepts a JWS only in the canonical form it was signed in: the same payload re-encoded, or under another header, is refused', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { signingKey, signPayload, verifiedPayload } = await import('#shared/certificate/signature.ts');
    const key = signingKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    const payload = { typ: 'concord-certificate' as const, id: 'agr-1', code: 'SCE21-0001', version: 1, stateHash: 'a'.repeat(64), issuedAt: '2021-08-23T06:30:00.000Z', iss: 'https://concord.example' };
    const jws = signPayload(payload, key);
    expect(verifiedPayload(jws, [key])).toMatchObject({ payload, key: { kid: key.kid } });
    const [header, body, signature] = jws.split('.') as [string, string, string];
    const b64 = (json: string) => Buffer.from(json).toString('base64url');
    const decoded = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
    expect(verifiedPayload(`${header}.${b64(JSON.stringify(decoded(body), null, 1))}.${signature}`, [key])).toBeUndefined();
    expect(verifiedPayload(`${b64(JSON.stringify({ ...decoded(header), crit: [] }))}.${body}.${signature}`, [key])).toBeUndefined();
    // The last of the 86 characters has 4 unused bits: another character with the same 2 bits decodes to the same bytes.
    const sixBits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = sixBits.indexOf(signature.at(-1)!);
    const sameBytes = sixBits[(last & 0b110000) | ((last + 1) & 0b001111)]!;
    expect(Buffer.from(signature.slice(0, -1) + sameBytes, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(verifiedPayload(`${header}.${body}.${signature.slice(0, -1)}${sameBytes}`, [key])).toBeUndefined();
  });

  it('records every file it hands out, under its version, by the SHA-256 of its bytes, with the address it prints', async () => {
    const { getIssuedCertificate, issuersOf } = await import('#shared/store/certificates.ts');
    const kid = await signingKeyId();
    expect(await getIssuedCertificate(bilateral.id, 1, sha256(bilateral.pdf))).toMatchObject({ agreementId: bilateral.id, version: 1, kid, bytes: bilateral.pdf.length, iss: BASE });
    expect(await getIssuedCertificate(bilateral.id, 1, sha256(Buffer.from('not a certificate')))).toBeUndefined();
    expect(await issuersOf(bilateral.id, 1)).toEqual([BASE]);
  });

  it('a link printed under an address the registry has since left still checks out; a signature for no address it used does not', async () => {
    const { recordIssuedCertificate } = await import('#shared/store/certificates.ts');
    const { signingKeys } = await import('#shared/store/signing-keys.ts');
    const { certificatePayloadOf, signPayload, signatureOf } = await import('#shared/certificate/signature.ts');
    const { id } = await freshSigning('Printed under an old address');
    const entry = (await t.call('GET', `/agreements/${id}/history`)).body.items[0];
    const agreementNow = (await t.call('GET', `/agreements/${id}`)).body;
    const [key] = await signingKeys();
    const linkUnder = (iss: string) => `/verify/${agreementNow.code}?v=1&sig=${signatureOf(signPayload(certificatePayloadOf(agreementNow, entry, iss), key!))}`;
    const old = 'https://old.concord.example';
    expect((await checkLink(linkUnder(old))).body.status).toBe('invalid'); // no file was ever handed out there
    await recordIssuedCertificate({ sha256: 'a'.repeat(64), agreementId: id, version: 1, kid: key!.kid, bytes: 1, firstIssuedAt: '2021-08-23T06:30:00.000Z', iss: old });
    expect((await checkLink(linkUnder(old))).body).toMatchObject({ status: 'valid', version: 1 });
    expect((await checkLink(linkUnder('https://elsewhere.example'))).body.status).toBe('invalid');
  });

  it('a file on record stays valid after re-rendering stops reproducing it (new fonts or layout); one off record does not', async () => {
    const { recordIssuedCertificate } = await import('#shared/store/certificates.ts');
    const { id, pdf } = await freshSigning('Issued by an older renderer');
    const kid = await signingKeyId();
    // What an older renderer might have produced: the same signed payload in other bytes.
    const older = (tag: string) => Buffer.concat([pdf, Buffer.from(`% ${tag}\n`)]);
    const record = (file: Buffer, version = 1, by = kid) => recordIssuedCertificate({ sha256: sha256(file), agreementId: id, version, kid: by, bytes: file.length, firstIssuedAt: '2021-08-23T06:30:00.000Z', iss: BASE });
    const handedOut = older('Concord 0');
    expect((await checkFile(handedOut)).body.status).toBe('invalid');
    await record(handedOut);
    expect((await checkFile(handedOut)).body).toMatchObject({ status: 'valid', version: 1 });
    // A record only vouches for the version its file's signed payload names.
    const mismatched = older('Concord 1');
    await record(mismatched, 2);
    expect((await checkFile(mismatched)).body.status).toBe('invalid');
    // And only for the key that signed it.
    const otherKey = older('Concord 2');
    await record(otherKey, 1, 'another-key');
    expect((await checkFile(otherKey)).body.status).toBe('invalid');
  });

  it('a file off record is re-rendered with the signature it carries, whichever key signs now, and checks out', async () => {
    const { dynamo, tableName } = await import('#shared/store/client.ts');
    const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
    const { issuedCertificateKey } = await import('#shared/store/keys.ts');
    const { signingKeys } = await import('#shared/store/signing-keys.ts');
    const { signingKey } = await import('#shared/certificate/signature.ts');
    const { generateKeyPairSync } = await import('node:crypto');
    const { id, pdf } = await freshSigning('Signed before a key rotation');
    // As if handed out before files were recorded.
    await dynamo.send(new DeleteCommand({ TableName: tableName, Key: issuedCertificateKey(id, 1, sha256(pdf)) }));
    // The process's key ring: a new key in front signs from now on. Re-signed with it, the file
    // would come out in other bytes: it is re-rendered with the JWS it carries.
    const ring = await signingKeys();
    ring.unshift(signingKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()));
    try {
      expect((await checkFile(pdf)).body).toMatchObject({ status: 'valid', version: 1 });
      expect((await checkFile(Buffer.concat([pdf, Buffer.from('%\n')]))).body.status).toBe('invalid');
    } finally {
      ring.shift();
    }
  });

  it('a file off record that printed its ceremony as opened still checks out after the ceremony is corrected', async () => {
    const { dynamo, tableName } = await import('#shared/store/client.ts');
    const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
    const { issuedCertificateKey } = await import('#shared/store/keys.ts');
    const own = await setup(t, [], 'off-record-corrected');
    const r = await logSigning(t, own, agreement(['cq', 'ent-x'], { title: 'Printed before a correction' }));
    const pdf = (await certificate(r.body.id)).body as Buffer;
    // Handed out before files were recorded, and so before any correction (corrections came after records).
    await dynamo.send(new DeleteCommand({ TableName: tableName, Key: issuedCertificateKey(r.body.id, 1, sha256(pdf)) }));
    const corrected = await t.call('PATCH', `/ceremonies/${own}`, { body: { venue: 'Hall 3', reason: 'moved' }, headers: { 'if-match': '"1"' } });
    expect(corrected.status).toBe(200);
    expect((await checkFile(pdf)).body).toMatchObject({ status: 'valid', version: 1 });
    expect((await checkFile(Buffer.concat([pdf, Buffer.from('%\n')]))).body).toMatchObject({ status: 'invalid', reason: 'altered' });
  });

  it('reads an agreement\'s history once a minute for checks anyone repeats, its item for each: an amendment or an edited record is seen at once', async () => {
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const { getItem } = await import('#shared/store/operations.ts');
    const { putItem } = await import('./support/history-items.ts');
    const { agreementKey } = await import('#shared/store/keys.ts');
    const { id, pdf, link } = await freshSigning('Checked again and again');
    const pk = agreementKey(id).pk;
    /** What checking reads of the agreement's partition: whole (a query), one version's entries (a query of their range) or its item alone. */
    const reads = async (check: () => Promise<unknown>) => {
      const seen: string[] = [];
      await watchingCalls(({ command, input }) => {
        if (!JSON.stringify(input).includes(`"${pk}"`)) return;
        if (command === 'QueryCommand') seen.push(String(input.ExpressionAttributeValues?.[':from'] ?? '').startsWith('HISTORY#') ? 'entries' : 'partition');
        if (['GetItemCommand', 'GetCommand'].includes(command)) seen.push('item');
      }, check);
      return seen;
    };
    expect((await checkLink(link)).body.status).toBe('valid');
    expect(await reads(async () => {
      for (let i = 0; i < 3; i++) expect((await checkLink(link)).body.status).toBe('valid');
      expect((await checkFile(pdf)).body.status).toBe('valid');
    })).toEqual(['item', 'item', 'item', 'item']);
    // An amendment names another latest entry: read whole again, and the verdict follows it.
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { summary: 'Amended once', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    let superseded;
    expect(await reads(async () => { superseded = (await checkLink(link)).body; })).toEqual(['item', 'entries', 'partition']);
    expect(superseded).toMatchObject({ status: 'superseded', currentVersion: 2 });
    // A record edited behind the API, its latest entry the same: read whole again too.
    const item = (await getItem(agreementKey(id)))!;
    await putItem({ ...item, data: { ...(item.data as object), status: 'voided' } });
    let edited;
    expect(await reads(async () => { edited = (await checkLink(link)).body; })).toEqual(['item', 'entries', 'partition']);
    expect(edited).toMatchObject({ status: 'voided' });
    // A signature no certificate carries, on this issued code and version or on one it never had:
    // told from that version's entries alone (or none), never the whole history, however large (a
    // read that outlasted the floor and so told an issued code apart by its time).
    const { REUSED_FOR_MS } = await import('#shared/store/agreements.ts');
    const forged = link.replace(/sig=[^&]+/, `sig=${'A'.repeat(86)}`);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + REUSED_FOR_MS); // nothing kept
      expect(await reads(async () => expect((await checkLink(forged)).body).toMatchObject({ status: 'invalid', reason: 'signature-mismatch' }))).toEqual(['item', 'entries']);
      expect(await reads(async () => expect((await checkLink(forged.replace(/v=\d+/, 'v=99'))).body.status).toBe('invalid'))).toEqual(['item']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('checks a link of an agreement whose item still holds its history (stored the old way) from that item alone: genuine is valid, forged is not, and neither reads it twice', async () => {
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const { getItem } = await import('#shared/store/operations.ts');
    const { entryItemsOf, deleteItem, putItem } = await import('./support/history-items.ts');
    const { agreementKey } = await import('#shared/store/keys.ts');
    const { id, link } = await freshSigning('Checked the old way');
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { summary: 'Amended before the move', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const history = (await t.call('GET', `/agreements/${id}/history`)).body.items;
    // The item as written before entries were items of their own: its whole history in it, no head, no entry items.
    const { head: _, historyBytes: __, ...item } = (await getItem(agreementKey(id)))!;
    for (const entry of await entryItemsOf(id)) await deleteItem(entry);
    await putItem({ ...item, history });
    const pk = agreementKey(id).pk;
    const reads = async (check: () => Promise<unknown>) => {
      const seen: string[] = [];
      await watchingCalls(({ command, input }) => {
        if (!JSON.stringify(input).includes(`"${pk}"`)) return;
        if (command === 'QueryCommand') seen.push('partition');
        if (['GetItemCommand', 'GetCommand'].includes(command)) seen.push('item');
      }, check);
      return seen;
    };
    // Up to 400 KB (a history of some 100 amendments): read twice, item then partition, a forged
    // signature's answer could outlast the floor. The item alone holds all there is.
    expect(await reads(async () => expect((await checkLink(link)).body).toMatchObject({ status: 'superseded', version: 1, currentVersion: 2 }))).toEqual(['item']);
    const forged = link.replace(/sig=[^&]+/, `sig=${'A'.repeat(86)}`);
    expect(await reads(async () => expect((await checkLink(forged)).body).toMatchObject({ status: 'invalid', reason: 'signature-mismatch' }))).toEqual(['item']);
  });

  it('keeps no more agreements read whole than its bound when one it answers from is dropped while its item is read', async () => {
    const { getAgreementReused } = await import('#shared/store/agreements.ts');
    const { dynamo } = await import('#shared/store/client.ts');
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementKey } = await import('#shared/store/keys.ts');
    const { putItem } = await import('./support/history-items.ts');
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    // The most one agreement kept may take: a quarter of the 32 MB a process keeps, so four fill it.
    const LARGEST = 8 * 1024 * 1024;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await logSigning(t, cer, agreement(['cq', 'ent-x'], { title: `Kept while in use ${i}` }));
      expect(r.status).toBe(201);
      // Its history counted as the largest kept (behind the API: the count alone, its record and head as they were).
      await putItem({ ...(await getItem(agreementKey(r.body.id)))!, historyBytes: LARGEST });
      ids.push(r.body.id);
    }
    const [first, ...others] = ids as [string, ...string[]];
    await getAgreementReused(first); // read whole, and kept
    // The next read of the first one's item waits until the others have been read whole.
    let reached!: () => void;
    let release!: () => void;
    const atItem = new Promise<void>((resolve) => { reached = resolve; });
    const released = new Promise<void>((resolve) => { release = resolve; });
    const name = `hold-${Math.random()}`;
    dynamo.middlewareStack.add((next, context) => async (args) => {
      const key = (args.input as { Key?: { pk?: unknown; sk?: unknown } }).Key;
      if (context.commandName!.startsWith('Get') && key?.pk === agreementKey(first).pk && key.sk === agreementKey(first).sk) {
        reached();
        await released;
      }
      return next(args);
    }, { step: 'initialize', name });
    try {
      const answering = getAgreementReused(first); // kept: its item alone is read
      await atItem;
      for (const id of others) await getAgreementReused(id); // the fifth drops the first to make room
      release();
      expect((await answering)?.agreement.id).toBe(first);
    } finally {
      release();
      dynamo.middlewareStack.remove(name);
    }
    // Four of them fill what a process keeps: all five cannot be answered without reading one whole again.
    let readWhole = 0;
    await watchingCalls(({ command }) => { if (command === 'QueryCommand') readWhole += 1; }, async () => {
      for (const id of ids) await getAgreementReused(id);
    });
    expect(readWhole).toBeGreaterThan(0);
  });

  it('reuses an agreement read whole only in the minute after it was read: with the clock set back before then, it reads it whole again', async () => {
    const { getAgreementReused, REUSED_FOR_MS } = await import('#shared/store/agreements.ts');
    const { integrityOf } = await import('#shared/registry/agreements.ts');
    const { entryItemsOf, putItem } = await import('./support/history-items.ts');
    const r = await logSigning(t, cer, agreement(['cq', 'ent-x'], { title: 'Read before the clock went back' }));
    expect(r.status).toBe(201);
    const id = r.body.id as string;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(integrityOf((await getAgreementReused(id))!).firstBadVersion).toBeNull(); // kept
      // Its entry edited behind the API: seen within a minute, however the clock moves.
      const [entry] = await entryItemsOf(id);
      await putItem({ ...entry, entry: { ...entry!.entry, reason: 'Tampered' } });
      vi.setSystemTime(Date.now() - 10 * REUSED_FOR_MS);
      expect(integrityOf((await getAgreementReused(id))!).firstBadVersion).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps checking with the keys it read when reading them again fails, and tries again a few seconds later, not on every request', async () => {
    const { failingCalls } = await import('./support/dynamo-calls.ts');
    const { PUBLISHED_KEYS_REFRESH_MS, PUBLISHED_KEYS_RETRY_MS } = await import('#shared/store/published-keys.ts');
    const { publishedKeysKey } = await import('#shared/store/keys.ts');
    const { link } = await readOnlySigning();
    const kids = async () => (await checkLink('/.well-known/concord-keys.json')).body.keys.map((k: { kid: string }) => k.kid);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
      const published = await kids();
      let attempts = 0;
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
      await failingCalls(({ command, input }) => command.startsWith('Get') && input.Key?.pk === publishedKeysKey.pk && ++attempts > 0, async () => {
        vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
        for (let i = 0; i < 3; i++) {
          expect((await checkLink(link)).body.status).toBe('valid');
          expect(await kids()).toEqual(published);
        }
        expect(attempts).toBe(1);
        vi.setSystemTime(Date.now() + PUBLISHED_KEYS_RETRY_MS);
        expect((await checkLink(link)).body.status).toBe('valid');
        expect(attempts).toBe(2);
      });
      // Each failed read is said: a verify instance checking with stale keys is seen.
      expect(logged.mock.calls.filter(([line]) => line?.event?.includes('the published keys could not be read again'))).toHaveLength(2);
      logged.mockRestore();
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_RETRY_MS);
      expect(await kids()).toEqual(published);
    } finally {
      vi.useRealTimers();
    }
  });

  it('serves no published keys (none yet, or their item lost) as an empty set no one keeps, and checks nothing with them: a signature is "cannot check now" (503), not "invalid"', async () => {
    const { signingKeys } = await import('#shared/store/signing-keys.ts');
    const { publishKeys, PUBLISHED_KEYS_REFRESH_MS, PUBLISHED_KEYS_REREAD_MS } = await import('#shared/store/published-keys.ts');
    const { publishedKeysKey } = await import('#shared/store/keys.ts');
    const { deleteItem } = await import('./support/history-items.ts');
    const { link, pdf } = await readOnlySigning();
    const ring = await signingKeys();
    const jwks = () => checkLink('/.well-known/concord-keys.json');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      await deleteItem(publishedKeysKey);
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
      const none = await jwks();
      expect([none.status, none.body, none.headers.get('cache-control')]).toEqual([200, { keys: [] }, 'no-store']);
      // A genuine certificate is not called invalid, by its link or its file; what needs no key still answers.
      const silenced = vi.spyOn(console, 'error').mockImplementation(() => {});
      const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        for (const cannot of [await checkLink(link), await checkFile(pdf)]) {
          expect([cannot.status, cannot.headers.get('content-type'), cannot.headers.get('retry-after')]).toEqual([503, 'application/problem+json', expect.any(String)]);
        }
        // A link check still tells nothing of agreements it cannot show: a code or version never
        // issued gets the same 503 as a genuine link, not the "invalid" it gets with keys published.
        for (const unissued of [link.replace(/verify\/[^?]+/, 'verify/ZZZZ-ZZZZ'), link.replace(/\?v=\d+/, '?v=99')]) {
          const answer = await checkLink(unissued);
          expect([answer.status, answer.headers.get('content-type')], unissued).toEqual([503, 'application/problem+json']);
        }
        expect((await checkFile(pdf.subarray(0, pdf.length >> 1))).body).toMatchObject({ status: 'invalid', reason: 'incomplete' });
      } finally {
        silenced.mockRestore();
        warned.mockRestore();
      }
      // None read is kept no longer than a second: published again, they are served at once.
      await publishKeys(ring, { versionId: 'restored', createdAt: 0 }, { force: true }); // dated before any ring a later test publishes
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REREAD_MS);
      expect((await jwks()).body.keys).toHaveLength(ring.length);
    } finally {
      await publishKeys(ring, { versionId: 'restored', createdAt: 0 }, { force: true });
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
      await jwks();
      vi.useRealTimers();
    }
    const restored = await jwks();
    expect([restored.body.keys.length, restored.headers.get('cache-control')]).toEqual([ring.length, 'public, max-age=3600']);
    expect((await checkLink(link)).body.status).toBe('valid');
  });

  it('leaves out a published key that does not load, and checks with the others', async () => {
    const { signingKeys } = await import('#shared/store/signing-keys.ts');
    const { publishKeys, PUBLISHED_KEYS_REFRESH_MS } = await import('#shared/store/published-keys.ts');
    const { link, pdf } = await readOnlySigning();
    const ring = await signingKeys();
    const jwks = async () => (await checkLink('/.well-known/concord-keys.json')).body.keys.map((k: { kid: string }) => k.kid);
    const [first] = ring;
    // Written behind the API: a key whose x is not a key, one whose kid is not its thumbprint, one not a key at all.
    const broken = [{ ...first!.jwk, kid: 'not-a-key', x: 'AAAA' }, { ...first!.jwk, kid: 'wrong-kid' }, { kty: 'RSA' }].map((jwk) => ({ jwk }) as unknown as typeof first & {});
    vi.useFakeTimers({ toFake: ['Date'] });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await publishKeys([...broken, ...ring], { versionId: 'restored', createdAt: 0 }, { force: true });
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
      expect(await jwks()).toEqual(ring.map((k) => k.kid));
      expect((await checkLink(link)).body.status).toBe('valid');
      expect((await checkFile(pdf)).body.status).toBe('valid');
      expect(logged.mock.calls.filter(([line]) => line?.event === 'a published certificate key does not load: left out' && line.category === 'integrity')).toHaveLength(broken.length);
    } finally {
      logged.mockRestore();
      await publishKeys(ring, { versionId: 'restored', createdAt: 0 }, { force: true });
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
      await jwks();
      vi.useRealTimers();
    }
  });

  it('checks with the published keys: one published a moment ago by another instance checks out at once, an older ring cannot come back, and a key taken out stops verifying', async () => {
    const { signingKeys } = await import('#shared/store/signing-keys.ts');
    const { publishKeys, PUBLISHED_KEYS_REFRESH_MS, PUBLISHED_KEYS_REREAD_MS } = await import('#shared/store/published-keys.ts');
    const { certificatePayloadOf, signPayload, signatureOf, signingKey } = await import('#shared/certificate/signature.ts');
    const { generateKeyPairSync } = await import('node:crypto');
    const { id, pdf } = await freshSigning('Checked with the published keys');
    const entry = (await t.call('GET', `/agreements/${id}/history`)).body.items[0];
    const agreementNow = (await t.call('GET', `/agreements/${id}`)).body;
    const ring = await signingKeys();
    const kidsOf = (keys: readonly { kid: string }[]) => keys.map((k) => k.kid);
    const added = signingKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    const linkSignedBy = (key: typeof added) => `/verify/${agreementNow.code}?v=1&sig=${signatureOf(signPayload(certificatePayloadOf(agreementNow, entry, BASE), key))}`;
    const published = async () => kidsOf((await checkLink('/.well-known/concord-keys.json')).body.keys);
    // Versions of the ring made after the one the server published at its start, in order.
    const now = Date.now();
    const ringVersion = (n: number) => ({ versionId: `test-${n}`, createdAt: now + n });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // The verify function reads the published keys now (its last read is a minute old), and keeps them a minute.
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
      expect(await published()).toEqual(kidsOf(ring));
      // Another instance loads a ring with a new key in front, and publishes it before it signs.
      expect(await publishKeys([added, ...ring], ringVersion(1))).toBe(true);
      expect((await checkLink(linkSignedBy(added))).body.status).toBe('invalid'); // read again no more than once a second
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REREAD_MS);
      expect((await checkLink(linkSignedBy(added))).body).toMatchObject({ status: 'valid', version: 1 });
      expect(await published()).toEqual([added.kid, ...kidsOf(ring)]);
      // An instance still holding the ring from before cannot put it back.
      expect(await publishKeys(ring, ringVersion(0))).toBe(false);
      // A key taken out of the ring (say, leaked) stops verifying what it signed, once the keys are read again.
      expect(await publishKeys([added], ringVersion(2))).toBe(true);
      // An instance still holding the ring with it in front signs nothing with it from then on, not
      // a minute later: the published keys it read a moment ago (above) still list it.
      const silenced = vi.spyOn(console, 'error').mockImplementation(() => {});
      const refusedAtOnce = await certificate(id, '?version=1');
      silenced.mockRestore();
      expect(refusedAtOnce.status).toBe(503);
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
      expect((await checkFile(pdf)).body).toMatchObject({ status: 'invalid', reason: 'bad-signature' });
      expect(await published()).toEqual([added.kid]);
      // And an instance still holding the ring with it in front stops signing with it (until it reads the ring again).
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
      const refused = await certificate(id, '?version=1');
      expect(logged.mock.calls.some(([line]) => line?.event?.includes('the current signing key is not published'))).toBe(true);
      logged.mockRestore();
      expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, expect.any(String)]);
    } finally {
      // The ring as it was, read again by the verify function (whatever failed above).
      await publishKeys(ring, ringVersion(3), { force: true });
      vi.setSystemTime(Date.now() + PUBLISHED_KEYS_REFRESH_MS);
      await published();
      vi.useRealTimers();
    }
    expect(await published()).toEqual(kidsOf(ring));
    expect((await checkFile(pdf)).body.status).toBe('valid');
  });

  it('a file whose signed payload names no version as the registry holds it is invalid, recorded or not', async () => {
    const { recordIssuedCertificate } = await import('#shared/store/certificates.ts');
    const { signingKeys } = await import('#shared/store/signing-keys.ts');
    const { certificatePayloadOf, signPayload } = await import('#shared/certificate/signature.ts');
    const { id, pdf } = await freshSigning('Payload swapped');
    const entry = (await t.call('GET', `/agreements/${id}/history`)).body.items[0];
    const [key] = await signingKeys();
    const genuine = signPayload(certificatePayloadOf((await t.call('GET', `/agreements/${id}`)).body, entry, BASE), key!);
    expect(pdf.toString('latin1')).toContain(genuine);
    // Signed by the registry's own key, over another state of the agreement: same length, so the file stays whole.
    const forged = signPayload(certificatePayloadOf((await t.call('GET', `/agreements/${id}`)).body, { ...entry, stateHash: 'f'.repeat(64) }, BASE), key!);
    expect(forged).toHaveLength(genuine.length);
    const file = Buffer.from(pdf.toString('latin1').replace(genuine, forged), 'latin1');
    expect((await checkFile(file)).body).toMatchObject({ status: 'invalid', reason: 'unknown-payload', detail: expect.stringMatching(/does not match any agreement version/) });
    await recordIssuedCertificate({ sha256: sha256(file), agreementId: id, version: 1, kid: key!.kid, bytes: file.length, firstIssuedAt: entry.at, iss: BASE });
    expect((await checkFile(file)).body.status).toBe('invalid');
  });

  it('says a file not on record cannot be compared when its version can no longer be rendered, never a 5xx, upload after upload', async () => {
    const { deleteItem, entryItemsOf, putItem } = await import('./support/history-items.ts');
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementKey, historyEntryKey } = await import('#shared/store/keys.ts');
    const { MAX_DISTINCT_CHARACTERS } = await import('#shared/certificate/wording.ts');
    // A version whose certificate was never rendered here, and which (as if written under an older,
    // larger limit) now prints more distinct characters than a certificate may embed: its record and
    // history written as the registry would have, hashes and all.
    // (At a ceremony of its own: no other test's correction checks this version's characters.)
    const own = await setup(t, [], 'cer-older-limits');
    const r = await logSigning(t, own, agreement(['cq', 'ent-x'], { title: 'Rendered under older limits' }));
    const [item] = await entryItemsOf(r.body.id);
    const title = Array.from({ length: MAX_DISTINCT_CHARACTERS + 1 }, (_, i) => String.fromCodePoint(0x4E00 + i)).join('');
    const data = { ...r.body, title };
    const { hash: _, ...body } = { ...item!.entry, changes: { ...item!.entry.changes, title: { to: title } }, stateHash: sha256(canonical(data)) };
    const entry = { ...body, hash: sha256(canonical(body)) };
    await putItem({ ...item, ...historyEntryKey(r.body.id, 1, entry.hash), entry });
    await deleteItem(item!);
    await putItem({ ...(await getItem(agreementKey(r.body.id)))!, data, head: entry.hash });
    expect((await t.call('GET', `/agreements/${r.body.id}/history`)).body.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
    // A file carrying its genuine signature, not on record: re-rendering it to compare is refused, and said so.
    const file = await fileWithGenuineSignature(data);
    for (let upload = 0; upload < 2; upload++) {
      const answer = await checkFile(file);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'invalid', reason: 'not-comparable', detail: expect.stringMatching(/cannot be re-rendered to compare them: The certificate of .+ would draw \d+ distinct characters, more than the 8000/) });
    }
  });

  it('renders a version once per process to compare uploads not on record, however many files of it have left its cache since', async () => {
    // A party with characters no font draws: each render of its certificate logs a warning, which counts renders.
    const own = await setup(t, [party('sat-digest', { kind: 'organization', name: 'Santal Council', localName: 'ᱥᱟᱱᱛᱟᱲᱤ', lang: 'sat', countryCode: 'IN' })], 'cer-digests');
    const target = await logSigning(t, own, agreement(['cq', 'sat-digest'], { title: 'Copied signature' }));
    const file = await fileWithGenuineSignature(target.body);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const renders = () => warn.mock.calls.filter(([line]) => line?.agreementId === target.body.id).length;
      expect((await checkFile(file)).body.reason).toBe('altered');
      expect(renders()).toBe(1);
      // More certificates than the cache of rendered files holds (32) push its bytes out...
      for (let i = 0; i < 33; i++) {
        const other = await logSigning(t, own, agreement(['cq', 'ent-x'], { title: `Cache filler ${i}` }));
        expect((await certificate(other.body.id)).status).toBe(200);
      }
      // ...but its digest is kept: the same upload again costs no render.
      expect((await checkFile(file)).body.reason).toBe('altered');
      expect(renders()).toBe(1);
    } finally {
      warn.mockRestore();
    }
  });

  it('still finds a record written before records moved under their version', async () => {
    const { dynamo, tableName } = await import('#shared/store/client.ts');
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { id, pdf } = await freshSigning('Recorded the old way');
    const kid = await signingKeyId();
    const older = Buffer.concat([pdf, Buffer.from('% an older renderer\n')]);
    expect((await checkFile(older)).body.status).toBe('invalid');
    const data = { sha256: sha256(older), agreementId: id, version: 1, kid, bytes: older.length, firstIssuedAt: '2021-08-23T06:30:00.000Z' };
    await dynamo.send(new PutCommand({ TableName: tableName, Item: { pk: `CERTIFICATE#${data.sha256}`, sk: 'CERTIFICATE', type: 'certificate', data } }));
    expect((await checkFile(older)).body).toMatchObject({ status: 'valid', version: 1 });
    // Such a record too vouches only for the agreement and version it names.
    for (const [tag, other] of [['another version', { version: 2 }], ['another agreement', { agreementId: bilateral.id }]] as const) {
      const copy = Buffer.concat([pdf, Buffer.from(`% recorded for ${tag}\n`)]);
      const record = { ...data, ...other, sha256: sha256(copy), bytes: copy.length };
      await dynamo.send(new PutCommand({ TableName: tableName, Item: { pk: `CERTIFICATE#${record.sha256}`, sk: 'CERTIFICATE', type: 'certificate', data: record } }));
      expect((await checkFile(copy)).body.status, tag).toBe('invalid');
    }
  });

  it('says a link whose signature came twice (joined by a comma) holds it twice, rather than call it a forgery', async () => {
    const { link } = await readOnlySigning();
    const sig = /sig=([^&]+)/.exec(link)![1]!;
    const twice = await checkLink(`${link}&sig=${sig}`);
    expect([twice.status, twice.body.errors]).toEqual([400, [{ path: 'sig', message: 'takes one value: it was sent more than once, or holds a comma' }]]);
  });

  it('reads a typed code as Crockford base32: any case, O for 0, I or L for 1', async () => {
    const { link } = await readOnlySigning();
    const code = /verify\/([^?]+)/.exec(link)![1]!;
    const sloppy = code.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l');
    expect((await checkLink(link.replace(code, sloppy))).body.status).toBe('valid');
  });

  it('a shared link with tracking parameters added still checks out', async () => {
    const { link } = await readOnlySigning();
    const r = await checkLink(`${link}&utm_source=wechat&fbclid=IwAR0x`);
    expect([r.status, r.body.status]).toEqual([200, 'valid']);
  });

  it('a link with an absurdly long signature is invalid, not an error', async () => {
    const { link } = await readOnlySigning();
    const r = await checkLink(link.replace(/sig=.*/, `sig=${'A'.repeat(1500)}`));
    expect([r.status, r.body.status, r.body.reason]).toEqual([200, 'invalid', 'signature-mismatch']);
    // Past 2,000 characters, the address is refused, saying what a signature is like.
    const over = await checkLink(link.replace(/sig=.*/, `sig=${'A'.repeat(6000)}`));
    expect([over.status, over.body.errors]).toEqual([400, [{ path: 'sig', message: 'must be at most 2000 characters (a certificate\'s signature has 86)' }]]);
  });

  it('answers browsers with a page', async () => {
    const { link } = await freshSigning('For a browser');
    const r = await t.call('GET', link, { token: null, headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('Valid certificate');
    expect(r.body).toContain('For a browser');
    // Names are isolated, so a right-to-left one cannot reorder the text around it; native names carry
    // their language (screen readers, Han glyph forms); so does every Chinese part.
    expect(r.body).toContain('<li><bdi>Chongqing Municipality</bdi> · <bdi lang="zh-Hans">重庆市</bdi></li>');
    // The signature in the page's address goes to no other page in a Referer.
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    // The signing time as the certificate prints it: the ceremony's wall clock and zone.
    expect(plain(r.body)).toContain('23 August 2021, 14:30 · <span lang="zh-Hans">2021年8月23日 14:30</span> · UTC+08:00 (Asia/Shanghai)');
    // The verdict is the page's one top heading, in both languages; the version note too.
    expect(headline(r.body)).toBe('Valid certificate<br><span lang="zh-Hans">证书真实有效</span>');
    expect(plain(r.body)).toMatch(/\(version 1 of 1 · <span lang="zh-Hans">第1版，共1版<\/span>\)/);
    // The certificate's code in the title (tabs of several told apart); the registry's name leads to its front page.
    expect(r.body).toMatch(/<title>Valid certificate · 证书真实有效 · [0-9A-Z]{4}-[0-9A-Z]{4} · Concord<\/title>/);
    expect(r.body).toContain('<header><p><a href="/">Concord registry');
    expect(r.body.match(/<h2>.*?<\/h2>/g)).toEqual(['<h2>For a browser</h2>']);
    // The verdict's line in both languages too, and the labels as the certificate prints them.
    expect(r.body).toContain('describes the agreement as it stands.<br><span lang="zh-Hans">此证书由登记系统签发，所载为协议的现行版本。</span>');
    // The venue as the certificate's Venue line prints it, country included (an agreement's own place aside: not a public fact).
    expect(plain(r.body)).toContain('<dt>Venue · <span lang="zh-Hans">地点</span></dt><dd><bdi dir="ltr">Chongqing International Expo Center, Chongqing, China</bdi></dd>');
    // Left to right like the certificate's line, whatever script the venue starts with (an Arabic one set the country first).
    expect(plain(r.body)).toContain('<dt>Ceremony · <span lang="zh-Hans">签约仪式</span></dt><dd><bdi dir="ltr">Ceremony cer-test</bdi> · 23 August 2021 · <span lang="zh-Hans">2021年8月23日</span></dd>');
    // With the event it was part of, as the certificate names it.
    const { verificationPage } = await import('#shared/http/pages.ts');
    const json = (await checkLink(link)).body;
    const withEvent = { ...json, agreement: { ...json.agreement, ceremony: { ...json.agreement.ceremony, event: 'Smart China Expo 2021 (SCE 2021)' } } };
    expect(plain(verificationPage(withEvent))).toContain('<dd><bdi dir="ltr">Ceremony cer-test — Smart China Expo 2021 (SCE 2021)</bdi> · 23 August 2021');
    // An Arabic venue or ceremony title keeps the line's items in the certificate's order (left to right), as its facts do.
    const arabic = { ...json, agreement: { ...json.agreement, ceremony: { ...json.agreement.ceremony, title: 'حفل التوقيع', event: 'Expo 2021', venue: 'قاعة الملك فهد', city: 'Riyadh', countryCode: 'SA' } } };
    expect(plain(verificationPage(arabic))).toContain('<dd><bdi dir="ltr">قاعة الملك فهد, Riyadh, Saudi Arabia</bdi></dd>');
    expect(plain(verificationPage(arabic))).toContain('<dd><bdi dir="ltr">حفل التوقيع — Expo 2021</bdi>');
    // The agreement's one title is one heading, in both languages, the reader's first.
    const bilingual = { ...json, agreement: { ...json.agreement, title: 'Port agreement', titleZh: '港口协议' } };
    expect(verificationPage(bilingual).match(/<h2>.*?<\/h2>/g)).toEqual(['<h2>Port agreement<br><span class="second"><span lang="zh-Hans">港口协议</span></span></h2>']);
    expect(verificationPage(bilingual, false, 'zh').match(/<h2>.*?<\/h2>/g)).toEqual(['<h2><span lang="zh-Hans">港口协议</span><br><span class="second">Port agreement</span></h2>']);
    // A local name in a language written right to left runs so, as the certificate prints it, whatever word it opens with.
    const parties = [{ name: 'IBM Middle East', localName: 'IBM الشرق الأوسط', lang: 'ar' }, { name: 'Acme', localName: 'Acme GmbH', lang: 'de' }, { name: 'Ahl', localName: 'IBM Ahl', lang: 'ar' }];
    const local = verificationPage({ ...json, agreement: { ...json.agreement, parties } });
    expect(local).toContain('<bdi lang="ar" dir="rtl">IBM الشرق الأوسط</bdi>');
    expect(local).toContain('<bdi lang="de">Acme GmbH</bdi>');
    expect(local).toContain('<bdi lang="ar">IBM Ahl</bdi>');
    // Nothing loads or runs, and no other site may frame it.
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.body).not.toMatch(/<script|https?:\/\/(?!concord)/);
  });

  it('tells the verdicts apart without colour, says what a link\'s page does not show, and leads on to the upload page', async () => {
    const browser = { accept: 'text/html' };
    const markOf = (html: string) => /<h1><span class="mark" aria-hidden="true">([^<]*)<\/span>/.exec(html)?.[1];
    const { id, pdf, link } = await freshSigning('Marks');
    const valid = (await t.call('GET', link, { token: null, headers: browser })).body as string;
    expect(markOf(valid)).toBe('✓');
    // The page shows the main facts only: it says so, and how to check every word.
    expect(valid).toContain('The value, the signatories and the other terms are not shown here: to check every word, upload the certificate&#39;s PDF file.');
    expect(valid).toContain('协议金额、签署人等其他内容不在此显示');
    expect(valid).toContain('<a href="/verify">Check a certificate\'s PDF file</a>'); // written as HTML, not escaped text
    // A file's page vouches for every word, since every byte was checked.
    const file = await t.call('POST', '/verify', { token: null, body: pdf, headers: { 'content-type': 'application/pdf', ...browser } });
    expect(file.body).toContain('Every word in this file is as the registry issued it.');
    // The Chinese says no more than the English: a file downloaded before a correction is still as issued.
    expect(file.body).toContain('此文件内容与登记系统签发时完全一致，未经任何改动。');
    await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Marks, amended', reason: 'typo' }, headers: { 'if-match': '"1"' } });
    expect(markOf((await t.call('GET', link, { token: null, headers: browser })).body)).toBe('!');
    await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'signed twice' }, headers: { 'if-match': '"2"' } });
    const voided = plain((await t.call('GET', link, { token: null, headers: browser })).body);
    expect(markOf(voided)).toBe('⊘');
    // Not "version 1 of 3", which reads as a newer version in force, nor "version 3 voided it", which reads as a new version.
    expect(voided).toMatch(/\(version 1; the agreement was voided on \d{1,2} [A-Z][a-z]+ \d{4} · <span lang="zh-Hans">第1版；协议已于\d{4}年\d{1,2}月\d{1,2}日作废<\/span>\)/);
    const voidCertificate = (await certificate(id)).body as Buffer;
    const voidLink = /(https:\/\/concord\.example\/verify\/\S+)/.exec(pdfToText(voidCertificate))![1]!.slice(BASE.length);
    expect(plain((await t.call('GET', voidLink, { token: null, headers: browser })).body)).toContain('(version 3, the record of the void · <span lang="zh-Hans">第3版，为作废记录</span>)');
    // A tampered file's page: the file advice, not a typist's.
    const tampered = Buffer.from(pdf);
    tampered[tampered.length - 20]! ^= 1;
    const tamperedPage = (await t.call('POST', '/verify', { token: null, body: tampered, headers: { 'content-type': 'application/pdf', ...browser } })).body as string;
    expect(tamperedPage).toContain('Do not rely on this document as a certificate.');
    expect(tamperedPage).not.toContain('If you typed');
    expect(tamperedPage).not.toContain('scanned link');
    // A link that does not check out: a typist is told to compare it with the paper before anything else.
    const wrong = (await t.call('GET', link.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`), { token: null, headers: browser })).body as string;
    expect([markOf(wrong), headline(wrong)]).toEqual(['✕', 'Not verified<br><span lang="zh-Hans">证书核验未通过</span>']);
    expect(wrong).toContain('If you typed it, compare it with the printed address, or scan the QR code.');
    // Told once: the advice under the verdict goes on from it rather than say it again.
    expect(wrong.match(/If you typed/g)).toHaveLength(1);
    expect(wrong.match(/手动输入/g)).toHaveLength(1);
    expect(wrong).toContain('If a scanned link fails too, do not rely on the document as a certificate, and ask the registry that should have issued it.');
    // So does one whose code is no code at all: told what to compare too, before the advice goes on from it.
    const notACode = (await t.call('GET', '/verify/NOT-A-CODE-AT-ALL?v=1&sig=x', { token: null, headers: browser })).body as string;
    expect(notACode).toContain('If you typed it, compare it with the printed address, or scan the QR code.');
    expect(notACode.match(/If you typed/g)).toHaveLength(1);
    expect(notACode).toContain('If a scanned link fails too');
  });

  it('puts Chinese first on a page for a browser that asks for Chinese first (a phone set to Chinese), English first otherwise', async () => {
    const { link } = await readOnlySigning();
    const page = async (language?: string) => (await t.call('GET', link, { token: null, headers: { accept: 'text/html', ...(language && { 'accept-language': language }) } })).body as string;
    const zhFirst = '证书真实有效</span><br><span lang="en">Valid certificate';
    const enFirst = 'Valid certificate<br><span lang="zh-Hans">证书真实有效';
    for (const [language, expected] of [['zh-CN,zh;q=0.9,en;q=0.8', zhFirst], ['zh-TW', zhFirst], ['ru-RU,ru;q=0.9,zh;q=0.8,en;q=0.7', zhFirst],
      ['en-US,en;q=0.9,zh-CN;q=0.8', enFirst], ['zh;q=0.5, en', enFirst], ['zh;q=0, en;q=0.1', enFirst], [undefined, enFirst]] as const) {
      expect(headline(await page(language)), String(language)).toContain(expected);
    }
    expect(await page('zh-CN')).toMatch(/<title>证书真实有效 · Valid certificate · [0-9A-Z]{4}-[0-9A-Z]{4} · Concord<\/title>/);
    // The facts too: their labels, the version, the signing time and the ceremony's days.
    const zh = plain(await page('zh-CN'));
    expect(zh).toContain('<dt><span lang="zh-Hans">编号</span> · <span lang="en">Code</span></dt>');
    expect(zh).toContain('（<span lang="zh-Hans">第1版，共1版</span> · <span lang="en">version 1 of 1</span>）');
    expect(zh).toContain('<dd><span lang="zh-Hans">2021年8月23日 14:30</span> · <span lang="en">23 August 2021, 14:30</span> · UTC+08:00 (Asia/Shanghai)</dd>');
    expect(zh).toContain(' · <span lang="zh-Hans">2021年8月23日</span> · <span lang="en">23 August 2021</span></dd>');
    expect(zh).toContain('<p class="next"><a href="/verify" lang="zh-Hans">上传证书 PDF 文件进行核验</a> <a href="/verify">Check a certificate\'s PDF file</a></p>');
    // The page's own language is its first one (a screen reader reads its title by it); its body's
    // unmarked text (names, titles, details) stays English.
    expect(zh).toMatch(/^<!doctype html><html lang="zh-Hans">[^]*<body lang="en">/);
    expect(await page()).toMatch(/^<!doctype html><html lang="en">[^]*<body>/);
    expect(zh).toContain('<header><p><a href="/"><span lang="zh-Hans">协议登记系统</span> · <span lang="en">Concord registry</span></a></p></header>');
    expect(await page()).toContain('<dt>Code · <span lang="zh-Hans">编号</span></dt>');
    // Only Chinese is kept from breaking between its characters in the headline, and only until it
    // does not fit: the English one, kept whole when second, ran off a 360-pixel phone's screen ("Out
    // of date: a newer version exists"), and a Chinese one kept whole ran off it in enlarged text.
    expect(zh).toContain('h1 span[lang="zh-Hans"],bdi:is([lang|="zh"],[lang|="ja"],[lang|="ko"]),.together{word-break:keep-all}'); // not Thai or Khmer names, which break between words
    expect(zh).toContain('overflow-wrap:anywhere');
    expect(zh).not.toContain('nowrap');
    // The reader's first language's title is the larger (a Chinese title in the same size looked the smaller).
    expect(zh).toContain('h2 .second{font-size:.91em}');
    // Dates and version numbers hold together while they fit a line (on a phone, "2021年8月 / 23日" and "23 / August 2021" broke).
    const raw = await page('zh-CN');
    for (const kept of ['<span class="together">2021年8月23日\u00A014:30</span>', '<span class="together">第1版，\u2060共1版</span>', '23\u00A0August\u00A02021,\u00A014:30', 'version\u00A01\u00A0of\u00A01']) expect(raw).toContain(kept);
    // The upload page's form as well.
    const form = (await t.call('GET', '/verify', { token: null, headers: { accept: 'text/html', 'accept-language': 'zh-CN' } })).body as string;
    expect(form).toContain('<button type="submit"><span lang="zh-Hans">核验</span> · <span lang="en">Check</span></button>');
    // The page for an address the registry has no page at too.
    const missing = await t.call('GET', '/verfy', { token: null, headers: { accept: 'text/html', 'accept-language': 'zh-CN' } });
    expect(headline(missing.body)).toBe('<span lang="zh-Hans">页面不存在</span><br><span lang="en">No page here</span>');
    expect(missing.body).not.toContain('class="detail"'); // which route a path lacks means nothing to a reader
  });

  it('tells someone who uploads a photo or any file that is no PDF to scan the QR code instead, without calling the paper false', async () => {
    const { NOT_A_PDF } = await import('#shared/certificate/wording.ts');
    const photo = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]);
    const api = await checkFile(photo);
    expect(api.body).toEqual({ status: 'invalid', reason: 'not-a-pdf', detail: NOT_A_PDF[0], detailZh: NOT_A_PDF[1] });
    const page = await t.call('POST', '/verify', { token: null, body: photo, headers: { 'content-type': 'application/pdf', accept: 'text/html' } });
    expect(headline(page.body)).toBe('Not a PDF file<br><span lang="zh-Hans">不是 PDF 文件</span>');
    expect(page.body).toContain('is checked by scanning its QR code');
    expect(page.body).not.toContain('Not verified');
    // A PDF that is no certificate is still judged, its header wherever in the first 1,024 bytes readers find it.
    expect((await checkFile(Buffer.from('%PDF-1.7\n%%EOF\n'))).body.detail).toMatch(/No Concord certificate signature can be read/);
    expect((await checkFile(Buffer.concat([Buffer.alloc(1023, 32), Buffer.from('%PDF-1.7\n%%EOF\n')]))).body.detail).toMatch(/No Concord certificate signature can be read/);
    expect((await checkFile(Buffer.concat([Buffer.alloc(1024, 32), Buffer.from('%PDF-1.7\n%%EOF\n')]))).body.detail).toBe(NOT_A_PDF[0]);
  });

  it('forgives what copying and typing do to a link, and says when one was cut short', async () => {
    const { link } = await readOnlySigning();
    const [, code, sig] = /\/verify\/([^?]+)\?v=1&sig=(.+)$/.exec(link)!;
    for (const [name, changed] of [
      ['a line break in the signature', link.replace(sig!, `${sig!.slice(0, 40)}%0A${sig!.slice(40)}`)],
      ['a space and a soft hyphen in the signature', link.replace(sig!, `${sig!.slice(0, 30)}%20${sig!.slice(30, 50)}%C2%AD${sig!.slice(50)}`)],
      ['a full stop after it', `${link}.`],
      ['a comma after it', `${link},`],
      ['a comma and a closing bracket after it', `${link},)`],
      ['the code without its hyphen', link.replace(code!, code!.replace('-', ''))],
      ['the code with a space for its hyphen, in lower case', link.replace(code!, code!.replace('-', '%20').toLowerCase())],
    ] as const) {
      expect((await checkLink(changed)).body.status, name).toBe('valid');
    }
    const cut = await checkLink(link.replace(sig!, sig!.slice(0, 60)));
    expect(cut.body.status).toBe('invalid');
    expect(cut.body.detail).toMatch(/60 characters long; a certificate's is 86, so the address was probably cut short/);
    // A browser is told the address is incomplete, in both languages: not that the paper is forged.
    const cutPage = await t.call('GET', link.replace(sig!, sig!.slice(0, 60)), { token: null, headers: { accept: 'text/html' } });
    expect(cutPage.status).toBe(400);
    expect(headline(cutPage.body)).toBe('Incomplete address<br><span lang="zh-Hans">网址不完整</span>');
    expect(cutPage.body).toContain('its signature has 60 characters where a certificate&#39;s has 86');
    expect(cutPage.body).toContain('签名只有60个字符');
    expect(cutPage.body).not.toContain('Not verified');
    // A link with more after the comma than punctuation is not as printed (a second signature, or text
    // pasted after the link): a browser is told so, not that the address is incomplete.
    for (const garbled of [`${link},%20or%20upload`, `${link}&sig=${sig!}`]) {
      const garbledPage = await t.call('GET', garbled, { token: null, headers: { accept: 'text/html' } });
      expect([garbledPage.status, headline(garbledPage.body)]).toEqual([400, 'Address not as printed<br><span lang="zh-Hans">网址与印制网址不符</span>']);
      expect(garbledPage.body).toContain('its v= or sig= part holds something a certificate&#39;s link does not');
    }
    // A link check tells nothing of agreements it cannot show: a code or version never issued gets,
    // in JSON and in a page, the very answer an issued one gets for the same signature (codes derive
    // from guessable ceremony ids and Idempotency-Keys, and made-up ones told which signings exist).
    const otherSig = `${sig!.slice(0, 10)}${sig![10] === 'A' ? 'B' : 'A'}${sig!.slice(11)}`;
    for (const signature of [otherSig, sig!.slice(0, 10), `${sig!}x`, '%2B'.repeat(86)]) {
      const issued = link.replace(sig!, signature);
      for (const unknown of [issued.replace(code!, 'ZZZZ-ZZZZ'), issued.replace('v=1', 'v=99')]) {
        for (const accept of ['application/json', 'text/html']) {
          const [a, b] = [await t.call('GET', issued, { token: null, headers: { accept } }), await t.call('GET', unknown, { token: null, headers: { accept } })];
          expect([b.status, b.body]).toEqual([a.status, a.body]);
        }
      }
    }
    expect((await checkLink(link.replace(code!, 'ZZZZ-ZZZZ').replace(sig!, otherSig))).body.reason).toBe('signature-mismatch');
    // Nor in its timing: each answer after a look at the records waits out the same floor (the reads
    // behind them differ). Counted, not timed: the waits are recorded instead of made.
    const { UNMATCHED_LINK } = await import('#shared/registry/verification.ts');
    const { wait } = UNMATCHED_LINK;
    const waits: number[] = [];
    UNMATCHED_LINK.wait = async (ms) => { waits.push(ms); };
    try {
      const wrongSig = link.replace(sig!, otherSig);
      for (const unmatched of [wrongSig, wrongSig.replace(code!, 'ZZZZ-ZZZZ'), wrongSig.replace('v=1', 'v=99')]) {
        waits.length = 0;
        expect((await checkLink(unmatched)).body.reason).toBe('signature-mismatch');
        expect(waits, unmatched).toHaveLength(1);
        expect(waits[0]).toBeGreaterThanOrEqual(0); // 0 when the reads themselves took the floor's time
        expect(waits[0]).toBeLessThanOrEqual(UNMATCHED_LINK.floorMs);
      }
      // What is told without the records, and a certificate found, wait for nothing.
      waits.length = 0;
      for (const told of [link.replace(sig!, sig!.slice(0, 10)), link]) await checkLink(told);
      expect(waits).toEqual([]);
    } finally {
      UNMATCHED_LINK.wait = wait;
    }
    // A run of commas is read in one pass: the pattern that took 2^n steps for n commas blocked the process.
    const commas = await checkLink(link.replace(sig!, `${sig!}${','.repeat(60)}A`));
    expect([commas.status, commas.body.errors?.[0]?.path]).toEqual([400, 'sig']);
    expect((await checkLink(`${link}${','.repeat(60)}`)).body.status).toBe('valid');
    // A character typed after the signature: still no match, said with the lengths.
    const longer = await checkLink(`${link}x`);
    expect([longer.body.status, longer.body.reason]).toEqual(['invalid', 'signature-mismatch']);
    expect(longer.body.detail).toMatch(/87 characters long; a certificate's is 86, so it does not match\. If you typed the address, look for characters typed after the signature/);
    // A changed character is still a forgery.
    const flipped = `${sig!.slice(0, 10)}${sig![10] === 'A' ? 'B' : 'A'}${sig!.slice(11)}`;
    expect((await checkLink(link.replace(sig!, flipped))).body.status).toBe('invalid');
  });

  it('tells a browser what to do: which version is current, and what an incomplete address lacks', async () => {
    const { id, link } = await freshSigning('Advice for readers');
    await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Advice for readers, amended', reason: 'typo' }, headers: { 'if-match': '"1"' } });
    const browser = { accept: 'text/html' };
    const superseded = await t.call('GET', link, { token: null, headers: browser });
    expect(plain(superseded.body)).toContain('Ask the parties or the registry for the certificate of version 2, which is current.');
    expect(plain(superseded.body)).toContain('请向签约方或登记机构索取现行第2版证书。');
    const typed = await t.call('GET', link.replace(/\?.*/, ''), { token: null, headers: browser });
    expect([typed.status, typed.headers.get('content-type')]).toEqual([400, 'text/html; charset=utf-8']);
    expect(typed.body).toContain('This address is incomplete');
    expect(typed.body).toContain('Incomplete address · 网址不完整');
    expect(typed.body).not.toContain('Not verified'); // nothing was checked, nothing is wrong with the paper
    // API clients still get problem+json naming the fields.
    const api = await t.call('GET', link.replace(/\?.*/, ''), { token: null });
    expect([api.status, api.headers.get('content-type'), api.headers.get('vary')]).toEqual([400, 'application/problem+json', 'Accept, Accept-Language']);
    expect(typed.headers.get('vary')).toBe('Accept, Accept-Language');
  });

  it.each([
    ['a browser', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8', 'text/html'],
    ['a media type in capitals', 'TEXT/HTML', 'text/html'],
    ['HTML preferred by q', 'application/json;q=0.5, text/html;q=0.9', 'text/html'],
    ['HTML refused with q=0', 'text/html;q=0, application/json', 'application/json'],
    ['only HTML refused', 'text/html;q=0', 'application/json'],
    ['anything (curl)', '*/*', 'application/json'],
    ['no Accept', undefined, 'application/json'],
    ['a tie (the first offered, JSON)', 'text/html, application/json', 'application/json'],
    ['a malformed q (not acceptable)', 'text/html;q=0x1, application/json;q=0.5', 'application/json'],
  ])('answers %s with $2', async (_name, accept, type) => {
    const { link } = await readOnlySigning();
    const r = await t.call('GET', link, { token: null, headers: accept === undefined ? {} : { accept } });
    expect(r.headers.get('content-type')).toMatch(new RegExp(`^${type}`));
    expect(r.headers.get('vary')).toBe('Accept, Accept-Language');
  });

  it.each([
    ['no signature', '/verify/ABCD-EFGH?v=1', 400, 'sig'],
    ['no version', '/verify/ABCD-EFGH?sig=x', 400, 'v'],
  ])('a link with %s is a 400 naming the field', async (_name, path, status, field) => {
    const r = await checkLink(path);
    expect(r.status).toBe(status);
    expect(r.body.errors.map((e: any) => e.path)).toContain(field);
  });

  it.each([
    ['JSON instead of a PDF', 415, { 'content-type': 'application/json' }, '{}'],
    ['an empty body', 400, { 'content-type': 'application/pdf' }, ''],
    ['a file over 2 MB', 413, { 'content-type': 'application/pdf' }, Buffer.alloc(2 * 1024 * 1024 + 1, 32)],
  ])('POST /verify with %s -> %i', async (_name, status, headers, body) => {
    expect((await t.call('POST', '/verify', { token: null, body, headers })).status).toBe(status);
  });

  describe('the upload page, for people who hold the file', () => {
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    /** A form as a browser's engine encodes it (undici's FormData writes the same multipart/form-data). */
    const upload = (form: FormData, accept?: string) =>
      fetch(`${t.url}/verify`, { method: 'POST', body: form, headers: accept ? { accept } : {} });
    const withFile = (bytes: Uint8Array, field = 'file') => {
      const form = new FormData();
      form.append('note', 'a field before the file');
      form.append(field, new Blob([bytes], { type: 'application/pdf' }), 'certificate "v1" 证书.pdf');
      return form;
    };

    it('GET /verify is a page with a form that posts the file to POST /verify, and runs nothing', async () => {
      const r = await t.call('GET', '/verify', { token: null });
      expect([r.status, r.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      // Chinese first for a reader who asks for it: a cache keeps the two orders apart.
      expect(r.headers.get('vary')).toBe('Accept, Accept-Language');
      expect(r.body).toContain('<form method="post" enctype="multipart/form-data">');
      expect(r.body).toContain('<input type="file" id="file" name="file" accept="application/pdf,.pdf" required>');
      expect(r.body).toContain('Certificate (PDF, at most 2\u00a0MB)'); // the size kept on one line
      expect(headline(r.body)).toBe('Check a certificate<br><span lang="zh-Hans">核验证书</span>');
      const csp = r.headers.get('content-security-policy');
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'self'"); // its own form, and nowhere else
      expect(csp).toContain("frame-ancestors 'none'");
      expect(r.body).not.toMatch(/<script|https?:\/\//);
    });

    it('a file sent by the form gets the verdict: a page for a browser, JSON for anyone else', async () => {
      const { pdf } = await freshSigning('Uploaded by a form');
      const page = await upload(withFile(pdf), browser);
      const html = await page.text();
      expect([page.status, page.headers.get('content-type'), page.headers.get('vary')]).toEqual([200, 'text/html; charset=utf-8', 'Accept, Accept-Language']);
      expect(headline(html)).toBe('Valid certificate<br><span lang="zh-Hans">证书真实有效</span>');
      expect(html).toContain('Uploaded by a form');
      expect(html).toContain('<a href="">Check another certificate file</a>'); // back to GET /verify
      expect(page.headers.get('content-security-policy')).toContain("form-action 'none'");
      const json = await upload(withFile(pdf));
      expect([json.status, ((await json.json()) as any).status]).toEqual([200, 'valid']);
      const forged = await upload(withFile(randomBytes(3000)));
      expect(((await forged.json()) as any).status).toBe('invalid');
    });

    it('a form a browser sends with no file chosen, an empty file, or a form without the field, is a 400 naming "file": a page for a browser', async () => {
      // What a browser sends for an empty file input: the part, with an empty file name and no bytes.
      const none = new FormData();
      none.append('file', new Blob([], { type: 'application/octet-stream' }), '');
      const empty = await upload(none);
      expect([empty.status, empty.headers.get('content-type'), ((await empty.json()) as any).errors]).toEqual([400, 'application/problem+json', [{ path: 'file', message: 'is empty' }]]);
      // A file of 0 bytes chosen by name is told so, not taken for no file chosen.
      const zero = new FormData();
      zero.append('file', new Blob([], { type: 'application/pdf' }), 'certificate.pdf');
      const zeroBytes = await upload(zero);
      expect([zeroBytes.status, ((await zeroBytes.json()) as any).errors]).toEqual([400, [{ path: 'file', message: 'is an empty file' }]]);
      expect(await (await upload(zero, browser)).text()).toContain('The file &#34;certificate.pdf&#34; is empty (0 bytes)');
      const other = await upload(withFile(Buffer.from('%PDF-1.7'), 'document'));
      expect([other.status, ((await other.json()) as any).errors]).toEqual([400, [{ path: 'file', message: 'is required' }]]);
      const page = await upload(withFile(Buffer.from('%PDF-1.7'), 'document'), browser);
      const html = await page.text();
      expect([page.status, page.headers.get('content-type')]).toEqual([400, 'text/html; charset=utf-8']);
      expect(headline(html)).toBe('Nothing could be checked<br><span lang="zh-Hans">无法核验</span>');
      expect(html).toContain('<p class="detail">Details · <span lang="zh-Hans">详情（英文）</span>：The form has no &#34;file&#34; field');
      expect(html).toContain('<a href="/verify">Check a certificate\'s PDF file</a>'); // and on to the upload page
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    });

    it('a file over 2 MB in a form is a 413 naming "file"; a browser gets a page', async () => {
      const big = Buffer.alloc(2 * 1024 * 1024 + 1, 32);
      const r = await upload(withFile(big));
      expect([r.status, ((await r.json()) as any).errors[0].path]).toEqual([413, 'file']);
      const page = await upload(withFile(big), browser);
      expect([page.status, page.headers.get('content-type')]).toEqual([413, 'text/html; charset=utf-8']);
      const text = await page.text();
      expect(text).toContain('The file is 2097153 bytes; the limit is 2097152');
      expect(text).toContain('The file is too large: a certificate&#39;s PDF file is at most 2\u00a0MB.<br><span lang="zh-Hans">文件过大：上传文件不得超过 2\u00a0MB。</span>'); // the gist, in plain words in both languages
      // A form far over the limit is refused by its size before it is read, naming the field all the same.
      const huge = await upload(withFile(Buffer.alloc(3 * 1024 * 1024, 32)));
      expect([huge.status, ((await huge.json()) as any).errors[0].path]).toEqual([413, 'file']);
      // The raw upload says the same to a browser (what a page would show for a form's limit).
      const raw = await t.call('POST', '/verify', { token: null, body: big, headers: { 'content-type': 'application/pdf', accept: browser } });
      expect([raw.status, raw.headers.get('content-type')]).toEqual([413, 'text/html; charset=utf-8']);
    });

    it.each([
      ['no boundary named', 'multipart/form-data', 'x', 'Content-Type'],
      ['a boundary the body never uses', 'multipart/form-data; boundary=abc', '--xyz\r\n\r\nhello\r\n--xyz--\r\n', ''],
      ['a part never closed', 'multipart/form-data; boundary=abc', '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7', ''],
      ['a part without the end of its headers', 'multipart/form-data; boundary="abc"', '--abc\r\nContent-Disposition: form-data; name="file"', ''],
      ['a boundary over 70 characters', `multipart/form-data; boundary=${'b'.repeat(71)}`, `--${'b'.repeat(71)}\r\n\r\nx\r\n--${'b'.repeat(71)}--`, 'Content-Type'],
      ['a quoted boundary over 70 characters', `multipart/form-data; boundary="${'b'.repeat(71)}"`, `--${'b'.repeat(71)}\r\n\r\nx\r\n--${'b'.repeat(71)}--`, 'Content-Type'],
      ['a boundary found only as the start of a longer one', 'multipart/form-data; boundary=abc', '--abcdef\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7\r\n--abcdef--\r\n', ''],
      ['two files in its field', 'multipart/form-data; boundary=abc', '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7\r\n--abc\r\nContent-Disposition: form-data; name="file"; filename="b.pdf"\r\n\r\n%PDF-1.7\r\n--abc--\r\n', 'file'],
    ])('a form with %s is a 400 naming what is wrong', async (_name, type, body, path) => {
      const r = await t.call('POST', '/verify', { token: null, body: Buffer.from(body, 'latin1'), headers: { 'content-type': type } });
      expect([r.status, r.headers.get('content-type'), r.body.errors?.[0]?.path]).toEqual([400, 'application/problem+json', path]);
    });

    it('refuses a form of more than 100 parts before reading on, and shows a file\'s name without bidi controls', async () => {
      const { formFile } = await import('#shared/http/form.ts');
      const filler = '--abc\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n';
      const file = '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7\r\n--abc--\r\n';
      expect(formFile(Buffer.from(filler.repeat(99) + file), 'multipart/form-data; boundary=abc', 'file').toString()).toBe('%PDF-1.7');
      expect(() => formFile(Buffer.from(filler.repeat(100) + file), 'multipart/form-data; boundary=abc', 'file')).toThrow(/more than 100 parts/);
      const many = await t.call('POST', '/verify', { token: null, body: Buffer.from(filler.repeat(5000) + file), headers: { 'content-type': 'multipart/form-data; boundary=abc' } });
      expect([many.status, many.body.errors?.[0]?.path]).toEqual([400, '']);
      // A right-to-left override in the name would reorder the rest of the sentence the page shows.
      const empty = await t.call('POST', '/verify', { token: null, body: Buffer.from('--abc\r\nContent-Disposition: form-data; name="file"; filename="cert\u202Efdp.exe"\r\n\r\n\r\n--abc--\r\n', 'utf8'), headers: { 'content-type': 'multipart/form-data; boundary=abc' } });
      expect([empty.status, empty.body.detail]).toEqual([400, 'The file "certfdp.exe" is empty (0 bytes): choose the certificate\'s PDF file']);
      // The joiners a name needs stay (a Persian name's ZWNJ).
      const persian = await t.call('POST', '/verify', { token: null, body: Buffer.from('--abc\r\nContent-Disposition: form-data; name="file"; filename="گواهی\u200Cنامه.pdf"\r\n\r\n\r\n--abc--\r\n', 'utf8'), headers: { 'content-type': 'multipart/form-data; boundary=abc' } });
      expect(persian.body.detail).toBe('The file "گواهی\u200Cنامه.pdf" is empty (0 bytes): choose the certificate\'s PDF file');
    });

    it('finds the file past a preamble, and never takes another part\'s bytes for it', async () => {
      const { formFile } = await import('#shared/http/form.ts');
      const { InvalidInput } = await import('#shared/domain/errors.ts');
      const part = (boundary: string) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7\r\n--${boundary}--\r\n`;
      for (const [preamble, boundary] of [['', 'ab'], ['\r\n', 'ab--'], ['This is a preamble.\r\n', 'ab']] as const) {
        expect(formFile(Buffer.from(`${preamble}${part(boundary)}`), `multipart/form-data; boundary="${boundary}"`, 'file').toString(), JSON.stringify(preamble)).toBe('%PDF-1.7');
      }
      // The boundary inside a longer line is the file's content, not a delimiter; spaces may pad a delimiter's line.
      const inside = '--abc  \r\nContent-Disposition: form-data; name="file"\r\n\r\n%PDF\r\n--abcdef\r\n--abc-x\r\n--abc--not-the-end\r\n--abc\t\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--abc--';
      expect(formFile(Buffer.from(inside), 'multipart/form-data; boundary=abc', 'file').toString()).toBe('%PDF\r\n--abcdef\r\n--abc-x\r\n--abc--not-the-end');
      // A part whose headers run into the next delimiter has no content: it is malformed, not the next part's bytes.
      const crossing = '--abc\r\nContent-Disposition: form-data; name="file"\r\n--abc\r\nContent-Disposition: form-data; name="x"\r\n\r\nNOT-THE-FILE\r\n--abc--';
      expect(() => formFile(Buffer.from(crossing), 'multipart/form-data; boundary=abc', 'file')).toThrow(InvalidInput);
      expect(() => formFile(Buffer.from(crossing), 'multipart/form-data; boundary=abc', 'file')).toThrow(/a part has no end to its headers/);
      // A quoted file name is one value: the "name=file" inside it does not name the part's field.
      const quoted = '--abc\r\nContent-Disposition: form-data; filename="a; name=file; b"; name="other"\r\n\r\n%PDF-1.7\r\n--abc--\r\n';
      expect(() => formFile(Buffer.from(quoted), 'multipart/form-data; boundary=abc', 'file')).toThrow(/The form has no "file" field/);
      expect(formFile(Buffer.from(quoted.replace('name="other"', 'NAME=file')), 'multipart/form-data; boundary=abc', 'file').toString()).toBe('%PDF-1.7');
      // A backslash in a quoted file name is itself (browsers never escape with it), and a parameter without a value is passed over.
      for (const disposition of ['form-data; filename="C:\\"; name="file"', 'form-data; filename="a\\"; name=file', 'form-data; flag; name="file"']) {
        const part = `--abc\r\nContent-Disposition: ${disposition}\r\n\r\n%PDF-1.7\r\n--abc--\r\n`;
        expect(formFile(Buffer.from(part), 'multipart/form-data; boundary=abc', 'file').toString(), disposition).toBe('%PDF-1.7');
      }
    });

    it('ignores a query string on the page and on the form it posts, as messengers add one (utm_source=...)', async () => {
      const page = await t.call('GET', '/verify?utm_source=wechat&fbclid=IwAR0x', { token: null, headers: { accept: browser } });
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      const { pdf } = await readOnlySigning();
      const r = await fetch(`${t.url}/verify?utm_source=wechat`, { method: 'POST', body: withFile(pdf) });
      expect([r.status, ((await r.json()) as any).status]).toEqual([200, 'valid']);
    });

    it('takes a form written the way Chrome writes one: a quoted boundary, a preamble-free body, the file after other fields', async () => {
      const { pdf } = await readOnlySigning();
      const boundary = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="%22v1%22 证书.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
        pdf,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const r = await t.call('POST', '/verify', { token: null, body, headers: { 'content-type': `multipart/form-data; boundary="${boundary}"` } });
      expect([r.status, r.body.status]).toEqual([200, 'valid']);
    });
  });

  it('calls every damaged copy of a genuine certificate invalid, never an error: 60 seeded mutations', async () => {
    const random = seeded(20210823);
    const at = (n: number) => Math.floor(random() * n);
    const pdf = bilateral.pdf;
    // In the signed payload and its signature too: a damaged JWS must fail as surely as damaged page content.
    const jws = /\/ConcordCertificate \(([^)]+)\)/.exec(pdf.toString('latin1'))!;
    expect(jws).not.toBeNull();
    const [header] = jws[1]!.split('.');
    const jwsBody = { at: jws.index + jws[0].indexOf('(') + 2 + header!.length, length: jws[1]!.length - header!.length - 1 };
    const mutations: [string, () => Buffer][] = [
      ['a flipped byte', () => { const b = Buffer.from(pdf); const i = at(b.length); b[i] = b[i]! ^ (1 + at(255)); return b; }],
      ['a flipped byte in the JWS payload or signature', () => { const b = Buffer.from(pdf); const i = jwsBody.at + at(jwsBody.length); b[i] = b[i]! ^ (1 + at(255)); return b; }],
      ['a cut', () => { const i = at(pdf.length); return Buffer.concat([pdf.subarray(0, i), pdf.subarray(i + 1 + at(64))]); }],
      ['an insertion', () => { const i = at(pdf.length); return Buffer.concat([pdf.subarray(0, i), Buffer.from(Array.from({ length: 1 + at(16) }, () => at(256))), pdf.subarray(i)]); }],
      ['a truncation', () => pdf.subarray(0, 1 + at(pdf.length - 1))],
      ['a repeated chunk', () => { const i = at(pdf.length - 512); return Buffer.concat([pdf.subarray(0, i + 512), pdf.subarray(i)]); }],
    ];
    for (let n = 0; n < 60; n++) {
      const [name, mutate] = mutations[n % mutations.length]!;
      const r = await checkFile(mutate());
      expect([r.status, r.body.status], `mutation ${n}: ${name}`).toEqual([200, 'invalid']);
    }
  });

  it('publishes the public key that verifies the embedded JWS offline', async () => {
    const jwks = (await t.call('GET', '/.well-known/concord-keys.json', { token: null })).body;
    // The public half only: exactly these members (a private JWK would add "d").
    expect(jwks.keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: expect.any(String), alg: 'EdDSA', use: 'sig' }]);
    const jws = /\/ConcordCertificate \(([^)]+)\)/.exec(bilateral.pdf.toString('latin1'))![1]!;
    const [header, payload, signature] = jws.split('.');
    const { createPublicKey, verify } = await import('node:crypto');
    const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
    expect(verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature!, 'base64url'))).toBe(true);
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'EdDSA', kid: jwks.keys[0].kid });
    // The payload names the version by its state hash and the time it was recorded, as its history has them.
    const [entry] = (await t.call('GET', `/agreements/${bilateral.id}/history`)).body.items;
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({ typ: 'concord-certificate', id: bilateral.id, code: bilateral.code, version: 1, stateHash: entry.stateHash, issuedAt: entry.at, iss: BASE });
    // The printed link checks out offline as the README says: its sig over the canonical JSON (keys
    // sorted, no spaces) of the header and the payload, each base64url, rebuilt from the history alone.
    const link = new URL(/https:\S+\/verify\/\S+/.exec(pdfToText(bilateral.pdf, { raw: true }))![0]);
    const canonical = (o: Record<string, unknown>) => Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(o).sort(([p], [q]) => (p < q ? -1 : 1))))).toString('base64url');
    const rebuilt = `${canonical({ alg: 'EdDSA', kid: jwks.keys[0].kid })}.${canonical({ typ: 'concord-certificate', id: bilateral.id, code: link.pathname.split('/').at(-1), version: Number(link.searchParams.get('v')), stateHash: entry.stateHash, issuedAt: entry.at, iss: link.origin })}`;
    expect(verify(null, Buffer.from(rebuilt), key, Buffer.from(link.searchParams.get('sig')!, 'base64url'))).toBe(true);
  });
});

/** The font package and file stem a name's script is drawn in, by the name's language (Noto Sans for the rest). */
const FONT_OF_LANG: Record<string, string> = Object.fromEntries(Object.entries({
  'sans-sc/NotoSansSC': ['zh-Hans'], 'sans-devanagari/NotoSansDevanagari': ['hi', 'ne', 'mr'], 'sans-arabic/NotoSansArabic': ['fa', 'ar'], 'nastaliq-urdu/NotoNastaliqUrdu': ['ur'],
  'sans-armenian/NotoSansArmenian': ['hy'], 'sans-khmer/NotoSansKhmer': ['km'], 'sans-sinhala/NotoSansSinhala': ['si'],
  'sans-thaana/NotoSansThaana': ['dv'], 'sans-myanmar/NotoSansMyanmar': ['my'], 'sans-lao/NotoSansLao': ['lo'], 'sans-tamil/NotoSansTamil': ['ta'],
  'sans-kr/NotoSansKR': ['ko'], 'sans-jp/NotoSansJP': ['ja'], 'sans-thai/NotoSansThai': ['th'], 'sans-georgian/NotoSansGeorgian': ['ka'], 'sans-hebrew/NotoSansHebrew': ['he'],
  'sans-bengali/NotoSansBengali': ['bn'], 'sans-gujarati/NotoSansGujarati': ['gu'], 'sans-gurmukhi/NotoSansGurmukhi': ['pa'],
  'sans-kannada/NotoSansKannada': ['kn'], 'sans-telugu/NotoSansTelugu': ['te'], 'sans-malayalam/NotoSansMalayalam': ['ml'],
  'sans-oriya/NotoSansOriya': ['or'], 'sans-ethiopic/NotoSansEthiopic': ['am'], 'sans-mongolian/NotoSansMongolian': ['mn-Mong'],
  'serif-tibetan/NotoSerifTibetan': ['bo'], 'sans-yi/NotoSansYi': ['ii'], 'sans-syriac/NotoSansSyriac': ['syr'],
  'sans-tifinagh/NotoSansTifinagh': ['zgh'], 'sans-canadian-aboriginal/NotoSansCanadianAboriginal': ['iu'], 'sans-cherokee/NotoSansCherokee': ['chr'],
}).flatMap(([font, langs]) => langs.map((lang) => [lang, font])));

/** Official names of SCO partners that joined after 2021 (and Tamil, Sri Lanka's other official language). */
const LATER_PARTNERS = [
  { code: 'MV', name: 'Republic of Maldives', localName: 'ދިވެހިރާއްޖޭގެ ޖުމްހޫރިއްޔާ', lang: 'dv' },
  { code: 'MM', name: 'Republic of the Union of Myanmar', localName: 'ပြည်ထောင်စု သမ္မတ မြန်မာနိုင်ငံတော်', lang: 'my' },
  { code: 'LA', name: "Lao People's Democratic Republic", localName: 'ສາທາລະນະລັດ ປະຊາທິປະໄຕ ປະຊາຊົນລາວ', lang: 'lo' },
  { code: 'LK', name: 'Democratic Socialist Republic of Sri Lanka', localName: 'இலங்கை ஜனநாயக சோசலிசக் குடியரசு', lang: 'ta' },
  // Fully vocalized: harakat make right-to-left clusters of several characters, kerned bases among them.
  { code: 'SA', name: 'Kingdom of Saudi Arabia', localName: 'ٱلْمَمْلَكَة ٱلْعَرَبِيَّة ٱلسُّعُودِيَّة', lang: 'ar' },
];

/** Names in the scripts of the expos' neighbours and trading partners, India's other scripts, China's Tibetan, Mongolian and Yi, and Syriac. */
const MORE_SCRIPTS = [
  { code: 'KR', kind: 'state', name: 'Republic of Korea', localName: '대한민국', lang: 'ko' },
  { code: 'KR', kind: 'enterprise', name: 'Samsung SDS Co., Ltd.', localName: '삼성에스디에스 주식회사', lang: 'ko' },
  { code: 'TH', kind: 'state', name: 'Kingdom of Thailand', localName: 'ราชอาณาจักรไทย', lang: 'th' },
  { code: 'GE', kind: 'state', name: 'Georgia', localName: 'საქართველო', lang: 'ka' },
  { code: 'IL', kind: 'state', name: 'State of Israel', localName: 'מדינת ישראל', lang: 'he' },
  { code: 'BD', kind: 'state', name: "People's Republic of Bangladesh", localName: 'গণপ্রজাতন্ত্রী বাংলাদেশ', lang: 'bn' },
  { code: 'IN', kind: 'city', name: 'Ahmedabad', localName: 'અમદાવાદ', lang: 'gu' },
  { code: 'IN', kind: 'city', name: 'Amritsar', localName: 'ਅੰਮ੍ਰਿਤਸਰ', lang: 'pa' },
  { code: 'IN', kind: 'city', name: 'Bengaluru', localName: 'ಬೆಂಗಳೂರು', lang: 'kn' },
  { code: 'IN', kind: 'city', name: 'Hyderabad', localName: 'హైదరాబాద్', lang: 'te' },
  { code: 'IN', kind: 'city', name: 'Kochi', localName: 'കൊച്ചി', lang: 'ml' },
  { code: 'IN', kind: 'city', name: 'Bhubaneswar', localName: 'ଭୁବନେଶ୍ୱର', lang: 'or' },
  { code: 'ET', kind: 'state', name: 'Federal Democratic Republic of Ethiopia', localName: 'የኢትዮጵያ ፌዴራላዊ ዲሞክራሲያዊ ሪፐብሊክ', lang: 'am' },
  { code: 'CN', kind: 'city', name: 'Hohhot', localName: 'ᠬᠥᠬᠡᠬᠣᠲᠠ', lang: 'mn-Mong' },
  { code: 'CN', kind: 'city', name: 'Lhasa', localName: 'ལྷ་ས་', lang: 'bo' },
  { code: 'CN', kind: 'city', name: 'Liangshan Yi Autonomous Prefecture', localName: 'ꆃꎭꆈꌠꊨꏦꏱꅉꑤ', lang: 'ii' },
  // Syriac joins as Arabic does, right to left.
  { code: 'IQ', kind: 'organization', name: 'Assyrian Chamber of Commerce', localName: 'ܐܬܘܪ ܒܝܬ ܢܗܪܝܢ', lang: 'syr' },
  // Shaped by their language (HarfBuzz picks Marathi's and Urdu's own forms, other than Hindi's and Arabic's).
  { code: 'IN', kind: 'city', name: 'Mumbai, Maharashtra', localName: 'महाराष्ट्र', lang: 'mr' },
  { code: 'PK', kind: 'city', name: 'Karachi', localName: 'کراچی', lang: 'ur' },
  // Han in Japanese and Korean names takes those languages' forms (直 and 骨 differ from Chinese ones).
  { code: 'JP', kind: 'enterprise', name: 'Sakura Smart Logistics Co., Ltd.', localName: 'さくら直骨物流株式会社', lang: 'ja' },
  { code: 'KR', kind: 'city', name: 'Busan (in Hanja)', localName: '釜山廣域市', lang: 'ko' },
  // Morocco's Amazigh (Tifinagh), Nunavut's Inuktitut (Canadian syllabics), the Cherokee Nation's own name.
  { code: 'MA', kind: 'state', name: 'Kingdom of Morocco', localName: 'ⵜⴰⴳⵍⴷⵉⵜ ⵏ ⵍⵎⵖⵔⵉⴱ', lang: 'zgh' },
  { code: 'CA', kind: 'organization', name: 'Government of Nunavut', localName: 'ᓄᓇᕗᑦ ᒐᕙᒪᒃᑯᑦ', lang: 'iu' },
  { code: 'US', kind: 'organization', name: 'Cherokee Nation', localName: 'ᏣᎳᎩ ᎠᏰᎵ', lang: 'chr' },
];

/**
 * poppler (22.x) moves the marks on the last, leftmost letter of a right-to-left run to the front
 * of the run; a name ending in such a letter may come back in either form.
 */
const popplerForms = (name: string) => {
  const marks = /\p{M}+$/u.exec(name)?.[0];
  return marks ? [name, `${marks}${name.slice(0, -marks.length)}`] : [name];
};

/** The reference fonts, read and parsed once per file (HarfBuzz and fontkit). */
const referenceFonts = new Map<string, { face: hb.Face; font: hb.Font; original: ReturnType<typeof fontkit.create> }>();
function referenceFont(file: string) {
  let f = referenceFonts.get(file);
  if (!f) {
    const bytes = readFileSync(require.resolve(file));
    const face = new hb.Face(new hb.Blob(bytes));
    referenceFonts.set(file, (f = { face, font: new hb.Font(face), original: fontkit.create(bytes) }));
  }
  return f;
}

/** The block drawing `text` holds exactly HarfBuzz's glyphs for it, at HarfBuzz's positions (±1 font unit). */
function expectHarfBuzzGlyphs(blocks: DrawnGlyph[][], text: string, lang: string, label: string, weight: 'Regular' | 'Bold' = 'Regular', fontOf = FONT_OF_LANG[lang]) {
  const [pkg, stem] = (fontOf ?? 'sans/NotoSans').split('/');
  const style = weight === 'Bold' ? '700Bold' : '400Regular';
  const { face, font, original } = referenceFont(`@expo-google-fonts/noto-${pkg}/${style}/${stem}_${style}.ttf`);
  const buffer = new hb.Buffer();
  buffer.addText(text);
  buffer.guessSegmentProperties();
  buffer.setLanguage(lang);
  hb.shape(font, buffer);
  let pen = 0;
  const want = buffer.getGlyphInfosAndPositions().map((g) => {
    const glyph = { outline: original.getGlyph(g.codepoint).path.toSVG(), x: pen + g.xOffset!, y: g.yOffset! };
    pen += g.xAdvance!;
    return glyph;
  });
  // The block whose ToUnicode text is this name (carriers are painted in visual order); a cascading
  // line's (Nastaliq's) ink carries none, its text being set apart, invisible: the ink-only block
  // that draws HarfBuzz's glyphs, each where HarfBuzz puts it, as the checks below require of either.
  const sorted = (x: string) => [...x].sort().join('');
  const outlines = want.map((g) => g.outline).sort().join();
  const block = blocks.find((b) => sorted(b.map((g) => g.text).join('')) === sorted(text))
    ?? blocks.find((b) => b.every((g) => g.text === '') && b.map((g) => g.outline).sort().join() === outlines);
  expect(block, `${label}: no block draws this name`).toBeDefined();
  expect(new Set(block!.map((g) => g.font)), label).toEqual(new Set([`${stem}-${weight}`]));
  const unitsPerPoint = face.upem / block![0]!.size;
  const minX = (xs: number[]) => Math.min(...xs);
  // The baseline: a carrier's, else (ink alone) where the glyphs' mean offset puts it.
  const mean = (ys: number[]) => ys.reduce((sum, y) => sum + y, 0) / ys.length;
  const origin = { x: minX(block!.map((g) => g.x)) - minX(want.map((g) => g.x)) / unitsPerPoint, y: block!.find((g) => g.text)?.y ?? mean(block!.map((g) => g.y)) - mean(want.map((g) => g.y)) / unitsPerPoint };
  const got = block!.map((g) => ({ outline: g.outline, x: (g.x - origin.x) * unitsPerPoint, y: (g.y - origin.y) * unitsPerPoint }));
  expect(got, label).toHaveLength(want.length);
  // Paint order within a cluster differs on purpose (marks after their bases): match as multisets.
  for (const w of want) {
    const i = got.findIndex((g) => g.outline === w.outline && Math.abs(g.x - w.x) <= 1 && Math.abs(g.y - w.y) <= 1);
    expect(i, `${label}: glyph at ${w.x.toFixed(0)},${w.y.toFixed(0)} not drawn where HarfBuzz puts it`).toBeGreaterThanOrEqual(0);
    got.splice(i, 1);
  }
}

/** The day of an instant in Asia/Shanghai (UTC+08:00 all year), in English and Chinese, worked out apart from the renderer. */
function dayInShanghai(at: string): [string, string] {
  const on = new Date(Date.parse(at) + 8 * 3600_000);
  return [`${on.getUTCDate()} ${on.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })} ${on.getUTCFullYear()}`, `${on.getUTCFullYear()}年${on.getUTCMonth() + 1}月${on.getUTCDate()}日`];
}

/** `n` characters of numbered words ("Venue0 Venue1 …"): text of a given length that wraps. */
const words = (n: number, word: string) => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ').slice(0, n).trim();

/** A drawn line's text. */
const textOf = (b: DrawnGlyph[]) => b.map((g) => g.text).join('');
/** A line with its no-break spaces as spaces, to compare with text that says where it may break elsewhere. */
const spaced = (line: string) => line.replaceAll('\u00A0', ' ');
/** The top and bottom of a drawn line's ink (points, on the page). */
const inkTop = (b: DrawnGlyph[]) => Math.max(...b.filter((g) => g.ink).map((g) => g.ink![3]));
const inkBottom = (b: DrawnGlyph[]) => Math.min(...b.filter((g) => g.ink).map((g) => g.ink![1]));
/** A version that voided the agreement (its banner, its day). */
const VOIDED = { status: 'voided', version: 2, updatedAt: '2021-09-01T02:00:00.000Z' } as const;
/** A shaped line's text as drawn, left to right, each right-to-left cluster's characters in drawing order too. */
const drawnText = (line: ShapedLine) => line.glyphs.map((g) => (g.rtl ? [...g.text].reverse().join('') : g.text)).join('');

/** How far a drawn line's ink reaches down and up. */
const inkOf = (b: DrawnGlyph[]) => ({ bottom: Math.min(...b.filter((g) => g.ink).map((g) => g.ink![1])), top: Math.max(...b.filter((g) => g.ink).map((g) => g.ink![3])) });

/** Pairs of drawn lines (text blocks) whose ink boxes overlap, named by their text. */
function touchingLines(blocks: DrawnGlyph[][], clear = 0): string[] {
  const lines = blocks.flatMap((b) => {
    const inks = b.flatMap((g) => (g.ink ? [g.ink] : []));
    if (inks.length === 0) return [];
    const box = [Math.min(...inks.map((i) => i[0])), Math.min(...inks.map((i) => i[1])), Math.max(...inks.map((i) => i[2])), Math.max(...inks.map((i) => i[3]))];
    return [{ text: b.map((g) => g.text).join(''), box }];
  });
  const touching: string[] = [];
  lines.forEach((a, i) => lines.slice(i + 1).forEach((b) => {
    if (a.box[0]! < b.box[2]! && b.box[0]! < a.box[2]! && a.box[1]! - clear < b.box[3]! && b.box[1]! - clear < a.box[3]!) touching.push(`${a.text} | ${b.text}`);
  }));
  return touching;
}

/** A small seeded PRNG (mulberry32): the same "random" cases on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** The same certificate with its JWS replaced by one signed with a key the registry never had. */
function resign(pdf: Buffer): Buffer {
  const { generateKeyPairSync, sign } = require('node:crypto') as typeof import('node:crypto');
  const text = pdf.toString('latin1');
  const jws = /\/ConcordCertificate \(([^)]+)\)/.exec(text)![1]!;
  const [header, payload] = jws.split('.');
  const { privateKey } = generateKeyPairSync('ed25519');
  const forged = `${header}.${payload}.${sign(null, Buffer.from(`${header}.${payload}`), privateKey).toString('base64url')}`;
  return Buffer.from(text.replace(jws, forged), 'latin1');
}
