/**
 * CloudFormation custom resource (Lambda-backed, no provider framework): on Create and on Update
 * (a replaced secret arrives as an Update of this resource), puts a fresh Ed25519 key into the
 * signing-key secret while it holds CloudFormation's placeholder, so the private key never appears
 * in code, template or logs; a secret holding anything else is kept. Delete leaves the secret
 * alone (it is retained).
 */
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
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

async function fillSecret(secretArn: string): Promise<'generated' | 'kept'> {
  const current = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!holdsNoKeys(current.SecretString)) return 'kept';
  await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(newKeySet()) }));
  return 'generated';
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
    if (event.RequestType !== 'Delete') reason = await fillSecret(event.ResourceProperties.SecretArn);
  } catch (error) {
    // The reason shows in the CloudFormation console: the error's name only, never secret data.
    status = 'FAILED';
    reason = error instanceof Error ? error.name : 'Error';
    console.error(JSON.stringify({ message: 'signing key setup failed', error: reason }));
  }
  // The pre-signed S3 URL was signed without a content type, so send bytes, not a string.
  const body = Buffer.from(JSON.stringify({
    Status: status, Reason: reason, PhysicalResourceId: physicalId,
    StackId: target.StackId, RequestId: target.RequestId, LogicalResourceId: target.LogicalResourceId,
  }));
  const response = await fetch(target.ResponseURL, { method: 'PUT', body });
  if (!response.ok) throw new Error(`CloudFormation response was refused: ${response.status}`);
}
