/**
 * Deployment parameters, from CDK context (cdk.json defaults, `-c key=value` to override).
 * Parsed once with zod so a typo fails synth instead of deploying a half-configured API.
 */
import type { Node } from 'constructs';
import * as z from 'zod';
import { printableBaseUrl } from '#shared/certificate/signature.ts';

/**
 * A stage that real certificates and real users depend on: `prod` or `production`, alone or with a
 * suffix (`prod-eu`). Synth refuses one with cdk.json's example defaults, so a bare `cdk deploy`
 * (stage `dev`) can never become the production registry by accident.
 */
export const isProductionStage = (stage: string) => /^prod(uction)?(-|$)/.test(stage);

/** Top-level domains nobody can own (RFC 2606 §2, RFC 6761 §6). */
const RESERVED_TLDS = ['example', 'test', 'invalid', 'localhost'];
/** Second-level domains reserved for documentation (RFC 2606 §3), with every name under them. */
const RESERVED_DOMAINS = ['example.com', 'example.net', 'example.org'];

/** Whether a host name (a port and a final dot allowed) is one of those reserved for examples and tests. */
export function isPlaceholderHost(host: string): boolean {
  const name = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return RESERVED_TLDS.includes(name.slice(name.lastIndexOf('.') + 1)) || RESERVED_DOMAINS.some((d) => name === d || name.endsWith(`.${d}`));
}

const RESERVED = 'a name reserved for examples (RFC 2606/6761) that nobody can own';

/** The domain of an email address: what SES verifies, and what must not be a placeholder. */
export const emailDomain = (address: string) => address.slice(address.lastIndexOf('@') + 1);

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
  /** The AWS account the stacks deploy to; without it, whichever the shell's credentials open. Production names it. */
  account: z.string({ error: 'must be a 12-digit AWS account id, as a string' }).regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
  /**
   * The sender of Cognito's mails (invitations with temporary passwords, password resets): an
   * address at a domain verified in Amazon SES, in the stacks' region. Without it Cognito sends them
   * itself, from its own address, with a small daily quota: not enough to invite an expo's partners.
   */
  emailFrom: z.email({ error: 'must be an email address at a domain verified in Amazon SES' }).optional(),
  /** The AWS region the stacks deploy to; without it, the shell's (AWS_REGION, the profile). */
  region: z.string({ error: 'must be an AWS region name, like eu-central-1' }).regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region name, like eu-central-1').optional(),
}).superRefine((config, ctx) => {
  const refuse = (path: keyof typeof config, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  // SES identities are per region, and Cognito must be told which (an account-wide stack has none).
  if (config.emailFrom !== undefined && config.region === undefined) refuse('region', 'emailFrom sends through Amazon SES in one region: give it (-c region=...), where the sender\'s domain is verified');
  // Fields that failed their own check are left to that message (readConfig keeps the first per parameter).
  if (typeof config.stage !== 'string' || !isProductionStage(config.stage)) return;
  const production = `stage "${config.stage}" is production`;
  if (typeof config.consoleDomain === 'string' && isPlaceholderHost(config.consoleDomain)) {
    refuse('consoleDomain', `${config.consoleDomain} is ${RESERVED}: ${production}, give the web console's real host name`);
  }
  if (typeof config.alarmEmail === 'string' && isPlaceholderHost(emailDomain(config.alarmEmail))) {
    refuse('alarmEmail', `${config.alarmEmail} is at ${RESERVED}, where no alarm would ever arrive: ${production}, give a mailbox someone reads`);
  }
  if (typeof config.emailFrom === 'string' && isPlaceholderHost(emailDomain(config.emailFrom))) {
    refuse('emailFrom', `${config.emailFrom} is at ${RESERVED}: ${production}, give an address at the registry's own domain, verified in Amazon SES`);
  }
  if (config.publicBaseUrl === undefined) {
    refuse('publicBaseUrl', `${production}: give the https address certificates print (a custom domain routed to the API), since certificates outlive deployments and the execute-api URL changes with a rebuild`);
  } else if (URL.canParse(config.publicBaseUrl) && isPlaceholderHost(new URL(config.publicBaseUrl).hostname)) {
    refuse('publicBaseUrl', `${new URL(config.publicBaseUrl).hostname} is ${RESERVED}: ${production}, and every certificate would print a link leading nowhere; give the registry's own domain`);
  }
  if (config.account === undefined) {
    refuse('account', `${production}: give the 12-digit id of the AWS account it belongs in (-c account=...), so it cannot land in whichever account the shell's credentials open`);
  }
});
export type DeployConfig = z.infer<typeof deployConfig>;

export const consoleOrigin = (config: DeployConfig) =>
  `${config.consoleDomain.startsWith('localhost') ? 'http' : 'https'}://${config.consoleDomain}`;

/** Context values, with an empty string (`-c publicBaseUrl=`) meaning not given. */
const optional = (node: Node, key: string): unknown => node.tryGetContext(key) || undefined;

export function readConfig(node: Node): DeployConfig {
  const parsed = deployConfig.safeParse({
    stage: node.tryGetContext('stage'),
    consoleDomain: node.tryGetContext('consoleDomain'),
    alarmEmail: node.tryGetContext('alarmEmail'),
    publicBaseUrl: optional(node, 'publicBaseUrl'),
    account: optional(node, 'account'),
    emailFrom: optional(node, 'emailFrom'),
    region: optional(node, 'region'),
  });
  if (parsed.success) return parsed.data;
  // One line a person can act on per parameter (the first thing wrong with it), rather than zod's report.
  const byParameter = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const key = issue.path.join('.');
    if (!byParameter.has(key)) byParameter.set(key, `  ${key}: ${issue.message}`);
  }
  throw new DeployConfigError(`Deployment parameters (cdk.json "context", or -c key=value) that cannot be used:\n${[...byParameter.values()].join('\n')}`);
}

/** Parameters that cannot be used: `cdk synth` says which and why, without a stack trace. */
export class DeployConfigError extends Error {}
