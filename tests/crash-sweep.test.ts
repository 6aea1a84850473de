/**
 * A crash-point sweep of every write path. Each write makes several DynamoDB calls in turn; for
 * each k the k-th write call reaches the table and then:
 *
 * - `crash`: the process dies (the call's answer and every call after it are lost; none sent
 *   after it reaches the table), and the caller gets a 500 (or the success a cleanup's failure
 *   lets pass), or
 * - `lost`: its answer is lost past the SDK's retries (a timeout: the handler sees a transient
 *   failure, the process lives on; calls already sent beside it go on), or
 * - `resent`: its answer is lost below the SDK's retries, which send the very same call again.
 *
 * After it every view must agree (GET by id and by code, a partner's GET, history and its
 * integrity, every list the record is in or could have been left in, raw link items), and the same
 * request sent again must complete the write exactly once, with the replay header README's
 * "Retries" gives, and a certificate of the result that checks out. k runs on until the write
 * completes without reaching its k-th write call (so calls added later are swept too); that last,
 * unfaulted write is sent again as a client whose answer was lost would. Reads are not crash
 * points of their own: a crash right after one leaves what a crash after the write before it
 * leaves (or nothing at all).
 *
 * Not run by default (each takes longer than the sweep itself): SWEEP_MODES=stall (the k-th call
 * reaches the table, then the client's copy of the request is made in full before the first goes
 * on: copies sent at once) and SWEEP_DOUBLE=crash,crash (a crash at k1, the retry crashes at k2,
 * then a third send), e.g. `SWEEP_MODES=stall npx vitest run tests/crash-sweep.test.ts`; with
 * SWEEP_READS=1, reads count as points too (a copy landing between a write's reads and its writes).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signedKey, type Agreement } from '#shared/domain/agreement.ts';
import { deriveAgreementId, deriveId } from '#shared/domain/ids.ts';
import { canonical } from './support/chain.ts';
import { agreement, ceremony, logSigning, party } from './support/fixtures.ts';
import { startTestRegistry, type Reply, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;

type Mode = 'crash' | 'lost' | 'resent' | 'stall';
const MODES: Mode[] = (process.env.SWEEP_MODES?.split(',') as Mode[] | undefined) ?? ['crash', 'lost', 'resent'];

interface Fault {
  mode: Mode;
  /** The write call (1-based) the fault follows. */
  k: number;
  writes: number;
  fired: boolean;
  /** The process is gone (crash): nothing more reaches the table. */
  dead: boolean;
  /** Settles once the k-th call has reached the table. */
  kDone: Promise<void>;
  reachedK: () => void;
  /** The context of the call whose answer is lost below the SDK's retries (resent), and whether it was. */
  loseContext?: object;
  resentAttempts: number;
  pending: Set<Promise<unknown>>;
  calls: string[];
  /** stall: runs once the k-th call has reached the table, before the write goes on. */
  meanwhile?: () => Promise<unknown>;
}
let fault: Fault | undefined;

const crashError = () => new Error('injected crash: the process is gone');
const lostAnswer = () => Object.assign(new Error('injected: the answer was lost'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
const isRead = (command: string) => !process.env.SWEEP_READS && /^(Get|BatchGet|Query|Scan|Describe)/.test(command);

function newFault(mode: Mode, k: number): Fault {
  let reachedK!: () => void;
  const kDone = new Promise<void>((resolve) => { reachedK = resolve; });
  return { mode, k, writes: 0, fired: false, dead: false, kDone, reachedK, resentAttempts: 0, pending: new Set(), calls: [] };
}

/** Sends `request` with `f` in force; waits until every call it started has settled. */
async function withFault<T>(f: Fault, request: () => Promise<T>): Promise<T> {
  fault = f;
  try {
    return await request();
  } finally {
    while (f.pending.size > 0) await Promise.allSettled([...f.pending]);
    fault = undefined;
  }
}

beforeAll(async () => {
  t = await startTestRegistry();
  const { dynamo } = await import('#shared/store/client.ts');
  // Above the SDK's retries: one logical call each.
  dynamo.middlewareStack.add((next, context) => async (args) => {
    const f = fault;
    if (!f) return next(args);
    const command = context.commandName ?? '?';
    const track = <R>(p: Promise<R>): Promise<R> => {
      f.pending.add(p);
      return p.finally(() => f.pending.delete(p));
    };
    if (f.dead) throw crashError();
    if (isRead(command)) {
      const out = await track(next(args));
      if (f.dead) throw crashError();
      return out;
    }
    const n = (f.writes += 1);
    const input = args.input as { Item?: { pk?: string; sk?: string }; Key?: { pk?: string; sk?: string } };
    const key = input.Item ?? input.Key;
    f.calls.push(`${n} ${command} ${key?.pk} ${key?.sk}`);
    if (n < f.k) {
      const out = await track(next(args));
      if (f.dead) throw crashError();
      return out;
    }
    if (n > f.k) {
      if (f.mode !== 'crash') return track(next(args));
      await f.kDone; // sent after the k-th: never reaches the table
      throw crashError();
    }
    f.fired = true;
    if (f.mode === 'stall') {
      const out = await track(next(args).then((o) => ({ o }), (e: unknown) => ({ e })));
      f.reachedK();
      await f.meanwhile?.();
      if ('e' in out) throw out.e;
      return out.o;
    }
    if (f.mode === 'resent') {
      f.loseContext = context;
      return track(next(args)).finally(f.reachedK);
    }
    try {
      await track(next(args));
    } catch {
      // It reached the table all the same (a condition that failed): its answer is lost either way.
    }
    f.reachedK();
    if (f.mode === 'crash') {
      f.dead = true;
      throw crashError();
    }
    throw lostAnswer();
  }, { step: 'initialize', name: 'sweepFault', priority: 'high' });
  // Below the SDK's retries: the answer of the marked call is lost once, and the SDK sends it again.
  dynamo.middlewareStack.add((next, context) => async (args) => {
    const f = fault;
    if (!f || f.loseContext !== context) return next(args);
    f.resentAttempts += 1;
    if (f.resentAttempts > 1) return next(args);
    try {
      await next(args);
    } catch {
      // Lost either way.
    }
    throw lostAnswer();
  }, { step: 'deserialize', name: 'sweepLoseAnswer' });
}, 30_000);
afterAll(() => t.close());

// ---- checks -------------------------------------------------------------------------------

/** What went wrong, scenario by scenario: the sweep runs on and reports them all at the end. */
const failures: string[] = [];
let scenario = '';
function claim(ok: boolean, what: string, detail?: unknown): boolean {
  if (!ok) failures.push(`${scenario}: ${what}${detail === undefined ? '' : ` (${JSON.stringify(detail).slice(0, 400)})`}`);
  return ok;
}
/** Equal as JSON values (members in any order). */
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

const replayed = (r: Reply) => r.headers.get('idempotent-replayed');

/** The first answer, under the fault: a success, or a 5xx problem that leaks nothing of the fault. */
function firstAnswerOk(r: Reply, success: number): boolean {
  if (r.status === success) return true;
  const ok = claim(r.status === 500 || r.status === 503, `first answer is ${r.status}, neither ${success} nor a 5xx`, r.body);
  claim(r.headers.get('content-type') === 'application/problem+json' && !JSON.stringify(r.body).includes('injected'), 'a 5xx is a problem+json that does not leak the fault', r.body);
  return ok;
}

/** Every page of a list. */
async function allPages(path: string, token?: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.endsWith('?') ? '' : path.includes('?') ? '&' : '?';
    const r: Reply = await t.call('GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token === undefined ? {} : { token });
    if (!claim(r.status === 200, `GET ${path}: ${r.status}`, r.body)) return items;
    items.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return items;
}

// Agreements: one ceremony of many days; each scenario's signing has a minute of its own, and
// every list is read over that minute, so it holds this scenario's signing alone (or nothing).
const CER = 'sweep-cer';
const PARTIES = { a: party('sweep-a'), b: party('sweep-b', { countryCode: 'UZ' }), c: party('sweep-c', { countryCode: 'KZ' }) };
let slots = 0;
const BASE_MS = Date.parse('2021-08-23T09:00:00+08:00');
/** Minute `i` of the ceremony (in +08:00), and `seconds` into it. */
const at = (i: number, seconds = 0) => {
  const local = new Date(BASE_MS + i * 60_000 + seconds * 1000 + 8 * 3600_000).toISOString().slice(0, 19);
  return `${local}+08:00`;
};

interface Slot { index: number; from: string; to: string }
const newSlot = (): Slot => {
  const index = (slots += 1);
  return { index, from: new Date(BASE_MS + index * 60_000).toISOString(), to: new Date(BASE_MS + index * 60_000 + 59_999).toISOString() };
};

/** Every list an agreement of these parties, countries, sectors and statuses could be in, over its slot. */
function agreementLists(slot: Slot): { query: string; partner?: string; accepts: (a: Agreement) => boolean }[] {
  const window = `signedFrom=${slot.from}&signedTo=${slot.to}`;
  const lists: { query: string; partner?: string; accepts: (a: Agreement) => boolean }[] = [
    { query: window, accepts: () => true },
    { query: `ceremonyId=${CER}&${window}`, accepts: (a) => a.ceremonyId === CER },
  ];
  for (const p of Object.values(PARTIES)) {
    lists.push({ query: `partyId=${p.id}&${window}`, accepts: (a) => a.parties.some((x) => x.partyId === p.id) });
    lists.push({ query: `country=${p.countryCode}&${window}`, accepts: (a) => a.parties.some((x) => x.countryCode === p.countryCode) });
  }
  for (const sector of ['digital-economy', 'trade']) lists.push({ query: `sector=${sector}&${window}`, accepts: (a) => a.sectors.includes(sector as never) });
  for (const status of ['active', 'voided']) lists.push({ query: `status=${status}&${window}`, accepts: (a) => a.status === status });
  return lists;
}

/**
 * The agreement as every view shows it: GET by id (or 404), GET by code, its history (integrity
 * whole, one entry per version), every list it is or is not in. Returns the record, or undefined.
 */
async function agreementViews(id: string, slot: Slot, { lists = true } = {}): Promise<Agreement | undefined> {
  const got = await t.call('GET', `/agreements/${id}`);
  claim(got.status === 200 || got.status === 404, `GET agreement: ${got.status}`, got.body);
  const record: Agreement | undefined = got.status === 200 ? got.body : undefined;
  const checks: Promise<unknown>[] = [];
  if (record) {
    claim(got.headers.get('etag') === `"${record.version}"`, 'GET ETag is its version', got.headers.get('etag'));
    checks.push(t.call('GET', `/agreements/${record.code}`).then((byCode) => claim(byCode.status === 200 && same(byCode.body, record), 'GET by code is GET by id', byCode.body)));
    // A partner reads it while its party is on it (a partner's list is its party's, read above).
    for (const p of [PARTIES.b, PARTIES.c]) {
      checks.push(t.call('GET', `/agreements/${id}`, { token: t.tokens.partner(p.id) }).then((mine) => {
        const on = record.parties.some((x) => x.partyId === p.id);
        claim(mine.status === (on ? 200 : 404) && (!on || same(mine.body, record)), `partner ${p.id} reads it iff its party is on it: ${mine.status}`);
      }));
    }
    // The daily integrity sweep finds nothing wrong: no fault leaves damage it would alarm on.
    checks.push(import('#shared/registry/integrity-sweep.ts').then(({ checkAgreement }) => checkAgreement(id)).then((found) => claim(found === 'sound', `the integrity sweep finds it ${found}`)));
    checks.push(t.call('GET', `/agreements/${id}/history`).then((h) => {
      if (!claim(h.status === 200, `GET history: ${h.status}`, h.body)) return;
      claim(h.body.integrity.chainValid === true && h.body.integrity.stateMatches === true, 'history integrity holds', h.body.integrity);
      claim(same(h.body.items.map((e: any) => e.version), Array.from({ length: record.version }, (_, i) => i + 1)), 'one history entry per version', h.body.items.map((e: any) => [e.version, e.action]));
      claim(h.body.version === record.version, 'history version is the record\'s', h.body.version);
    }));
  } else {
    checks.push(t.call('GET', `/agreements/${id}/history`).then((h) => claim(h.status === 404, `history of an agreement GET does not find: ${h.status}`, h.body)));
  }
  for (const list of lists ? agreementLists(slot) : []) {
    const token = list.partner === undefined ? undefined : t.tokens.partner(list.partner);
    checks.push(allPages(`/agreements?${list.query}`, token).then((items) => {
      const expected = record && list.accepts(record) ? [record] : [];
      claim(same(items, expected), `list ${list.partner ? `(partner ${list.partner}) ` : ''}${list.query.split('&signedFrom')[0] || 'all'} agrees with GET`, { listed: items.map((a: any) => [a.id, a.version]), expected: expected.map((a) => [a.id, a.version]) });
    }));
  }
  await Promise.all(checks);
  return record;
}

/** The link items of the agreement in its slot: exactly those of its current version, each once. */
async function linksExact(record: Agreement, slot: Slot): Promise<void> {
  const { itemsUnder } = await import('./support/history-items.ts');
  const prefix = `SIGNED#${slot.from.slice(0, 16)}`;
  const pks = new Set<string>();
  for (const p of Object.values(PARTIES)) pks.add(`PARTY#${p.id}`).add(`COUNTRY#${p.countryCode}`);
  const found = (await Promise.all([...pks].map((pk) => itemsUnder(pk, prefix)))).flat().filter((i) => i.agreementId === record.id).map((i) => `${i.pk} ${i.sk}`).sort();
  const want = [...new Set([...record.parties.map((p) => `PARTY#${p.partyId}`), ...record.parties.map((p) => `COUNTRY#${p.countryCode}`)])].map((pk) => `${pk} SIGNED#${signedKey(record)}`).sort();
  claim(same(found, want), 'link items are those of the current version, once each', { found, want });
}

/** Its certificate downloads and checks out as issued. */
async function certificateChecks(record: Agreement): Promise<void> {
  const pdf = await t.call('GET', `/agreements/${record.id}/certificate.pdf`);
  if (!claim(pdf.status === 200, `certificate: ${pdf.status}`, pdf.body)) return;
  const checked = await t.call('POST', '/verify', { token: null, body: pdf.body, headers: { 'content-type': 'application/pdf' } });
  const want = record.status === 'voided' ? 'voided' : 'valid';
  claim(checked.status === 200 && checked.body.status === want && checked.body.version === record.version && checked.body.code === record.code, `certificate checks as ${want}`, [checked.status, checked.body.status, checked.body.detail]);
}

// ---- the writes ---------------------------------------------------------------------------

/** One write, made ready afresh for each scenario. */
interface Write {
  name: string;
  /** Success status of the write. */
  success: number;
  /** Whether the same request sent again after the write is made says so (Idempotent-Replayed); a download does not. */
  replays?: false;
  prepare(label: string): Promise<Prepared>;
}
/** `full: false`: the record, its history and the answers only (no lists, links or certificate). */
interface Depth { full?: boolean }
interface Prepared {
  send(): Promise<Reply>;
  /** Checks every view; whether the write is visible (committed). */
  views(options?: Depth): Promise<boolean>;
  /** After the write completed: the answer is the record as every view has it, and what else must hold once. */
  done(answer: Reply, options?: Depth): Promise<void>;
}

const moving = {
  parties: [{ partyId: PARTIES.a.id, signatory: { name: 'A' } }, { partyId: PARTIES.c.id, signatory: { name: 'C' } }],
  sectors: ['trade'], title: 'Moved', reason: 'wrong partner, time and sector',
};

/**
 * An agreement write on a signing of its own slot; `request` makes it (none: the signing itself),
 * on the version `setup` leaves (version 1 without one), which it names in If-Match.
 */
interface AgreementRequest {
  path: (id: string) => string; method: string; body: (slot: Slot) => unknown; expect: (r: Agreement) => boolean;
  setup?: (id: string) => Promise<number>;
}
function agreementWrite(name: string, request?: AgreementRequest): Write {
  return {
    name,
    success: request ? 200 : 201,
    async prepare(label) {
      const slot = newSlot();
      const body = agreement([PARTIES.a.id, PARTIES.b.id], { title: `Sweep ${label}`, signedAt: at(slot.index) });
      const key = `sweep-${label}`;
      const id = deriveAgreementId(CER, key);
      let base = 0;
      /** The record as every view had it after the fault. */
      let viewed: Agreement | undefined;
      if (request) {
        const made = await logSigning(t, CER, body, key);
        if (made.status !== 201) throw new Error(`setup: ${made.status} ${JSON.stringify(made.body)}`);
        base = (await request.setup?.(id)) ?? 1;
      }
      const send = request
        ? () => t.call(request.method, request.path(id), { body: request.body(slot), headers: { 'if-match': `"${base}"` } })
        : () => logSigning(t, CER, body, key);
      return {
        send,
        async views({ full = true } = {}) {
          const record = await agreementViews(id, slot, { lists: full });
          viewed = record;
          const version = record?.version ?? 0;
          claim(version === base || version === base + 1, `version ${version} after a write on ${base}`);
          return version === base + 1;
        },
        async done(answer, { full = true } = {}) {
          // Every view, the links and the certificate at once (the certificate renders while the lists are read).
          const got = await t.call('GET', `/agreements/${id}`);
          if (!claim(got.status === 200 && got.body.version === base + 1, 'the write is made, once', [got.status, got.body.version])) return;
          const record: Agreement = got.body;
          // The lists were read after the fault: read again only if the record has moved since (a
          // replay that leaves the record as it was may only take stale links away, and the links
          // left are checked one by one).
          const lists = full && !same(viewed, record);
          const [again] = await Promise.all([agreementViews(id, slot, { lists }), full && linksExact(record, slot), full && certificateChecks(record)]);
          claim(same(again, record), 'the record stands still', again);
          // A replay of a signing answers with version 1 as it was; a change's with the record as it is.
          claim(same(answer.body, record), 'the answer is the record GET gives', { answer: answer.body, record });
          claim(answer.headers.get('etag') === `"${record.version}"`, 'the answer\'s ETag', answer.headers.get('etag'));
          if (!request) claim(answer.headers.get('location') === `/agreements/${id}`, 'Location', answer.headers.get('location'));
          if (request) claim(request.expect(record), 'the record holds the change', record);
        },
      };
    },
  };
}

let renamedB = '';
/**
 * Version 2 (an amendment), party B renamed since, and the item as it was written before history
 * entries were items of their own: its whole history in it, no head, no entry items. Its next
 * change writes every entry out, then commits.
 */
async function storedTheOldWay(id: string): Promise<number> {
  const amended = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Amended once', reason: 'typo' }, headers: { 'if-match': '"1"' } });
  const b = await t.call('GET', `/parties/${PARTIES.b.id}`);
  renamedB = `Party B, renamed ${b.body.version}`;
  const renamed = await t.call('PATCH', `/parties/${PARTIES.b.id}`, { body: { name: renamedB }, headers: { 'if-match': b.headers.get('etag')! } });
  const history = (await t.call('GET', `/agreements/${id}/history`)).body;
  if (amended.status !== 200 || renamed.status !== 200 || history.items?.length !== 2) throw new Error(`setup: ${amended.status} ${renamed.status}`);
  const { getItem } = await import('#shared/store/operations.ts');
  const { agreementKey } = await import('#shared/store/keys.ts');
  const { entryItemsOf, deleteItem, putItem } = await import('./support/history-items.ts');
  const { head: _, historyBytes: __, ...item } = (await getItem(agreementKey(id)))!;
  for (const entry of await entryItemsOf(id)) await deleteItem(entry);
  await putItem({ ...item, history: history.items });
  return 2;
}

let partyCounter = 0;
/** A party of a country of its own (lists by country stay short). */
const COUNTRIES = ['AM', 'AZ', 'BY', 'EG', 'IN', 'IR', 'KG', 'KH', 'LK', 'MM', 'MN', 'NP', 'PK', 'QA', 'SA', 'TJ', 'TR', 'AE', 'BH', 'KW', 'LA', 'MV', 'GE', 'IL', 'TH', 'VN', 'ID', 'MY', 'SG', 'PH'];

/** The party as GET and every party list show it. */
async function partyViews(id: string, country: string): Promise<any | undefined> {
  const got = await t.call('GET', `/parties/${id}`);
  claim(got.status === 200 || got.status === 404, `GET party: ${got.status}`, got.body);
  const record = got.status === 200 ? got.body : undefined;
  if (record) claim(got.headers.get('etag') === `"${record.version}"`, 'party ETag', got.headers.get('etag'));
  await Promise.all(['', `country=${country}`, 'kind=city', `kind=city&country=${country}`].map(async (query) => {
    const listed = (await allPages(`/parties?${query}`)).filter((p) => p.id === id);
    claim(same(listed, record ? [record] : []), `party list ${query || 'all'} agrees with GET`, listed);
  }));
  return record;
}

function partyCreate(name: string, keyed: boolean): Write {
  return {
    name, success: 201,
    async prepare(label) {
      const country = COUNTRIES[(partyCounter += 1) % COUNTRIES.length]!;
      const key = `sweep-${label}`;
      const id = keyed ? deriveId('p', key) : `sw-${label}`;
      const body = { ...(keyed ? {} : { id }), kind: 'city', name: `City ${label}`, countryCode: country };
      return {
        send: () => t.call('POST', '/parties', { body, ...(keyed && { headers: { 'idempotency-key': key } }) }),
        views: async () => (await partyViews(id, country)) !== undefined,
        async done(answer) {
          const record = await partyViews(id, country);
          claim(record?.version === 1 && record.name === body.name, 'the party is made, once', record);
          claim(same(answer.body, record), 'the answer is the party GET gives', answer.body);
          claim(answer.headers.get('location') === `/parties/${id}`, 'Location', answer.headers.get('location'));
        },
      };
    },
  };
}

const partyRename: Write = {
  name: 'PATCH /parties/{id}', success: 200,
  async prepare(label) {
    const country = COUNTRIES[(partyCounter += 1) % COUNTRIES.length]!;
    const id = `sw-${label}`;
    const made = await t.call('POST', '/parties', { body: { id, kind: 'city', name: 'Before', countryCode: country } });
    if (made.status !== 201) throw new Error(`setup: ${made.status}`);
    return {
      send: () => t.call('PATCH', `/parties/${id}`, { body: { name: 'After', localName: '之后' }, headers: { 'if-match': '"1"' } }),
      views: async () => ((await partyViews(id, country))?.version ?? 0) === 2,
      async done(answer) {
        const record = await partyViews(id, country);
        claim(record?.version === 2 && record.name === 'After' && record.localName === '之后', 'the rename is made, once', record);
        claim(same(answer.body, record), 'the answer is the party GET gives', answer.body);
      },
    };
  },
};

/** The ceremony as GET, its history and the list show it. */
async function ceremonyViews(id: string): Promise<any | undefined> {
  const got = await t.call('GET', `/ceremonies/${id}`);
  claim(got.status === 200 || got.status === 404, `GET ceremony: ${got.status}`, got.body);
  const record = got.status === 200 ? got.body : undefined;
  const listed = (await allPages('/ceremonies')).filter((c) => c.id === id);
  claim(same(listed, record ? [record] : []), 'ceremony list agrees with GET', listed);
  const h = await t.call('GET', `/ceremonies/${id}/history`);
  if (record) {
    claim(got.headers.get('etag') === `"${record.version}"`, 'ceremony ETag', got.headers.get('etag'));
    claim(h.status === 200 && h.body.version === record.version && h.body.items.length === record.version, 'ceremony history: one entry per version', h.body);
  } else claim(h.status === 404, `history of a ceremony GET does not find: ${h.status}`);
  return record;
}

let ceremonyCounter = 0;
function ceremonyCreate(name: string, keyed: boolean): Write {
  return {
    name, success: 201,
    async prepare(label) {
      const key = `sweep-${label}`;
      const id = keyed ? deriveId('c', key) : `sw-${label}`;
      // Apart in the list: newest first, each a day of its own.
      const { id: _, ...fields } = ceremony('x', { startsAt: new Date(Date.parse('2023-01-01T10:00:00+08:00') + (ceremonyCounter += 1) * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00' });
      const body = keyed ? fields : { ...fields, id };
      return {
        send: () => t.call('POST', '/ceremonies', { body, ...(keyed && { headers: { 'idempotency-key': key } }) }),
        views: async () => (await ceremonyViews(id)) !== undefined,
        async done(answer) {
          const record = await ceremonyViews(id);
          claim(record?.version === 1, 'the ceremony is opened, once', record);
          claim(same(answer.body, record), 'the answer is the ceremony GET gives', answer.body);
          claim(answer.headers.get('location') === `/ceremonies/${id}`, 'Location', answer.headers.get('location'));
        },
      };
    },
  };
}

/** A correction that brings new characters (its check reads the ceremony's signings, whose certificates print it), of a ceremony with a signing. */
const ceremonyCorrect: Write = {
  name: 'PATCH /ceremonies/{id}', success: 200,
  async prepare(label) {
    const id = `sw-${label}`;
    const opened = await t.call('POST', '/ceremonies', { body: ceremony(id, { startsAt: '2021-09-01T10:00:00+08:00' }) });
    const signed = await logSigning(t, id, agreement([PARTIES.a.id, PARTIES.b.id], { signedAt: '2021-09-01T11:00:00+08:00' }), `sweep-${label}`);
    if (opened.status !== 201 || signed.status !== 201) throw new Error(`setup: ${opened.status} ${signed.status}`);
    return {
      send: () => t.call('PATCH', `/ceremonies/${id}`, { body: { venue: 'Yuelai Convention Center, Zone Q', reason: 'venue misspelt' }, headers: { 'if-match': '"1"' } }),
      views: async () => ((await ceremonyViews(id))?.version ?? 0) === 2,
      async done(answer) {
        const record = await ceremonyViews(id);
        claim(record?.version === 2 && record.venue.endsWith('Zone Q'), 'the correction is made, once', record);
        claim(same(answer.body, record), 'the answer is the ceremony GET gives', answer.body);
        const pdf = await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
        const checked = await t.call('POST', '/verify', { token: null, body: pdf.body, headers: { 'content-type': 'application/pdf' } });
        claim(pdf.status === 200 && checked.body.status === 'valid' && checked.body.agreement?.ceremony?.correctedAt === record?.updatedAt, 'its signing\'s certificate checks out, printing the correction', [pdf.status, checked.body.status, checked.body.agreement?.ceremony]);
      },
    };
  },
};

/** A download records the file it hands out, before it leaves (every file handed out stays verifiable by its bytes). */
const certificateIssue: Write = {
  name: 'GET /agreements/{id}/certificate.pdf', success: 200, replays: false,
  async prepare(label) {
    const slot = newSlot();
    const made = await logSigning(t, CER, agreement([PARTIES.a.id, PARTIES.b.id], { title: `Certificate ${label}`, signedAt: at(slot.index) }), `sweep-${label}`);
    if (made.status !== 201) throw new Error(`setup: ${made.status}`);
    const id = made.body.id as string;
    const { itemsUnder } = await import('./support/history-items.ts');
    const { issuedCertificatesPk } = await import('#shared/store/keys.ts');
    const records = () => itemsUnder(issuedCertificatesPk(id, 1), 'FILE#');
    return {
      send: () => t.call('GET', `/agreements/${id}/certificate.pdf`),
      views: async () => (await records()).length > 0,
      async done(answer) {
        const sha256 = createHash('sha256').update(answer.body).digest('hex');
        claim(answer.headers.get('etag') === `"${sha256}"`, 'ETag is the SHA-256 of the file', answer.headers.get('etag'));
        claim(same((await records()).map((r) => r.sk), [`FILE#${sha256}`]), 'the file handed out is on record, once', (await records()).map((r) => r.sk));
        const checked = await t.call('POST', '/verify', { token: null, body: answer.body, headers: { 'content-type': 'application/pdf' } });
        claim(checked.body.status === 'valid', 'the file checks out', [checked.status, checked.body.status, checked.body.detail]);
      },
    };
  },
};

const WRITES: Write[] = [
  partyCreate('POST /parties (id)', false),
  partyCreate('POST /parties (Idempotency-Key)', true),
  partyRename,
  ceremonyCreate('POST /ceremonies (id)', false),
  ceremonyCreate('POST /ceremonies (Idempotency-Key)', true),
  ceremonyCorrect,
  agreementWrite('POST /ceremonies/{id}/agreements'),
  agreementWrite('PATCH /agreements/{id} (a refresh, on an item that still holds its history)', {
    method: 'PATCH', path: (id) => `/agreements/${id}`, setup: storedTheOldWay,
    body: () => ({ parties: [{ partyId: PARTIES.a.id, signatory: { name: 'A' } }, { partyId: PARTIES.b.id, signatory: { name: 'B' }, refresh: true }], summary: 'Exchange of exhibitions', reason: 'B renamed' }),
    expect: (a) => a.summary === 'Exchange of exhibitions' && a.parties[1]!.name === renamedB,
  }),
  agreementWrite('PATCH /agreements/{id} (parties, signedAt, sectors)', {
    method: 'PATCH', path: (id) => `/agreements/${id}`, body: (slot) => ({ ...moving, signedAt: at(slot.index, 30) }),
    expect: (a) => a.parties.map((p) => p.partyId).join() === `${PARTIES.a.id},${PARTIES.c.id}` && a.sectors.join() === 'trade',
  }),
  agreementWrite('POST /agreements/{id}/void', {
    method: 'POST', path: (id) => `/agreements/${id}/void`, body: () => ({ reason: 'logged twice' }), expect: (a) => a.status === 'voided',
  }),
  certificateIssue,
];

// ---- the sweep ----------------------------------------------------------------------------

/** One scenario: the write under the fault, every view, the same request again, every view. Whether the fault fired. */
async function sweepOnce(write: Write, mode: Mode, k: number): Promise<{ fired: boolean; calls: string[]; committed?: boolean }> {
  // The handlers log each injected fault (an unhandled error, a transient failure, a failed cleanup): expected here.
  const quiet = [vi.spyOn(console, 'error').mockImplementation(() => {}), vi.spyOn(console, 'warn').mockImplementation(() => {})];
  try {
    return await sweepOnceLoud(write, mode, k);
  } finally {
    // A fault is no damage: nothing it leaves may raise the integrity alarm.
    const integrity = quiet.flatMap((spy) => spy.mock.calls.map(([line]) => line)).filter((line) => line?.category === 'integrity');
    claim(integrity.length === 0, 'logged an integrity event', integrity);
    for (const spy of quiet) spy.mockRestore();
  }
}

async function sweepOnceLoud(write: Write, mode: Mode, k: number): Promise<{ fired: boolean; calls: string[]; committed?: boolean }> {
  const label = `${WRITES.indexOf(write)}-${mode}-${k}`;
  scenario = `${write.name} [${mode} after write call ${k}]`;
  const prepared = await write.prepare(label);
  const f = newFault(mode, k);
  let copy: Reply | undefined;
  if (mode === 'stall') {
    // The client gave up waiting and sent it again, while the first is still under way.
    f.meanwhile = async () => {
      fault = undefined;
      try {
        copy = await prepared.send();
      } finally {
        fault = f;
      }
    };
  }
  const first = await withFault(f, prepared.send);
  if (mode === 'stall' && f.fired) {
    scenario = `${write.name} [${mode} after write call ${k}]`;
    claim(first.status === write.success && copy?.status === write.success, `copies sent at once: ${first.status}, ${copy?.status}`, [first.body, copy?.body]);
    if (write.replays !== false) claim([replayed(first), replayed(copy!)].filter((r) => r === null).length === 1, `copies sent at once: one made, the other a replay (${replayed(first)}, ${replayed(copy!)})`);
    const committed = await prepared.views();
    claim(committed, 'copies sent at once: made');
    if (first.status === write.success) await prepared.done(first);
    return { fired: true, calls: f.calls, committed };
  }
  if (!f.fired) {
    // Fewer write calls than k: the write completed untouched.
    claim(first.status === write.success && replayed(first) === null, `unfaulted write answers ${first.status}`, first.body);
    if (first.status === write.success) await prepared.done(first);
    // Its answer lost on the way to the client, which sends it again: the same answer, as a replay.
    const again = await prepared.send();
    claim(again.status === write.success && replayed(again) === (write.replays === false ? null : 'true'), `sent again once made: ${again.status} ${replayed(again)}`, again.body);
    if (write.replays !== false) claim(same(again.body, first.body), 'sent again once made: the answer it had', [again.body, first.body]);
    return { fired: false, calls: f.calls };
  }
  const context = `calls: ${f.calls.join(' | ')}`;
  if (mode === 'resent') claim(f.resentAttempts === 2, `the SDK sent the call again (${f.resentAttempts} attempts)`);
  if (!firstAnswerOk(first, write.success)) failures.push(`${scenario}: ${context}`);
  if (mode === 'resent') claim(first.status === write.success && replayed(first) === null, 'a write the SDK sent again is made, not a replay', [first.status, replayed(first), first.body]);
  // A lost answer leaves what a crash at one of the points swept leaves (calls already sent go on,
  // then the handler stops, or a cleanup's failure is let pass): its answers are what it adds.
  const depth = { full: mode !== 'lost' };
  const committed = await prepared.views(depth);
  if (first.status === write.success) {
    claim(committed, 'a write answered as made is visible');
    claim(replayed(first) === null, 'a write sent once is not a replay');
  }
  const again = await prepared.send();
  claim(again.status === write.success, `the same request again: ${again.status}`, again.body);
  const replay = committed && write.replays !== false ? 'true' : null;
  claim(replayed(again) === replay, `sent again after a ${committed ? 'committed' : 'lost'} write: Idempotent-Replayed ${replayed(again)}`);
  if (again.status === write.success) await prepared.done(again, depth);
  return { fired: true, calls: f.calls, committed };
}

beforeAll(async () => {
  for (const p of Object.values(PARTIES)) expect((await t.call('POST', '/parties', { body: p })).status).toBe(201);
  expect((await t.call('POST', '/ceremonies', { body: ceremony(CER, { startsAt: '2021-08-23T09:00:00+08:00', endsAt: '2021-08-30T18:00:00+08:00' }) })).status).toBe(201);
});

describe('crash-point sweep of every write', () => {
  for (const write of WRITES) {
    it(write.name, async () => {
      const swept: string[] = [];
      for (const mode of MODES) {
        // Per point: whether the write was visible (made) after the fault, C, or not, '.'.
        let outcomes = '';
        for (let k = 1; ; k += 1) {
          if (k > 60) throw new Error('no end to the write calls');
          const { fired, calls, committed } = await sweepOnce(write, mode, k);
          if (!fired) {
            swept.push(`${mode}: ${k - 1} points [${outcomes}] (${calls.map((c) => c.split(' ').slice(1, 2).join().replace('Command', '')).join(', ')})`);
            break;
          }
          outcomes += committed ? 'C' : '.';
        }
      }
      console.log(`${write.name}\n  ${swept.join('\n  ')}`);
      const mine = failures.filter((f) => f.startsWith(write.name + ' ['));
      expect(mine).toEqual([]);
      expect(swept.every((s) => !s.includes(': 0 points'))).toBe(true);
      // A write of 10 or more calls takes 7 s on a quiet machine, near 20 on a busy one (two cores).
    }, 60_000);
  }
});

describe.runIf(process.env.SWEEP_DOUBLE)('double crash (exploration)', () => {
  for (const write of WRITES) {
    it(write.name, async () => {
      const quiet = [vi.spyOn(console, 'error').mockImplementation(() => {}), vi.spyOn(console, 'warn').mockImplementation(() => {})];
      const modes = (process.env.SWEEP_DOUBLE!.split(',')) as Mode[];
      let n = 0;
      for (let k1 = 1; ; k1 += 1) {
        let k1fired = true;
        for (let k2 = 1; ; k2 += 1) {
          scenario = `${write.name} [double ${modes} ${k1}/${k2}]`;
          const prepared = await write.prepare(`d${WRITES.indexOf(write)}-${k1}-${k2}`);
          const f1 = newFault(modes[0]!, k1);
          await withFault(f1, prepared.send);
          if (!f1.fired) { k1fired = false; break; }
          const c1 = await prepared.views();
          const f2 = newFault(modes[1] ?? modes[0]!, k2);
          const second = await withFault(f2, prepared.send);
          const c2 = await prepared.views();
          if (!f2.fired) {
            claim(second.status === write.success, `retry unfaulted ${second.status}`, second.body);
            break;
          }
          n += 1;
          const third = await prepared.send();
          claim(third.status === write.success, `third: ${third.status}`, third.body);
          if (write.replays !== false) claim(replayed(third) === (c2 ? 'true' : null), `third replayed ${replayed(third)} c1=${c1} c2=${c2}`);
          if (third.status === write.success) await prepared.done(third);
        }
        if (!k1fired) break;
      }
      for (const spy of quiet) spy.mockRestore();
      console.log(write.name, n, 'double scenarios');
      expect(failures.filter((f) => f.startsWith(write.name + ' ['))).toEqual([]);
    }, 120_000);
  }
});
