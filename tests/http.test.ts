/** The HTTP edge: bodies, media types, sizes, unknown routes, OpenAPI, and the problem+json shape. */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, varies } from '#shared/http/routes.ts';
import { INVALID_REASONS } from '#shared/domain/schemas.ts';
import { agreement, logSigning, party, setup } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
/** The server's log lines, as they come. */
const logged = new EventTarget();
beforeAll(async () => { t = await startTestRegistry({ log: (line) => logged.dispatchEvent(new MessageEvent('line', { data: line })) }); });

/**
 * One request written to a socket as it is given (fetch would tidy it up), and the answer. A
 * `Connection: close` goes after its request line, and the answer is read until the server closes:
 * closing our side once the request is sent would not do, as Node's server takes a client's
 * half-close for the client gone, and drops an answer not written by then (from a handler loaded
 * afresh, say: the test run alone, or first).
 */
async function raw(request: string) {
  const { connect } = await import('node:net');
  const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
  socket.write(request.replace('\r\n', '\r\nConnection: close\r\n'));
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: body ? JSON.parse(body) : undefined };
}
afterAll(() => t.close());

describe('request bodies', () => {
  it.each([
    ['malformed JSON', '{"kind": "city",', { 'content-type': 'application/json' }, 400, ''],
    ['a JSON array', '[1,2]', { 'content-type': 'application/json' }, 400, ''],
    ['form data', 'kind=city', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'Content-Type'],
    ['plain text', '{"kind":"city"}', { 'content-type': 'text/plain' }, 415, 'Content-Type'],
    ['JSON in another charset', '{"kind":"city"}', { 'content-type': 'application/json; charset=latin1' }, 415, 'Content-Type'],
    ['an empty body', '', { 'content-type': 'application/json' }, 400, ''],
    // Taken for its bytes, a compressed body (or one labelled so) would be recorded as it came.
    ['a body labelled compressed', '{"kind":"organization","name":"Labelled gzip","id":"http-gzip"}', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 415, 'Content-Encoding'],
  ])('%s -> $3', async (_name, body, headers, status, path) => {
    const r = await t.call('POST', '/parties', { body, headers });
    expect(r.status).toBe(status);
    expect((await t.call('GET', '/parties/http-gzip')).status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body.errors.map((e: any) => e.path)).toContain(path);
  });

  it.each([
    ['bytes that are no UTF-8', Buffer.from([0xff, 0xfe])],
    ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
  ])('a JSON body with %s is a 400, not text with U+FFFD in it', async (_name, bad) => {
    const body = Buffer.concat([Buffer.from('{"kind":"organization","name":"Bad'), bad, Buffer.from('","id":"http-bad-utf8"}')]);
    const r = await t.call('POST', '/parties', { body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe('The body is not valid UTF-8');
    expect((await t.call('GET', '/parties/http-bad-utf8')).status).toBe(404);
  });

  it('accepts JSON after a byte order mark, as some Windows tools write it', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(party('http-bom')))]);
    const r = await t.call('POST', '/parties', { body, headers: { 'content-type': 'application/json' } });
    expect([r.status, r.body.name]).toEqual([201, party('http-bom').name]);
  });

  it('a member given twice in one object is a 400 naming it, not the last one taken silently', async () => {
    const body = `{"kind":"organization","name":"First","countryCode":"CN","name":"Second","id":"http-member-twice"}`;
    const r = await t.call('POST', '/parties', { body, headers: { 'content-type': 'application/json' } });
    expect([r.status, r.headers.get('content-type'), r.body.errors]).toEqual([400, 'application/problem+json', [{ path: '/name', message: 'is given more than once' }]]);
    expect((await t.call('GET', '/parties/http-member-twice')).status).toBe(404);
    // Deep in the body too, with the name escaped or not, by JSON Pointer.
    const { repeatedMember } = await import('#shared/http/repeated-member.ts');
    expect(repeatedMember(String.raw`{"parties":[{"role":"a"},{"partyId":"x","role":"b","r\u006fle":"c"}]}`)).toBe('/parties/1/role'); // an escaped name is the name
    expect(repeatedMember('{"a/b":{"~":1,"~":2}}')).toBe('/a~1b/~0');
    // Strings that hold quotes, braces and backslashes are no members. (Valid JSON, as the function takes.)
    const tricky = String.raw`{"x":"\\","y":{"x":"}{\""},"z":[{"x":1},{"x":2}],"w":"\"x\":"}`;
    expect(JSON.parse(tricky)).toEqual({ x: '\\', y: { x: '}{"' }, z: [{ x: 1 }, { x: 2 }], w: '"x":' });
    expect(repeatedMember(tricky)).toBeUndefined();
    expect(repeatedMember('[{"a":1},{"b":[{"c":1,"d":{}},{"c":2,"c":3}]}]')).toBe('/1/b/1/c');
    // An escaped quote neither ends a string nor starts a name.
    expect(repeatedMember(String.raw`{"a":"\",\"a\":1"}`)).toBeUndefined();
    expect(repeatedMember(String.raw`{"a\"b":1,"a\"b":2}`)).toBe('/a"b');
  });

  it('accepts JSON with a charset and a +json type', async () => {
    expect((await t.call('POST', '/parties', { body: party('http-cs'), headers: { 'content-type': 'application/json; charset=utf-8' } })).status).toBe(201);
    // Parameters JSON does not define change nothing, nor does "utf8" for UTF-8 (as many clients write it); another charset is what is wrong.
    for (const [i, type] of ['application/json; charset=utf8', 'application/json; foo=bar', 'application/json;', 'application/json; charset="UTF-8"; q=1'].entries()) {
      expect((await t.call('POST', '/parties', { body: party(`http-cs-${i}`), headers: { 'content-type': type } })).status, type).toBe(201);
    }
    const other = await t.call('POST', '/parties', { body: party('http-cs-x'), headers: { 'content-type': 'application/json; foo=bar; charset=utf-16' } });
    expect([other.status, other.body.errors]).toEqual([415, [{ path: 'Content-Type', message: 'must name charset=utf-8, or no charset (JSON is UTF-8)' }]]);
    expect((await t.call('POST', '/parties', { body: party('http-cs-y'), headers: { 'content-type': 'application/jsonp' } })).status).toBe(415);
    expect((await t.call('POST', '/parties', { body: party('http-plus'), headers: { 'content-type': 'application/merge-patch+json' } })).status).toBe(201);
    expect((await t.call('POST', '/parties', { body: party('http-identity'), headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } })).status).toBe(201);
  });

  it('a body over 64 KB is 413 and nothing is written', async () => {
    const big = party('http-big', { name: 'x', localName: 'y'.repeat(70 * 1024) });
    const r = await t.call('POST', '/parties', { body: big });
    expect(r.status).toBe(413);
    expect(r.body.errors).toEqual([{ path: '', message: 'must be at most 65536 bytes' }]);
    expect((await t.call('GET', '/parties/http-big')).status).toBe(404);
  });

  it('a body of thousands of bad items is a 400 naming the first 100, not an answer over what Lambda hands back (a 5xx)', async () => {
    const cer = await setup(t, [party('http-many-a'), party('http-many-b')], 'http-many-cer');
    // 64 KB of `1,` in a list: every item is "must be one of" the eleven sectors, twice (errors and detail).
    const body = JSON.stringify(agreement(['http-many-a', 'http-many-b'], { sectors: Array(21000).fill(1) }));
    expect(Buffer.byteLength(body)).toBeLessThan(64 * 1024);
    const r = await logSigning(t, cer, body, 'http-many');
    expect([r.status, r.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
    expect(r.body.errors).toHaveLength(100);
    expect(r.body.errors[0]).toEqual({ path: '/sectors/0', message: expect.stringMatching(/^must be one of: "digital-economy"/) });
    expect(r.body.detail).toMatch(/; and 20900 more$/);
    expect(JSON.stringify(r.body).length).toBeLessThan(64 * 1024);
    expect((await t.call('GET', '/agreements?ceremonyId=http-many-cer')).body.items).toEqual([]);
  });

  it('a body of exactly 64 KB is judged on its content, not its size', async () => {
    const body = JSON.stringify(party('http-edge', { summary: '' }));
    const padded = body.slice(0, -1) + ' '.repeat(64 * 1024 - Buffer.byteLength(body)) + '}';
    expect(Buffer.byteLength(padded)).toBe(64 * 1024);
    const r = await t.call('POST', '/parties', { body: padded });
    expect(r.status).toBe(400);
    expect(r.body.errors).toContainEqual({ path: '/summary', message: 'is not a known field' });
  });
});

describe('routes', () => {
  it('an unknown path is a problem+json 404; a wrong method 405 with Allow', async () => {
    const missing = await t.call('GET', '/nothing-here');
    expect([missing.status, missing.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
    const wrong = await t.call('DELETE', '/parties/x');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, PATCH');
    // A path is taken as sent: "//x/healthz" is no route (read as a URL, it would be host x, path /healthz).
    const doubled = await t.call('GET', '//x/healthz', { token: null });
    expect([doubled.status, doubled.body.detail]).toEqual([404, 'No route for //x/healthz']);
  });

  it('answers its bare domain: a browser gets the registry\'s page leading to the verification pages, a program where things are', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    const home = await t.call('GET', '/?utm_source=card', { token: null, headers: browser });
    expect([home.status, home.headers.get('content-type'), home.headers.get('vary')]).toEqual([200, 'text/html; charset=utf-8', 'Accept, Accept-Language']);
    expect(home.body).toContain('<title>Concord registry · 协议登记系统 · Concord</title>');
    expect(home.body).toContain('<a href="/verify">');
    expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
    const api = await t.call('GET', '/', { token: null });
    expect([api.status, api.headers.get('content-type'), api.body]).toEqual([200, 'application/json', { name: 'Concord registry', verify: '/verify', keys: '/.well-known/concord-keys.json', openapi: '/openapi.json' }]);
    // Each path it names answers.
    for (const path of (Object.values(api.body) as string[]).filter((v) => v.startsWith('/'))) expect((await t.call('GET', path, { token: null })).status, path).toBe(200);
    const head = await t.call('HEAD', '/', { token: null, headers: browser });
    expect([head.status, head.body]).toEqual([200, '']);
    // A token is not needed, nor refused.
    expect((await t.call('GET', '/')).status).toBe(200);
  });

  it('shows a browser that types an address the registry has no page at (a near miss) a page that leads to the verification pages', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    for (const path of ['/verfy', '/verify/', '/index.html']) {
      const page = await t.call('GET', path, { token: null, headers: browser });
      expect([page.status, page.headers.get('content-type'), page.headers.get('vary')], path).toEqual([404, 'text/html; charset=utf-8', 'Accept, Accept-Language']);
      expect(page.body).toContain('No page here');
      expect(page.body).toContain('<a href="/verify">');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
    // API clients, and other methods, still get problem+json.
    const api = await t.call('GET', '/verfy', { token: null });
    expect([api.status, api.headers.get('content-type'), api.headers.get('vary')]).toEqual([404, 'application/problem+json', 'Accept, Accept-Language']);
    const post = await t.call('POST', '/verfy', { token: null, headers: browser, body: '{}' });
    expect([post.status, post.headers.get('content-type'), post.headers.get('vary')]).toEqual([404, 'application/problem+json', null]);
    const postHome = await t.call('POST', '/', { token: null, headers: browser, body: '{}' });
    expect([postHome.status, postHome.headers.get('allow'), postHome.headers.get('content-type')]).toEqual([405, 'GET, HEAD', 'application/problem+json']);
    // A route that answers only JSON does not vary either.
    expect((await t.call('GET', '/agreements', { headers: browser })).headers.get('vary')).toBeNull();
    // HEAD as GET, without content; a GET of a path only other methods take (405) as well.
    const head = await t.call('HEAD', '/verfy', { token: null, headers: browser });
    expect([head.status, head.headers.get('content-type'), head.body]).toEqual([404, 'text/html; charset=utf-8', '']);
    const other = await t.call('GET', '/ceremonies/x/agreements', { token: null, headers: browser });
    expect([other.status, other.headers.get('allow'), other.headers.get('content-type')]).toEqual([405, 'POST', 'text/html; charset=utf-8']);
    expect(other.body).toContain('No page here');
  });

  it('a path that is not valid percent-encoding is a 400 naming the path', async () => {
    const broken = await t.call('GET', '/verify/%E0%A4%A?v=1&sig=x', { token: null });
    expect([broken.status, broken.headers.get('content-type'), broken.body.errors]).toEqual([400, 'application/problem+json', [{ path: 'path', message: 'is not valid percent-encoding' }]]);
    expect(broken.body.detail).toBe('The path /verify/%E0%A4%A is not valid percent-encoding');
    // A long path is named by its start.
    const long = await t.call('GET', `/${'x'.repeat(5000)}`, { token: null });
    expect([long.status, long.body.detail]).toEqual([404, `No route for /${'x'.repeat(199)}…`]);
    const exactly = await t.call('GET', `/${'x'.repeat(199)}`, { token: null }); // 200 characters with its slash: whole
    expect(exactly.body.detail).toBe(`No route for /${'x'.repeat(199)}`);
    // So is a long id, the same way.
    const id = await t.call('GET', `/parties/${'y'.repeat(5000)}`);
    expect([id.status, id.body.detail]).toEqual([404, `Nothing is registered under "${'y'.repeat(200)}…"`]);
    // An id typed in capitals is told ids are lower case.
    const capitals = await t.call('POST', '/ceremonies/KAZAN-2024/agreements', { body: {}, headers: { 'idempotency-key': 'k' } });
    expect([capitals.status, capitals.body.detail]).toEqual([404, 'Nothing is registered under "KAZAN-2024" (ids are lower case: "kazan-2024")']);
    // So is one in a query or a body, in its 400.
    const filtered = await t.call('GET', '/agreements?partyId=City-Chongqing');
    expect([filtered.status, filtered.body.errors]).toEqual([400, [{ path: 'partyId', message: 'must be in lower case ("city-chongqing")' }]]);
    const registered = await t.call('POST', '/parties', { body: { id: 'City-Kazan', kind: 'city', name: 'Kazan', countryCode: 'RU' } });
    expect([registered.status, registered.body.errors]).toEqual([400, [{ path: '/id', message: 'must be in lower case ("city-kazan")' }]]);
    // Any other id is told the pattern, as before.
    expect((await t.call('GET', '/agreements?partyId=a_b')).body.errors).toEqual([{ path: 'partyId', message: 'must be 2-63 characters of a-z, 0-9 and "-", starting with a letter or digit' }]);
  });

  it('answers OPTIONS (a browser\'s CORS preflight, without a token) with 204 and the methods of a path', async () => {
    const options = await t.call('OPTIONS', '/agreements/ag-any/certificate.pdf', { token: null, headers: { origin: 'https://console.example', 'access-control-request-method': 'GET' } });
    expect([options.status, options.headers.get('allow'), options.body]).toEqual([204, 'GET, HEAD', '']);
    expect((await t.call('OPTIONS', '/parties', { token: null })).headers.get('allow')).toBe('POST, GET, HEAD');
    const nowhere = await t.call('OPTIONS', '/nowhere', { token: null });
    expect([nowhere.status, nowhere.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
  });

  it('a GET route answers HEAD with its status and headers, without content; other routes do not', async () => {
    const get = await t.call('GET', '/openapi.json', { token: null });
    const head = await t.call('HEAD', '/openapi.json', { token: null });
    expect([head.status, head.headers.get('content-type'), head.headers.get('content-length'), head.body]).toEqual([200, 'application/json', String(Buffer.byteLength(JSON.stringify(get.body))), '']);
    const missing = await t.call('HEAD', '/parties/nobody-here');
    expect([missing.status, missing.headers.get('content-type'), missing.body]).toEqual([404, 'application/problem+json', '']);
    const post = await t.call('HEAD', '/ceremonies/any/agreements');
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('a function answers HEAD without the content itself (Node would drop it locally; API Gateway is not asked to)', async () => {
    const { lambdaContext, toEvent } = await import('#infra/local/adapter.ts');
    const { matchRoute } = await import('#shared/http/routes.ts');
    const invoke = async (fn: string, method: string, url: string) => {
      const match = matchRoute(method, url);
      if (!('route' in match)) throw new Error(`no route for ${method} ${url}`);
      const { handler } = await import(`#functions/${fn}/handler.ts`);
      const event = toEvent({ method, url, headers: { host: 'registry.example' }, body: Buffer.alloc(0), sourceIp: '127.0.0.1' }, match, { sub: 'head-test', 'cognito:groups': ['staff'] });
      return handler(event, lambdaContext(fn));
    };
    const get = await invoke('meta', 'GET', '/openapi.json');
    const head = await invoke('meta', 'HEAD', '/openapi.json');
    expect([head.statusCode, head.body, head.headers['content-type'], head.headers['content-length']]).toEqual([200, '', 'application/json', String(Buffer.byteLength(get.body))]);
    const missing = await invoke('parties-read', 'HEAD', '/parties/nobody-here');
    expect([missing.statusCode, missing.body, missing.headers['content-type'], Number(missing.headers['content-length']) > 0]).toEqual([404, '', 'application/problem+json', true]);
  });

  it('a route without query parameters refuses any, naming them, as the list routes do', async () => {
    const id = (await t.call('POST', '/parties', { body: party('http-noquery') })).body.id;
    for (const [method, path] of [['GET', `/parties/${id}?x=1`], ['POST', '/parties?dryRun=1'], ['GET', '/healthz?probe=1']] as const) {
      const r = await t.call(method, path, method === 'POST' ? { body: party('http-noquery-2') } : {});
      expect(r.status, path).toBe(400);
      expect(r.body.errors[0].message).toBe('is not a known field');
    }
    expect((await t.call('GET', '/parties/http-noquery-2')).status).toBe(404);
  });

  it('names at most 100 unknown query parameters, as a body\'s fields, and says how many were sent', async () => {
    const query = Array.from({ length: 2000 }, (_, i) => `p${i}`).join('&');
    const r = await t.call('GET', `/healthz?${query}`, { token: null });
    expect([r.status, r.body.errors.length, r.body.errors[0], r.body.detail]).toEqual([400, 100, { path: 'p0', message: 'is not a known field' }, 'This request takes no query parameters (2000 were sent; the first 100 are named)']);
  });

  it('a query parameter named __proto__ is an unknown field like any other', async () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const r = await t.call('GET', `/agreements?${name}=x`);
      expect(r.status, name).toBe(400);
      expect(r.body.errors).toContainEqual({ path: name, message: 'is not a known field' });
    }
  });

  it('answers what Node\'s HTTP parser refuses with problem+json too, and a body declared over 4 MB (what reaches a function on AWS) at once', async () => {
    const long = await raw(`GET /agreements/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(long.status).toBe(431);
    expect(long.head).toContain('content-type: application/problem+json');
    expect(long.body).toMatchObject({ status: 431, detail: 'The request line or headers are too large' });
    const broken = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ status: 400 });
    // Declared, never sent: refused before the server waits for it.
    const huge = await raw('POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\nContent-Length: 5000000\r\n\r\n');
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ status: 413, errors: [{ path: '', message: 'must be at most 4194304 bytes' }] });
    // Each names its request, as every answer does.
    for (const answer of [long, broken, huge]) expect(answer.head).toMatch(/\r\napigw-requestid: [0-9a-f-]{36}(\r\n|$)/);
  });

  it('answers a request without Host, with an unknown Expect or transfer coding, with problem+json naming the header', async () => {
    const noHost = await raw('GET /healthz HTTP/1.1\r\n\r\n');
    expect([noHost.status, noHost.body?.errors]).toEqual([400, [{ path: 'Host', message: 'is required' }]]);
    const expectation = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: banana\r\n\r\n');
    expect([expectation.status, expectation.head, expectation.body?.errors]).toEqual([417, expect.stringContaining('content-type: application/problem+json'), [{ path: 'Expect', message: 'must be 100-continue, or absent' }]]);
    for (const answer of [noHost, expectation]) expect(answer.head).toMatch(/\r\napigw-requestid: [0-9a-f-]{36}(\r\n|$)/);
    const body = '{"kind":"organization","name":"Coded","id":"http-coded"}';
    const coded = await raw(`POST /parties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.tokens.staff}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    expect([coded.status, coded.body?.errors]).toEqual([400, [{ path: 'Transfer-Encoding', message: 'must be chunked, or absent' }]]);
    expect((await t.call('GET', '/parties/http-coded')).status).toBe(404);
  });

  it('joins a repeated header as API Gateway does: two Authorization headers are no token, two Content-Types no JSON', async () => {
    const body = '{"kind":"organization","name":"Twice","id":"http-twice"}';
    const request = (headers: string) => raw(`POST /parties HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`);
    const auth = `Authorization: Bearer ${t.tokens.staff}\r\n`;
    expect((await request(`${auth}Authorization: Bearer forged\r\nContent-Type: application/json\r\n`)).status).toBe(401);
    const types = await request(`${auth}Content-Type: application/json\r\nContent-Type: text/plain\r\n`);
    expect([types.status, types.body?.errors]).toEqual([415, [{ path: 'Content-Type', message: 'must be application/json' }]]);
    expect((await t.call('GET', '/parties/http-twice')).status).toBe(404);
    // JSON in another charset: the charset is what is wrong.
    const latin1 = await request(`${auth}Content-Type: application/json; charset=iso-8859-1\r\n`);
    expect([latin1.status, latin1.body?.errors]).toEqual([415, [{ path: 'Content-Type', message: 'must name charset=utf-8, or no charset (JSON is UTF-8)' }]]);
    expect((await t.call('POST', '/parties', { body })).status).toBe(201); // the same request, each header once
  });

  it('takes a path as sent: encoded dot segments are no way to another route', async () => {
    await t.call('POST', '/parties', { body: party('http-dots') });
    const staff = `Authorization: Bearer ${t.tokens.staff}\r\n`;
    const rename = '{"name":"Renamed through dots"}';
    const patched = await raw(`PATCH /agreements/%2e%2e/parties/http-dots HTTP/1.1\r\nHost: x\r\n${staff}If-Match: "1"\r\nContent-Type: application/json\r\nContent-Length: ${rename.length}\r\n\r\n${rename}`);
    expect([patched.status, patched.body?.detail]).toEqual([404, 'No route for /agreements/%2e%2e/parties/http-dots']);
    for (const path of ['/verify/%2e%2e/parties', '/agreements/%2E%2E/%2E%2E/healthz', '/agreements/../parties']) {
      expect((await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\n${staff}\r\n`)).status, path).toBe(404);
    }
    expect((await t.call('GET', '/parties/http-dots')).body.name).not.toBe('Renamed through dots');
  });

  it('a client that goes away mid-body is logged as such, not as a server failure', async () => {
    const line = new Promise<string>((resolve) => logged.addEventListener('line', (e) => { if (/abandoned|500/.test((e as MessageEvent).data)) resolve((e as MessageEvent).data); }));
    const { connect } = await import('node:net');
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    socket.write(`POST /parties HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"kind":`, () => socket.destroy());
    expect(await line).toMatch(/^POST \/parties abandoned by the client/);
  });

  it('a function\'s answer over what Lambda hands back (6 MB) counts as a 5xx here too, as on AWS', async () => {
    const { LAMBDA_RESPONSE_BYTES, overLambdaLimit } = await import('#infra/local/adapter.ts');
    expect(overLambdaLimit({ statusCode: 200, body: 'x'.repeat(LAMBDA_RESPONSE_BYTES) })).toBe(true);
    expect(overLambdaLimit({ statusCode: 200, body: 'x'.repeat(LAMBDA_RESPONSE_BYTES - 100) })).toBe(false);
  });

  it('a database that throttles past the SDK\'s retries is a 503 with Retry-After, not a 500', async () => {
    const { toProblem } = await import('#shared/http/problem.ts');
    for (const name of ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']) {
      const r = toProblem(Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name }));
      expect([r.statusCode, r.headers?.['retry-after'], JSON.parse(String(r.body)).type], name).toEqual([503, '2', '/problems/unavailable']);
    }
    expect(toProblem(new Error('a bug')).statusCode).toBe(500);
    // Any service error the SDK marks as the server's fault, or answered with a 5xx, whatever its name.
    expect(toProblem(Object.assign(new Error('x'), { name: 'SomeNewServiceError', $fault: 'server', $metadata: { httpStatusCode: 502 } })).statusCode).toBe(503);
    expect(toProblem(Object.assign(new Error('x'), { name: 'SomeNewServiceError', $metadata: { httpStatusCode: 500 } })).statusCode).toBe(503);
    expect(toProblem(Object.assign(new Error('x'), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } })).statusCode).toBe(500);
    // A name that does not resolve is a wrong endpoint, a bug: 500.
    expect(toProblem(Object.assign(new Error('getaddrinfo ENOTFOUND dynamodb.nowhere'), { code: 'ENOTFOUND' })).statusCode).toBe(500);
  });

  it('an unknown id is 404 for every kind of record', async () => {
    for (const path of ['/parties/nobody', '/ceremonies/nothing', '/agreements/ag-none', '/agreements/ag-none/history']) {
      const r = await t.call('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body).toMatchObject({ type: '/problems/not-found', status: 404, errors: [] });
    }
  });

  it.each([
    ['an id far over the key size limit', 'x'.repeat(3000)],
    ['an id with characters no id has', 'A%20B'],
    // Read as an agreement's code only while short: spaces and hyphens do not carry a long one to a key.
    ['a code padded far over the key size limit', `ABCD${'-'.repeat(3000)}EFGH`],
    ['a code padded with tabs and spaces', `ABCD${'%09%20'.repeat(20)}EFGH`],
  ])('a path with %s is a 404, never a 5xx', async (_name, id) => {
    for (const path of [`/parties/${id}`, `/ceremonies/${id}`, `/agreements/${id}`, `/agreements/${id}/history`, `/agreements/${id}/certificate.pdf`]) {
      expect((await t.call('GET', path)).status, path.slice(0, 40)).toBe(404);
    }
    const patch = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'x', reason: 'y' }, headers: { 'if-match': '"1"' } });
    expect(patch.status).toBe(404);
    const log = await t.call('POST', `/ceremonies/${id}/agreements`, { body: {}, headers: { 'idempotency-key': 'k' } });
    expect(log.status).toBe(404);
  });

  it('health is public and plain', async () => {
    const r = await t.call('GET', '/healthz', { token: null });
    expect([r.status, r.body]).toEqual([200, { status: 'ok' }]);
  });

  it('serves an OpenAPI 3.1 document with every route, generated from the schemas', async () => {
    const r = await t.call('GET', '/openapi.json', { token: null });
    expect(r.body.openapi).toBe('3.1.0');
    for (const route of ROUTES) expect(r.body.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    // Every operation has an id a generated client names its method by, each its own.
    const ids = Object.values(r.body.paths).flatMap((path: any) => Object.values(path).map((op: any) => op.operationId));
    expect(ids.filter((id) => typeof id !== 'string')).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect([r.body.paths['/'].get.operationId, r.body.paths['/parties/{id}/history'].get.operationId, r.body.paths['/agreements/{id}/certificate.pdf'].head.operationId, r.body.paths['/.well-known/concord-keys.json'].get.operationId, r.body.paths['/verify/{code}'].options.operationId])
      .toEqual(['getRoot', 'getPartiesByIdHistory', 'headAgreementsByIdCertificatePdf', 'getWellKnownConcordKeysJson', 'optionsVerifyByCode']);
    // The headers every success carries are required (a generated client types them so); a replay's mark is not.
    const created = r.body.paths['/ceremonies/{id}/agreements'].post.responses['201'].headers;
    expect([created.ETag.required, created.Location.required, created['Idempotent-Replayed'].required]).toEqual([true, true, false]);
    const create = r.body.paths['/ceremonies/{id}/agreements'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['title', 'kind', 'parties', 'sectors', 'signedAt']));
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(create.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    expect(r.body.paths['/agreements'].get.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['ceremonyId', 'partyId', 'country', 'sector', 'status', 'signedFrom', 'signedTo', 'limit', 'cursor']),
    );
    // What the server requires, the document requires; what it refuses, the schema does not allow.
    expect(r.body.paths['/verify/{code}'].get.parameters.filter((p: any) => p.in === 'query').map((p: any) => [p.name, p.required])).toEqual([['v', true], ['sig', true]]);
    const limitPattern = new RegExp(r.body.paths['/agreements'].get.parameters.find((p: any) => p.name === 'limit').schema.pattern);
    expect(['0', '1', '25', '100', '101', '999'].filter((v) => limitPattern.test(v))).toEqual(['1', '25', '100']);
    for (const path of ['/agreements', '/parties']) {
      const countryPattern = new RegExp(r.body.paths[path].get.parameters.find((p: any) => p.name === 'country').schema.pattern);
      expect(['CN', 'cn', 'CHN', '1', ''].filter((v) => countryPattern.test(v)), path).toEqual(['CN', 'cn']);
    }
    // A problem names at most 100 fields (a body of thousands of bad items), as the server cuts them.
    expect(r.body.components.schemas.Problem.properties.errors.maxItems).toBe(100);
    expect(create.requestBody.content['application/json'].schema.properties.sectors.uniqueItems).toBe(true);
    expect(Object.keys(r.body.paths['/agreements'].get.responses['503'].headers)).toEqual(['Retry-After']);
    // A page in the reader's language order varies, its problems included, as an answer in two types does.
    for (const [path, method] of [['/verify', 'get'], ['/verify/{code}', 'get'], ['/verify', 'post']] as const) {
      expect(r.body.paths[path][method].responses['400'].headers.Vary, `${method} ${path}`).toBeDefined();
    }
    // An answer in a second type varies by Accept, whether or not its route says so.
    const healthz = ROUTES.find((x) => x.path === '/healthz')!;
    expect([varies(healthz), varies({ ...healthz, alsoAs: ['text/html'] })]).toEqual([false, true]);
    // GET /verify varies by language but answers problems in one type: the document does not promise HTML for them.
    expect(Object.keys(r.body.paths['/verify'].get.responses['400'].content)).toEqual(['application/problem+json']);
    // A verdict's reason, for programs: the document lists every one.
    // Each verdict with its own fields: only an invalid one has a reason, only a superseded one supersededAt.
    const verdicts = r.body.paths['/verify/{code}'].get.responses['200'].content['application/json'].schema.oneOf;
    const field = (status: string) => Object.keys(verdicts.find((v: any) => v.properties.status.const === status).properties);
    expect(verdicts.find((v: any) => v.properties.status.const === 'invalid').properties.reason.enum).toEqual([...INVALID_REASONS]);
    expect(['valid', 'superseded', 'voided', 'invalid'].map((status) => field(status).filter((f) => ['reason', 'supersededAt', 'voidedAt', 'agreement'].includes(f)))).toEqual([
      ['agreement'], ['agreement', 'supersededAt'], ['agreement', 'voidedAt'], ['reason'],
    ]);
    // Every GET has its HEAD twin: the same parameters and headers, no content.
    for (const route of ROUTES.filter((x) => x.method === 'GET')) {
      const head = r.body.paths[route.path].head;
      expect(head?.parameters, route.path).toEqual(r.body.paths[route.path].get.parameters);
      expect(Object.values(head.responses).some((x: any) => x.content), route.path).toBe(false);
    }
    expect(r.body.paths['/agreements/{id}/certificate.pdf'].head.responses['200'].headers.ETag).toBeDefined();
    // Every path answers OPTIONS; every operation of a templated path declares its parameters (OpenAPI requires it).
    for (const [path, item] of Object.entries(r.body.paths) as [string, Record<string, { parameters?: { name: string; in: string }[] }>][]) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(item.options, path).toBeDefined();
      for (const [method, op] of Object.entries(item)) {
        expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name), `${method} ${path}`).toEqual(templated);
      }
    }
    // What a query parameter means is said on the parameter, where documentation tools show it.
    expect(r.body.paths['/agreements'].get.parameters.find((p: any) => p.name === 'limit').description).toBe('Items per page, 1 to 100; 25 when not sent');
  });

  it('documents what the server really answers: statuses, media types and headers', async () => {
    const doc = (await t.call('GET', '/openapi.json', { token: null })).body;
    const cer = await setup(t, [party('oa-a'), party('oa-b')], 'oa-cer');
    const signed = await logSigning(t, cer, agreement(['oa-a', 'oa-b']));
    const replayed = agreement(['oa-a', 'oa-b']);
    const pdf = await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
    const link = /\/verify\/\S+/.exec((await import('./support/pdf-text.ts')).pdfToText(pdf.body as Buffer))![0];
    const cases: [string, string, Awaited<ReturnType<typeof t.call>>][] = [
      ['POST', '/ceremonies/{id}/agreements', signed],
      ['POST', '/ceremonies/{id}/agreements', await logSigning(t, cer, replayed, 'oa-replay')],
      ['POST', '/ceremonies/{id}/agreements', await logSigning(t, cer, replayed, 'oa-replay')], // the same again: replayed
      ['POST', '/ceremonies/{id}/agreements', await logSigning(t, cer, replayed, 'oa-other-key')], // under another key: 409
      ['GET', '/agreements/{id}/certificate.pdf', pdf],
      ['GET', '/agreements/{id}/certificate.pdf', await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`, { headers: { 'if-none-match': pdf.headers.get('etag')! } })],
      ['GET', '/agreements/{id}', await t.call('GET', `/agreements/${signed.body.id}`)],
      ['POST', '/parties', await t.call('POST', '/parties', { body: party('oa-a', { name: 'Another party' }) })],
      ['POST', '/ceremonies', await t.call('POST', '/ceremonies', { body: { id: cer, title: 'T', venue: 'V', city: 'C', countryCode: 'CN', startsAt: '2021-08-23T10:00:00+08:00' } })],
      ['POST', '/parties', await t.call('POST', '/parties', { body: party('oa-a') })], // the same request again: replayed
      ['GET', '/agreements', await t.call('GET', '/agreements?signedFrom=2022-01-02&signedTo=2022-01-01')],
      ['GET', '/verify/{code}', await t.call('GET', link, { token: null, headers: { accept: 'text/html' } })],
      ['GET', '/openapi.json', await t.call('GET', '/openapi.json', { token: null })],
      ['GET', '/agreements/{id}', await t.call('GET', `/agreements/${signed.body.id}`, { token: null })],
      ['OPTIONS', '/agreements/{id}', await t.call('OPTIONS', `/agreements/${signed.body.id}`, { token: null })],
    ];
    const seen = cases.map(([method, path, r]) => {
      const documented = doc.paths[path][method.toLowerCase()].responses[r.status];
      const type = r.headers.get('content-type')?.split(';')[0];
      const headers = ['etag', 'location', 'idempotent-replayed', 'vary', 'content-disposition', 'www-authenticate', 'allow'].filter((h) => r.headers.has(h));
      return {
        at: `${method} ${path} ${r.status}`,
        documented: documented !== undefined,
        type: r.status === 304 || (type === undefined ? documented?.content === undefined : type in (documented?.content ?? {})),
        headers: headers.every((h) => Object.keys(documented?.headers ?? {}).some((name) => name.toLowerCase() === h)),
      };
    });
    expect(seen).toEqual(seen.map(({ at }) => ({ at, documented: true, type: true, headers: true })));
    expect(cases.map(([, , r]) => r.status)).toEqual([201, 201, 201, 409, 200, 304, 200, 409, 409, 201, 422, 200, 200, 401, 204]);
    expect([cases[13]![2].headers.get('www-authenticate'), cases[14]![2].headers.get('allow')]).toEqual(['Bearer', 'GET, HEAD, PATCH']);
    expect(cases[9]![2].headers.get('idempotent-replayed')).toBe('true');
    expect(cases[2]![2].headers.get('idempotent-replayed')).toBe('true');
    // Every answer, the server's own refusals too (the 401), names its request, as API Gateway's do.
    const requestIds = cases.map(([, , r]) => r.headers.get('apigw-requestid'));
    for (const id of requestIds) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(requestIds).size).toBe(cases.length);
  });
});

describe('conditional reads', () => {
  it('answers a read whose If-None-Match names the record\'s version with 304 and no body, and a changed record in full', async () => {
    const cer = await setup(t, [party('cond-a'), party('cond-b')], 'cond-cer');
    const signed = await logSigning(t, cer, agreement(['cond-a', 'cond-b']));
    const doc = (await t.call('GET', '/openapi.json', { token: null })).body;
    const read = (path: string, ifNoneMatch: string, token?: string) => t.call('GET', path, { headers: { 'if-none-match': ifNoneMatch }, ...(token && { token }) });
    for (const path of [`/agreements/${signed.body.id}`, '/parties/cond-a', `/ceremonies/${cer}`]) {
      const unchanged = await read(path, '"1"');
      expect([path, unchanged.status, unchanged.headers.get('etag'), unchanged.body]).toEqual([path, 304, '"1"', '']);
      // Weakly compared, in a list, or "*" (RFC 9110 §13.1.2); another version is sent in full.
      for (const tag of ['W/"1"', '"7", "1"', '*']) expect([path, tag, (await read(path, tag)).status]).toEqual([path, tag, 304]);
      expect([path, (await read(path, '"2"')).status]).toEqual([path, 200]);
      const route = path.replace(/[^/]+$/, '{id}');
      expect(Object.keys(doc.paths[route].get.responses)).toContain('304');
    }
    // A partner polling its agreement, and the version after an amendment.
    expect((await read(`/agreements/${signed.body.id}`, '"1"', t.tokens.partner('cond-a'))).status).toBe(304);
    const amended = await t.call('PATCH', `/agreements/${signed.body.id}`, { body: { title: 'Amended', reason: 'r' }, headers: { 'if-match': '"1"' } });
    expect(amended.status).toBe(200);
    const after = await read(`/agreements/${signed.body.id}`, '"1"');
    expect([after.status, after.headers.get('etag'), after.body.title]).toEqual([200, '"2"', 'Amended']);
    // Not theirs, not there: the same 404 as without the header.
    expect((await read(`/agreements/${signed.body.id}`, '*', t.tokens.partner('cond-x'))).status).toBe(404);
  });
});

describe('the local stand-ins for DynamoDB and Secrets Manager', () => {
  // Both listen on loopback ports any local user can reach: they answer only requests signed with
  // the credentials this server made for itself, which only its own process (and user) can read.
  const region = 'local';
  const endpoints = () => ({ dynamodb: process.env.AWS_ENDPOINT_URL_DYNAMODB!, secrets: process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER! });
  const own = () => ({ accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY! });
  const strangers = () => [
    ['the old fixed local credentials', { accessKeyId: 'local', secretAccessKey: 'local' }, 'UnrecognizedClientException'],
    ['another access key id, with the right secret', { accessKeyId: `local-${'0'.repeat(32)}`, secretAccessKey: own().secretAccessKey }, 'UnrecognizedClientException'],
    ['the right access key id, with a wrong secret', { accessKeyId: own().accessKeyId, secretAccessKey: 'guessed' }, 'InvalidSignatureException'],
  ] as const;
  /** What a caller that knows no credentials gets: a plain request, as curl would send it. */
  const unsigned = (url: string, target: string, body: object, type: string, authorization?: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': type, 'x-amz-target': target, ...(authorization && { authorization }) }, body: JSON.stringify(body) })
      .then(async (r) => ({ status: r.status, text: await r.text() }));
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => undefined, (e: { name: string; $metadata?: { httpStatusCode?: number } }) => e);
    return error && { name: error.name, status: error.$metadata?.httpStatusCode };
  };

  it('are reached with credentials made afresh for this server, not fixed ones', () => {
    expect(own().accessKeyId).toMatch(/^local-[0-9a-f]{32}$/);
    expect(own().secretAccessKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('Secrets Manager: the signing key goes to no one without this server\'s credentials', async () => {
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const keyRing = readFileSync(join(t.registry.dataDir, 'signing-keys.json'), 'utf8');
    const privateKey = (JSON.parse(keyRing) as { keys: { privateKeyPem: string }[] }).keys[0]!.privateKeyPem.split('\n')[1]!;
    const ask = { SecretId: 'concord/signing-key' };
    for (const authorization of [undefined, 'Bearer x', `AWS4-HMAC-SHA256 Credential=local/20260101/local/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`]) {
      const r = await unsigned(endpoints().secrets, 'secretsmanager.GetSecretValue', ask, 'application/x-amz-json-1.1', authorization);
      expect([r.status, JSON.parse(r.text).__type], authorization).toEqual([403, expect.stringMatching(/^(MissingAuthenticationToken|IncompleteSignature|UnrecognizedClient)Exception$/)]);
      expect(r.text).not.toContain(privateKey);
    }
    for (const [name, credentials, error] of strangers()) {
      const client = new SecretsManagerClient({ endpoint: endpoints().secrets, region, credentials, maxAttempts: 1 });
      expect(await refusal(client.send(new GetSecretValueCommand(ask))), name).toEqual({ name: error, status: 403 });
      client.destroy();
    }
    // Its own credentials (the handlers' client takes them from the environment) still read it.
    const client = new SecretsManagerClient({ endpoint: endpoints().secrets, region });
    expect((await client.send(new GetSecretValueCommand(ask))).SecretString).toBe(keyRing);
    client.destroy();
  });

  it('DynamoDB: the table is read and written by no one without this server\'s credentials', async () => {
    const { DescribeTableCommand, DynamoDBClient, PutItemCommand, ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const { TABLE_NAME } = await import('#infra/local/server.ts');
    expect((await t.call('POST', '/parties', { body: party('stand-in-a', { name: 'Kept from strangers' }) })).status).toBe(201);
    for (const [target, body] of [['DynamoDB_20120810.Scan', { TableName: TABLE_NAME }], ['DynamoDB_20120810.ListTables', {}]] as const) {
      const r = await unsigned(endpoints().dynamodb, target, body, 'application/x-amz-json-1.0');
      expect([r.status, JSON.parse(r.text).__type], target).toEqual([403, 'com.amazon.coral.service#MissingAuthenticationTokenException']);
      expect(r.text).not.toContain('Kept from strangers');
    }
    const stranger = { pk: { S: 'PARTY#stand-in-b' }, sk: { S: 'PARTY' }, name: { S: 'Planted' } };
    for (const [name, credentials, error] of strangers()) {
      const client = new DynamoDBClient({ endpoint: endpoints().dynamodb, region, credentials, maxAttempts: 1 });
      expect(await refusal(client.send(new ScanCommand({ TableName: TABLE_NAME }))), name).toEqual({ name: error, status: 403 });
      expect(await refusal(client.send(new PutItemCommand({ TableName: TABLE_NAME, Item: stranger }))), name).toEqual({ name: error, status: 403 });
      client.destroy();
    }
    // The signature covers the request: one signed for DescribeTable, then sent as a Scan, is refused.
    const mine = new DynamoDBClient({ endpoint: endpoints().dynamodb, region });
    const swapped = new DynamoDBClient({ endpoint: endpoints().dynamodb, region, maxAttempts: 1 });
    swapped.middlewareStack.addRelativeTo((next: any) => (args: any) => {
      args.request.headers['x-amz-target'] = 'DynamoDB_20120810.Scan';
      return next(args);
    }, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'swapTarget' });
    expect(await refusal(swapped.send(new DescribeTableCommand({ TableName: TABLE_NAME })))).toEqual({ name: 'InvalidSignatureException', status: 403 });
    swapped.destroy();

    // Its own credentials still work, and nothing a stranger sent was written.
    const items = JSON.stringify((await mine.send(new ScanCommand({ TableName: TABLE_NAME }))).Items);
    expect(items).toContain('Kept from strangers');
    expect(items).not.toContain('Planted');
    mine.destroy();
    expect((await t.call('GET', '/parties/stand-in-b')).status).toBe(404);
  });

  it('check a signature as the SDK makes it, query strings included (sorted by name, then value)', async () => {
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
      typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
    // The SDK's hash interface over node:crypto (an HMAC when given a secret).
    class Sha256 {
      private readonly hash;
      constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
      }
      update(data: string | ArrayBuffer | ArrayBufferView) { this.hash.update(bytes(data)); }
      async digest() { return new Uint8Array(this.hash.digest()); }
      reset() {}
    }
    const { authRefusal } = await import('#infra/local/aws-auth.ts');
    const credentials = { accessKeyId: 'local-test', secretAccessKey: 'test-secret' };
    const signer = new SignatureV4({ credentials, region, service: 'dynamodb', sha256: Sha256 });
    // "a-b" sorts before "a" as whole "name=value" strings ("-" < "="), after it by name.
    for (const query of [{}, { a: '1', 'a-b': '2' }, { b: ['2', '1'], a: 'x y' }] as Record<string, string | string[]>[]) {
      const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: 8000, path: '/x/y', query, headers: { host: '127.0.0.1:8000', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
      const pairs = Object.entries(signed.query ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v.map((w): [string, string] => [k, w]) : [[k, String(v)] as [string, string]]));
      const search = new URLSearchParams(pairs).toString().replace(/\+/g, '%20');
      const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
      const req = { method: 'GET', url: `/x/y${search ? `?${search}` : ''}`, headers, headersDistinct: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])) };
      expect(authRefusal(req as never, 'dynamodb', credentials), JSON.stringify(query)).toBeUndefined();
      expect(authRefusal(req as never, 'dynamodb', { ...credentials, secretAccessKey: 'other' })?.type).toBe('InvalidSignatureException');
    }
  });

  it('the registry\'s own calls to both still succeed: a record written and read, a certificate signed', async () => {
    const cer = await setup(t, [party('stand-in-c'), party('stand-in-d')], 'cer-stand-in');
    const signed = await logSigning(t, cer, agreement(['stand-in-c', 'stand-in-d']));
    expect(signed.status).toBe(201);
    expect((await t.call('GET', `/agreements/${signed.body.id}`)).status).toBe(200);
    const pdf = await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
    expect([pdf.status, pdf.headers.get('content-type')]).toEqual([200, 'application/pdf']);
    const list = await t.call('GET', '/parties?limit=1');
    expect([list.status, typeof list.body.nextCursor]).toEqual([200, 'string']);
  });
});
