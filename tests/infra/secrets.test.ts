/**
 * Secrets reach warm functions again after a rotation: a value is kept for SECRET_REFRESH_MS, then
 * refreshed behind the last good value, which keeps answering at once, also while a refresh hangs
 * or fails. Against a Secrets Manager stand-in that can hang; only Date is faked.
 */
import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { listenLocally } from './local-endpoint.ts';

let value: string | undefined = 'key-1';
let hang = false;
const hanging: ServerResponse[] = [];
let requests = 0;
let endpoint: { url: string; close(): Promise<void> };
/** vi.waitFor polls in real time (only Date is faked): room for a localhost round trip on a busy machine. */
const WAIT = { timeout: 10_000 };

/** Secrets Manager's answer: the secret as `value` holds it now, or "not found" when it holds none. */
function answer(res: ServerResponse): void {
  const reply = (status: number, json: object) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
  if (value === undefined) return void reply(400, { __type: 'ResourceNotFoundException', message: 'gone' });
  reply(200, { ARN: 'arn', SecretString: value, VersionId: 'v' });
}

beforeAll(async () => {
  endpoint = await listenLocally(createServer((req, res) => {
    requests += 1;
    req.resume();
    if (hang) return void hanging.push(res);
    answer(res);
  }));
  Object.assign(process.env, {
    ROTATED_SECRET_ARN: 'arn:aws:secretsmanager:local:000000000000:secret:rotated',
    AWS_REGION: 'local', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
  });
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterAll(async () => {
  vi.useRealTimers();
  for (const res of hanging) res.destroy();
  await endpoint.close();
});

it('refreshes a rotated secret behind the last good value, which answers at once even while a refresh hangs or fails', async () => {
  const { secretNamedBy, SECRET_REFRESH_MS, SECRET_RETRY_MS } = await import('#shared/store/secrets.ts');
  const secret = () => secretNamedBy('ROTATED_SECRET_ARN', (v) => v);
  expect(await secret()).toBe('key-1');

  value = 'key-2';
  vi.advanceTimersByTime(SECRET_REFRESH_MS - 1000);
  expect(await secret()).toBe('key-1'); // within the interval: not read again
  expect(requests).toBe(1);
  vi.advanceTimersByTime(2000);
  expect(await secret()).toBe('key-1'); // the refresh starts; the last good value answers meanwhile
  await vi.waitFor(async () => expect(await secret()).toBe('key-2'), WAIT);
  expect(requests).toBe(2);

  // A refresh that hangs holds nobody up, and only one runs at a time.
  hang = true;
  vi.advanceTimersByTime(SECRET_REFRESH_MS + 1);
  expect(await Promise.all([secret(), secret(), secret()])).toEqual(['key-2', 'key-2', 'key-2']);
  await vi.waitFor(() => expect(hanging).toHaveLength(1), WAIT);
  expect(requests).toBe(3);
  // The hanging refresh ends in an error the SDK does not retry (the secret is gone): it fails.
  hang = false;
  value = undefined;
  for (const res of hanging.splice(0)) answer(res);

  // A failed refresh keeps the last good value, and is tried again SECRET_RETRY_MS later, not on every call.
  expect(await secret()).toBe('key-2');
  expect(requests).toBe(3);
  value = 'key-3';
  await vi.waitFor(async () => {
    vi.advanceTimersByTime(SECRET_RETRY_MS + 1);
    expect(await secret()).toBe('key-3');
  }, WAIT);
});
