/**
 * Deployment parameters, from CDK context (cdk.json defaults, `-c key=value` to override).
 * Parsed once with zod so a typo fails synth instead of deploying a half-configured API.
 */
import type { Node } from 'constructs';
import * as z from 'zod';
import { printableBaseUrl } from '#shared/certificate/signature.ts';

const deployConfig = z.object({
  /** Names the deployment (stack names, resource names): several can share one account. */
  stage: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be lower-case letters, digits and dashes, at most 20, starting with a letter'),
  /** Host name of the web console; the only origin CORS allows. */
  consoleDomain: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i, 'must be a host name (and port), without a scheme'),
  /** Who gets the alarms. */
  alarmEmail: z.email(),
  /**
   * Base URL printed on certificates (their verify links). Certificates outlive deployments, so
   * production should use a custom domain; without one it is the API's execute-api URL.
   */
  publicBaseUrl: printableBaseUrl('https').optional(),
});
export type DeployConfig = z.infer<typeof deployConfig>;

export const consoleOrigin = (config: DeployConfig) =>
  `${config.consoleDomain.startsWith('localhost') ? 'http' : 'https'}://${config.consoleDomain}`;

export function readConfig(node: Node): DeployConfig {
  const parsed = deployConfig.safeParse({
    stage: node.tryGetContext('stage'),
    consoleDomain: node.tryGetContext('consoleDomain'),
    alarmEmail: node.tryGetContext('alarmEmail'),
    publicBaseUrl: node.tryGetContext('publicBaseUrl') || undefined,
  });
  if (parsed.success) return parsed.data;
  // One line a person can act on per parameter, rather than zod's report.
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new DeployConfigError(`Deployment parameters (cdk.json "context", or -c key=value) that cannot be used:\n${lines.join('\n')}`);
}

/** Parameters that cannot be used: `cdk synth` says which and why, without a stack trace. */
export class DeployConfigError extends Error {}
