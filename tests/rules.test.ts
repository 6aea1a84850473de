/**
 * Domain rules as tables: each rule with a passing and a failing case, over real HTTP.
 * 400 = breaks the schema; 422 = well-formed but breaks a rule across fields or records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreement, ceremony, logSigning, party, setup, uniqueKey } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;
let n = 0;
const fresh = (prefix: string) => `${prefix}-${(n += 1)}`;

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [
    party('ent-cn'), party('ent-kz', { countryCode: 'KZ' }),
    party('city-cq', { kind: 'city' }), party('city-sh', { kind: 'city' }), party('city-al', { kind: 'city', countryCode: 'KZ' }),
    party('org-x', { kind: 'organization', countryCode: undefined }),
  ]);
});
afterAll(() => t.close());

const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString().replace('Z', '+00:00');

function expectProblem(r: { status: number; headers: Headers; body: any }, status: number, path?: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.headers.get('content-type')).toBe('application/problem+json');
  expect(r.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  if (path !== undefined) expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
}

describe('party rules', () => {
  it.each([
    ['a state with a country', { kind: 'state', name: 'Kazakhstan', countryCode: 'KZ' }, 201, undefined],
    ['a state without a country', { kind: 'state', name: 'Nowhere' }, 400, '/countryCode'],
    ['an organization without a country', { kind: 'organization', name: 'SCO Secretariat' }, 201, undefined],
    ['an unassigned country code', { kind: 'city', name: 'X', countryCode: 'XK' }, 400, '/countryCode'],
    ['a lower-case country code', { kind: 'city', name: 'X', countryCode: 'kz' }, 400, '/countryCode'],
    ['a BCP 47 language tag', { kind: 'city', name: 'Almaty', localName: 'Алматы', lang: 'kk-Cyrl', countryCode: 'KZ' }, 201, undefined],
    ['a malformed language tag', { kind: 'city', name: 'X', lang: 'not a tag', countryCode: 'KZ' }, 400, '/lang'],
    // A valid private-use tag, but 54 KB of it would sit in every snapshot of the party (and could fill a record).
    ['a language tag over 35 characters', { kind: 'city', name: 'X', lang: `en-x-${'abcdefgh-'.repeat(4)}a`, countryCode: 'KZ' }, 400, '/lang'],
    ['a 200-character name', { kind: 'enterprise', name: 'n'.repeat(200), countryCode: 'CN' }, 201, undefined],
    ['a 201-character name', { kind: 'enterprise', name: 'n'.repeat(201), countryCode: 'CN' }, 400, '/name'],
    ['an unknown kind', { kind: 'company', name: 'X', countryCode: 'CN' }, 400, '/kind'],
    ['an unknown field', { kind: 'city', name: 'X', countryCode: 'CN', status: 'active' }, 400, '/status'],
    ['a valid client-given id', { id: 'my-party-1', kind: 'city', name: 'X', countryCode: 'CN' }, 201, undefined],
    ['an id with capitals', { id: 'My-Party', kind: 'city', name: 'X', countryCode: 'CN' }, 400, '/id'],
    // Names are text: what real names need is allowed, what only reorders or hides text is not.
    ['a local name that needs a zero-width joiner (Sinhala)', { kind: 'state', name: 'Sri Lanka', localName: 'ශ්‍රී ලංකාව', countryCode: 'LK' }, 201, undefined],
    ['a local name that needs a zero-width non-joiner (Persian)', { kind: 'state', name: 'Iran', localName: 'می‌خواهم', countryCode: 'IR' }, 201, undefined],
    ['a name with a right-to-left override', { kind: 'enterprise', name: 'Acme \u202Egpj.exe', countryCode: 'CN' }, 400, '/name'],
    ['a name with a bidirectional isolate', { kind: 'enterprise', name: 'Acme \u2067Co\u2069', countryCode: 'CN' }, 400, '/name'],
    ['a local name with a NUL', { kind: 'enterprise', name: 'X', localName: 'A\u0000B', countryCode: 'CN' }, 400, '/localName'],
    ['a name broken over two lines', { kind: 'enterprise', name: 'Acme\nTrading', countryCode: 'CN' }, 400, '/name'],
    ['a name with an unpaired surrogate', { kind: 'enterprise', name: 'Acme \uD800', countryCode: 'CN' }, 400, '/name'],
    ['a name beyond the BMP (a surrogate pair)', { kind: 'enterprise', name: '𠮷祥贸易', countryCode: 'CN' }, 201, undefined],
    ['a local name with right-to-left marks (RLM)', { kind: 'city', name: 'Tehran', localName: 'تهران\u200F', countryCode: 'IR' }, 201, undefined],
    ['a name with a noncharacter beyond the BMP', { kind: 'enterprise', name: 'Acme \u{1FFFE}', countryCode: 'CN' }, 400, '/name'],
    ['a name with a line separator', { kind: 'enterprise', name: 'Acme\u2028Trading', countryCode: 'CN' }, 400, '/name'],
    ['a name with a C1 control', { kind: 'enterprise', name: 'Acme\u0085Trading', countryCode: 'CN' }, 400, '/name'],
    ['a name with U+FFFD (text damaged on its way)', { kind: 'enterprise', name: 'Bad\uFFFD\uFFFDUTF8', countryCode: 'CN' }, 400, '/name'],
    ['a name that is only a zero-width joiner', { kind: 'enterprise', name: '\u200D', countryCode: 'CN' }, 400, '/name'],
    ['a local name that is only a combining mark', { kind: 'enterprise', name: 'X', localName: '\u0301', countryCode: 'CN' }, 400, '/localName'],
    ['a name that begins with a combining mark', { kind: 'enterprise', name: '\u0301Acme', countryCode: 'CN' }, 400, '/name'],
    ['a name that begins with a joiner and a combining mark', { kind: 'enterprise', name: '\u200D\u0301Acme', countryCode: 'CN' }, 400, '/name'],
    ['a name that is a Hangul filler (a blank letter)', { kind: 'enterprise', name: '\u3164', countryCode: 'CN' }, 400, '/name'],
    ['a name that is a blank Braille pattern', { kind: 'enterprise', name: '\u2800\u2800', countryCode: 'CN' }, 400, '/name'],
    ['a name with an invisible tag character (U+E0041) after it', { kind: 'enterprise', name: 'Acme\u{E0041}', countryCode: 'CN' }, 400, '/name'],
    // 63 marks on one letter made a cluster whose text map poppler drops, with the word after it.
    ['a local name with 31 combining marks on one letter', { kind: 'enterprise', name: 'Zalgo', localName: `مصر ب${'\u064E'.repeat(31)} مصر`, countryCode: 'EG' }, 400, '/localName'],
    ['a local name with 31 combining marks on one letter, directional marks between them', { kind: 'enterprise', name: 'Marked', localName: `x${'\u0301\u200E'.repeat(31)}`, countryCode: 'CN' }, 400, '/localName'],
    ['a local name with 31 combining marks on one letter, joiners between them', { kind: 'enterprise', name: 'Joined', localName: `مصر ب${'\u064E\u200D'.repeat(31)} مصر`, countryCode: 'EG' }, 400, '/localName'],
    // Variation selectors are marks and invisible too: counted as marks, in one pass (a pattern took 50 s for 30).
    ['a local name with 31 variation selectors on one letter', { kind: 'enterprise', name: 'Selected', localName: `x${'\uFE0F'.repeat(31)}`, countryCode: 'CN' }, 400, '/localName'],
    ['a local name with 2,000 variation selectors on one letter', { kind: 'enterprise', name: 'Selected', localName: `x${'\uFE0F'.repeat(2000)}`, countryCode: 'CN' }, 400, '/localName'],
    ['a local name with 30 combining marks on one letter', { kind: 'enterprise', name: 'Stacked', localName: `مصر ب${'\u064E'.repeat(30)} مصر`, countryCode: 'EG' }, 201, undefined],
    ['a name with a Hangul filler in front (looks like another)', { kind: 'enterprise', name: '\u3164Acme', countryCode: 'CN' }, 400, '/name'],
    ['a name of punctuation and digits only', { kind: 'enterprise', name: '3.14', countryCode: 'CN' }, 201, undefined],
    // Invisible, and a name with one looks like the name without it, which it does not equal.
    ['a name with a word joiner inside', { kind: 'enterprise', name: 'Ka\u2060zan', countryCode: 'RU' }, 400, '/name'],
    ['a name with an invisible operator', { kind: 'enterprise', name: 'Kazan\u2062', countryCode: 'RU' }, 400, '/name'],
    ['a name with the old word joiner (U+FEFF) inside', { kind: 'enterprise', name: 'Ka\uFEFFzan', countryCode: 'RU' }, 400, '/name'],
    // Word breaks Khmer writes with a zero-width space stay allowed.
    ['a local name with zero-width spaces (Khmer word breaks)', { kind: 'enterprise', name: 'Khmer words', localName: 'ព្រះរាជាណាចក្រ\u200Bកម្ពុជា', countryCode: 'KH' }, 201, undefined],
    ['a local name with an interlinear annotation (hiding its text)', { kind: 'enterprise', name: 'Annotated', localName: 'a\uFFF9b\uFFFAc\uFFFB', countryCode: 'CN' }, 400, '/localName'],
  ])('%s -> $2', async (_name, body, status, path) => {
    const r = await t.call('POST', '/parties', { body });
    if (status === 201) {
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.headers.get('location')).toBe(`/parties/${r.body.id}`);
      expect(r.body).toMatchObject({ ...body, version: 1 });
    } else expectProblem(r, status, path);
  });

  it('stores a language tag in its canonical case, and changes nothing else in it', async () => {
    const r = await t.call('POST', '/parties', { body: { kind: 'city', name: 'Chongqing', localName: '重庆', lang: 'ZH-hans', countryCode: 'CN' } });
    expect(r.status).toBe(201);
    expect(r.body.lang).toBe('zh-Hans');
    // "iw" is an old alias of "he": it stays as written (the runtime's alias table is not ours to apply).
    const old = await t.call('POST', '/parties', { body: { kind: 'city', name: 'Jerusalem', lang: 'IW', countryCode: 'IL' } });
    expect(old.body.lang).toBe('iw');
    // A grandfathered tag that Unicode locale identifiers lack is refused with the tag to write instead.
    const minNan = await t.call('POST', '/parties', { body: { kind: 'city', name: 'Xiamen', localName: 'Ē-mn̂g', lang: 'zh-min-nan', countryCode: 'CN' } });
    expectProblem(minNan, 400, '/lang');
    expect(minNan.body.errors[0].message).toBe('is a grandfathered language tag, which Unicode locale identifiers lack: write "nan"');
    expect((await t.call('POST', '/parties', { body: { kind: 'city', name: 'Xiamen', localName: 'Ē-mn̂g', lang: 'nan', countryCode: 'CN' } })).status).toBe(201);
    // One without a preferred value is said to be grandfathered, with nothing to write instead; a word that is no tag is not.
    for (const [lang, message] of [['zh-min', 'is a grandfathered language tag, which Unicode locale identifiers lack'], ['constructor', 'must be a BCP 47 language tag, like "kk" or "zh-Hans"'],
      // Well formed, but a language's name typed for its code: said so, with the code where its English name is known.
      ['japanese', 'names a language rather than giving its code: write "ja"'], ['Russian-Cyrl', 'names a language rather than giving its code: write "ru-Cyrl"'],
      // The code in use, not a deprecated one of the same name ("iw", "jw").
      ['hebrew', 'names a language rather than giving its code: write "he"'],
      ['javanese', 'names a language rather than giving its code: write "jv"'],
      ['klingon', 'must start with a language\'s 2- or 3-letter ISO 639 code, like "kk" or "zh-Hans"'],
      // Names of other lengths, which are no tag at all: the code too, where the rest makes a tag with it.
      ['thai', 'names a language rather than giving its code: write "th"'], ['Indonesian-ID', 'names a language rather than giving its code: write "id-ID"'],
      ['indonesian-!', 'must be a BCP 47 language tag, like "kk" or "zh-Hans"']]) {
      const refused = await t.call('POST', '/parties', { body: { kind: 'city', name: 'Xiamen', lang, countryCode: 'CN' } });
      expect([refused.status, refused.body.errors[0].message]).toEqual([400, message]);
    }
  });

  it('names the character that is not text, by code point', async () => {
    const r = await t.call('POST', '/parties', { body: { kind: 'enterprise', name: 'Acme \u202Egpj.exe', countryCode: 'CN' } });
    expectProblem(r, 400, '/name');
    expect(r.body.errors[0].message).toMatch(/^must not contain U\+202E: /);
  });

  it('creating an id that another request took is 409; the first record is untouched', async () => {
    const first = await t.call('POST', '/parties', { body: party('dup-party', { name: 'First' }) });
    expect(first.status).toBe(201);
    expectProblem(await t.call('POST', '/parties', { body: party('dup-party', { name: 'Second' }) }), 409, '/id');
    expect((await t.call('GET', '/parties/dup-party')).body.name).toBe('First');
  });

  it.each([
    ['a rename', { name: 'Renamed' }, 200],
    ['removing the local name', { localName: null }, 200],
    ['changing the id', { id: 'other' }, 400],
    ['changing the kind', { kind: 'state' }, 400],
    ['nothing to change', {}, 400], // as for ceremonies and agreements
  ])('PATCH with %s -> $2', async (_name, body, status) => {
    const id = fresh('patch-party');
    await t.call('POST', '/parties', { body: party(id, { localName: '名字' }) });
    const r = await t.call('PATCH', `/parties/${id}`, { body, headers: { 'if-match': '"1"' } });
    expect(r.status).toBe(status);
    if (status === 200) expect(r.headers.get('etag')).toBe('"2"');
  });

  it.each([
    ['missing', undefined, 428],
    ['stale', '"7"', 412],
    ['malformed', 'one', 400],
  ])('PATCH /parties with If-Match %s -> $2', async (_name, ifMatch, status) => {
    const id = fresh('ifmatch-party');
    await t.call('POST', '/parties', { body: party(id) });
    const r = await t.call('PATCH', `/parties/${id}`, { body: { name: 'New' }, headers: ifMatch ? { 'if-match': ifMatch } : {} });
    expectProblem(r, status, status === 400 ? 'If-Match' : undefined);
  });

  it('keeps every rename of a party in its history, with its reason if it gave one; the same rename sent again is a replay', async () => {
    const id = fresh('history-party');
    const made = await t.call('POST', '/parties', { body: party(id, { name: 'Kazan', localName: 'Казань', lang: 'ru', countryCode: 'RU' }) });
    const rename = (body: object, version: number) => t.call('PATCH', `/parties/${id}`, { body, headers: { 'if-match': `"${version}"` } });
    expect((await rename({ name: 'Kazan City', reason: 'its official name' }, 1)).status).toBe(200);
    expect((await rename({ localName: null }, 2)).status).toBe(200);
    // Sent again while it is the latest change: a replay; with another reason, a stale request.
    const again = await rename({ localName: null }, 2);
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect((await rename({ localName: null, reason: 'another' }, 2)).status).toBe(412);
    expectProblem(await rename({ reason: 'only a reason' }, 3), 400, '');
    const history = await t.call('GET', `/parties/${id}/history`);
    expect(history.body).toEqual({
      partyId: id, version: 3, complete: true,
      items: [
        { version: 1, action: 'created', at: made.body.createdAt, actor: 'local-staff', reason: null, changes: { name: { from: null, to: 'Kazan' }, localName: { from: null, to: 'Казань' }, lang: { from: null, to: 'ru' }, countryCode: { from: null, to: 'RU' } } },
        { version: 2, action: 'amended', at: expect.any(String), actor: 'local-staff', reason: 'its official name', changes: { name: { from: 'Kazan', to: 'Kazan City' } } },
        { version: 3, action: 'amended', at: expect.any(String), actor: 'local-staff', reason: null, changes: { localName: { from: 'Казань', to: null } } },
      ],
    });
    expect((await t.call('GET', `/parties/${id}`)).body).toMatchObject({ version: 3, name: 'Kazan City', updatedAt: history.body.items[2].at });
    expectProblem(await t.call('GET', `/parties/${fresh('nobody')}/history`), 404);
  });

  it('corrects a party\'s country, with its reason in the history; its signed agreements keep theirs until refreshed', async () => {
    const id = fresh('wrong-country');
    expect((await t.call('POST', '/parties', { body: party(id, { kind: 'city', name: 'Almaty', countryCode: 'KG' }) })).status).toBe(201);
    const signed = await logSigning(t, cer, agreement([id, 'ent-cn']), uniqueKey());
    expect(signed.status).toBe(201);
    const fixed = await t.call('PATCH', `/parties/${id}`, { body: { countryCode: 'KZ', reason: 'Almaty is in Kazakhstan' }, headers: { 'if-match': '"1"' } });
    expect([fixed.status, fixed.body.countryCode]).toEqual([200, 'KZ']);
    // The directory lists it under its country now.
    const inCountry = async (c: string) => (await t.call('GET', `/parties?country=${c}&limit=100`)).body.items.some((p: { id: string }) => p.id === id);
    expect([await inCountry('KZ'), await inCountry('KG')]).toEqual([true, false]);
    expect((await t.call('GET', `/parties/${id}/history`)).body.items.at(-1)).toMatchObject({ version: 2, reason: 'Almaty is in Kazakhstan', changes: { countryCode: { from: 'KG', to: 'KZ' } } });
    // What it signed keeps its snapshot, and its list entry, until an amendment refreshes the party.
    const listedIn = async (c: string) => (await t.call('GET', `/agreements?country=${c}&limit=100`)).body.items.some((a: { id: string }) => a.id === signed.body.id);
    expect([(await t.call('GET', `/agreements/${signed.body.id}`)).body.parties[0].countryCode, await listedIn('KG')]).toEqual(['KG', true]);
    const parties = signed.body.parties.map(({ partyId, signatory }: any) => ({ partyId, signatory, ...(partyId === id && { refresh: true }) }));
    const refreshed = await t.call('PATCH', `/agreements/${signed.body.id}`, { body: { parties, reason: 'the city\'s country was corrected' }, headers: { 'if-match': '"1"' } });
    expect([refreshed.status, refreshed.body.parties[0].countryCode]).toEqual([200, 'KZ']);
    expect([await listedIn('KZ'), await listedIn('KG')]).toEqual([true, false]);
    // A city keeps a country; an organization may have none.
    expectProblem(await t.call('PATCH', `/parties/${id}`, { body: { countryCode: null }, headers: { 'if-match': '"2"' } }), 422, '/countryCode');
    const org = fresh('org-country');
    await t.call('POST', '/parties', { body: party(org, { kind: 'organization', countryCode: 'CN' }) });
    const international = await t.call('PATCH', `/parties/${org}`, { body: { countryCode: null, reason: 'an international organization' }, headers: { 'if-match': '"1"' } });
    expect([international.status, international.body.countryCode]).toEqual([200, undefined]);
  });

  it('says a party renamed before renames were kept has an incomplete history, and keeps its renames from then on', async () => {
    const { putItem } = await import('./support/history-items.ts');
    const { partyIndexKeys, partyKey } = await import('#shared/store/keys.ts');
    const id = fresh('old-rename');
    const stamp = { createdAt: '2021-08-01T00:00:00.000Z', createdBy: 'local-staff', updatedAt: '2021-08-02T00:00:00.000Z', updatedBy: 'local-staff' };
    const data = { id, kind: 'enterprise', name: 'Renamed Once', countryCode: 'CN', version: 2, ...stamp };
    await putItem({ ...partyKey(id), ...partyIndexKeys(data as any), type: 'party', version: 2, data, change: { rename: { name: { from: 'Before', to: 'Renamed Once' } }, actor: 'local-staff', token: 't' } });
    expect((await t.call('GET', `/parties/${id}/history`)).body).toEqual({ partyId: id, version: 2, complete: false, items: [] });
    expect((await t.call('PATCH', `/parties/${id}`, { body: { name: 'Renamed Twice', reason: 'r' }, headers: { 'if-match': '"2"' } })).status).toBe(200);
    const history = (await t.call('GET', `/parties/${id}/history`)).body;
    expect([history.complete, history.items.map((e: any) => [e.version, e.reason, e.changes])]).toEqual([false, [[3, 'r', { name: { from: 'Renamed Once', to: 'Renamed Twice' } }]]]);
  });
});

describe('ceremony rules', () => {
  it.each([
    ['a valid ceremony', {}, 201, undefined],
    ['a start time without offset', { startsAt: '2021-08-23T14:00:00' }, 400, '/startsAt'],
    ['an impossible date', { startsAt: '2021-02-30T14:00:00+08:00' }, 400, '/startsAt'],
    ['an offset past +14:00', { startsAt: '2021-08-23T14:00:00+14:59' }, 400, '/startsAt'],
    ['a time that is in the year 10000 in UTC', { startsAt: '9999-12-31T23:59:59-12:00' }, 400, '/startsAt'],
    ['the last time before the year 10000 in UTC', { startsAt: '9999-12-31T23:59:59Z' }, 201, undefined],
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }, 400, '/timeZone'],
    ['a time zone IANA spells with digits and signs', { timeZone: 'EST5EDT', startsAt: '2021-08-23T14:00:00-04:00' }, 201, undefined],
    // A zone typed wrong would move every date the ceremony's certificates print.
    ['a time zone its start is not written in', { timeZone: 'America/New_York' }, 422, '/timeZone'],
    ['a time zone its end is not written in', { timeZone: 'Asia/Tokyo', startsAt: '2021-08-23T14:00:00+09:00', endsAt: '2021-08-23T17:00:00+08:00' }, 422, '/endsAt'],
    ['a time zone in summer time, written in it', { timeZone: 'Europe/London', startsAt: '2021-08-23T14:00:00+01:00' }, 201, undefined],
    ['a time zone in winter time, written in its summer offset', { timeZone: 'Europe/London', startsAt: '2021-12-23T14:00:00+01:00' }, 422, '/timeZone'],
    ['a time zone with times written in UTC', { timeZone: 'America/New_York', startsAt: '2021-08-23T18:00:00Z', endsAt: '2021-08-23T20:00:00Z' }, 201, undefined],
    ['a time zone that only looks like one', { timeZone: 'Asia/Atlantis' }, 400, '/timeZone'],
    ['an end 0.3 ms before the start', { startsAt: '2021-08-23T14:00:00.0004+08:00', endsAt: '2021-08-23T14:00:00.0001+08:00' }, 422, '/endsAt'],
    ['an end after the start', { endsAt: '2021-08-23T16:00:00+08:00' }, 201, undefined],
    ['an end before the start', { endsAt: '2021-08-23T13:00:00+08:00' }, 422, '/endsAt'],
    // An end typed a decade or a year out would let every signing of those years pass the signing-day rule.
    ['an end a decade after the start (2031 for 2021)', { endsAt: '2031-08-25T18:00:00+08:00' }, 422, '/endsAt'],
    ['an end a year after the start', { endsAt: '2022-08-22T18:00:00+08:00' }, 422, '/endsAt'],
    ['an end six months after the start (a world expo)', { endsAt: '2022-02-22T18:00:00+08:00' }, 201, undefined],
    ['a missing venue', { venue: undefined }, 400, '/venue'],
  ])('%s -> $2', async (_name, over, status, path) => {
    const r = await t.call('POST', '/ceremonies', { body: ceremony(fresh('cer'), over) });
    if (status === 201) expect(r.status, JSON.stringify(r.body)).toBe(201);
    else expectProblem(r, status, path);
  });

  it('refuses a time zone its times are not written in, on opening and in a correction, saying which and why', async () => {
    const opened = await t.call('POST', '/ceremonies', { body: ceremony(fresh('cer'), { timeZone: 'Europe/London' }) });
    expect([opened.status, opened.body.detail, opened.body.errors]).toEqual([422,
      'startsAt is written in UTC+08:00, but Europe/London is UTC+01:00 then: correct the offset or the time zone (a time zone that does not hold moves every date the ceremony\'s certificates print), or write the time in UTC ("Z")',
      [{ path: '/timeZone', message: 'must agree with the offset startsAt is written in (UTC+08:00); Europe/London is UTC+01:00 then' },
        { path: '/startsAt', message: 'must be written in Europe/London\'s offset then (UTC+01:00), or in UTC ("Z")' }]]);
    const id = fresh('cer');
    expect((await t.call('POST', '/ceremonies', { body: ceremony(id) })).status).toBe(201);
    const typo = await t.call('PATCH', `/ceremonies/${id}`, { body: { timeZone: 'America/New_York', reason: 'zone' }, headers: { 'if-match': '"1"' } });
    expect([typo.status, typo.body.errors]).toEqual([422, [{ path: '/timeZone', message: 'must agree with the offset startsAt is written in (UTC+08:00); America/New_York is UTC-04:00 then' }]]);
    // The ceremony is as it was; a correction of the zone with its times, or of anything else, goes through.
    expect((await t.call('GET', `/ceremonies/${id}`)).body).toMatchObject({ version: 1, timeZone: 'Asia/Shanghai' });
    const moved = await t.call('PATCH', `/ceremonies/${id}`, { body: { timeZone: 'Asia/Tokyo', startsAt: '2021-08-23T15:00:00+09:00', reason: 'zone' }, headers: { 'if-match': '"1"' } });
    expect([moved.status, moved.body.timeZone]).toEqual([200, 'Asia/Tokyo']);
  });

  it('takes a time with lower-case t and z, as RFC 3339 allows, and stores it as ISO 8601 writes it', async () => {
    const r = await t.call('POST', '/ceremonies', { body: ceremony(fresh('cer'), { startsAt: '2021-08-23t06:00:00z', timeZone: undefined }) });
    expect([r.status, r.body.startsAt]).toEqual([201, '2021-08-23T06:00:00Z']);
    expect((await logSigning(t, cer, agreement(['ent-cn', 'ent-kz'], { signedAt: '2021-08-23t15:00:00+08:00' }), uniqueKey())).body.signedAt).toBe('2021-08-23T15:00:00+08:00');
    const listed = await t.call('GET', '/agreements?signedFrom=2021-08-23t00:00:00z&signedTo=2021-08-23t23:59:59%2B08:00&limit=100');
    const upper = await t.call('GET', '/agreements?signedFrom=2021-08-23T00:00:00Z&signedTo=2021-08-23T23:59:59%2B08:00&limit=100');
    expect([listed.status, listed.body.items.map((a: any) => a.id)]).toEqual([200, upper.body.items.map((a: any) => a.id)]);
    expect(upper.body.items.length).toBeGreaterThan(0);
  });

  it('refuses a correction that makes a ceremony last 186 days or more, naming the time it moved; one stored longer keeps its other corrections', async () => {
    const id = fresh('cer');
    expect((await t.call('POST', '/ceremonies', { body: ceremony(id, { endsAt: '2021-08-25T18:00:00+08:00' }) })).status).toBe(201);
    const correct = (patch: object, version: number) => t.call('PATCH', `/ceremonies/${id}`, { body: { ...patch, reason: 'r' }, headers: { 'if-match': `"${version}"` } });
    const end = await correct({ endsAt: '2031-08-25T18:00:00+08:00' }, 1);
    expect([end.status, end.body.detail, end.body.errors]).toEqual([422,
      'A ceremony lasts less than 186 days (six months); this one would last 3,654: check the year of its end and start',
      [{ path: '/endsAt', message: 'must be less than 186 days after startsAt' }]]);
    const start = await correct({ startsAt: '2011-08-23T14:00:00+08:00' }, 1);
    expect([start.status, start.body.errors]).toEqual([422, [{ path: '/startsAt', message: 'must be less than 186 days before endsAt' }]]);
    expect((await t.call('GET', `/ceremonies/${id}`)).body).toMatchObject({ version: 1, endsAt: '2021-08-25T18:00:00+08:00' });
    // Stored before the rule, a ceremony of ten years: a correction of its title goes through.
    const { insertCeremony } = await import('#shared/store/directory.ts');
    const { hashOf } = await import('#shared/domain/canonical.ts');
    const old = fresh('cer');
    const body = ceremony(old, { endsAt: '2031-08-25T18:00:00+08:00' });
    const stamp = { createdAt: '2021-08-01T00:00:00.000Z', createdBy: 'local-staff', updatedAt: '2021-08-01T00:00:00.000Z', updatedBy: 'local-staff' };
    expect(await insertCeremony({ ...body, version: 1, ...stamp }, { requestHash: hashOf(body), requestToken: 'before-the-span-rule' })).toBe(true);
    expect((await t.call('PATCH', `/ceremonies/${old}`, { body: { title: 'Renamed', reason: 'r' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    // A correction made before the rule, its answer lost, sent again after: its replay, not a 412.
    const { getCeremonyStored, replaceCeremony } = await import('#shared/store/directory.ts');
    const { correctCeremony, correctionEntry, correctionOf } = await import('#shared/domain/ceremony.ts');
    const lost = fresh('cer');
    expect((await t.call('POST', '/ceremonies', { body: ceremony(lost) })).status).toBe(201);
    const found = (await getCeremonyStored(lost))!;
    const patch = { endsAt: '2031-08-25T18:00:00+08:00', reason: 'the whole decade' };
    const next = correctCeremony(found.record, patch, { at: new Date().toISOString(), actor: 'local-staff' })!;
    const entry = correctionEntry(next, correctionOf(found.record, next), patch.reason, found.seal!.head);
    expect(await replaceCeremony(next, 1, found, [entry], entry.hash!, 'made-before-the-rule')).toBe(true);
    const resent = await t.call('PATCH', `/ceremonies/${lost}`, { body: patch, headers: { 'if-match': '"1"' } });
    expect([resent.status, resent.headers.get('idempotent-replayed'), resent.body.version]).toEqual([200, 'true', 2]);
  });

  it('holds a ceremony stored before the time-zone rule only to what a correction changes, and replays its opening sent again', async () => {
    const { insertCeremony } = await import('#shared/store/directory.ts');
    const { hashOf } = await import('#shared/domain/canonical.ts');
    const id = fresh('cer');
    const body = ceremony(id, { timeZone: 'America/New_York' }); // written in +08:00: refused today
    const stamp = { createdAt: '2021-08-01T00:00:00.000Z', createdBy: 'local-staff', updatedAt: '2021-08-01T00:00:00.000Z', updatedBy: 'local-staff' };
    expect(await insertCeremony({ ...body, version: 1, ...stamp }, { requestHash: hashOf(body), requestToken: 'before-the-rule' })).toBe(true);
    // The same opening sent again is a replay of the record, not a 422 (its client would open another).
    const again = await t.call('POST', '/ceremonies', { body });
    expect([again.status, again.headers.get('idempotent-replayed'), again.body.timeZone]).toEqual([201, 'true', 'America/New_York']);
    const correct = (patch: object, version: number) => t.call('PATCH', `/ceremonies/${id}`, { body: { ...patch, reason: 'r' }, headers: { 'if-match': `"${version}"` } });
    // A correction that leaves the zone and the start alone goes through: removing the end, or setting it in the zone's offset.
    expect((await correct({ title: 'Renamed' }, 1)).status).toBe(200);
    expect((await correct({ endsAt: '2021-08-23T16:00:00-04:00' }, 2)).status).toBe(200);
    expect((await correct({ endsAt: null }, 3)).status).toBe(200);
    // A new start in the old offset is refused, naming only the start.
    const start = await correct({ startsAt: '2021-08-23T15:00:00+08:00' }, 4);
    expect([start.status, start.body.errors]).toEqual([422, [{ path: '/startsAt', message: 'must be written in America/New_York\'s offset then (UTC-04:00), or in UTC ("Z")' }]]);
  });

  it('says a well-formed time out of the years it takes is out of range, not malformed', async () => {
    const out = await t.call('POST', '/ceremonies', { body: ceremony(fresh('cer'), { startsAt: '9999-12-31T23:00:00-02:00' }) });
    expect([out.status, out.body.errors]).toEqual([400, [{ path: '/startsAt', message: 'must fall in the years 0000-9999 in UTC' }]]);
    for (const startsAt of ['2021-08-23T14:00:00', 'tomorrow']) {
      const malformed = await t.call('POST', '/ceremonies', { body: ceremony(fresh('cer'), { startsAt }) });
      expect(malformed.body.errors, startsAt).toEqual([{ path: '/startsAt', message: 'must be an ISO 8601 date-time with an offset, like "2021-08-23T10:30:00+08:00"' }]);
    }
  });

  it.each([
    ['asia/shanghai', 'Asia/Shanghai'],
    ['asia/kolkata', 'Asia/Kolkata'], // an alias to the runtime (Asia/Calcutta), a name to IANA: kept
    ['Europe/KYIV', 'Europe/Kyiv'],
    ['w-su', 'W-SU'],
    ['gmt+0', 'GMT+0'],
  ])('stores the time zone %s as IANA spells it: %s', async (given, stored) => {
    const r = await t.call('POST', '/ceremonies', { body: ceremony(fresh('cer'), { timeZone: given, startsAt: '2021-08-23T06:00:00Z' }) });
    expect([r.status, r.body.timeZone]).toEqual([201, stored]);
  });

  it('knows every time zone the runtime knows (its list is frozen: a newer tzdata needs it updated)', async () => {
    const { ianaTimeZone } = await import('#shared/domain/time-zones.ts');
    expect(Intl.supportedValuesOf('timeZone').filter((zone) => ianaTimeZone(zone) !== zone)).toEqual([]);
  });

  it('creating a ceremony id that another request took is 409', async () => {
    expectProblem(await t.call('POST', '/ceremonies', { body: ceremony(cer, { title: 'Another ceremony' }) }), 409, '/id');
  });
});

describe('agreement rules', () => {
  const two = ['ent-cn', 'ent-kz'];
  it.each([
    ['a valid agreement', agreement(two), 201, undefined],
    ['a Chinese title', agreement(two, { titleZh: 'SCO 数字经济合作协议' }), 201, undefined],
    ['a "Chinese" title with no Han character (the English one pasted twice)', agreement(two, { titleZh: 'Cooperation agreement' }), 400, '/titleZh'],
    ['one party only', agreement(['ent-cn']), 400, '/parties'],
    // Refused by the schema, before any party is looked up (none of these exists: a lookup would say 422).
    ['51 parties, one more than an agreement lists', agreement(Array.from({ length: 51 }, (_, i) => `party-${i}`)), 400, '/parties'],
    ['an unknown party', agreement(['ent-cn', 'ghost-party']), 422, '/parties/1/partyId'],
    ['the same party twice', agreement(['ent-cn', 'ent-cn']), 422, '/parties/1/partyId'],
    ['sister cities in different countries', agreement(['city-cq', 'city-al'], { kind: 'sister-city' }), 201, undefined],
    ['sister cities in the same country', agreement(['city-cq', 'city-sh'], { kind: 'sister-city' }), 422, '/parties'],
    ['a sister-city agreement with an enterprise', agreement(['city-cq', 'ent-kz'], { kind: 'sister-city' }), 422, '/parties'],
    ['a sister-city agreement of three cities', agreement(['city-cq', 'city-al', 'city-sh'], { kind: 'sister-city' }), 422, '/parties'],
    ['a value as a decimal string', agreement(two, { value: { amount: '1250000.50', currency: 'USD' } }), 201, undefined],
    ['a value as a float', agreement(two, { value: { amount: 1250000.5, currency: 'USD' } }), 400, '/value/amount'],
    ['a value of 18 digits before the point', agreement(two, { value: { amount: '9'.repeat(18), currency: 'USD' } }), 201, undefined],
    ['a value of 19 digits before the point', agreement(two, { value: { amount: '1'.padEnd(19, '0'), currency: 'USD' } }), 400, '/value/amount'],
    ['more decimals than the currency has', agreement(two, { value: { amount: '10.505', currency: 'USD' } }), 422, '/value/amount'],
    ['decimals on a zero-decimal currency', agreement(two, { value: { amount: '100.5', currency: 'JPY' } }), 422, '/value/amount'],
    ['an unknown currency', agreement(two, { value: { amount: '1', currency: 'ABC' } }), 400, '/value/currency'],
    ['a value in Special Drawing Rights, a unit of account with four decimals', agreement(two, { value: { amount: '1500000.2525', currency: 'XDR' } }), 201, undefined],
    ['a value in gold (a precious metal, not a currency)', agreement(two, { value: { amount: '1', currency: 'XAU' } }), 400, '/value/currency'],
    ['a signing time without offset', agreement(two, { signedAt: '2021-08-23T14:30:00' }), 400, '/signedAt'],
    ['no sectors', agreement(two, { sectors: [] }), 400, '/sectors'],
    ['an unknown sector', agreement(two, { sectors: ['mining'] }), 400, '/sectors/0'],
    ['a repeated sector', agreement(two, { sectors: ['trade', 'trade'] }), 400, '/sectors'],
    ['a 2000-character summary', agreement(two, { summary: 's'.repeat(2000) }), 201, undefined],
    ['a 2001-character summary', agreement(two, { summary: 's'.repeat(2001) }), 400, '/summary'],
    ['a summary in paragraphs', agreement(two, { summary: 'First.\n\n\tSecond.' }), 201, undefined],
    ['a summary with a control character', agreement(two, { summary: 'First.\u0007' }), 400, '/summary'],
    ['a signatory name with a tab', agreement(two, { parties: [{ partyId: 'ent-cn', signatory: { name: 'Li\tWei' } }, { partyId: 'ent-kz', signatory: { name: 'A' } }] }), 400, '/parties/0/signatory/name'],
    ['an attempt to set status', agreement(two, { status: 'voided' }), 400, '/status'],
    ['an attempt to set version', agreement(two, { version: 9 }), 400, '/version'],
    ['an unknown agreement kind', agreement(two, { kind: 'treaty' }), 400, '/kind'],
  ])('%s -> $2', async (_name, body, status, path) => {
    const key = uniqueKey('rule');
    const r = await logSigning(t, cer, body, key);
    if (status === 201) {
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.headers.get('etag')).toBe('"1"');
      expect(r.body).toMatchObject({ status: 'active', version: 1, ceremonyId: cer, code: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/) });
    } else {
      expectProblem(r, status, path);
      // A refused signing claims no code (the code it would have had stays free).
      const { agreementCode, deriveAgreementId } = await import('#shared/domain/ids.ts');
      const { getItem } = await import('#shared/store/operations.ts');
      const { codeKey } = await import('#shared/store/keys.ts');
      expect(await getItem(codeKey(agreementCode(deriveAgreementId(cer, key), 0)))).toBeUndefined();
    }
  });

  it('says what a rule across fields wants, after the field it names', async () => {
    const details = await Promise.all([
      agreement(['city-cq', 'ent-kz'], { kind: 'sister-city' }),
      agreement(['city-cq', 'city-sh'], { kind: 'sister-city' }),
      agreement(two, { value: { amount: '100.5', currency: 'JPY' } }),
    ].map(async (body) => (await logSigning(t, cer, body)).body.detail));
    expect(details).toEqual([
      '/parties must be two cities in a sister-city agreement',
      '/parties must be two cities in different countries in a sister-city agreement',
      '/value/amount must have at most 0 decimal places in JPY; got 1',
    ]);
  });

  it('takes a signing up to 24 hours ahead, not more', async () => {
    // A ceremony from yesterday to the day after tomorrow: the signing-day rule holds whatever the hour.
    const open = 'rules-open-now';
    await t.call('POST', '/ceremonies', { body: ceremony(open, { startsAt: inHours(-24), endsAt: inHours(72), timeZone: 'UTC' }) });
    expect((await logSigning(t, open, agreement(two, { signedAt: inHours(1) }))).status).toBe(201);
    expectProblem(await logSigning(t, open, agreement(two, { signedAt: inHours(48) })), 422, '/signedAt');
  });

  it.each([
    ['the morning of the ceremony\'s day', {}, '2021-08-23T09:00:00+08:00', undefined],
    ['the last minute of its day', {}, '2021-08-23T23:59:00+08:00', undefined],
    ['its day, written on another offset', {}, '2021-08-23T02:00:00-07:00', undefined],
    ['the next day by its clock, though the same day in UTC', {}, '2021-08-23T16:00:00Z', "must fall on the ceremony's day, 2021-08-23 (Asia/Shanghai); it falls on 2021-08-24 (UTC+08:00; logged in UTC)"],
    ['another year (a typing mistake)', {}, '2014-08-23T14:30:00+08:00', "must fall on the ceremony's day, 2021-08-23 (Asia/Shanghai); it falls on 2014-08-23"],
    ['the last day of a three-day ceremony', { endsAt: '2021-08-25T18:00:00+08:00' }, '2021-08-25T20:00:00+08:00', undefined],
    ['the day after a three-day ceremony', { endsAt: '2021-08-25T18:00:00+08:00' }, '2021-08-26T09:00:00+08:00', "must fall on the ceremony's days, 2021-08-23 to 2021-08-25 (Asia/Shanghai); it falls on 2021-08-26"],
    ['its day by the offset its start was written in (no time zone)', { startsAt: '2024-03-10T22:00:00-05:00', timeZone: undefined }, '2024-03-11T04:30:00Z', undefined],
    ['the next day by that offset', { startsAt: '2024-03-10T22:00:00-05:00', timeZone: undefined }, '2024-03-11T05:30:00Z', "must fall on the ceremony's day, 2024-03-10 (UTC-05:00); it falls on 2024-03-11 (logged in UTC)"],
    // Without a time zone a certificate prints a signing as logged: the rule reads its day the same way.
    ['its day as logged on another offset (no time zone)', { startsAt: '2024-03-10T22:00:00+08:00', timeZone: undefined }, '2024-03-10T20:00:00-05:00', undefined],
    ['the next day as logged on another offset (no time zone)', { startsAt: '2024-03-10T22:00:00-05:00', timeZone: undefined }, '2024-03-11T01:00:00+08:00', "must fall on the ceremony's day, 2024-03-10 (UTC-05:00); it falls on 2024-03-11 (UTC+08:00, as logged)"],
    ['the morning of a ceremony whose start is logged in UTC', { startsAt: '2021-08-23T02:00:00Z', timeZone: undefined }, '2021-08-23T07:30:00+08:00', undefined],
    // A start logged in UTC names no clock: it is read on the signing's, as the certificate prints both.
    ['a day well off a ceremony whose start is logged in UTC', { startsAt: '2021-08-23T02:00:00Z', timeZone: undefined }, '2021-08-25T07:30:00+08:00', "must fall on the ceremony's day, 2021-08-23 (UTC+08:00, the signing's clock: its times are logged in UTC); it falls on 2021-08-25"],
    ['the day after a ceremony logged in UTC ends, on the signing\'s clock', { startsAt: '2025-03-30T22:00:00Z', endsAt: '2025-04-01T10:00:00Z', timeZone: undefined }, '2025-04-02T00:30:00+08:00', "must fall on the ceremony's days, 2025-03-31 to 2025-04-01 (UTC+08:00, the signing's clock: its times are logged in UTC); it falls on 2025-04-02"],
    ['the evening before a ceremony logged in UTC opens, on the signing\'s clock', { startsAt: '2025-05-10T20:00:00Z', timeZone: undefined }, '2025-05-10T23:00:00+08:00', "must fall on the ceremony's day, 2025-05-11 (UTC+08:00, the signing's clock: its times are logged in UTC); it falls on 2025-05-10"],
    // A time logged in UTC beside one with an offset is read on that offset, the venue's.
    ['the end\'s day, an end logged in UTC read on the start\'s offset', { startsAt: '2021-08-23T09:00:00+08:00', endsAt: '2021-08-24T02:00:00Z', timeZone: undefined }, '2021-08-24T08:00:00-05:00', undefined],
    ['the next day, by its own clock, of a one-evening ceremony whose end is logged in UTC', { startsAt: '2024-03-10T20:00:00-05:00', endsAt: '2024-03-11T03:30:00Z', timeZone: undefined }, '2024-03-11T09:00:00+08:00', "must fall on the ceremony's day, 2024-03-10 (UTC-05:00); it falls on 2024-03-11 (UTC+08:00, as logged)"],
    ['another day at the edge of the calendar', { startsAt: '0000-01-01T02:00:00Z', timeZone: 'America/New_York' }, '0000-01-02T12:00:00Z', "must fall on the ceremony's day, -0001-12-31 (America/New_York); it falls on 0000-01-02 (UTC-04:56:02; logged in UTC)"],
  ])('a signing on %s -> %#', async (_name, times, signedAt, message) => {
    const id = `rules-day-${uniqueKey('c')}`.toLowerCase().slice(0, 60);
    expect((await t.call('POST', '/ceremonies', { body: ceremony(id, times) })).status).toBe(201);
    const r = await logSigning(t, id, agreement(two, { signedAt }));
    if (message === undefined) expect(r.status, JSON.stringify(r.body)).toBe(201);
    else expect([r.status, r.body.errors]).toEqual([422, [{ path: '/signedAt', message }]]);
  });

  it('holds an amendment to the signing day, and only an amendment that changes signedAt', async () => {
    const signed = await logSigning(t, cer, agreement(two, { title: 'Signing-day amendment' }));
    const moved = await t.call('PATCH', `/agreements/${signed.body.id}`, { body: { signedAt: '2021-08-24T10:00:00+08:00', reason: 'wrong day' }, headers: { 'if-match': '"1"' } });
    expect([moved.status, moved.body.errors]).toEqual([422, [{ path: '/signedAt', message: "must fall on the ceremony's day, 2021-08-23 (Asia/Shanghai); it falls on 2021-08-24" }]]);
    // A record from before the rule, dated off the ceremony's days, is still amendable in its other fields.
    const domain = await import('#shared/domain/agreement.ts');
    const before = { ...signed.body, signedAt: '2014-08-23T14:30:00+08:00' };
    const stamp = { at: new Date().toISOString(), actor: 'test' };
    const times = { startsAt: '2021-08-23T14:00:00+08:00', timeZone: 'Asia/Shanghai' };
    expect(domain.amendAgreement(before, 'h', { title: 'Fixed title', reason: 'typo' }, undefined, stamp, new Date(), times)?.agreement.title).toBe('Fixed title');
    expect(() => domain.amendAgreement(before, 'h', { signedAt: '2014-08-24T14:30:00+08:00', reason: 'still off' }, undefined, stamp, new Date(), times)).toThrow(/must fall on the ceremony's day/);
  });

  it('lists by signing time to the nanosecond, not to the millisecond that index keys hold', async () => {
    const titles = async (query: string) => (await t.call('GET', `/agreements?${query}`)).body.items.map((a: any) => a.title);
    const at = (fraction: string) => `2021-08-26T00:00:00${fraction}Z`;
    await t.call('POST', '/ceremonies', { body: { id: 'fine-cer', title: 'Fine', venue: 'V', city: 'Almaty', countryCode: 'KZ', startsAt: at('') } });
    for (const [title, fraction] of [['F0', ''], ['F4', '.0004']] as const) {
      expect((await logSigning(t, 'fine-cer', agreement(two, { title, signedAt: at(fraction) }), `fine-${title}`)).status).toBe(201);
    }
    expect(await titles(`ceremonyId=fine-cer&signedTo=${at('.0003')}`)).toEqual(['F0']);
    expect(await titles(`ceremonyId=fine-cer&signedFrom=${at('.0001')}`)).toEqual(['F4']);
    expect(await titles(`partyId=ent-kz&ceremonyId=fine-cer&signedFrom=${at('.0004')}&signedTo=${at('.000400000')}`)).toEqual(['F4']);
    // Within one millisecond, a reversed range is still a reversed range.
    const reversed = await t.call('GET', `/agreements?signedFrom=${at('.0004')}&signedTo=${at('.0003')}`);
    expect([reversed.status, reversed.body.errors?.[0]?.path]).toEqual([422, 'signedTo']);
  });

  it('says what type a field must be, in English ("an array", "a string")', async () => {
    const r = await logSigning(t, cer, agreement(two, { parties: 'ent-cn', title: 7 }));
    expect(r.body.errors).toEqual(expect.arrayContaining([{ path: '/parties', message: 'must be an array' }, { path: '/title', message: 'must be a string' }]));
  });

  it('refuses a signing whose certificate would print more distinct characters than one may embed, when it is logged', async () => {
    const han = (from: number) => Array.from({ length: 200 }, (_, i) => String.fromCodePoint(0x4e00 + from + i)).join('');
    const ids = Array.from({ length: 41 }, (_, i) => `han-${i}`);
    for (const [i, id] of ids.entries()) expect((await t.call('POST', '/parties', { body: party(id, { localName: han(i * 200), lang: 'zh-Hans' }) })).status).toBe(201);
    const r = await logSigning(t, cer, agreement(ids));
    expectProblem(r, 422, '');
    // It names no code: the signing was not logged, and its code is nobody's.
    expect(r.body.detail).toMatch(/^This signing's certificate would draw \d+ distinct characters, more than the 8000/);
    // 39 parties' names (7,800 Han characters and a few Latin ones) still pass.
    expect((await logSigning(t, cer, agreement(ids.slice(0, 39)))).status).toBe(201);
  });

  it('refuses a ceremony correction that would leave a signing a certificate it cannot print, and takes one that prints no new character', async () => {
    const han = (from: number, length = 200) => Array.from({ length }, (_, i) => String.fromCodePoint(0x4e00 + from + i)).join('');
    const ids = Array.from({ length: 39 }, (_, i) => `han-${i}`);
    for (const [i, id] of ids.entries()) expect([201, 409]).toContain((await t.call('POST', '/parties', { body: party(id, { localName: han(i * 200), lang: 'zh-Hans' }) })).status);
    expect((await t.call('POST', '/ceremonies', { body: ceremony('han-cer') })).status).toBe(201);
    expect((await logSigning(t, 'han-cer', agreement(ids))).status).toBe(201);
    const fix = (body: object, version: number) => t.call('PATCH', '/ceremonies/han-cer', { body, headers: { 'if-match': `"${version}"` } });
    const r = await fix({ title: han(9000, 300), reason: 'the title in Chinese' }, 1);
    expectProblem(r, 422, '');
    expect(r.body.detail).toMatch(/would draw \d+ distinct characters, more than the 8000/);
    expect((await t.call('GET', '/ceremonies/han-cer')).body.version).toBe(1);
    expect((await fix({ title: 'Ceremony', reason: 'shorter' }, 1)).status).toBe(200);
    // An amendment that drops those names leaves its first version, whose certificate still prints them.
    const [signed] = (await t.call('GET', '/agreements?ceremonyId=han-cer')).body.items;
    const amended = await t.call('PATCH', `/agreements/${signed.id}`, { body: { parties: agreement(ids.slice(0, 2)).parties, reason: 'two signed' }, headers: { 'if-match': '"1"' } });
    expect(amended.status).toBe(200);
    const again = await fix({ title: han(9000, 300), reason: 'the title in Chinese' }, 2);
    expectProblem(again, 422, '');
    expect(again.body.detail).toMatch(/would draw \d+ distinct characters, more than the 8000/);
  });

  it('names every missing party in a 422', async () => {
    const r = await logSigning(t, cer, agreement(['ghost-a', 'ent-cn', 'ghost-b']));
    expectProblem(r, 422, '/parties/0/partyId');
    expect(r.body.detail).toContain('ghost-a');
    expect(r.body.detail).toContain('ghost-b');
  });

  it.each([
    ['an existing ceremony', () => cer, 201],
    ['an unknown ceremony', () => 'no-such-ceremony', 404],
  ])('logging into %s -> $2', async (_name, ceremonyId, status) => {
    expect((await logSigning(t, ceremonyId(), agreement(two))).status).toBe(status);
  });

  it.each([
    ['with an Idempotency-Key', { 'idempotency-key': 'k-1' }, 201],
    ['without an Idempotency-Key', {}, 400],
  ])('logging %s -> $2', async (_name, headers, status) => {
    const r = await t.call('POST', `/ceremonies/${cer}/agreements`, { body: agreement(two, { title: `Key test ${status}` }), headers });
    expect(r.status).toBe(status);
    if (status === 400) expectProblem(r, 400, 'Idempotency-Key');
  });
});

describe('amendment rules', () => {
  async function signed(body = agreement(['ent-cn', 'ent-kz'])) {
    const r = await logSigning(t, cer, body);
    expect(r.status).toBe(201);
    return r.body as { id: string };
  }

  it.each([
    ['a title change with a reason', { title: 'Corrected title', reason: 'typo' }, 200, undefined],
    ['a change without a reason', { title: 'Corrected title' }, 400, '/reason'],
    ['a reason of 1,000 characters', { title: 'Corrected title', reason: 'r'.repeat(1000) }, 200, undefined],
    ['a reason of 1,001 characters', { title: 'Corrected title', reason: 'r'.repeat(1001) }, 400, '/reason'],
    ['a reason alone', { reason: 'nothing' }, 400, ''],
    ['removing an optional field with null', { summary: null, reason: 'not public' }, 200, undefined],
    ['a change of status', { status: 'voided', reason: 'x' }, 400, '/status'],
    ['a change of code', { code: 'AAAA-BBBB', reason: 'x' }, 400, '/code'],
    ['turning an agreement between enterprises into a sister-city one', { kind: 'sister-city', reason: 'x' }, 422, '/parties'],
  ])('%s -> $2', async (_name, body, status, path) => {
    const { id } = await signed(agreement(['ent-cn', 'ent-kz'], { summary: 'To remove' }));
    const r = await t.call('PATCH', `/agreements/${id}`, { body, headers: { 'if-match': '"1"' } });
    if (status === 200) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.version).toBe(2);
      expect(r.headers.get('etag')).toBe('"2"');
    } else expectProblem(r, status, path);
  });

  const namesNone = 'The agreement is at version 1, and If-Match names no version of it (send the ETag you received, like "1")';
  it.each([
    ['missing', undefined, 428, 'Send If-Match with the ETag of the agreement version you are changing'],
    ['stale', '"5"', 412, 'The agreement is at version 1, not 5'],
    ['weak, even if current (If-Match compares strongly)', 'W/"1"', 412, namesNone],
    ['with a leading zero, even if current (another tag)', '"01"', 412, namesNone],
    ['a list without the current tag', '"5", W/"1","7"', 412, 'The agreement is at version 1, not 5 or 7'],
    ['a list with the current tag (RFC 9110: any may match)', '"5", "1"', 200, undefined],
    ['a list with empty elements and the current tag', ', "5",, "1" ,', 200, undefined],
    ['a list naming one stale version twice', '"5", "5"', 412, 'The agreement is at version 1, not 5'],
    ['a wildcard, which would change whatever version is current', '*', 400, 'If-Match: * would change whatever version is current: send the ETag of the version you are changing, like "3"'],
    ['not an entity-tag', '1', 400, 'If-Match must be the ETag you received, like "3"'],
    ['a list with a bare word in it', '"1", 2', 400, 'If-Match must be the ETag you received, like "3"'],
  ])('If-Match %s -> $2', async (_name, ifMatch, status, detail) => {
    const { id } = await signed();
    const r = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'New', reason: 'fix' }, headers: ifMatch ? { 'if-match': ifMatch } : {} });
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    if (status === 200) return void expect([r.body.version, r.body.title]).toEqual([2, 'New']);
    expect(r.body.errors).toEqual([{ path: 'If-Match', message: expect.any(String) }]); // every refusal names the header
    expect(r.body.detail).toBe(detail);
    expect((await t.call('GET', `/agreements/${id}`)).body.version).toBe(1);
  });

  it.each([
    ['an active agreement', false, 200],
    ['a voided agreement', true, 409],
  ])('amending %s -> $2', async (_name, voided, status) => {
    const { id } = await signed();
    let version = 1;
    if (voided) {
      const v = await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'signed in error' }, headers: { 'if-match': '"1"' } });
      expect(v.body).toMatchObject({ status: 'voided', version: 2 });
      version = 2;
    }
    const r = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'New', reason: 'fix' }, headers: { 'if-match': `"${version}"` } });
    expect(r.status).toBe(status);
    if (voided) {
      const again = await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'twice' }, headers: { 'if-match': '"2"' } });
      expectProblem(again, 409);
    }
  });

  it('voiding needs a reason', async () => {
    const { id } = await signed();
    expectProblem(await t.call('POST', `/agreements/${id}/void`, { body: {}, headers: { 'if-match': '"1"' } }), 400, '/reason');
  });

  it('voiding takes a reason and nothing else: another field is a 400, and nothing is voided', async () => {
    const { id } = await signed();
    expectProblem(await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'signed in error', status: 'active' }, headers: { 'if-match': '"1"' } }), 400, '/status');
    expect((await t.call('GET', `/agreements/${id}`)).body).toMatchObject({ status: 'active', version: 1 });
  });

  it('a reason may run over several lines, but holds no control characters', async () => {
    const { id } = await signed();
    expectProblem(await t.call('PATCH', `/agreements/${id}`, { body: { title: 'New', reason: 'typo\u001b[2J' }, headers: { 'if-match': '"1"' } }), 400, '/reason');
    const r = await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'Signed twice.\nSee ceremony log, line 12.' }, headers: { 'if-match': '"1"' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it('an amendment that changes nothing keeps the version', async () => {
    const { id } = await signed();
    const r = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Cooperation agreement', reason: 'no-op' }, headers: { 'if-match': '"1"' } });
    expect(r.status).toBe(200);
    expect(r.body.version).toBe(1);
  });

  it('a rename of a party never changes what it signed', async () => {
    const id = fresh('renamed');
    await t.call('POST', '/parties', { body: party(id, { name: 'Old Name', localName: '旧名' }) });
    const r = await logSigning(t, cer, agreement([id, 'ent-kz']), uniqueKey());
    await t.call('PATCH', `/parties/${id}`, { body: { name: 'New Name', localName: '新名' }, headers: { 'if-match': '"1"' } });
    const after = await t.call('GET', `/agreements/${r.body.id}`);
    expect(after.body.parties[0]).toMatchObject({ partyId: id, name: 'Old Name', localName: '旧名' });
  });
});
