/** Listing agreements and parties: every filter, newest signing first, cursors that cannot be forged. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreement, logSigning, party, setup } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;

const SIGNINGS = [
  { title: 'L1', parties: ['lis-cn', 'lis-kz'], sectors: ['trade'], signedAt: '2021-08-23T09:00:00+08:00' },
  { title: 'L2', parties: ['lis-cn', 'lis-uz'], sectors: ['e-commerce', 'trade'], signedAt: '2021-08-23T10:00:00+08:00' },
  { title: 'L3', parties: ['lis-kz', 'lis-uz'], sectors: ['culture'], signedAt: '2021-08-24T10:00:00+08:00' },
  { title: 'L4', parties: ['lis-cn', 'lis-org'], sectors: ['education'], signedAt: '2021-08-25T01:00:00+08:00' },
  { title: 'L5', parties: ['lis-kz', 'lis-org'], sectors: ['trade'], signedAt: '2021-08-25T12:00:00+08:00', other: true },
];

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [party('lis-cn'), party('lis-kz', { countryCode: 'KZ' }), party('lis-uz', { countryCode: 'UZ' }), party('lis-org', { kind: 'organization', countryCode: undefined })], 'lis-cer', { endsAt: '2021-08-25T18:00:00+08:00' });
  await t.call('POST', '/ceremonies', { body: { id: 'lis-other', title: 'Other', venue: 'V', city: 'Almaty', countryCode: 'KZ', startsAt: '2021-08-25T10:00:00+06:00' } });
  for (const s of SIGNINGS) {
    const r = await logSigning(t, s.other ? 'lis-other' : cer, agreement(s.parties, { title: s.title, sectors: s.sectors, signedAt: s.signedAt }), `lis-${s.title}`);
    expect(r.status).toBe(201);
  }
  const l3 = (await t.call('GET', '/agreements?partyId=lis-uz&sector=culture')).body.items[0];
  await t.call('POST', `/agreements/${l3.id}/void`, { body: { reason: 'test' }, headers: { 'if-match': '"1"' } });
});
afterAll(() => t.close());

const titles = async (query: string, token?: string) => {
  const r = await t.call('GET', `/agreements?${query}`, token ? { token } : {});
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.items.map((a: any) => a.title);
};

describe('agreement filters (newest signing first)', () => {
  it.each([
    ['all', '', ['L5', 'L4', 'L3', 'L2', 'L1']],
    ['a ceremony', 'ceremonyId=lis-cer', ['L4', 'L3', 'L2', 'L1']],
    ['another ceremony', 'ceremonyId=lis-other', ['L5']],
    ['a party', 'partyId=lis-kz', ['L5', 'L3', 'L1']],
    ['a country', 'country=UZ', ['L3', 'L2']],
    ['a country in lower case', 'country=uz', ['L3', 'L2']],
    ['a sector', 'sector=trade', ['L5', 'L2', 'L1']],
    ['a status', 'status=voided', ['L3']],
    ['active only', 'status=active&partyId=lis-uz', ['L2']],
    ['a signing day (UTC)', 'signedFrom=2021-08-23&signedTo=2021-08-23', ['L2', 'L1']],
    ['a time range with offsets', 'signedFrom=2021-08-24T00:00:00%2B08:00&signedTo=2021-08-25T01:00:00%2B08:00', ['L4', 'L3']],
    ['party and sector together', 'partyId=lis-cn&sector=trade', ['L2', 'L1']],
    ['country and ceremony together', 'country=KZ&ceremonyId=lis-cer', ['L3', 'L1']],
    ['nothing that matches', 'partyId=lis-org&sector=culture', []],
  ])('by %s', async (_name, query, expected) => {
    expect(await titles(query)).toEqual(expected);
  });

  it('says a ceremonyId or partyId that names nothing is an id typed wrong, rather than list no agreements', async () => {
    const typo = await t.call('GET', '/agreements?ceremonyId=lis-cerr');
    expect([typo.status, typo.body.errors]).toEqual([422, [{ path: 'ceremonyId', message: 'names no ceremony' }]]);
    const both = await t.call('GET', '/agreements?ceremonyId=lis-cerr&partyId=lis-ghost&status=voided');
    expect([both.status, both.body.errors.map((e: { path: string }) => e.path)]).toEqual([422, ['ceremonyId', 'partyId']]);
    // A ceremony that exists and has nothing that matches: an empty list, as before.
    expect(await titles('ceremonyId=lis-other&status=voided')).toEqual([]);
    // Partners may not read ceremonies: their list does not tell them which exist.
    expect((await t.call('GET', '/agreements?ceremonyId=lis-cerr', { token: t.tokens.partner('lis-kz') })).status).toBe(200);
  });

  it('folds only ASCII letters of a country: ß, the dotless ı and ligatures are not codes (Unicode would read SS, IN, FI)', async () => {
    for (const country of ['ß', 'ın', 'ﬁ', 'ＵＺ']) {
      const r = await t.call('GET', `/agreements?country=${encodeURIComponent(country)}`);
      expect([r.status, r.body.errors?.[0]?.path], country).toEqual([400, 'country']);
      expect((await t.call('GET', `/parties?country=${encodeURIComponent(country)}`)).status, country).toBe(400);
    }
    // A filter takes either case: its 400 does not ask for capitals.
    expect((await t.call('GET', '/agreements?country=r')).body.errors).toEqual([{ path: 'country', message: 'must be an ISO 3166-1 alpha-2 code of two letters, like "CN" or "cn"' }]);
  });

  it('a partner sees only their party, whatever else they filter on', async () => {
    expect(await titles('', t.tokens.partner('lis-uz'))).toEqual(['L3', 'L2']);
    expect(await titles('sector=trade', t.tokens.partner('lis-uz'))).toEqual(['L2']);
    expect(await titles('partyId=lis-uz', t.tokens.partner('lis-uz'))).toEqual(['L3', 'L2']);
    expect((await t.call('GET', '/agreements?partyId=lis-cn', { token: t.tokens.partner('lis-uz') })).status).toBe(403);
  });
});

describe('pagination', () => {
  async function walk(query: string, limit: number) {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const r: any = await t.call('GET', `/agreements?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      pages.push(r.body.items.map((a: any) => a.title));
      cursor = r.body.nextCursor;
    } while (cursor && pages.length < 10);
    return pages;
  }

  it.each([
    ['all', '', 2, [['L5', 'L4'], ['L3', 'L2'], ['L1']]],
    ['a party (links)', 'partyId=lis-cn', 2, [['L4', 'L2'], ['L1']]],
    ['a filtered ceremony', 'ceremonyId=lis-cer&sector=trade', 1, [['L2'], ['L1']]],
    ['an exact fit', 'country=UZ', 2, [['L3', 'L2']]],
  ])('walks %s without gaps or repeats', async (_name, query, limit, pages) => {
    expect(await walk(query, limit)).toEqual(pages);
  });

  it('walks parties by kind and country', async () => {
    const r = await t.call('GET', '/parties?kind=enterprise&country=KZ');
    expect(r.body.items.map((p: any) => p.id)).toEqual(['lis-kz']);
    const first = await t.call('GET', '/parties?limit=2');
    const second = await t.call('GET', `/parties?limit=2&cursor=${first.body.nextCursor}`);
    expect(first.body.items.map((p: any) => p.id)).toEqual(['lis-cn', 'lis-kz']);
    expect(second.body.items.map((p: any) => p.id)).toEqual(['lis-org', 'lis-uz']);
    expect((await t.call('GET', '/parties?kind=organization')).body.items.map((p: any) => p.id)).toEqual(['lis-org']);
    expect((await t.call('GET', '/parties?country=UZ')).body.items.map((p: any) => p.id)).toEqual(['lis-uz']);
  });

  it('lists parties in the documented orders: by id; of a kind, by country then id (no country last); of a country, by kind then id', async () => {
    for (const p of [party('lis-z-city', { kind: 'city', countryCode: 'KZ' }), party('lis-org-kz', { kind: 'organization', countryCode: 'KZ' }), party('lis-org-cn', { kind: 'organization', countryCode: 'CN' })]) {
      expect((await t.call('POST', '/parties', { body: p })).status).toBe(201);
    }
    const ids = async (query: string) => (await t.call('GET', `/parties?${query}`)).body.items.map((p: any) => p.id);
    expect(await ids('kind=organization')).toEqual(['lis-org-cn', 'lis-org-kz', 'lis-org']);
    expect(await ids('country=KZ')).toEqual(['lis-z-city', 'lis-kz', 'lis-org-kz']);
    expect(await ids('limit=100')).toEqual(['lis-cn', 'lis-kz', 'lis-org', 'lis-org-cn', 'lis-org-kz', 'lis-uz', 'lis-z-city']);
  });

  it('lists ceremonies newest first', async () => {
    const r = await t.call('GET', '/ceremonies');
    expect(r.body.items.map((c: any) => c.id)).toEqual(['lis-other', 'lis-cer']);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    // The readable format of before, position and MAC in JSON: no longer taken.
    ['in the old readable format', Buffer.from(JSON.stringify({ v: 1, p: 'PARTY#x', d: '0000000000000000', m: 'A'.repeat(22) })).toString('base64url')],
    ['the format byte alone', Buffer.of(2).toString('base64url')],
    ['as short as a nonce and a tag', Buffer.concat([Buffer.of(2), Buffer.alloc(28)]).toString('base64url')],
  ])('rejects a cursor that is %s with 400', async (_name, cursor) => {
    const r = await t.call('GET', `/agreements?cursor=${cursor}`);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('rejects a cursor with anything added to it, which base64url decoding would skip', async () => {
    const { nextCursor } = (await t.call('GET', '/agreements?partyId=lis-cn&limit=1')).body;
    expect((await t.call('GET', `/agreements?partyId=lis-cn&limit=1&cursor=${nextCursor}`)).status).toBe(200);
    // Whatever the cursor's length, one of these decodes to the same bytes (the last character's spare bits, padding).
    for (const edited of [`${nextCursor}x`, `${nextCursor}%3D`, `${nextCursor}xx`, `${nextCursor}%3D%3D`]) {
      const r = await t.call('GET', `/agreements?partyId=lis-cn&limit=1&cursor=${edited}`);
      expect([r.status, r.body.errors?.[0]?.path], edited).toEqual([400, 'cursor']);
    }
  });

  it('rejects a cursor reused with other filters, and one with any byte changed', async () => {
    const first = await t.call('GET', '/agreements?partyId=lis-cn&limit=1');
    expect((await t.call('GET', `/agreements?partyId=lis-kz&limit=1&cursor=${first.body.nextCursor}`)).status).toBe(400);
    expect((await t.call('GET', `/agreements?partyId=lis-cn&limit=1&status=voided&cursor=${first.body.nextCursor}`)).status).toBe(400);
    // Each byte in turn: the format, the nonce, the sealed position and the tag.
    const bytes = Buffer.from(first.body.nextCursor, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const edited = Buffer.from(bytes);
      edited[i]! ^= 0x01;
      const r = await t.call('GET', `/agreements?partyId=lis-cn&limit=1&cursor=${edited.toString('base64url')}`);
      expect([r.status, r.body.errors?.[0]?.path], `byte ${i}`).toEqual([400, 'cursor']);
    }
    expect((await t.call('GET', `/agreements?partyId=lis-cn&limit=1&cursor=${first.body.nextCursor}`)).status).toBe(200);
  });

  it('rejects a party list\'s cursor reused with other filters', async () => {
    const first = await t.call('GET', '/parties?kind=enterprise&limit=1');
    expect(first.body.nextCursor).toEqual(expect.any(String));
    // Another kind: a position of the same shape, in another partition.
    for (const query of ['kind=organization', 'kind=state', '']) {
      const r = await t.call('GET', `/parties?${query}&limit=1&cursor=${first.body.nextCursor}`);
      expect([r.status, r.body.errors?.[0]?.path], query).toEqual([400, 'cursor']);
    }
    expect((await t.call('GET', `/parties?kind=enterprise&limit=1&cursor=${first.body.nextCursor}`)).status).toBe(200);
  });

  it('hands out cursors that read as nothing, the same for the same page', async () => {
    // A page can stop on an entry it examined and did not show: its position names an agreement and
    // its signing time, which the caller (a partner, say) may not see. It was readable JSON.
    const all = (await t.call('GET', '/agreements?partyId=lis-cn&limit=100')).body.items;
    const first = await t.call('GET', '/agreements?partyId=lis-cn&limit=1');
    const text = Buffer.from(first.body.nextCursor, 'base64url').toString('latin1');
    expect(text).not.toMatch(/SIGNED|lis-|ag-|\d{4}-\d{2}-\d{2}/);
    for (const a of all) expect(text).not.toContain(a.id);
    expect((await t.call('GET', '/agreements?partyId=lis-cn&limit=1')).body.nextCursor).toBe(first.body.nextCursor);
  });

  it.each([['0'], ['101'], ['ten'], ['1.5']])('rejects limit=%s with 400 naming limit', async (limit) => {
    const r = await t.call('GET', `/agreements?limit=${limit}`);
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe('limit');
  });

  it.each([
    ['dates', 'signedFrom=2021-08-25&signedTo=2021-08-23'],
    ['date-times', 'signedFrom=2021-08-25T00:00:00%2B08:00&signedTo=2021-08-24T00:00:00%2B08:00'],
    ['dates, for a party', 'partyId=lis-cn&signedFrom=2021-08-25&signedTo=2021-08-23'],
  ])('a range that ends before it starts (%s) is a 422 naming signedTo, not a 5xx', async (_name, query) => {
    const r = await t.call('GET', `/agreements?${query}`);
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ path: 'signedTo', message: expect.any(String) }]);
  });

  it.each([['unknown filter', 'partyid=lis-cn', 'partyid'], ['bad status', 'status=draft', 'status'], ['bad date', 'signedFrom=23-08-2021', 'signedFrom']])(
    'rejects an %s with 400', async (_name, query, path) => {
      const r = await t.call('GET', `/agreements?${query}`);
      expect(r.status).toBe(400);
      expect(r.body.errors[0].path).toBe(path);
    },
  );

  it.each([
    ['a filter sent twice', 'country=CN&country=RU', 'country', 'takes one value: it was sent more than once, or holds a comma'],
    ['a status sent twice', 'status=active&status=voided', 'status', 'takes one value: it was sent more than once, or holds a comma'],
    ['an offset\'s "+" sent bare (a space)', 'signedFrom=2021-08-24T00:00:00+08:00', 'signedFrom', 'has a space where its offset\'s "+" should be: send "+" as %2B in a query string'],
    ['a date that is no day', 'signedFrom=2021-02-30', 'signedFrom', 'must be a date like "2021-08-23" or a date-time with an offset, in the years 0000-9999 UTC'],
    ['a cursor far longer than any the registry gives out', `cursor=${'A'.repeat(8000)}`, 'cursor', 'is not a cursor this query returned'],
  ])('says what is wrong with %s', async (_name, query, path, message) => {
    const r = await t.call('GET', `/agreements?${query}`);
    expect([r.status, r.body.errors]).toEqual([400, [{ path, message }]]);
  });

  it('takes a known filter sent empty (a form\'s blank field) as not sent, and still refuses an unknown one', async () => {
    const all = await t.call('GET', `/agreements?ceremonyId=${cer}`);
    const blanks = await t.call('GET', `/agreements?ceremonyId=${cer}&country=&sector=&status=&signedFrom=&signedTo=&limit=&cursor=`);
    expect([blanks.status, blanks.body]).toEqual([200, all.body]);
    const unknown = await t.call('GET', `/agreements?ceremonyId=${cer}&colour=`);
    expect([unknown.status, unknown.body.errors]).toEqual([400, [{ path: 'colour', message: 'is not a known field' }]]);
  });
});

describe('a page of large records', () => {
  it('stops short of the limit rather than outgrow a Lambda answer (6 MB), and the cursor goes on from there', async () => {
    const { collectPage, PAGE_BYTES } = await import('#shared/store/paging.ts');
    // Ten records of a megabyte each, in a fake partition: four fit in a page, whatever the limit.
    const records = Array.from({ length: 10 }, (_, i) => ({ id: `big-${i}`, text: 'x'.repeat(1_000_000) }));
    const source = {
      holds: (p: string) => /^big-\d$/.test(p),
      async read(after: string | undefined, max: number) {
        const from = after === undefined ? 0 : records.findIndex((r) => r.id === after) + 1;
        const slice = records.slice(from, from + max);
        return { candidates: slice.map((r) => ({ pos: r.id, item: r })), done: from + max >= records.length };
      },
    };
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await collectPage(source, { limit: 100, digest: 'big-records-0001', ...(cursor && { cursor }) });
      expect(Buffer.byteLength(JSON.stringify(page.items))).toBeLessThanOrEqual(PAGE_BYTES + 100);
      pages.push(page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 2]);
    expect(pages.flat()).toEqual(records.map((r) => r.id));
  });

  it('holds one record however large', async () => {
    const { collectPage, PAGE_BYTES } = await import('#shared/store/paging.ts');
    const huge = { id: 'huge', text: 'x'.repeat(PAGE_BYTES + 1) };
    const page = await collectPage({ holds: () => true, read: async () => ({ candidates: [{ pos: 'huge', item: huge }], done: true }) }, { limit: 5, digest: 'huge-record-0001' });
    expect([page.items.length, page.nextCursor]).toEqual([1, null]);
  });
});

describe('the reads a page takes', () => {
  /** A source of `count` records (r-000 ...), with `match` as `matches` says, that notes how many each read asked for. */
  const askedSource = (count: number, matches: (i: number) => boolean) => {
    const records = Array.from({ length: count }, (_, i) => ({ id: `r-${String(i).padStart(3, '0')}`, match: matches(i) }));
    const asked: number[] = [];
    const source = {
      holds: (p: string) => /^r-\d{3}$/.test(p),
      async read(after: string | undefined, max: number) {
        asked.push(max);
        const from = after === undefined ? 0 : records.findIndex((r) => r.id === after) + 1;
        return { candidates: records.slice(from, from + max).map((r) => ({ pos: r.id, item: r })), done: from + max >= records.length };
      },
    };
    return { source, asked };
  };

  it('reads more at a time the more the filter passes over, not the few still missing', async () => {
    const { collectPage } = await import('#shared/store/paging.ts');
    // Forty entries, two of which match, the newest and the oldest: the page of two had to ask
    // for three, then two at a time, twenty round trips in all.
    const { source, asked } = askedSource(40, (i) => i === 0 || i === 39);
    const page = await collectPage(source, { limit: 2, digest: 'narrow-filter-01', accept: (r) => r.match });
    expect([page.items.map((r) => r.id), page.nextCursor]).toEqual([['r-000', 'r-039'], null]);
    // One of three matched: twice what that rate says the two lacking take (12), then 60 (one of 15).
    expect(asked).toEqual([3, 12, 60]);
    // Everything shown so far: only what the page lacks (a page of all the records asks for limit + 1).
    asked.length = 0;
    expect((await collectPage(source, { limit: 5, digest: 'narrow-filter-02' })).items).toHaveLength(5);
    expect(asked).toEqual([6]);
  });

  it('reads a few more for a common filter\'s last results, not a hundred records the next page reads again', async () => {
    const { collectPage } = await import('#shared/store/paging.ts');
    // Every tenth fails the filter (a partner's agreements, some voided): the first read of 26 holds
    // 24 matches, and the two lacking were a read of 100 (74 of them read again by the next page).
    const { source, asked } = askedSource(200, (i) => i % 10 !== 9);
    const digest = 'common-filter-01';
    const first = await collectPage(source, { limit: 25, digest, accept: (r) => r.match });
    expect([first.items.length, first.items.at(-1)!.id]).toEqual([25, 'r-026']);
    expect(asked).toEqual([26, 10]);
    // The next page goes on after the last shown: nothing skipped, nothing shown twice.
    asked.length = 0;
    const next = await collectPage(source, { limit: 25, digest, cursor: first.nextCursor!, accept: (r) => r.match });
    expect(next.items[0]!.id).toBe('r-027');
    expect(asked[0]).toBe(26);
  });

  it('reads no more records than the page lacks at the rate they pass, from a source the table filters too (a link passes the table, its agreement the listing not)', async () => {
    const { collectPage } = await import('#shared/store/paging.ts');
    // Links of a party's agreements, every tenth voided: each carries `active` (a link keeps every
    // status its agreement had), so the table passes all of them on, and the listing refuses the voided.
    const records = Array.from({ length: 200 }, (_, i) => ({ id: `r-${String(i).padStart(3, '0')}`, match: i % 10 !== 9 }));
    const read: number[] = [];
    const source = {
      holds: (p: string) => /^r-\d{3}$/.test(p),
      filteredBatch: 500,
      async read(after: string | undefined, max: number, reads = max) {
        const from = after === undefined ? 0 : records.findIndex((r) => r.id === after) + 1;
        const batch = records.slice(from, from + Math.min(max, reads));
        read.push(batch.length);
        const done = from + max >= records.length && batch.length === Math.min(max, records.length - from);
        return { candidates: batch.map((r) => ({ pos: r.id, item: r })), done, passed: { count: 0, to: undefined } };
      },
    };
    const page = await collectPage(source, { limit: 25, digest: 'link-reads-0001', accept: (r) => r.match });
    expect([page.items.length, page.items.at(-1)!.id]).toEqual([25, 'r-026']);
    // 26, then 10 (at least MIN_BATCH): the read of 100 it looks at returns no more than that.
    expect(read).toEqual([26, 10]);
  });

  it('has the table filter status and sector as it reads, so a rare one\'s first page is not empty behind 700 newer signings of another', async () => {
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const { putItem, deleteItem } = await import('./support/history-items.ts');
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementIndexKeys, agreementKey } = await import('#shared/store/keys.ts');
    // 700 signings newer than the fixture's, in force, of a sector no filter asks for (copies of L4's
    // record, in the index only): more than a page reads records of.
    const l4 = (await t.call('GET', '/agreements?sector=education')).body.items[0];
    const { data } = (await getItem(agreementKey(l4.id)))! as { data: Record<string, unknown> };
    const newer = Array.from({ length: 700 }, (_, i) => {
      const id = `ag-newer${String(i).padStart(10, '0')}`;
      const at = `2035-01-01T00:00:00.${String(i).padStart(3, '0')}Z`;
      return { ...agreementKey(id), ...agreementIndexKeys('lis-cer', `${at}#${id}`), type: 'agreement', data: { ...data, id, signedAt: at, status: 'active', sectors: ['smart-tourism'] } };
    });
    for (let i = 0; i < newer.length; i += 50) await Promise.all(newer.slice(i, i + 50).map(putItem));
    try {
      const calls: string[] = [];
      const count = ({ command }: { command: string }) => void calls.push(command);
      for (const [query, expected] of [
        ['status=voided', ['L3']], ['sector=culture', ['L3']], ['status=voided&sector=culture', ['L3']], ['ceremonyId=lis-cer&status=voided', ['L3']],
        ['sector=trade', ['L5', 'L2', 'L1']], ['status=active&sector=culture', []], ['ceremonyId=lis-cer&sector=trade', ['L2', 'L1']],
      ] as const) {
        calls.length = 0;
        const page = await watchingCalls(count, () => t.call('GET', `/agreements?${query}`));
        expect([page.status, page.body.items.map((a: any) => a.title), page.body.nextCursor], query).toEqual([200, expected, null]);
        // Queries alone (no record read but the index's own): the page's 26 first, then up to 500
        // entries at once, since none of those 26 passed.
        expect(calls.every((c) => c === 'QueryCommand') && calls.length <= 3, `${query}: ${calls.join()}`).toBe(true);
      }
    } finally {
      for (let i = 0; i < newer.length; i += 50) await Promise.all(newer.slice(i, i + 50).map(deleteItem));
    }
  });

  it('has the table pass over a party\'s and a country\'s links whose statuses or sectors cannot match: a rare one\'s first page is not empty behind 700 newer links', async () => {
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const { putItem, deleteItem } = await import('./support/history-items.ts');
    const { getItem } = await import('#shared/store/operations.ts');
    const { countryLinkPk, linkKey, partyLinkPk } = await import('#shared/store/keys.ts');
    const { signedKey } = await import('#shared/domain/agreement.ts');
    // 700 links newer than the fixture's, of lis-kz and of KZ, to agreements in force of a sector no
    // filter asks for (pointing at nothing: a record read for one shows as a key in a batch read).
    const newer = [partyLinkPk('lis-kz'), countryLinkPk('KZ')].flatMap((pk) => Array.from({ length: 700 }, (_, i) => {
      const id = `ag-newer${String(i).padStart(10, '0')}`;
      return { ...linkKey(pk, `2035-01-01T00:00:00.${String(i).padStart(3, '0')}Z#${id}`), type: 'link', agreementId: id, version: 1, statuses: new Set(['active']), sectors: new Set(['smart-tourism']) };
    }));
    // L1's link of lis-kz as written before links carried statuses and sectors: it passes every filter.
    const l1 = (await t.call('GET', '/agreements?partyId=lis-kz&sector=trade')).body.items.at(-1);
    const l1Link = (await getItem(linkKey(partyLinkPk('lis-kz'), signedKey(l1))))!;
    expect([l1.title, l1Link.statuses, l1Link.sectors]).toEqual(['L1', new Set(['active']), new Set(['trade'])]);
    const { statuses: _s, sectors: _t, ...older } = l1Link;
    await putItem(older);
    for (let i = 0; i < newer.length; i += 50) await Promise.all(newer.slice(i, i + 50).map(putItem));
    try {
      let recordsRead = 0;
      const count = ({ command, input }: { command: string; input: Record<string, any> }) => {
        if (command === 'BatchGetItemCommand') recordsRead += Object.values(input.RequestItems as Record<string, { Keys: unknown[] }>).reduce((n, r) => n + r.Keys.length, 0);
      };
      for (const [query, expected, read] of [
        ['partyId=lis-kz&status=voided', ['L3'], 2], ['partyId=lis-kz&sector=culture', ['L3'], 2], ['country=KZ&sector=culture', ['L3'], 1],
        ['country=KZ&status=voided&sector=culture', ['L3'], 1], ['partyId=lis-kz&sector=trade', ['L5', 'L1'], 2], ['partyId=lis-kz&status=active&sector=culture', [], 2],
        ['partyId=lis-kz&ceremonyId=lis-cer&status=voided', ['L3'], 2],
      ] as const) {
        recordsRead = 0;
        const page = await watchingCalls(count, () => t.call('GET', `/agreements?${query}`));
        expect([page.status, page.body.items.map((a: any) => a.title), page.body.nextCursor], query).toEqual([200, expected, null]);
        // The records of the links that pass (L1's of lis-kz, which passes all, and the matches; L3's,
        // voided, carries `active` too), none of the 700.
        expect(recordsRead, query).toBe(read);
      }
    } finally {
      for (let i = 0; i < newer.length; i += 50) await Promise.all(newer.slice(i, i + 50).map(deleteItem));
      await putItem(l1Link);
    }
  });

  it('adds to an agreement\'s links the statuses and sectors its amendments and void bring, so their filtered lists find it', async () => {
    const { getItem } = await import('#shared/store/operations.ts');
    const { countryLinkPk, linkKey, partyLinkPk } = await import('#shared/store/keys.ts');
    const { signedKey } = await import('#shared/domain/agreement.ts');
    for (const p of [party('lis-grow-a', { countryCode: 'TJ' }), party('lis-grow-b', { countryCode: 'TJ' })]) expect((await t.call('POST', '/parties', { body: p })).status).toBe(201);
    const made = (await logSigning(t, cer, agreement(['lis-grow-a', 'lis-grow-b'], { title: 'Grows', sectors: ['trade'], signedAt: '2021-08-24T12:00:00+08:00' }))).body;
    const linksOf = async () => Promise.all([partyLinkPk('lis-grow-a'), countryLinkPk('TJ')].map(async (pk) => {
      const { statuses, sectors } = (await getItem(linkKey(pk, signedKey(made))))!;
      return [statuses, sectors];
    }));
    const found = async (query: string) => (await t.call('GET', `/agreements?${query}`)).body.items.map((a: any) => a.title);
    expect(await linksOf()).toEqual(Array(2).fill([new Set(['active']), new Set(['trade'])]));
    const amended = await t.call('PATCH', `/agreements/${made.id}`, { body: { sectors: ['culture', 'education'], reason: 'sectors were wrong' }, headers: { 'if-match': '"1"' } });
    expect(amended.status).toBe(200);
    expect(await linksOf()).toEqual(Array(2).fill([new Set(['active']), new Set(['trade', 'culture', 'education'])]));
    expect([await found('partyId=lis-grow-a&sector=culture'), await found('country=TJ&sector=education'), await found('partyId=lis-grow-a&sector=trade')]).toEqual([['Grows'], ['Grows'], []]);
    expect((await t.call('POST', `/agreements/${made.id}/void`, { body: { reason: 'test' }, headers: { 'if-match': '"2"' } })).status).toBe(200);
    expect(await linksOf()).toEqual(Array(2).fill([new Set(['active', 'voided']), new Set(['trade', 'culture', 'education'])]));
    expect([await found('partyId=lis-grow-a&status=voided'), await found('country=TJ&status=voided&sector=culture'), await found('partyId=lis-grow-b&status=active')]).toEqual([['Grows'], ['Grows'], []]);
  });

  it('goes on from the last record it kept when the table returns more than the page may read, skipping none', async () => {
    const { putItem, deleteItem } = await import('./support/history-items.ts');
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementIndexKeys, agreementKey } = await import('#shared/store/keys.ts');
    const all = (await t.call('GET', '/agreements?ceremonyId=lis-cer')).body.items as { id: string; title: string }[];
    const dataOf = async (title: string) => ((await getItem(agreementKey(all.find((a) => a.title === title)!.id)))! as { data: Record<string, unknown> }).data;
    const [l1, l4] = [await dataOf('L1'), await dataOf('L4')];
    // 700 newer signings of a sector the table passes, but the listing's country filter refuses
    // (copies of L4, no party in KZ), but the 499th, 500th, 501st and 650th in the walk (copies of L1).
    const kz = new Set([499, 500, 501, 650]);
    const newer = Array.from({ length: 700 }, (_, j) => {
      const id = `ag-kept${String(j).padStart(10, '0')}`;
      const at = `2036-01-01T00:00:00.${String(999 - j).padStart(3, '0')}Z`;
      return { ...agreementKey(id), ...agreementIndexKeys('lis-cer', `${at}#${id}`), type: 'agreement', data: { ...(kz.has(j) ? l1 : l4), id, signedAt: at, status: 'active', sectors: ['smart-tourism'] } };
    });
    for (let i = 0; i < newer.length; i += 50) await Promise.all(newer.slice(i, i + 50).map(putItem));
    try {
      // The first page reads 500 records: the last query returns 500 the table passed, of which 479 are read.
      const first = await t.call('GET', '/agreements?ceremonyId=lis-cer&country=KZ&sector=smart-tourism&limit=20');
      expect([first.body.items.map((a: { id: string }) => a.id), typeof first.body.nextCursor]).toEqual([['ag-kept0000000499'], 'string']);
      const second = await t.call('GET', `/agreements?ceremonyId=lis-cer&country=KZ&sector=smart-tourism&limit=20&cursor=${encodeURIComponent(first.body.nextCursor)}`);
      expect([second.body.items.map((a: { id: string }) => a.id), second.body.nextCursor]).toEqual([['ag-kept0000000500', 'ag-kept0000000501', 'ag-kept0000000650'], null]);
    } finally {
      for (let i = 0; i < newer.length; i += 50) await Promise.all(newer.slice(i, i + 50).map(deleteItem));
    }
  });

  it('stops a page after 20 reads the table filtered, however few entries each looked at (each may read 1 MB of records)', async () => {
    const { collectPage } = await import('#shared/store/paging.ts');
    const position = (n: number) => `e-${String(n).padStart(5, '0')}`;
    let reads = 0;
    // Large records: each read stops after 10 entries, none of which pass.
    const source = {
      holds: (p: string) => /^e-\d{5}$/.test(p),
      filteredBatch: 500,
      async read(after: string | undefined) {
        reads += 1;
        const from = after === undefined ? 0 : Number(after.slice(2)) + 1;
        return { candidates: [], done: false, passed: { count: 10, to: position(from + 9) } };
      },
    };
    const page = await collectPage(source, { limit: 10, digest: 'table-filter-002' });
    expect([page.items, reads]).toEqual([[], 20]);
    reads = 0;
    await collectPage(source, { limit: 10, cursor: page.nextCursor!, digest: 'table-filter-002' });
    expect(reads).toBe(20);
    // It went on from the 200th entry.
    const { decodeCursor } = await import('#shared/store/cursor.ts');
    expect(await decodeCursor(page.nextCursor!, 'table-filter-002', () => true)).toBe(position(199));
  });

  it('stops a page at 5,000 entries looked at, those the table left out included, and goes on from the last of them', async () => {
    const { collectPage } = await import('#shared/store/paging.ts');
    // Entries e-00000 to e-09999, of which the table returns only e-07000: each read looks at `max` of them.
    const position = (n: number) => `e-${String(n).padStart(5, '0')}`;
    const looked: number[] = [];
    const source = {
      holds: (p: string) => /^e-\d{5}$/.test(p),
      filteredBatch: 500,
      async read(after: string | undefined, max: number) {
        const from = after === undefined ? 0 : Number(after.slice(2)) + 1;
        const to = Math.min(from + max, 10_000);
        looked.push(to - from);
        const hit = from <= 7000 && 7000 < to;
        return { candidates: hit ? [{ pos: position(7000), item: { n: 7000 } }] : [], done: to === 10_000, passed: { count: to - from - (hit ? 1 : 0), to: to === 10_000 ? undefined : position(to - 1) } };
      },
    };
    const first = await collectPage(source, { limit: 10, digest: 'table-filter-001' });
    expect(first.items).toEqual([]);
    // The page's 11 first, then 500 at a time once none has passed.
    expect([looked.reduce((a, b) => a + b), looked.slice(0, 3)]).toEqual([5000, [11, 500, 500]]);
    looked.length = 0;
    const second = await collectPage(source, { limit: 10, cursor: first.nextCursor!, digest: 'table-filter-001' });
    expect([second.items, second.nextCursor, looked.reduce((a, b) => a + b)]).toEqual([[{ n: 7000 }], null, 5000]);
  });

  it('reads a ceremony\'s signings, not a country\'s links, for a ceremony and a country', async () => {
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const queried: string[] = [];
    const recordQueries = ({ command, input }: { command: string; input: Record<string, any> }) => {
      if (command === 'QueryCommand') queried.push(input.IndexName ?? String(Object.values(input.ExpressionAttributeValues ?? {})[0]));
    };
    await watchingCalls(recordQueries, async () => {
      expect(await titles('ceremonyId=lis-cer&country=KZ')).toEqual(['L3', 'L1']);
      expect(queried).toEqual(['gsi2']);
      queried.length = 0;
      expect(await titles('partyId=lis-kz&ceremonyId=lis-cer')).toEqual(['L3', 'L1']); // a party's links still lead
      expect(queried).toEqual(['PARTY#lis-kz']);
    });
  });

  it('passes over a party\'s links to other ceremonies\' signings without reading them: its first page of a ceremony is not empty behind 600 newer signings elsewhere', async () => {
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const { putItem, deleteItem } = await import('./support/history-items.ts');
    const { linkKey, partyLinkPk } = await import('#shared/store/keys.ts');
    const read: string[] = [];
    const recordReads = ({ command, input }: { command: string; input: Record<string, any> }) => {
      if (command === 'BatchGetItemCommand') read.push(...Object.values(input.RequestItems).flatMap((r: any) => r.Keys.map((k: any) => k.pk)));
    };
    // A real link to another ceremony's signing (L5, lis-other) is passed over unread.
    const l5 = (await t.call('GET', '/agreements?ceremonyId=lis-other')).body.items[0];
    await watchingCalls(recordReads, async () => expect(await titles('partyId=lis-kz&ceremonyId=lis-cer')).toEqual(['L3', 'L1']));
    expect([read.length, read.includes(`AGREEMENT#${l5.id}`)]).toEqual([2, false]);
    // 600 signings of a busy party elsewhere, newer than this ceremony's: more than a page reads records of.
    const busy = Array.from({ length: 600 }, (_, i) => ({
      ...linkKey(partyLinkPk('lis-cn'), `2030-01-01T00:00:00.${String(i).padStart(3, '0')}Z#ag-elsewhere${String(i).padStart(8, '0')}`),
      type: 'link', agreementId: `ag-elsewhere${String(i).padStart(8, '0')}`, ceremonyId: 'lis-elsewhere', version: 1,
    }));
    for (let i = 0; i < busy.length; i += 50) await Promise.all(busy.slice(i, i + 50).map(putItem));
    try {
      read.length = 0;
      const page = await watchingCalls(recordReads, () => t.call('GET', '/agreements?partyId=lis-cn&ceremonyId=lis-cer'));
      expect([page.body.items.map((a: any) => a.title), page.body.nextCursor]).toEqual([['L4', 'L2', 'L1'], null]);
      expect(read).toHaveLength(3);
      // Without the ceremony, each of them is a record to read: the page stops at what it may read.
      expect((await t.call('GET', '/agreements?partyId=lis-cn')).body).toMatchObject({ items: [], nextCursor: expect.any(String) });
    } finally {
      for (let i = 0; i < busy.length; i += 50) await Promise.all(busy.slice(i, i + 50).map(deleteItem));
    }
  });

  it('reads whole batches of a party\'s links to other ceremonies once it has read nearly 500 records, not one link a query', async () => {
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const { putItem, deleteItem } = await import('./support/history-items.ts');
    const { linkKey, partyLinkPk } = await import('#shared/store/keys.ts');
    const link = (at: string, i: number, ceremonyId?: string) => ({
      ...linkKey(partyLinkPk('lis-busy'), `${at}.${String(i % 1000).padStart(3, '0')}Z#ag-busy${String(i).padStart(10, '0')}`),
      type: 'link', agreementId: `ag-busy${String(i).padStart(10, '0')}`, version: 1, ...(ceremonyId && { ceremonyId }),
    });
    // Newest, 499 links written before links named their ceremony (each a record to read; these point
    // at nothing), then 1,000 to another ceremony's signings (passed over unread), then two more to read.
    const links = [
      ...Array.from({ length: 499 }, (_, i) => link(`2032-01-0${1 + (i % 9)}T00:00:00`, i)),
      ...Array.from({ length: 1000 }, (_, i) => link(`2031-01-0${1 + (i % 9)}T00:00:00`, 499 + i, 'lis-elsewhere')),
      link('2030-01-02T00:00:00', 1499),
      link('2030-01-01T00:00:00', 1500),
    ];
    for (let i = 0; i < links.length; i += 50) await Promise.all(links.slice(i, i + 50).map(putItem));
    try {
      let queries = 0;
      let reads = 0;
      const page = await watchingCalls(({ command, input }) => {
        if (command === 'QueryCommand') queries += 1;
        if (command === 'BatchGetItemCommand') reads += Object.values(input.RequestItems as Record<string, { Keys: unknown[] }>).reduce((n, r) => n + r.Keys.length, 0);
      }, () => t.call('GET', '/agreements?partyId=lis-busy&ceremonyId=lis-cer'));
      expect([page.status, page.body.items, page.body.nextCursor]).toEqual([200, [], expect.any(String)]);
      // At most 500 records read, and the 1,000 links passed over in batches of up to 100 (with a
      // single record left to read, they were asked for one at a time: a thousand queries).
      expect(reads).toBe(500);
      expect(queries).toBeLessThan(30);
      // The next page goes on after the 500th record: the last link is read there.
      reads = 0;
      const next = await watchingCalls(({ command, input }) => {
        if (command === 'BatchGetItemCommand') reads += Object.values(input.RequestItems as Record<string, { Keys: unknown[] }>).reduce((n, r) => n + r.Keys.length, 0);
      }, () => t.call('GET', `/agreements?partyId=lis-busy&ceremonyId=lis-cer&cursor=${encodeURIComponent(page.body.nextCursor)}`));
      expect([next.status, next.body.items, next.body.nextCursor, reads], JSON.stringify(next.body)).toEqual([200, [], null, 1]);
    } finally {
      for (let i = 0; i < links.length; i += 50) await Promise.all(links.slice(i, i + 50).map(deleteItem));
    }
  });
});

describe('what real DynamoDB refuses and dynalite takes', () => {
  it('is refused in these tests too: an empty key value in an item, a key or a key condition', async () => {
    const { dynamoRefusal } = await import('./support/dynamo-fidelity.ts');
    expect(dynamoRefusal('QueryCommand', { KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi', ExpressionAttributeValues: { ':pk': { S: 'P' }, ':lo': { S: '' }, ':hi': { S: 'z' } } })).toMatch(/cannot contain an empty string value/);
    expect(dynamoRefusal('PutItemCommand', { Item: { pk: { S: 'P' }, sk: { S: 'S' }, gsi2sk: { S: '' } } })).toMatch(/Key: gsi2sk/);
    expect(dynamoRefusal('GetItemCommand', { Key: { pk: { S: '' }, sk: { S: 'S' } } })).toMatch(/Key: pk/);
    expect(dynamoRefusal('UpdateItemCommand', { Key: { pk: { S: 'P' }, sk: { S: 'S' } }, UpdateExpression: 'SET #d = :d, #g = :g', ExpressionAttributeNames: { '#d': 'data', '#g': 'gsi1sk' }, ExpressionAttributeValues: { ':d': { S: '' }, ':g': { S: '' } } })).toMatch(/Key: gsi1sk/);
    expect(dynamoRefusal('UpdateItemCommand', { Key: { pk: { S: 'P' }, sk: { S: 'S' } }, UpdateExpression: 'SET #d = :d', ExpressionAttributeNames: { '#d': 'data' }, ExpressionAttributeValues: { ':d': { S: '' } } })).toBeUndefined();
    // Not a key: an empty string is a value like any other.
    expect(dynamoRefusal('PutItemCommand', { Item: { pk: { S: 'P' }, sk: { S: 'S' }, note: { S: '' } } })).toBeUndefined();
    expect(dynamoRefusal('QueryCommand', { KeyConditionExpression: '#pk = :pk', FilterExpression: 'x = :e', ExpressionAttributeValues: { ':pk': { S: 'P' }, ':e': { S: '' } } })).toBeUndefined();
  });
});
