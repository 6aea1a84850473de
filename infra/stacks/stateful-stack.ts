/**
 * What must outlive any deployment: the registry table, the certificate signing key and the user
 * pool (accounts and MFA enrolments cannot be recreated). All are retained on stack deletion; the
 * stateless stack can be torn down and rebuilt freely.
 */
import { Annotations, CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { publishedKeysKey } from '#shared/store/keys.ts';
import { TABLE_DEFINITION as T } from '#shared/store/table.ts';
import { HouseFunction } from '../house-function.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { RegistryUsers, type RegistryUsersProps } from '../users.ts';

const stringKey = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

export interface StatefulStackProps extends StackProps {
  /** A fixed name, so the stateless stack finds the table by name rather than by export. */
  tableName: string;
  /** Cognito's mails through Amazon SES (see RegistryUsers). */
  email?: RegistryUsersProps['email'];
  /** Production: without `email`, says at synth that Cognito's own sender will not carry an expo's invitations. */
  production?: boolean;
}

export class StatefulStack extends Stack {
  readonly table: dynamodb.TableV2;
  readonly signingKey: secretsmanager.Secret;
  readonly cursorKey: secretsmanager.Secret;
  readonly users: RegistryUsers;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);

    this.table = new dynamodb.TableV2(this, 'Registry', {
      tableName: props.tableName,
      partitionKey: stringKey(T.partitionKey),
      sortKey: stringKey(T.sortKey),
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: T.indexes.map((i) => ({
        indexName: i.indexName,
        partitionKey: stringKey(i.partitionKey),
        sortKey: stringKey(i.sortKey),
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...T.projectedAttributes],
      })),
    });

    // PITR restores any second of the last 35 days; these keep the registry for longer, should a
    // loss or a bad write be found late: a backup every day kept 35 days, and every month kept a year,
    // in a vault of their own that stays when the stack goes (CloudFormation cannot delete one that
    // holds recovery points anyway). Named for the stage, like the table: a redeploy after a destroy
    // imports it (README).
    const vault = new backup.BackupVault(this, 'Backups', { backupVaultName: `${props.tableName}-backups`, removalPolicy: RemovalPolicy.RETAIN });
    const plan = new backup.BackupPlan(this, 'BackupPlan', {
      backupPlanName: props.tableName,
      backupVault: vault,
      backupPlanRules: [
        new backup.BackupPlanRule({ ruleName: 'Daily', scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }), deleteAfter: Duration.days(35) }),
        new backup.BackupPlanRule({ ruleName: 'Monthly', scheduleExpression: events.Schedule.cron({ day: '1', hour: '4', minute: '0' }), deleteAfter: Duration.days(365) }),
      ],
    });
    const selection = plan.addSelection('Registry', { resources: [backup.BackupResource.fromArn(this.table.tableArn)] });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason: 'AWS Backup\'s own service role policy, which AWS keeps current for the services it backs up; the selection names only the registry table.',
    });

    // Created with a placeholder so the template never carries key material; the custom
    // resource below replaces it with a generated Ed25519 key on first deploy.
    this.signingKey = new secretsmanager.Secret(this, 'SigningKey', {
      description: 'Concord certificate signing keys (Ed25519, PKCS#8 PEM); first is current',
      generateSecretString: { secretStringTemplate: JSON.stringify({ keys: [] }), generateStringKey: 'placeholder' },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.signingKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotating an Ed25519 signing key is a key rollover (new kid first, old keys kept so issued certificates still verify), done by an operator as the README describes, not a scheduled password rotation.',
    });

    // Seals list cursors (AES-256-GCM, keys derived from it). Losing or changing it only invalidates cursors in flight.
    this.cursorKey = new secretsmanager.Secret(this, 'CursorKey', {
      description: 'Concord list-cursor key',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.cursorKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The cursor key only authenticates short-lived list cursors, which cannot widen what a caller may see; a new value reaches each function within minutes (shared/store/secrets.ts), invalidating cursors in flight and nothing else, so scheduled rotation adds no protection.',
    });

    const keyInit = new HouseFunction(this, 'SigningKeyInit', {
      entry: `${PROJECT_ROOT}/infra/signing-key/handler.ts`,
      description: 'Generates the first certificate signing key into its secret; publishes the public keys',
      memoryMb: 256,
      timeout: Duration.seconds(60),
      environment: { TABLE_NAME: this.table.tableName },
    });
    this.signingKey.grantRead(keyInit);
    keyInit.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [this.signingKey.secretArn] }));
    // The public keys the verify function reads: this one item and nothing else in the table.
    keyInit.addToRolePolicy(new iam.PolicyStatement({
      actions: ['dynamodb:PutItem'],
      resources: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [publishedKeysKey.pk] } },
    }));

    const init = new CustomResource(this, 'SigningKeyValue', {
      serviceToken: keyInit.functionArn,
      resourceType: 'Custom::ConcordSigningKey',
      // CloudFormation waits an hour for an answer by default. The handler answers in seconds; if it
      // crashes or times out (60 s) before answering, none will come: fail the stack after 5 minutes
      // instead of holding it. (Changing this sends the resource an Update, which keeps a secret that
      // already holds keys.)
      serviceTimeout: Duration.minutes(5),
      // TableName: the table it publishes the public keys into (the handler takes it from its
      // TABLE_NAME). A stack deployed before it did gets an Update (its properties changed), which
      // publishes the keys of the ring it already holds.
      properties: { SecretArn: this.signingKey.secretArn, TableName: this.table.tableName },
    });
    // The function's policy must exist before CloudFormation asks it to write the secret.
    init.node.addDependency(keyInit);

    this.users = new RegistryUsers(this, 'Users', { email: props.email });
    if (props.production && !props.email) {
      Annotations.of(this).addWarningV2('concord:cognito-email', 'No emailFrom: Cognito mails invitations and password resets from its own address, with a small daily quota; inviting an expo\'s partners would run past it. For production, verify the registry\'s domain in Amazon SES and deploy with -c emailFrom=registry@<that domain> -c region=<its region>.');
    }
    // For key rollovers, and for importing them after a destroy (README).
    new CfnOutput(this, 'SigningKeySecretArn', { value: this.signingKey.secretArn, description: 'Certificate signing key ring (Secrets Manager)' });
    new CfnOutput(this, 'CursorKeySecretArn', { value: this.cursorKey.secretArn, description: 'List-cursor key (Secrets Manager)' });
  }
}
