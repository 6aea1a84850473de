/**
 * The synthesized templates, property by property: what the issue promises about state, access
 * and runtime is asserted here, so a refactor of infra/ cannot quietly drop it. And cdk-nag
 * AwsSolutions over the whole app: no finding may stand unacknowledged, and every acknowledgement
 * must say why; a new resource that trips a rule fails here with its path. (One synthesis for both.)
 */
import { Token, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, gatewayRouteKeys, readsTable, ROUTES, TABLE_CALLS, PREFLIGHT_ROUTE_KEY, UNMATCHED_FUNCTION, UNMATCHED_ROUTE_KEY, type FunctionName, type TableWrite } from '#shared/http/routes.ts';
import { publishedKeysKey } from '#shared/store/keys.ts';
import { TABLE_DEFINITION } from '#shared/store/table.ts';
import { FUNCTION_SETTINGS } from '#infra/functions.ts';
import { FUNCTION_NAMES } from '#infra/api/registry-functions.ts';
import { INTEGRITY_FILTER } from '#infra/api/alarms.ts';
import { buildApp } from '#infra/app.ts';
import { DeployConfigError, readConfig } from '#infra/config.ts';
import { asArray, CDK_CONTEXT, synthesize, type Synthesized } from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = synthesize({ bundle: false });
}, 120_000);
afterAll(() => s?.cleanup());

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
const resources = (t: Template, type: string) => t.findResources(type) as Record<string, Resource>;
const only = (t: Template, type: string) => {
  const found = Object.values(resources(t, type));
  expect(found).toHaveLength(1);
  return found[0]!;
};

/** Every Allow statement attached to a function's role, across its policies. */
const statementsOf = (fn: FunctionName) => s.allowStatements(fn);
const actionsOf = (fn: FunctionName) => statementsOf(fn).flatMap((st) => asArray(st.Action));

const WRITE_ACTIONS = TABLE_CALLS.map((call) => `dynamodb:${call}`);

describe('stateful stack: the table', () => {
  it('is built from TABLE_DEFINITION: keys and GSIs projecting only `data`', () => {
    const table = only(s.stateful$, 'AWS::DynamoDB::GlobalTable');
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: TABLE_DEFINITION.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_DEFINITION.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(TABLE_DEFINITION.indexes.map((i) => ({
      IndexName: i.indexName,
      KeySchema: [{ AttributeName: i.partitionKey, KeyType: 'HASH' }, { AttributeName: i.sortKey, KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TABLE_DEFINITION.projectedAttributes] },
    })));
  });

  it('is on-demand, encrypted with an AWS key, PITR 35 days, deletion-protected and retained', () => {
    const table = only(s.stateful$, 'AWS::DynamoDB::GlobalTable');
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    for (const replica of table.Properties.Replicas) {
      expect(replica.DeletionProtectionEnabled).toBe(true);
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 });
    }
  });

  it('is backed up past PITR\'s 35 days: daily, kept 35 days, and monthly, kept a year, in a retained vault', () => {
    const vault = only(s.stateful$, 'AWS::Backup::BackupVault');
    expect([vault.DeletionPolicy, vault.UpdateReplacePolicy, vault.Properties.BackupVaultName]).toEqual(['Retain', 'Retain', 'concord-dev-backups']);
    const plan = only(s.stateful$, 'AWS::Backup::BackupPlan').Properties.BackupPlan;
    expect(plan.BackupPlanName).toBe('concord-dev');
    expect(plan.BackupPlanRule.map((r: Record<string, any>) => [r.RuleName, r.ScheduleExpression, r.Lifecycle.DeleteAfterDays, r.TargetBackupVault['Fn::GetAtt'][0]])).toEqual([
      ['Daily', 'cron(0 3 * * ? *)', 35, s.logicalId(s.stateful, s.stateful.node.findChild('Backups'))],
      ['Monthly', 'cron(0 4 1 * ? *)', 365, s.logicalId(s.stateful, s.stateful.node.findChild('Backups'))],
    ]);
    // The registry table, and nothing else.
    const selection = only(s.stateful$, 'AWS::Backup::BackupSelection').Properties.BackupSelection;
    expect(selection.Resources).toEqual([{ 'Fn::GetAtt': [s.logicalId(s.stateful, s.stateful.table), 'Arn'] }]);
  });
});

describe('stateful stack: signing key and users', () => {
  it('keeps the signing key (and the cursor key) in retained secrets whose template holds no key material', () => {
    const secrets = Object.values(resources(s.stateful$, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret.DeletionPolicy).toBe('Retain');
      expect(secret.Properties.SecretString).toBeUndefined();
    }
    expect(JSON.stringify(s.stateful$.toJSON())).not.toContain('PRIVATE KEY');
    s.stateful$.hasResourceProperties('Custom::ConcordSigningKey', { SecretArn: { Ref: Match.anyValue() }, TableName: Match.anyValue() });
    // A handler that never answers fails the stack after 5 minutes, not CloudFormation's default hour.
    expect(only(s.stateful$, 'Custom::ConcordSigningKey').Properties.ServiceTimeout).toBe('300');
  });

  it('lets the signing-key resource write, in the table, the published public keys and nothing else', () => {
    const init = s.stateful.node.findChild('SigningKeyInit') as unknown as lambda.Function;
    const roleId = s.logicalId(s.stateful, init.role!);
    const statements = Object.values(s.stateful$.findResources('AWS::IAM::Policy'))
      .filter((p) => asArray(p.Properties.Roles).some((r: { Ref?: string }) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Condition?: unknown }[]);
    const table = statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('dynamodb:')));
    expect(table).toEqual([expect.objectContaining({ Action: 'dynamodb:PutItem', Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [publishedKeysKey.pk] } } })]);
    expect(resources(s.stateful$, 'AWS::Lambda::Function')[s.logicalId(s.stateful, init)]!.Properties.Environment.Variables.TABLE_NAME).toBeDefined();
  });

  it('has a retained user pool: no self sign-up, strong passwords, optional MFA, custom:partyId', () => {
    const pool = only(s.stateful$, 'AWS::Cognito::UserPool');
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(pool.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
    expect(pool.Properties.MfaConfiguration).toBe('OPTIONAL');
    expect(pool.Properties.Policies.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(12);
    expect(pool.Properties.Schema).toContainEqual(expect.objectContaining({ Name: 'partyId', AttributeDataType: 'String', Mutable: true }));
    const groups = Object.values(resources(s.stateful$, 'AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    expect(groups.sort()).toEqual(['auditor', 'partner', 'staff']);
  });

  it('keeps on destroy what holds records, keys or users (groups and the client too: users keep their roles); the stateless stack keeps only the access log', () => {
    const kept = ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret', 'AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolGroup', 'AWS::Cognito::UserPoolClient'];
    const all = (t: typeof s.stateful$) => Object.entries<Resource>(t.toJSON().Resources);
    const stateful = all(s.stateful$).filter(([, r]) => kept.includes(r.Type));
    expect(stateful.length).toBeGreaterThanOrEqual(6);
    for (const [id, r] of stateful) expect([id, r.DeletionPolicy]).toEqual([id, 'Retain']);
    expect(all(s.stateless$).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => id)).toEqual([s.logicalId(s.stateless, s.stateless.node.findChild('Http').node.findChild('AccessLogs'))]);
  });

  it('lets the console client read custom:partyId but never write it', () => {
    const client = only(s.stateful$, 'AWS::Cognito::UserPoolClient');
    expect(client.Properties.ReadAttributes).toContain('custom:partyId');
    expect(client.Properties.WriteAttributes).not.toContain('custom:partyId');
    expect(client.Properties.GenerateSecret).toBe(false);
    // SRP (the console) and a password over TLS (the AWS CLI, as the README shows), refresh tokens; nothing else.
    expect(client.Properties.ExplicitAuthFlows.sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']);
  });
});

describe('stateless stack: functions', () => {
  it('has one Lambda per FUNCTIONS entry, and the integrity sweep\'s, none other', () => {
    expect(FUNCTION_NAMES.sort()).toEqual(Object.keys(FUNCTIONS).sort());
    const ids = [...FUNCTION_NAMES.map((fn) => s.logicalId(s.stateless, s.stateless.functions.byName.get(fn)!)), s.logicalId(s.stateless, s.stateless.sweep.fn)];
    expect(Object.keys(resources(s.stateless$, 'AWS::Lambda::Function')).sort()).toEqual(ids.sort());
  });

  it('runs the integrity sweep daily at 03:00 in Chongqing, once (no retry of a failed run), for up to 15 minutes, reading the table and its indexes and writing nothing', () => {
    const id = s.logicalId(s.stateless, s.stateless.sweep.fn);
    const props = resources(s.stateless$, 'AWS::Lambda::Function')[id]!.Properties;
    expect([props.Runtime, props.Architectures, props.Timeout, props.Environment.Variables.TABLE_NAME]).toEqual(['nodejs24.x', ['arm64'], 900, 'concord-dev']);
    const [rule, ...others] = Object.values(resources(s.stateless$, 'AWS::Events::Rule')).map((r) => r.Properties);
    expect(others).toEqual([]);
    expect(rule).toMatchObject({ ScheduleExpression: 'cron(0 19 * * ? *)', State: 'ENABLED', Targets: [{ Arn: { 'Fn::GetAtt': [id, 'Arn'] } }] });
    // EventBridge retries delivering it (its default); the function, once run, is not run again.
    expect(rule!.Targets[0].RetryPolicy).toBeUndefined();
    s.stateless$.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: id }, MaximumRetryAttempts: 0 });
    const table = s.allowStatements('integrity-sweep').filter((st) => asArray(st.Action).some((a: string) => a.startsWith('dynamodb:')));
    expect(table.flatMap((st) => asArray(st.Action)).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
    expect(JSON.stringify(table.map((st) => st.Resource))).toMatch(/table\/concord-dev\/index\/\*/);
    expect(s.allowStatements('integrity-sweep').flatMap((st) => asArray(st.Action)).filter((a: string) => !/^(dynamodb:(Query|GetItem|BatchGetItem)|logs:(CreateLogStream|PutLogEvents)|xray:Put\w+)$/.test(a))).toEqual([]);
  });

  it.each(FUNCTION_NAMES)('%s: arm64, Node.js 24, active tracing, source maps, memory and timeout from its settings', (fn) => {
    const id = s.logicalId(s.stateless, s.stateless.functions.byName.get(fn)!);
    const props = resources(s.stateless$, 'AWS::Lambda::Function')[id]!.Properties;
    expect(props.Runtime).toBe('nodejs24.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.Handler).toBe('index.handler');
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.MemorySize).toBe(FUNCTION_SETTINGS[fn].memoryMb);
    // CPU comes with memory: most for rendering certificates, more for checking a ceremony's every signing.
    expect(props.MemorySize).toBe({ certificates: 1536, verify: 1536, 'ceremonies-write': 1024 }[fn as string] ?? 512);
    // API Gateway waits 30 s for a function at most; those that render certificates, or read a ceremony's every signing, get the most of it.
    expect(props.Timeout).toBe(['certificates', 'verify', 'ceremonies-write'].includes(fn) ? 28 : 10);
    expect(props.LoggingConfig.LogGroup).toEqual({ Ref: expect.any(String) });
    expect(props.Environment.Variables).toMatchObject({ NODE_OPTIONS: '--enable-source-maps' });
    expect(props.Environment.Variables.TABLE_NAME).toBe(readsTable(fn) ? 'concord-dev' : undefined);
    expect('SIGNING_KEY_SECRET_ARN' in props.Environment.Variables).toBe(FUNCTION_SETTINGS[fn].signingKey === true);
    // The cursor key reaches list functions only, by its secret's ARN: no secret value sits in any
    // function's configuration, not even as a dynamic reference resolved at deploy.
    expect('CURSOR_SECRET_ARN' in props.Environment.Variables).toBe(FUNCTION_SETTINGS[fn].lists === true);
    expect(JSON.stringify(props.Environment.Variables)).not.toContain('resolve:secretsmanager');
  });

  it('sets a retention on every log group', () => {
    for (const t of [s.stateful$, s.stateless$]) {
      for (const group of Object.values(resources(t, 'AWS::Logs::LogGroup'))) expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });
});

describe('stateless stack: least privilege', () => {
  it.each(FUNCTION_NAMES)('%s: table writes exactly the calls FUNCTIONS lists', (fn) => {
    const actions = actionsOf(fn);
    const unconditional = statementsOf(fn).filter((st) => !st.Condition).flatMap((st) => asArray(st.Action));
    // Every function reads the table but meta (health and the API description), which gets no table right at all.
    if (!readsTable(fn)) expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    else expect(actions).toContain('dynamodb:Query');
    // No write on any item: every write grant names its partitions (below).
    expect(WRITE_ACTIONS.filter((write) => unconditional.includes(write))).toEqual([]);
    // The store never scans, so no function may; nor manage the table itself.
    for (const denied of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:CreateTable']) expect(actions).not.toContain(denied);
  });

  it.each(FUNCTION_NAMES)('%s: writes limited to some keys only as FUNCTIONS lists them, each by a LeadingKeys condition', (fn) => {
    const scoped = statementsOf(fn).filter((st) => st.Condition);
    const expected: readonly TableWrite[] = FUNCTIONS[fn].writes;
    expect(scoped.map((st) => ({ actions: asArray(st.Action), condition: st.Condition }))).toEqual(expected.map((w) => ({
      actions: [`dynamodb:${w.call}`], condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': w.keys } },
    })));
  });

  it.each(FUNCTION_NAMES)('%s: no wildcard action; Resource * only for X-Ray', (fn) => {
    for (const st of statementsOf(fn)) {
      for (const action of asArray(st.Action)) expect(action).not.toMatch(/^\*$|:\*$/);
      if (asArray(st.Resource).includes('*')) expect(asArray(st.Action).every((a) => a.startsWith('xray:'))).toBe(true);
    }
  });

  it('gives no function that anyone may call (public routes, and what no route matches) the signing key ring', () => {
    const open = new Set<FunctionName>([UNMATCHED_FUNCTION, ...ROUTES.filter((r) => r.access === 'public').map((r) => r.fn)]);
    expect([...open].sort()).toEqual(['meta', 'verify']);
    for (const fn of open) {
      const id = s.logicalId(s.stateless, s.stateless.functions.byName.get(fn)!);
      expect(resources(s.stateless$, 'AWS::Lambda::Function')[id]!.Properties.Environment.Variables, fn).not.toHaveProperty('SIGNING_KEY_SECRET_ARN');
      expect(statementsOf(fn).filter((st) => JSON.stringify(st.Resource).includes('SigningKey')), fn).toEqual([]);
    }
  });

  it.each(FUNCTION_NAMES)('%s: reads the signing key and the cursor key only if its settings say so, and never writes them', (fn) => {
    const secretActions = actionsOf(fn).filter((a) => a.startsWith('secretsmanager:'));
    const read = statementsOf(fn).filter((st) => asArray(st.Action).includes('secretsmanager:GetSecretValue')).flatMap((st) => asArray(st.Resource)).map((r) => JSON.stringify(r));
    expect(read.some((r) => r.includes('SigningKey'))).toBe(FUNCTION_SETTINGS[fn].signingKey === true);
    expect(read.some((r) => r.includes('CursorKey'))).toBe(FUNCTION_SETTINGS[fn].lists === true);
    expect(secretActions.filter((a) => !['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'].includes(a))).toEqual([]);
  });
});

describe('stateless stack: HTTP API', () => {
  const routes = () => Object.values(resources(s.stateless$, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties);

  it('has exactly the routes of the routes table, $default for what none matches and OPTIONS for preflights, served by meta without a token', () => {
    expect(routes().map((r) => r.RouteKey).sort()).toEqual([...ROUTES.flatMap(gatewayRouteKeys), UNMATCHED_ROUTE_KEY, PREFLIGHT_ROUTE_KEY].sort());
    for (const key of [UNMATCHED_ROUTE_KEY, PREFLIGHT_ROUTE_KEY]) {
      const route = routes().find((r) => r.RouteKey === key)!;
      expect(route.AuthorizationType, key).toBe('NONE');
      const integration = resources(s.stateless$, 'AWS::ApiGatewayV2::Integration')[route.Target['Fn::Join'][1][1].Ref]!;
      expect(JSON.stringify(integration.Properties.IntegrationUri), key).toContain(s.logicalId(s.stateless, s.stateless.functions.byName.get(UNMATCHED_FUNCTION)!));
    }
  });

  it('puts the Cognito JWT authorizer on every non-public route, and only there', () => {
    const [[authorizerId, authorizer]] = Object.entries(resources(s.stateless$, 'AWS::ApiGatewayV2::Authorizer')) as [[string, Resource]];
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
    expect(authorizer.Properties.JwtConfiguration.Audience).toHaveLength(1);
    expect(JSON.stringify(authorizer.Properties.JwtConfiguration.Issuer)).toContain('cognito-idp');
    const publicKeys: string[] = [...ROUTES.filter((r) => r.access === 'public').flatMap(gatewayRouteKeys), UNMATCHED_ROUTE_KEY, PREFLIGHT_ROUTE_KEY];
    for (const route of routes()) {
      if (publicKeys.includes(route.RouteKey)) {
        expect(route.AuthorizationType).toBe('NONE');
        expect(route.AuthorizerId).toBeUndefined();
      } else {
        expect(route.AuthorizationType).toBe('JWT');
        expect(route.AuthorizerId).toEqual({ Ref: authorizerId });
      }
    }
    expect(routes().filter((r) => r.AuthorizationType === 'NONE').map((r) => r.RouteKey).sort()).toEqual(publicKeys.sort());
  });

  it('logs access, throttles every route by default, and allows CORS only from the console', () => {
    const stage = only(s.stateless$, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.AccessLogSettings.DestinationArn).toBeDefined();
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toHaveProperty('requestId', '$context.requestId');
    // The audit trail of who called what (sourceIp included): a year, and it outlives a rebuild of this stack.
    const accessLogs = resources(s.stateless$, 'AWS::Logs::LogGroup')[stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]]!;
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toHaveProperty('ip', '$context.identity.sourceIp');
    expect([accessLogs.Properties.RetentionInDays, accessLogs.DeletionPolicy, accessLogs.UpdateReplacePolicy]).toEqual([365, 'Retain', 'Retain']);
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: expect.any(Number), ThrottlingRateLimit: expect.any(Number) });
    const api = only(s.stateless$, 'AWS::ApiGatewayV2::Api');
    expect(api.Properties.CorsConfiguration.AllowOrigins).toEqual(['https://console.concord.example']);
    // A browser console may send every request header the API reads, and read every response header it documents.
    expect(api.Properties.CorsConfiguration.AllowHeaders).toEqual(expect.arrayContaining(['if-match', 'if-none-match', 'idempotency-key']));
    expect(api.Properties.CorsConfiguration.ExposeHeaders).toEqual(expect.arrayContaining(['etag', 'location', 'idempotent-replayed', 'content-disposition', 'retry-after', 'allow']));
  });

  it('throttles the public routes tighter than the default, POST /verify (which may render a certificate) the tightest, and no other route', () => {
    const [[stageId, stage]] = Object.entries(resources(s.stateless$, 'AWS::ApiGatewayV2::Stage')) as [[string, Resource & { DependsOn?: string[] }]];
    const publicKeys = ROUTES.filter((r) => r.access === 'public').flatMap(gatewayRouteKeys);
    expect(publicKeys).toEqual(expect.arrayContaining(['POST /verify', 'GET /verify/{code}', 'HEAD /verify/{code}', 'GET /verify', 'GET /healthz', 'GET /openapi.json']));
    const settings = stage.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    expect(Object.keys(settings).sort()).toEqual([...publicKeys].sort());
    const { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst } = stage.Properties.DefaultRouteSettings;
    for (const key of publicKeys) {
      expect(settings[key]!.ThrottlingRateLimit, key).toBeLessThan(rate);
      expect(settings[key]!.ThrottlingBurstLimit, key).toBeLessThan(burst);
    }
    expect(settings['POST /verify']).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(settings['GET /verify/{code}']).toEqual({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 });
    // API Gateway refuses settings for a route it does not have yet: the stage is created after them.
    const routeIds = Object.entries(resources(s.stateless$, 'AWS::ApiGatewayV2::Route')).filter(([, r]) => publicKeys.includes(r.Properties.RouteKey)).map(([id]) => id);
    expect(routeIds).toHaveLength(publicKeys.length);
    expect(stage.DependsOn, stageId).toEqual(expect.arrayContaining(routeIds));
  });

  it('outputs the API URL, user pool id and client id', () => {
    expect(Object.keys(s.stateless$.findOutputs('*'))).toEqual(expect.arrayContaining(['ApiUrl', 'UserPoolId', 'UserPoolClientId']));
    // The secrets' ARNs, which a key rollover and an import after a destroy need (README).
    expect(Object.keys(s.stateful$.findOutputs('*'))).toEqual(expect.arrayContaining(['SigningKeySecretArn', 'CursorKeySecretArn']));
  });

  it('alarms on API 5xx and on errors and throttles of every function', () => {
    const alarms = Object.values(resources(s.stateless$, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.filter((a) => a.MetricName === '5xx')).toHaveLength(1);
    expect(alarms.filter((a) => a.MetricName === 'Errors')).toHaveLength(FUNCTION_NAMES.length + 1); // and the integrity sweep's
    expect(alarms.filter((a) => a.MetricName === 'Throttles')).toHaveLength(FUNCTION_NAMES.length);
    // Mailed when it goes off, through the one topic; the registry-wide ones again when they recover
    // (a new alarm's first settling mails OK too: once each at the first deploy, six in all).
    for (const alarm of alarms) expect(alarm.AlarmActions, alarm.AlarmDescription).toHaveLength(1);
    const recovering = alarms.filter((a) => a.OKActions);
    for (const alarm of recovering) expect(alarm.OKActions, alarm.AlarmDescription).toEqual(alarm.AlarmActions);
    expect(recovering.map((a) => a.MetricName ?? 'expression').sort()).toEqual(['5xx', 'Duration', 'Duration', 'Duration', 'expression', 'expression']);
    s.stateless$.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@concord.example' });
    // The topic's policy (written for enforceSSL) replaces SNS's default: it must let CloudWatch publish.
    const statements = only(s.stateless$, 'AWS::SNS::TopicPolicy').Properties.PolicyDocument.Statement as Record<string, any>[];
    // Only this account's alarms (no confused deputy: CloudWatch acting for another account).
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': expect.anything() }, ArnLike: { 'aws:SourceArn': expect.anything() } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });
});

describe('stateless stack: alarms on time and on the table', () => {
  const alarms = () => Object.values(resources(s.stateless$, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  /** The metrics of an alarm on an expression, by id, and the expression. */
  const expressionOf = (alarm: Record<string, any>) => ({
    expression: alarm.Metrics.find((m: Record<string, any>) => m.Expression).Expression as string,
    metrics: alarm.Metrics.filter((m: Record<string, any>) => m.MetricStat).map((m: Record<string, any>) => ({ id: m.Id, name: m.MetricStat.Metric.MetricName, dimensions: m.MetricStat.Metric.Dimensions, stat: m.MetricStat.Stat })),
  });

  it('alarms on p99 duration at three quarters of the timeout, for each function allowed more than 10 s, and no other', () => {
    const durations = alarms().filter((a) => a.MetricName === 'Duration');
    const slow = FUNCTION_NAMES.filter((fn) => (FUNCTION_SETTINGS[fn].timeoutSeconds ?? 10) > 10);
    expect(slow.sort()).toEqual(['ceremonies-write', 'certificates', 'verify']);
    expect(durations).toHaveLength(slow.length);
    for (const fn of slow) {
      const id = s.logicalId(s.stateless, s.stateless.functions.byName.get(fn)!);
      const alarm = durations.find((a) => a.Dimensions[0].Value.Ref === id)!;
      expect(alarm, fn).toBeDefined();
      expect([alarm.ExtendedStatistic, alarm.Period, alarm.Threshold, alarm.ComparisonOperator]).toEqual(['p99', 300, 21_000, 'GreaterThanOrEqualToThreshold']);
    }
  });

  it('alarms on any throttled read or write of the table or its indexes', () => {
    const [alarm, ...more] = alarms().filter((a) => a.AlarmDescription?.includes('throttled a read or write'));
    expect(more).toEqual([]);
    const { expression, metrics } = expressionOf(alarm!);
    const sources = [undefined, ...TABLE_DEFINITION.indexes.map((i) => i.indexName)];
    expect(metrics.map((m: Record<string, any>) => [m.name, m.dimensions.find((d: Record<string, string>) => d.Name === 'GlobalSecondaryIndexName')?.Value]).sort())
      .toEqual(sources.flatMap((index) => [['ReadThrottleEvents', index], ['WriteThrottleEvents', index]]).sort());
    for (const m of metrics) {
      expect(m.dimensions).toContainEqual({ Name: 'TableName', Value: 'concord-dev' });
      expect(m.stat).toBe('Sum');
      expect(expression).toContain(`FILL(${m.id}, 0)`);
    }
    expect([alarm!.Threshold, alarm!.ComparisonOperator]).toEqual([1, 'GreaterThanOrEqualToThreshold']);
  });

  it('alarms on DynamoDB system errors of every call the store makes', () => {
    const [alarm, ...more] = alarms().filter((a) => a.Metrics?.some((m: Record<string, any>) => m.MetricStat?.Metric.MetricName === 'SystemErrors'));
    expect(more).toEqual([]);
    const { expression, metrics } = expressionOf(alarm!);
    expect(metrics.map((m: Record<string, any>) => m.dimensions.find((d: Record<string, string>) => d.Name === 'Operation').Value).sort())
      .toEqual(['BatchGetItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']);
    for (const m of metrics) {
      expect(m.dimensions).toContainEqual({ Name: 'TableName', Value: 'concord-dev' });
      expect(expression).toContain(`FILL(${m.id}, 0)`);
    }
    expect(alarm!.Threshold).toBe(3);
  });

  it('alarms on one integrity log line of any function: a metric filter on each function\'s own log group feeds it', () => {
    const filters = Object.values(resources(s.stateless$, 'AWS::Logs::MetricFilter')).map((f) => f.Properties);
    const groups = [...FUNCTION_NAMES.map((fn) => s.stateless.functions.byName.get(fn)!), s.stateless.sweep.fn].map((fn) => {
      const config = s.stateless$.toJSON().Resources[s.logicalId(s.stateless, fn)].Properties.LoggingConfig;
      return config.LogGroup.Ref as string;
    });
    expect(filters.map((f) => f.LogGroupName.Ref).sort()).toEqual(groups.sort());
    const [alarm, ...more] = alarms().filter((a) => a.MetricName === 'IntegrityFailures');
    expect(more).toEqual([]);
    for (const f of filters) {
      expect(f.FilterPattern).toBe(INTEGRITY_FILTER.logPatternString);
      expect(f.MetricTransformations).toEqual([{ MetricName: alarm!.MetricName, MetricNamespace: alarm!.Namespace, MetricValue: '1' }]);
    }
    expect(alarm!.Namespace).toBe('Concord/Concord-dev-Stateless');
    expect([alarm!.Statistic, alarm!.Period, alarm!.Threshold, alarm!.ComparisonOperator, alarm!.TreatMissingData]).toEqual(['Sum', 300, 1, 'GreaterThanOrEqualToThreshold', 'notBreaching']);
    // Quiet minutes do not mend the damage: no "OK" mail.
    expect(alarm!.OKActions).toBeUndefined();
    // The daily sweep's one failure is an alarm too (a sweep cut short, or the table failing it).
    const sweepId = s.logicalId(s.stateless, s.stateless.sweep.fn);
    const [sweepErrors, ...others] = alarms().filter((a) => a.MetricName === 'Errors' && a.Dimensions[0].Value.Ref === sweepId);
    expect(others).toEqual([]);
    expect([sweepErrors!.Threshold, sweepErrors!.OKActions]).toEqual([1, undefined]);
    // And a day's sweep EventBridge could not start, which no function error would show.
    const ruleId = s.logicalId(s.stateless, s.stateless.sweep.schedule);
    const [notStarted, ...moreRules] = alarms().filter((a) => a.Namespace === 'AWS/Events');
    expect(moreRules).toEqual([]);
    expect([notStarted!.MetricName, notStarted!.Dimensions, notStarted!.Statistic, notStarted!.Threshold, notStarted!.ComparisonOperator, notStarted!.TreatMissingData, notStarted!.OKActions])
      .toEqual(['FailedInvocations', [{ Name: 'RuleName', Value: { Ref: ruleId } }], 'Sum', 1, 'GreaterThanOrEqualToThreshold', 'notBreaching', undefined]);
    expect(notStarted!.AlarmActions).toHaveLength(1);
  });
});

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))));
}

/** readConfig over these context values, as `-c key=value` would give them. */
const contextOf = (values: Record<string, string | undefined>) => ({ tryGetContext: (key: string) => values[key] }) as never;
/** The lines readConfig refuses the values with, or [] if it takes them. */
const refusals = (values: Record<string, string | undefined>): string[] => {
  try {
    readConfig(contextOf(values));
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError);
    return (error as Error).message.split('\n').slice(1);
  }
};

describe('deployment parameters', () => {
  it('refuse a publicBaseUrl that would spoil every certificate\'s link (a query, fragment, credentials, not https)', () => {
    const read = (publicBaseUrl: string) => readConfig(contextOf({ stage: 'staging', consoleDomain: 'console.example.org', alarmEmail: 'ops@example.org', publicBaseUrl }));
    expect(read('https://registry.example.org').publicBaseUrl).toBe('https://registry.example.org');
    for (const bad of ['https://registry.example.org/#top', 'https://registry.example.org/?utm=x', 'https://user:pw@registry.example.org', 'http://registry.example.org', 'ftp://registry.example.org',
      'https://registry.example.org/?', 'https://registry.example.org#', 'https://@registry.example.org']) {
      expect(() => read(bad), bad).toThrow(/must be an https address/);
    }
    // Said as one line per parameter, naming it, for synth to print without a stack trace.
    let thrown: unknown;
    try { read('ftp://registry.example.org'); } catch (error) { thrown = error; }
    expect(thrown).toBeInstanceOf(DeployConfigError);
    expect((thrown as Error).message.split('\n')[1]).toBe('  publicBaseUrl: must be an https address, like https://registry.example.org');
  });

  it('deploy a bare `cdk deploy` (cdk.json\'s defaults, example names and all) as stage dev, never as production', () => {
    expect(CDK_CONTEXT.stage).toBe('dev');
    expect([s.stateful.stackName, s.stateless.stackName]).toEqual(['Concord-dev-Stateful', 'Concord-dev-Stateless']);
    expect(refusals(CDK_CONTEXT as Record<string, string>)).toEqual([]);
  });

  it('refuse a production stage with cdk.json\'s placeholders, without publicBaseUrl or without an account: one line each', () => {
    for (const stage of ['prod', 'prod-eu', 'production', 'production-2']) {
      expect(refusals({ ...(CDK_CONTEXT as Record<string, string>), stage }), stage).toEqual([
        `  consoleDomain: console.concord.example is a name reserved for examples (RFC 2606/6761) that nobody can own: stage "${stage}" is production, give the web console's real host name`,
        `  alarmEmail: ops@concord.example is at a name reserved for examples (RFC 2606/6761) that nobody can own, where no alarm would ever arrive: stage "${stage}" is production, give a mailbox someone reads`,
        `  publicBaseUrl: stage "${stage}" is production: give the https address certificates print (a custom domain routed to the API), since certificates outlive deployments and the execute-api URL changes with a rebuild`,
        `  account: stage "${stage}" is production: give the 12-digit id of the AWS account it belongs in (-c account=...), so it cannot land in whichever account the shell's credentials open`,
      ]);
    }
    // Only `prod` and `production`, alone or with a suffix, are production: other stages keep the example defaults.
    for (const stage of ['dev', 'staging', 'productions', 'prodx', 'preprod']) expect(refusals({ ...(CDK_CONTEXT as Record<string, string>), stage }), stage).toEqual([]);
  });

  it('refuse in production every name reserved for examples (RFC 2606/6761), and only those', () => {
    const real = { stage: 'prod', consoleDomain: 'console.concord.eu', alarmEmail: 'ops@concord.eu', publicBaseUrl: 'https://registry.concord.eu', account: '123456789012' };
    expect(refusals(real)).toEqual([]);
    const reserved = ['example', 'www.example', 'a.b.test', 'x.invalid', 'localhost', 'app.localhost', 'example.com', 'console.example.com', 'EXAMPLE.NET', 'x.example.org', 'x.example.org.'];
    const fine = ['myexample.com', 'example.com.au', 'examples.org', 'example.co', 'test.concord.eu', 'localhost.concord.eu', 'concord.testing'];
    for (const host of reserved) {
      expect(refusals({ ...real, consoleDomain: host }).map((l) => l.split(':')[0]), host).toEqual(['  consoleDomain']);
      expect(refusals({ ...real, alarmEmail: `ops@${host.replace(/\.$/, '')}` }).map((l) => l.split(':')[0]), host).toEqual(['  alarmEmail']);
      expect(refusals({ ...real, publicBaseUrl: `https://${host}` }).map((l) => l.split(':')[0]), host).toEqual(['  publicBaseUrl']);
    }
    expect(refusals({ ...real, consoleDomain: 'localhost:5173' })).toHaveLength(1);
    for (const host of fine) expect(refusals({ ...real, consoleDomain: host, alarmEmail: `ops@${host}`, publicBaseUrl: `https://${host}` }), host).toEqual([]);
  });

  it('take account and region only as an AWS account id and region name', () => {
    const base = { ...(CDK_CONTEXT as Record<string, string>) };
    expect(refusals({ ...base, account: '12345678901', region: 'eu-central-1' })).toEqual(['  account: must be a 12-digit AWS account id']);
    expect(refusals({ ...base, account: '123456789012', region: 'Frankfurt' })).toEqual(['  region: must be an AWS region name, like eu-central-1']);
    expect(refusals({ ...base, account: 123456789012 as never })).toEqual(['  account: must be a 12-digit AWS account id, as a string']);
    for (const region of ['eu-central-1', 'us-gov-west-1', 'ap-southeast-4', 'cn-north-1']) expect(refusals({ ...base, region }), region).toEqual([]);
  });

  it('take a sender for Cognito\'s mails only with the region its SES identity is in, and in production not at an example name', () => {
    const real = { stage: 'prod', consoleDomain: 'console.concord.eu', alarmEmail: 'ops@concord.eu', publicBaseUrl: 'https://registry.concord.eu', account: '123456789012' };
    expect(refusals({ ...real, emailFrom: 'registry@concord.eu', region: 'eu-central-1' })).toEqual([]);
    expect(refusals({ ...real, emailFrom: 'registry@concord.eu' })).toEqual(['  region: emailFrom sends through Amazon SES in one region: give it (-c region=...), where the sender\'s domain is verified']);
    expect(refusals({ ...real, emailFrom: 'registry', region: 'eu-central-1' })).toEqual(['  emailFrom: must be an email address at a domain verified in Amazon SES']);
    expect(refusals({ ...real, emailFrom: 'registry@concord.example', region: 'eu-central-1' }).map((l) => l.split(':')[0])).toEqual(['  emailFrom']);
    expect(refusals({ ...(CDK_CONTEXT as Record<string, string>), emailFrom: 'registry@concord.example', region: 'eu-central-1' })).toEqual([]); // dev: examples are fine
  });

  it('deploy both stacks to the account and region given, and pin neither when none is', () => {
    const context = { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], stage: 'prod', consoleDomain: 'console.concord.eu', alarmEmail: 'ops@concord.eu', publicBaseUrl: 'https://registry.concord.eu', account: '123456789012', region: 'eu-central-1' };
    const pinned = buildApp({ context });
    for (const stack of [pinned.stateful, pinned.stateless]) expect([stack.account, stack.region], stack.stackName).toEqual(['123456789012', 'eu-central-1']);
    expect(pinned.stateful.stackName).toBe('Concord-prod-Stateful');
    // cdk.json names no account: the stacks resolve AWS::AccountId and AWS::Region at deploy.
    for (const stack of [s.stateful, s.stateless]) expect([Token.isUnresolved(stack.account), Token.isUnresolved(stack.region)]).toEqual([true, true]);
    // Without a sender of its own, production is warned that Cognito's will not carry an expo's invitations.
    const cognitoEmail = Match.stringLikeRegexp('No emailFrom: Cognito mails invitations');
    Annotations.fromStack(pinned.stateful).hasWarning('/Concord-prod-Stateful', cognitoEmail);
    Annotations.fromStack(s.stateful).hasNoWarning('*', cognitoEmail); // dev
    // With one, its mails go through SES, from that address, verified by its domain in that region.
    const mailing = buildApp({ context: { ...context, emailFrom: 'registry@concord.eu' } });
    Template.fromStack(mailing.stateful).hasResourceProperties('AWS::Cognito::UserPool', {
      EmailConfiguration: {
        EmailSendingAccount: 'DEVELOPER',
        From: 'Concord registry <registry@concord.eu>',
        SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':ses:eu-central-1:123456789012:identity/concord.eu')])] }),
      },
    });
    Annotations.fromStack(mailing.stateful).hasNoWarning('*', cognitoEmail);
    s.stateful$.hasResourceProperties('AWS::Cognito::UserPool', { EmailConfiguration: Match.absent() });
  }, 60_000);
});

describe('deployment warnings', () => {
  it('warns at synth when certificates would print the execute-api URL (no publicBaseUrl)', () => {
    Annotations.fromStack(s.stateless).hasWarning('/Concord-dev-Stateless', Match.stringLikeRegexp('No publicBaseUrl: certificates print the API.s execute-api URL'));
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding (errors or warnings)', () => {
    const report = new AwsSolutionsChecks().validateScope(s.app);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledgement a specific reason', () => {
    const acks = acknowledgements(s.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/AwsSolutions-/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(40);
    }
  });

  it('acknowledges only the known rule kinds', () => {
    const kinds = new Set(acknowledgements(s.app).map((a) => a.id.replace(/^annotation::/i, '').replace(/\[.*$/, '')));
    expect([...kinds].sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-COG2', 'AwsSolutions-COG8', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-SMG4']);
    // An AWS managed policy only for AWS Backup's service role.
    expect(acknowledgements(s.app).map((a) => a.id.replace(/^annotation::/i, '')).filter((id) => id.startsWith('AwsSolutions-IAM4')))
      .toEqual(['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]']);
  });
});
