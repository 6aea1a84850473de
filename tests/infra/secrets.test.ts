/**
 * Secrets reach warm functions again after a rotation: a value is kept for SECRET_REFRESH_MS,
 * then read again, and a failed refresh keeps the last good value. Against the Secrets Manager
 * stand-in the bundle tests use; only Date is faked (the HTTP calls are real).
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startFakeAws, type FakeAws } from './fake-aws.ts';

const ARN = 'arn:aws:secretsmanager:local:000000000000:secret:rotated';
let aws: FakeAws;

beforeAll(async () => {
  aws = await startFakeAws();
  Object.assign(process.env, {
    ROTATED_SECRET_ARN: ARN, AWS_REGION: 'local', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
  });
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterAll(async () => {
  vi.useRealTimers();
  await aws.close();
});

it('reads a rotated secret again after the refresh interval, and keeps the last good value while it cannot', async () => {
  const { secretNamedBy, SECRET_REFRESH_MS } = await import('#shared/store/secrets.ts');
  const reads: string[] = [];
  const secret = () => secretNamedBy('ROTATED_SECRET_ARN', (value) => (reads.push(value), value));
  aws.secrets.set(ARN, 'key-1');
  expect(await secret()).toBe('key-1');

  aws.secrets.set(ARN, 'key-2');
  vi.advanceTimersByTime(SECRET_REFRESH_MS - 1000);
  expect(await secret()).toBe('key-1'); // still within the interval: no read
  vi.advanceTimersByTime(2000);
  expect(await secret()).toBe('key-2');
  expect(reads).toEqual(['key-1', 'key-2']);

  // Secrets Manager unreachable (here: the secret gone) at the next refresh: the last good value serves, and the one after tries again.
  aws.secrets.delete(ARN);
  vi.advanceTimersByTime(SECRET_REFRESH_MS + 1);
  expect(await secret()).toBe('key-2');
  aws.secrets.set(ARN, 'key-3');
  expect(await secret()).toBe('key-3');
});
