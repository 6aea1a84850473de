/**
 * A crash between the link writes and the commit (injected into the SDK client the handlers
 * use, right before the agreement's PutItem) must leave no visible agreement, and a retry with
 * the same Idempotency-Key must complete it exactly once.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deriveAgreementId } from '#shared/domain/ids.ts';
import { agreement, ceremony, logSigning, party, setup } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;
let crashNextCommit = false;
/** Runs once, right before the next commit is sent: another change that gets in first. */
let beforeNextCommit: (() => Promise<unknown>) | undefined;
/** The next call of this command reaches the table, then its answer is lost and the SDK retries it. */
let loseAnswerOf: string | undefined;
/** Only a call of it that writes an item with this sort key, if set. */
let loseAnswerOfSortKey: string | undefined;
/** Runs after that call reached the table and before the SDK sends it again: another client's write. */
let meanwhile: (() => Promise<unknown>) | undefined;
/** The error the next call of this command fails with, as the SDK throws it once its retries are spent. */
let failNext: { command: string; error: Error } | undefined;
/** How many of the next batch reads DynamoDB answers only in part (a response over its size limit), leaving the rest unprocessed. */
let partialBatches = 0;
/** How many of the next batch reads DynamoDB answers with nothing at all (throttled), leaving every key unprocessed. */
let unansweredBatches = 0;
/** Runs once, before the next batch read is sent: other clients' requests landing in the middle of one. */
let beforeNextBatch: (() => Promise<unknown>) | undefined;

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [party('crash-a'), party('crash-b', { countryCode: 'UZ' })]);
  // Same module instance as the handlers: the store's one client.
  const { dynamo } = await import('#shared/store/client.ts');
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Item?: { sk?: unknown } };
      // The commit of a new agreement (PutItem) or of a new version (UpdateItem) of one.
      const sk = input.Item?.sk ?? (args.input as { Key?: { sk?: unknown } }).Key?.sk;
      const isCommit = /^(Put|Update)/.test(context.commandName ?? '') &&
        (sk === 'AGREEMENT' || (typeof sk === 'object' && sk !== null && (sk as { S?: string }).S === 'AGREEMENT'));
      if (crashNextCommit && isCommit) {
        crashNextCommit = false;
        throw new Error('injected crash before commit');
      }
      if (beforeNextCommit && isCommit) {
        const other = beforeNextCommit;
        beforeNextCommit = undefined;
        await other();
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectCrashBeforeCommit' },
  );
  // Below the SDK's retry middleware: the write is applied, then the connection drops (a timeout,
  // a reset, a 500 after the write), so the SDK sends the very same write again.
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const sortKey = (args.input as { Item?: { sk?: { S?: string } } }).Item?.sk?.S; // marshalled by now
      if (loseAnswerOf !== undefined && context.commandName === loseAnswerOf && (loseAnswerOfSortKey === undefined || sortKey === loseAnswerOfSortKey)) {
        loseAnswerOf = undefined;
        loseAnswerOfSortKey = undefined;
        const other = meanwhile;
        meanwhile = undefined;
        await other?.();
        throw Object.assign(new Error('injected: connection reset after the write'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
      }
      return result;
    },
    { step: 'deserialize', name: 'injectLostAnswer' },
  );
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (failNext && context.commandName === failNext.command) {
        const { error } = failNext;
        failNext = undefined;
        throw error;
      }
      return next(args);
    },
    { step: 'initialize', name: 'failNext' },
  );
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchGetItemCommand' && beforeNextBatch) {
        const run = beforeNextBatch;
        beforeNextBatch = undefined;
        await run();
      }
      return next(args);
    },
    { step: 'initialize', name: 'runBeforeNextBatch' },
  );
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchGetItemCommand' || partialBatches + unansweredBatches === 0) return next(args);
      const input = args.input as { RequestItems: Record<string, { Keys: unknown[] }> };
      const [table, read] = Object.entries(input.RequestItems)[0]!;
      if (unansweredBatches > 0) {
        unansweredBatches -= 1;
        return { output: { $metadata: {}, Responses: { [table]: [] }, UnprocessedKeys: input.RequestItems }, response: {} } as never;
      }
      const asked = read.Keys.slice(0, Math.ceil(read.Keys.length / 2));
      if (asked.length === read.Keys.length) return next(args);
      partialBatches -= 1;
      const result = await next({ ...args, input: { ...input, RequestItems: { [table]: { ...read, Keys: asked } } } });
      (result.output as { UnprocessedKeys?: unknown }).UnprocessedKeys = { [table]: { ...read, Keys: read.Keys.slice(asked.length) } };
      return result;
    },
    { step: 'initialize', name: 'answerPartOfBatch' },
  );
});
afterAll(() => t.close());


/** Imported once the registry runs: the store's client reads its endpoint at load. */
const linksOf = async (pk: string) => (await import('./support/links.ts')).linksOf(pk);

describe('crash between link write and commit', () => {
  it('leaves links but no visible agreement; a retry completes it once', async () => {
    const body = agreement(['crash-a', 'crash-b'], { title: 'Interrupted' });
    const id = deriveAgreementId(cer, 'crash-key');

    crashNextCommit = true;
    const crashed = await logSigning(t, cer, body, 'crash-key');
    expect(crashed.status).toBe(500);
    expect(crashed.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.stringify(crashed.body)).not.toContain('injected');

    // (Other tests of this file sign between the same parties: only this signing's entries count.)
    const linked = async (pk: string) => (await linksOf(pk)).filter((l) => l.agreementId === id);
    const listed = async (query: string, token?: string) => (await t.call('GET', `/agreements?${query}&limit=100`, { token })).body.items.filter((a: any) => a.id === id);
    // The links were written (the crash really came between the two writes)...
    expect(await linked('PARTY#crash-a')).toHaveLength(1);
    expect(await linked('COUNTRY#UZ')).toHaveLength(1);
    // ...yet nobody sees a phantom agreement, by any route.
    expect((await t.call('GET', `/agreements/${id}`)).status).toBe(404);
    for (const query of ['partyId=crash-a', 'partyId=crash-b', 'country=UZ', 'country=CN', `ceremonyId=${cer}`, '']) {
      expect(await listed(query), query).toEqual([]);
    }
    expect(await listed('', t.tokens.partner('crash-a'))).toEqual([]);

    const retry = await logSigning(t, cer, body, 'crash-key');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.body.id).toBe(id);
    for (const query of ['partyId=crash-a', 'country=UZ', `ceremonyId=${cer}`, '']) {
      expect(await listed(query), query).toHaveLength(1);
    }
    expect(await linked('PARTY#crash-a')).toHaveLength(1);
  });

  it('in an amendment that moves the agreement to another party, leaves it where it was; a retry moves it', async () => {
    await t.call('POST', '/parties', { body: party('crash-c', { countryCode: 'AM' }) });
    const created = await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'Moving' }), 'crash-move');
    const id = created.body.id as string;
    const patch = { parties: [{ partyId: 'crash-a', signatory: { name: 'A' } }, { partyId: 'crash-c', signatory: { name: 'C' } }], reason: 'wrong partner' };
    const ids = async (query: string) => (await t.call('GET', `/agreements?${query}`)).body.items.map((a: any) => a.id);

    crashNextCommit = true;
    const crashed = await t.call('PATCH', `/agreements/${id}`, { body: patch, headers: { 'if-match': '"1"' } });
    expect(crashed.status).toBe(500);
    expect((await linksOf('PARTY#crash-c')).map((l) => l.agreementId)).toContain(id);
    // Version 1 stands everywhere: the new party's fresh link points at a record that does not list it.
    expect((await t.call('GET', `/agreements/${id}`)).body.version).toBe(1);
    expect(await ids('partyId=crash-c')).not.toContain(id);
    expect(await ids('country=AM')).not.toContain(id);
    expect(await ids('partyId=crash-b')).toContain(id);

    const retry = await t.call('PATCH', `/agreements/${id}`, { body: patch, headers: { 'if-match': '"1"' } });
    expect(retry.status).toBe(200);
    expect(await ids('partyId=crash-c')).toContain(id);
    expect(await ids('country=AM')).toContain(id);
    expect(await ids('partyId=crash-b')).not.toContain(id);
    expect((await linksOf('PARTY#crash-b')).map((l) => l.agreementId)).not.toContain(id);
  });
});

describe('an amendment that loses its race to another', () => {
  it('takes back the links it wrote for nothing: a party it added keeps no entry of the agreement', async () => {
    await t.call('POST', '/parties', { body: party('crash-race', { countryCode: 'TJ' }) });
    const id = (await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'Raced' }), 'crash-race')).body.id as string;
    const parties = [{ partyId: 'crash-a', signatory: { name: 'A' } }, { partyId: 'crash-b', signatory: { name: 'B' } }, { partyId: 'crash-race', signatory: { name: 'R' } }];
    // Its links are written; before its commit goes, another amendment of version 1 commits.
    beforeNextCommit = async () => {
      const winner = await t.call('PATCH', `/agreements/${id}`, { body: { summary: 'Got in first', reason: 'race' }, headers: { 'if-match': '"1"' } });
      expect(winner.status).toBe(200);
    };
    const lost = await t.call('PATCH', `/agreements/${id}`, { body: { parties, reason: 'add a party' }, headers: { 'if-match': '"1"' } });
    expect([lost.status, beforeNextCommit]).toEqual([412, undefined]);
    expect((await t.call('GET', `/agreements/${id}`)).body.parties.map((p: any) => p.partyId)).toEqual(['crash-a', 'crash-b']);
    expect((await linksOf('PARTY#crash-race')).map((l) => l.agreementId)).not.toContain(id);
    expect((await linksOf('COUNTRY#TJ')).map((l) => l.agreementId)).not.toContain(id);
    // The winner changed no party: it wrote no link again (each keeps the version that wrote it).
    expect((await linksOf('PARTY#crash-a')).filter((l) => l.agreementId === id).map((l) => l.version)).toEqual([1]);
    // Sent again on the version that won, it goes in, and its links with it (written again).
    const again = await t.call('PATCH', `/agreements/${id}`, { body: { parties, reason: 'add a party' }, headers: { 'if-match': '"2"' } });
    expect(again.status).toBe(200);
    expect((await linksOf('PARTY#crash-race')).map((l) => l.agreementId)).toContain(id);
    expect((await t.call('GET', '/agreements?partyId=crash-race')).body.items.map((a: any) => a.id)).toEqual([id]);
  });
});

describe('a write applied whose answer was lost, sent again by the SDK', () => {
  it('reports the change it made, not a conflict with itself: amend, void, rename, create', async () => {
    loseAnswerOf = 'PutItemCommand';
    loseAnswerOfSortKey = 'AGREEMENT';
    const created = await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'Lost answers' }), 'crash-lost');
    // Sent once by the client: made, not a replay of itself.
    expect([created.status, created.body.version, created.headers.get('idempotent-replayed')]).toEqual([201, 1, null]);
    expect(loseAnswerOf).toBeUndefined();
    const id = created.body.id as string;

    loseAnswerOf = 'UpdateItemCommand';
    const amended = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Lost answers, amended', reason: 'typo' }, headers: { 'if-match': '"1"' } });
    // The client sent it once: its answer is the change, not a replay.
    expect([amended.status, amended.body.version, amended.body.title, amended.headers.get('idempotent-replayed')]).toEqual([200, 2, 'Lost answers, amended', null]);
    expect(loseAnswerOf).toBeUndefined(); // the fault did fire

    loseAnswerOf = 'UpdateItemCommand';
    const voided = await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'Logged twice' }, headers: { 'if-match': '"2"' } });
    expect([voided.status, voided.body.version, voided.body.status, voided.headers.get('idempotent-replayed')]).toEqual([200, 3, 'voided', null]);
    expect((await t.call('GET', `/agreements/${id}/history`)).body.items).toHaveLength(3);

    loseAnswerOf = 'PutItemCommand';
    const renamed = await t.call('PATCH', '/parties/crash-b', { body: { name: 'Crash B Renamed' }, headers: { 'if-match': '"1"' } });
    expect([renamed.status, renamed.body.version, renamed.body.name, renamed.headers.get('idempotent-replayed')]).toEqual([200, 2, 'Crash B Renamed', null]);

    // Another client's amendment lands between the lost answer and the retry: ours is still reported as made.
    const raced = (await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'Raced' }), 'crash-raced')).body.id as string;
    loseAnswerOf = 'UpdateItemCommand';
    meanwhile = () => t.call('PATCH', `/agreements/${raced}`, { body: { title: 'Raced, second writer', reason: 'b' }, headers: { 'if-match': '"2"' } });
    const first = await t.call('PATCH', `/agreements/${raced}`, { body: { title: 'Raced, first writer', reason: 'a' }, headers: { 'if-match': '"1"' } });
    expect([first.status, first.body.version, first.body.title, first.headers.get('idempotent-replayed')]).toEqual([200, 2, 'Raced, first writer', null]);
    expect((await t.call('GET', `/agreements/${raced}`)).body).toMatchObject({ version: 3, title: 'Raced, second writer' });

    loseAnswerOf = 'PutItemCommand';
    const party = await t.call('POST', '/parties', { body: { kind: 'city', name: 'Lost Answer City', countryCode: 'UZ' }, headers: { 'idempotency-key': 'lost-party' } });
    expect([party.status, party.body.name, party.headers.get('idempotent-replayed')]).toEqual([201, 'Lost Answer City', null]);
    expect(loseAnswerOf).toBeUndefined();
    // Sent again by the client: now a replay.
    const again = await t.call('POST', '/parties', { body: { kind: 'city', name: 'Lost Answer City', countryCode: 'UZ' }, headers: { 'idempotency-key': 'lost-party' } });
    expect([again.status, again.body.id, again.headers.get('idempotent-replayed')]).toEqual([201, party.body.id, 'true']);
    loseAnswerOf = 'PutItemCommand';
    const opened = await t.call('POST', '/ceremonies', { body: ceremony('crash-cer-opened') });
    expect([opened.status, opened.body.id, opened.headers.get('idempotent-replayed')]).toEqual([201, 'crash-cer-opened', null]);
    expect(loseAnswerOf).toBeUndefined();

    // A ceremony keeps its corrections: another's landing between the lost answer and the retry leaves ours reported as made.
    expect((await t.call('POST', '/ceremonies', { body: ceremony('crash-cer-lost') })).status).toBe(201);
    loseAnswerOf = 'PutItemCommand';
    meanwhile = () => t.call('PATCH', '/ceremonies/crash-cer-lost', { body: { city: 'Second writer', reason: 'b' }, headers: { 'if-match': '"2"' } });
    const corrected = await t.call('PATCH', '/ceremonies/crash-cer-lost', { body: { venue: 'First writer', reason: 'a' }, headers: { 'if-match': '"1"' } });
    expect([corrected.status, corrected.body.version, corrected.body.venue, corrected.headers.get('idempotent-replayed')]).toEqual([200, 2, 'First writer', null]);
    expect(loseAnswerOf).toBeUndefined();
    expect((await t.call('GET', '/ceremonies/crash-cer-lost/history')).body.items.map((e: { reason: string | null }) => e.reason)).toEqual([null, 'a', 'b']);
  });

  it('reports an amendment as made when two more changes landed on top before the retry\'s answer (told from the whole history, not the tip), and records it once', async () => {
    const id = (await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'Deep' }), 'crash-deep')).body.id as string;
    loseAnswerOf = 'UpdateItemCommand';
    meanwhile = async () => {
      for (const v of [2, 3]) expect((await t.call('PATCH', `/agreements/${id}`, { body: { summary: `On top ${v}`, reason: `top ${v}` }, headers: { 'if-match': `"${v}"` } })).status).toBe(200);
    };
    const mine = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Deep, mine', reason: 'mine' }, headers: { 'if-match': '"1"' } });
    expect([mine.status, mine.body.version, mine.body.title, mine.headers.get('idempotent-replayed')]).toEqual([200, 2, 'Deep, mine', null]);
    expect(loseAnswerOf).toBeUndefined();
    const h = (await t.call('GET', `/agreements/${id}/history`)).body;
    expect([h.items.map((e: { reason: string | null }) => e.reason), h.integrity.chainValid]).toEqual([[null, 'mine', 'top 2', 'top 3'], true]);
  });
});

describe('a database failure that passes, once the SDK\'s retries are spent', () => {
  // As the SDK throws them: the service's 500 and 503, a timeout, a connection reset.
  const failures = () => [
    Object.assign(new Error('Internal server error'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
    Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 } }),
    Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} }),
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  ];

  it('is a 503 with Retry-After, and the same request sent again goes in once', async () => {
    for (const [i, error] of failures().entries()) {
      failNext = { command: 'UpdateItemCommand', error };
      const created = await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: `Passing failure ${i}` }));
      const amend = () => t.call('PATCH', `/agreements/${created.body.id}`, { body: { title: `Passing failure ${i}, amended`, reason: 'typo' }, headers: { 'if-match': '"1"' } });
      const failed = await amend();
      expect([failed.status, failed.headers.get('retry-after'), failed.headers.get('content-type'), failed.body.detail], error.name).toEqual([
        503, '2', 'application/problem+json', 'The registry is busy: try again in a moment (sending the same request again is safe)',
      ]);
      expect(failNext).toBeUndefined();
      const again = await amend();
      expect([again.status, again.body.version]).toEqual([200, 2]);
    }
    // A bug is still a 500, which names the request so that whoever reports it points at its log line.
    failNext = { command: 'UpdateItemCommand', error: new TypeError('undefined is not a function') };
    const created = await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'A bug' }));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const bug = await t.call('PATCH', `/agreements/${created.body.id}`, { body: { title: 'Bug', reason: 'r' }, headers: { 'if-match': '"1"' } });
      expect(bug.status).toBe(500);
      const reference = /logged under reference (\S+);/.exec(bug.body.detail)?.[1];
      expect(reference).toMatch(/^[0-9a-f-]{36}$/);
      // The answer's header names it too, as API Gateway's does, for a client that shows no body.
      expect(bug.headers.get('apigw-requestid')).toBe(reference);
      expect(logged.mock.calls.map(([line]) => line)).toEqual([expect.objectContaining({ event: 'unhandled error', apiRequestId: reference, error: expect.objectContaining({ name: 'TypeError' }) })]);
    } finally {
      logged.mockRestore();
    }
  });

  it('tells a registration that named no id and no key that sending it again could record it twice', async () => {
    const body = { kind: 'city', name: 'Flaky Wi-Fi City', countryCode: 'UZ' };
    failNext = { command: 'PutItemCommand', error: failures()[0]! };
    const unnamed = await t.call('POST', '/parties', { body });
    expect([unnamed.status, unnamed.headers.get('retry-after')]).toEqual([503, '2']);
    expect(unnamed.body.detail).toMatch(/^The registry is busy: try again in a moment\. It may have been recorded before the failure: it named no id and no Idempotency-Key, so sending it again could record it twice\./);
    for (const named of [{ body, headers: { 'idempotency-key': 'flaky-city' } }, { body: { ...body, id: 'flaky-city' } }]) {
      failNext = { command: 'PutItemCommand', error: failures()[0]! };
      const r = await t.call('POST', '/parties', named);
      expect([r.status, r.body.detail]).toEqual([503, 'The registry is busy: try again in a moment (sending the same request again is safe)']);
    }
    failNext = { command: 'PutItemCommand', error: new TypeError('a bug') };
    expect((await t.call('POST', '/ceremonies', { body: { ...ceremony('flaky-cer'), id: undefined } })).body.detail).toMatch(/please try again\. It may have been recorded before the failure/);
  });
});

describe('two copies of one change sent at once', () => {
  it('answer as one change even when a party the change adds is renamed between the two copies\' reads', async () => {
    expect((await t.call('POST', '/parties', { body: party('crash-added', { name: 'Added Ltd' }) })).status).toBe(201);
    const id = (await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'Copies and a rename' }))).body.id as string;
    const change = { parties: ['crash-a', 'crash-b', 'crash-added'].map((partyId) => ({ partyId, signatory: { name: 'S', title: 'T' } })), reason: 'third party' };
    const copy = () => t.call('PATCH', `/agreements/${id}`, { body: change, headers: { 'if-match': '"1"' } });
    // The second copy has read version 1 and is about to read the party it adds, when the first
    // copy is made in full (with the party as it was) and the party is renamed.
    let first: Awaited<ReturnType<typeof copy>> | undefined;
    beforeNextBatch = async () => {
      first = await copy();
      expect((await t.call('PATCH', '/parties/crash-added', { body: { name: 'Added Holdings' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    };
    const second = await copy();
    expect(beforeNextBatch).toBeUndefined(); // it did run in the middle
    expect([first!.status, first!.headers.get('idempotent-replayed'), first!.body.parties[2].name]).toEqual([200, null, 'Added Ltd']);
    expect([second.status, second.headers.get('idempotent-replayed'), second.body]).toEqual([200, 'true', first!.body]);
    expect((await t.call('GET', `/agreements/${id}/history`)).body.items).toHaveLength(2);
  });
});

describe('a batch read DynamoDB answers in part', () => {
  it('is asked again for the rest (after a short wait, a doubling one when nothing came) and, throttled for good, is a 503: a signing gets every party, a list every agreement', async () => {
    for (const id of ['partial-a', 'partial-b']) expect((await t.call('POST', '/parties', { body: party(id) })).status).toBe(201);
    const body = (title: string) => agreement(['partial-a', 'partial-b'], { title });
    const earlier = [];
    for (const n of [1, 2, 3]) earlier.push((await logSigning(t, cer, body(`Earlier ${n}`), `partial-${n}`)).body.id);
    try {
      partialBatches = 1;
      const logged = await logSigning(t, cer, body('Partly answered'), 'partial-4');
      expect([logged.status, logged.body.parties?.map((p: any) => p.partyId)]).toEqual([201, ['partial-a', 'partial-b']]);
      expect(partialBatches).toBe(0); // its parties were read in two rounds
      partialBatches = 2;
      const listed = (await t.call('GET', '/agreements?partyId=partial-a&limit=100')).body.items.map((a: any) => a.id);
      expect(listed.sort()).toEqual([logged.body.id, ...earlier].sort());
      expect(partialBatches).toBe(0); // four agreements: read in three rounds
      unansweredBatches = 2;
      const throttled = (await t.call('GET', '/agreements?partyId=partial-b&limit=100')).body.items.map((a: any) => a.id);
      expect(throttled.sort()).toEqual([logged.body.id, ...earlier].sort());
      expect(unansweredBatches).toBe(0);
      // Throttled for good: after a second of waiting in all, the list is a 503 that says to try again.
      // With the jitter pinned to its middle the waits are 5, 10, 20, ... 320 ms (635 in all): the
      // next, 640, would pass the second, so it gives up after 8 rounds (left to chance, the count
      // of rounds varies, and more than 10 come up now and then).
      unansweredBatches = 1000;
      const jitter = vi.spyOn(Math, 'random').mockReturnValue(0.5);
      const busy = await t.call('GET', '/agreements?partyId=partial-b&limit=100').finally(() => jitter.mockRestore());
      expect([busy.status, busy.headers.get('retry-after'), busy.body.type]).toEqual([503, '2', '/problems/unavailable']);
      expect(1000 - unansweredBatches).toBe(8);
    } finally {
      partialBatches = 0;
      unansweredBatches = 0;
    }
  });
});

describe('a local server killed between dynalite\'s index write and its item write', () => {
  it('leaves index entries of a write that never happened, which the repair after an unclean stop removes', async () => {
    const { createRequire } = await import('node:module');
    // dynalite writes index entries, then the item: an item write that fails after its entries
    // (every attempt the SDK makes) leaves what a kill between the two leaves.
    const dynaliteDb = createRequire(import.meta.url)('dynalite/db/index.js') as { updateIndexes: (...args: any[]) => void };
    const original = dynaliteDb.updateIndexes;
    /** Every write of an agreement item whose record holds `marker` fails after its index entries are written. */
    const killAfterIndexWrites = (marker: string) => {
      dynaliteDb.updateIndexes = (store, table, existing, item, cb) =>
        original(store, table, existing, item, (error?: Error) => cb(error ?? (JSON.stringify(item?.data ?? {}).includes(marker)
          ? Object.assign(new Error('killed'), { statusCode: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'killed' } })
          : undefined)));
    };
    const body = agreement(['crash-a', 'crash-b'], { title: 'Before the kill', signedAt: '2021-08-23T11:00:00+08:00' });
    const logged = await logSigning(t, cer, body, 'ghost-key');
    const id = logged.body.id as string;
    const listed = async () => (await t.call('GET', `/agreements?ceremonyId=${cer}&limit=100`)).body.items.filter((a: any) => a.id === id).map((a: any) => [a.version, a.title]);
    killAfterIndexWrites('Never committed');
    try {
      const amend = await t.call('PATCH', `/agreements/${id}`, { headers: { 'if-match': '"1"' }, body: { title: 'Never committed', signedAt: '2021-08-23T12:00:00+08:00', reason: 'ghost' } });
      expect(amend.status).toBe(503); // an InternalServerError, after the SDK's retries
    } finally {
      dynaliteDb.updateIndexes = original;
    }
    expect((await t.call('GET', `/agreements/${id}`)).body.version).toBe(1);
    expect(await listed()).toEqual([[2, 'Never committed']]); // the flaw: a version that never was, listed in place of the real one

    // And a new signing killed the same way: listed, though GET finds nothing.
    killAfterIndexWrites('Never committed');
    let phantom: string;
    try {
      const signing = await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'Never committed either' }), 'phantom-key');
      expect(signing.status).toBe(503);
      phantom = deriveAgreementId(cer, 'phantom-key');
    } finally {
      dynaliteDb.updateIndexes = original;
    }
    const phantoms = async () => (await t.call('GET', `/agreements?ceremonyId=${cer}&limit=100`)).body.items.filter((a: any) => a.id === phantom).length;
    expect([(await t.call('GET', `/agreements/${phantom}`)).status, await phantoms()]).toEqual([404, 1]);

    const { repairIndexes } = await import('#infra/local/repair.ts');
    const journal = join(mkdtempSync(join(tmpdir(), 'concord-repair-')), 'index-repair.json');
    expect(await repairIndexes(journal)).toBeGreaterThan(0);
    expect(await listed()).toEqual([[1, 'Before the kill']]);
    expect(await phantoms()).toBe(0);
    expect(await repairIndexes(journal)).toBe(0); // nothing left to mend

    // A repair killed between its two writes leaves the item under a stray entry's keys (listed
    // at a signing time it never had); its journal says how the pair ends, and the next repair ends it.
    const { dynamo, tableName } = await import('#shared/store/client.ts');
    const { GetCommand, PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const newer = (await logSigning(t, cer, agreement(['crash-a', 'crash-b'], { title: 'Signed later', signedAt: '2021-08-23T23:00:00+08:00' }))).body.id as string;
    const item = (await dynamo.send(new GetCommand({ TableName: tableName, Key: { pk: `AGREEMENT#${id}`, sk: 'AGREEMENT' } }))).Item!;
    expect(item.gsi2sk).toEqual(expect.stringContaining(id));
    await dynamo.send(new PutCommand({ TableName: tableName, Item: { ...item, gsi2sk: `2099-01-01T00:00:00.000Z#${id}` } }));
    writeFileSync(journal, JSON.stringify({ restore: item }));
    expect((await t.call('GET', `/agreements?ceremonyId=${cer}&limit=1`)).body.items[0].id).toBe(id); // now "newest"
    await repairIndexes(journal);
    expect((await dynamo.send(new GetCommand({ TableName: tableName, Key: { pk: `AGREEMENT#${id}`, sk: 'AGREEMENT' } }))).Item).toEqual(item);
    expect(await listed()).toEqual([[1, 'Before the kill']]);
    expect((await t.call('GET', `/agreements?ceremonyId=${cer}&limit=1`)).body.items[0].id).toBe(newer); // back in its place
    expect(existsSync(journal)).toBe(false);
  });
});
