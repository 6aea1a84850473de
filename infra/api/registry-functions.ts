/**
 * One Lambda per entry of the routes table's FUNCTIONS, with the least privilege its entry and
 * settings call for: read-only functions get read-only table access, only functions that sign
 * see the signing key, only certificate functions carry the fonts.
 */
import { createRequire } from 'node:module';
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CERTIFICATE_ASSETS } from '#shared/certificate/assets.ts';
import { FUNCTIONS, readsTable, type FunctionName, type TableWrite } from '#shared/http/routes.ts';
import { FUNCTION_SETTINGS } from '../functions.ts';
import { HouseFunction, type BundledFile } from '../house-function.ts';
import { functionEntry } from '../paths.ts';

const require = createRequire(import.meta.url);

/** Resolved at synth time, from the same package versions the local server reads. */
const certificateFiles = (): BundledFile[] =>
  CERTIFICATE_ASSETS.map((asset) => ({ source: require.resolve(asset.module), bundlePath: asset.bundlePath }));

/** `parties-read` -> `PartiesRead`: stable logical ids derived from the function name. */
export const constructId = (name: string) => name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());

/** Every DynamoDB read call the store makes (its writes are TABLE_CALLS). */
export const READ_CALLS = ['GetItem', 'BatchGetItem', 'Query'] as const;
const READS = READ_CALLS.map((call) => `dynamodb:${call}`);

/**
 * How cdk-nag spells the `<table>/index/*` resource the table grants add: the stack's region and
 * account as written when the stack names them (-c region, -c account), else as the pseudo
 * parameters they resolve to at deploy. (Spelt with pseudo parameters only, a production synth,
 * which names both, failed on every function.)
 */
const indexWildcard = (stack: Stack, tableName: string) => {
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `arn:<AWS::Partition>:dynamodb:${region}:${account}:table/${tableName}/index/*`;
};

/** cdk-nag's finding on a table grant's `<table>/index/*`: queries use the GSIs of shared/store/table.ts, of this one table. */
export function acknowledgeIndexGrant(fn: lambda.IFunction, table: dynamodb.ITableV2): void {
  Validations.of(fn.role!).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${indexWildcard(Stack.of(fn), table.tableName)}]`,
    reason: 'Queries use the GSIs of shared/store/table.ts; the grant covers the indexes of this one table and nothing else.',
  });
}

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

export interface RegistryFunctionsProps {
  table: dynamodb.ITableV2;
  signingKey: secretsmanager.ISecret;
  cursorKey: secretsmanager.ISecret;
}

export class RegistryFunctions extends Construct {
  readonly byName = new Map<FunctionName, HouseFunction>();

  constructor(scope: Construct, id: string, props: RegistryFunctionsProps) {
    super(scope, id);
    for (const name of FUNCTION_NAMES) {
      const settings = FUNCTION_SETTINGS[name];
      const reads = readsTable(name);
      const fn = new HouseFunction(this, constructId(name), {
        entry: functionEntry(name),
        description: `Concord ${name}: ${FUNCTIONS[name].description}`,
        memoryMb: settings.memoryMb,
        ...(settings.timeoutSeconds && { timeout: Duration.seconds(settings.timeoutSeconds) }),
        environment: {
          ...(reads && { TABLE_NAME: props.table.tableName }),
          ...(settings.signingKey && { SIGNING_KEY_SECRET_ARN: props.signingKey.secretArn }),
          // Secrets by ARN only: each function reads its own at cold start and every few minutes (shared/store/secrets.ts).
          ...(settings.lists && { CURSOR_SECRET_ARN: props.cursorKey.secretArn }),
        },
        files: settings.assets ? certificateFiles() : [],
      });
      if (reads) this.grantTable(fn, name, props.table);
      if (settings.signingKey) props.signingKey.grantRead(fn);
      if (settings.lists) props.cursorKey.grantRead(fn);
      this.byName.set(name, fn);
    }
  }

  /** Exactly the calls shared/store makes: no Scan (the app never scans), no table management. */
  private grantTable(fn: HouseFunction, name: FunctionName, table: dynamodb.ITableV2): void {
    const { writes } = FUNCTIONS[name];
    table.grant(fn, ...READS);
    for (const w of writes as readonly TableWrite[]) {
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: [`dynamodb:${w.call}`],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...w.keys] } },
      }));
    }
    acknowledgeIndexGrant(fn, table);
  }
}
