/**
 * CloudFormation custom resource (Lambda-backed, no provider framework): on Create and on Update
 * (a replaced secret arrives as an Update of this resource), puts a fresh Ed25519 key into the
 * signing-key secret while it holds CloudFormation's placeholder, so the private key never appears
 * in code, template or logs; a secret holding anything else is kept. Either way it then publishes
 * the public keys of the ring the secret holds (TABLE_NAME's published-keys item), which the verify
 * function reads, unless those of a later version are there already: certificates check out from
 * the first one. Delete leaves the secret alone (it is retained).
 */
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { SecretVersion } from '#shared/store/secrets.ts';
import { keyRingOf } from '#shared/certificate/signature.ts';
import { publishKeys } from '#shared/store/published-keys.ts';
import { log } from '#shared/log.ts';
import { holdsNoKeys, newKeySet } from './key-set.ts';

const secrets = new SecretsManagerClient({});

const cfnEvent = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.object({ SecretArn: z.string().min(1) }),
});

/** The secret's value after this, which version of it that is, and whether it was generated now. */
interface Filled { outcome: 'generated' | 'kept'; value: string; version: SecretVersion }

async function fillSecret(secretArn: string): Promise<Filled> {
  const current = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!holdsNoKeys(current.SecretString)) {
    return { outcome: 'kept', value: current.SecretString ?? '', version: { versionId: current.VersionId ?? '', createdAt: current.CreatedDate?.getTime() ?? 0 } };
  }
  const value = JSON.stringify(newKeySet());
  // Published from the value written, not read back: a read right after a write may still see the placeholder.
  const put = await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: value }));
  return { outcome: 'generated', value, version: { versionId: put.VersionId ?? '', createdAt: Date.now() } };
}

/**
 * Publishes the public keys of the ring the secret holds, unless those of a later version are
 * (a certificates instance may have published a rotation made while this ran). A ring that does
 * not load is left to fail loudly where it is used.
 */
async function publishRing({ value, version }: Filled): Promise<string> {
  let ring;
  try {
    ring = keyRingOf(value);
  } catch {
    return 'the key ring does not load: no keys published';
  }
  if (!(await publishKeys(ring, version))) return 'the public keys of this version of the key ring, or of a later one, were published already';
  return `${ring.length} public key${ring.length === 1 ? '' : 's'} published`;
}

/** Enough of any event to answer CloudFormation, so a malformed one fails fast instead of hanging the stack. */
const replyTo = z.object({ ResponseURL: z.url(), StackId: z.string(), RequestId: z.string(), LogicalResourceId: z.string(), PhysicalResourceId: z.string().optional() });

export async function handler(raw: unknown): Promise<void> {
  const target = replyTo.parse(raw);
  const parsed = cfnEvent.safeParse(raw);
  const physicalId = target.PhysicalResourceId ?? (parsed.success ? `signing-key:${parsed.data.ResourceProperties.SecretArn}` : 'signing-key');
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = 'ok';
  try {
    if (!parsed.success) throw new TypeError('malformed custom resource event');
    const event = parsed.data;
    if (event.RequestType !== 'Delete') {
      const filled = await fillSecret(event.ResourceProperties.SecretArn);
      reason = `${filled.outcome}; ${await publishRing(filled)}`;
    }
  } catch (error) {
    // The reason shows in the CloudFormation console: the error's name only, never secret data.
    status = 'FAILED';
    reason = error instanceof Error ? error.name : 'Error';
    log.error('signing key setup failed', { error: reason });
  }
  // The pre-signed S3 URL was signed without a content type, so send bytes, not a string.
  const body = Buffer.from(JSON.stringify({
    Status: status, Reason: reason, PhysicalResourceId: physicalId,
    StackId: target.StackId, RequestId: target.RequestId, LogicalResourceId: target.LogicalResourceId,
  }));
  const response = await fetch(target.ResponseURL, { method: 'PUT', body });
  if (!response.ok) throw new Error(`CloudFormation response was refused: ${response.status}`);
}
