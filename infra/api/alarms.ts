/**
 * Alarms that need a human: API 5xx; stored data that does not check out (the functions' integrity
 * log lines); the daily integrity sweep failing, or not started; errors, throttles and (for the slow
 * functions) near-timeout durations of any function; throttles and server errors of the table.
 * Mailed through one SNS topic when they go off (the 5xx, duration and table ones again when they
 * recover).
 * Thresholds are deliberately low: a registry's normal error rate is zero.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { TABLE_CALLS } from '#shared/http/routes.ts';
import { INTEGRITY } from '#shared/log.ts';
import { TABLE_DEFINITION } from '#shared/store/table.ts';
import { READ_CALLS } from './registry-functions.ts';

export interface RegistryAlarmsProps {
  email: string;
  stage: apigw.HttpStage;
  functions: ReadonlyMap<string, lambda.Function>;
  /** The integrity sweep's function and the rule that starts it daily (infra/integrity-sweep.ts). */
  sweep: { fn: lambda.Function; schedule: events.IRule };
  table: dynamodb.ITableV2;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The log lines the integrity alarm counts: Lambda's JSON log format nests what the code logs as
 * the line's `message` (shared/log.ts).
 */
export const INTEGRITY_FILTER = logs.FilterPattern.stringValue('$.message.category', '=', INTEGRITY);

/** The sum of these metrics over five minutes, each 0 where it has no data (a series that reports nothing still adds up). */
const sumOf = (metrics: Record<string, cloudwatch.IMetric>, label: string) =>
  new cloudwatch.MathExpression({ expression: Object.keys(metrics).map((m) => `FILL(${m}, 0)`).join(' + '), usingMetrics: metrics, period: FIVE_MINUTES, label });

/** Functions allowed more than this get a duration alarm: the default 10 s is the one the others run well within. */
const SLOW_FUNCTION_SECONDS = 10;
/** A slow function's p99 duration alarm goes off at this share of its timeout. */
const DURATION_ALARM_SHARE = 0.75;

/** Every table call the code makes: DynamoDB reports SystemErrors per operation. */
const TABLE_OPERATIONS = [...READ_CALLS, ...TABLE_CALLS];

export class RegistryAlarms extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: RegistryAlarmsProps) {
    super(scope, id);
    // A customer-managed key because CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    // Goes with the stateless stack (after KMS's shortest waiting period): it encrypts alarm mail in transit, nothing kept.
    const key = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Concord alarm topic', removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Concord alarms', masterKey: key, enforceSSL: true });
    // enforceSSL writes a topic policy, which replaces SNS's default one (that let the account's
    // services publish): without this statement CloudWatch "is not authorized to perform SNS:Publish".
    const { account, region, partition } = Stack.of(this);
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccountPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` } },
    }));
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    const action = new SnsAction(this.topic);

    /**
     * `recovery`: the recovery is mailed too, so whoever was woken knows when it is over without
     * opening the console. Only for the alarms that speak for the whole registry: CloudWatch also
     * sends an OK action when a new alarm first settles, so each such alarm mails "OK" once at the
     * first deploy (six, not the two dozen every function's errors and throttles would add).
     */
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string, recovery = true) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric, threshold, evaluationPeriods: 1, alarmDescription: description,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      if (recovery) created.addOkAction(action);
    };

    alarm('Api5xx', props.stage.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), 5, 'API answered 5xx at least 5 times in 5 minutes');

    // Damage the registry finds (a history that does not check out, a record that disagrees with
    // it or does not parse, published keys missing or broken) is answered with a 409, an `invalid`
    // verdict, a history that says so, or a lone 500 or 503 the 5xx alarm lets pass: one such line
    // is for a human.
    const integrity = { namespace: `Concord/${Stack.of(this).stackName}`, metricName: 'IntegrityFailures' };
    for (const [name, fn] of [...props.functions, ['integrity-sweep', props.sweep.fn] as const]) {
      new logs.MetricFilter(this, `${name}-integrity`, {
        logGroup: fn.logGroup, metricNamespace: integrity.namespace, metricName: integrity.metricName, metricValue: '1',
        filterPattern: INTEGRITY_FILTER,
      });
    }
    // No recovery mail: five quiet minutes say only that nobody read the damage lately, not that it is mended.
    alarm('Integrity', new cloudwatch.Metric({ ...integrity, period: FIVE_MINUTES, statistic: 'Sum' }), 1,
      `The registry found stored history, records or published keys that do not check out, or a printed code or list entry that no longer leads to its agreement (changed outside the registry, or restored wrong): see the functions' logs where message.category is "${INTEGRITY}"`, false);
    // It runs once a day: one failure (a sweep cut short, or the table failing it) is the alarm.
    alarm('IntegritySweepErrors', props.sweep.fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 'The daily integrity sweep failed or stopped short of the last record: see its log', false);
    // A sweep that never starts fails nothing: EventBridge counts the day's start it gave up on (the
    // rule's permission to invoke the function gone, the function gone) once its retries are spent.
    const undelivered = new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: { RuleName: props.sweep.schedule.ruleName }, period: FIVE_MINUTES, statistic: 'Sum' });
    alarm('IntegritySweepNotStarted', undelivered, 1, 'EventBridge could not start the daily integrity sweep (its permission to invoke the function, or the function, is gone): that day\'s sweep did not run', false);
    for (const [name, fn] of props.functions) {
      alarm(`${name}-errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 3, `${name} failed at least 3 times in 5 minutes`, false);
      alarm(`${name}-throttles`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `${name} was throttled`, false);
      // The functions given more than the default time (certificates, a ceremony's every signing) are
      // the ones that can creep up on their timeout, past which the caller gets an error and nothing is
      // done. A p99 at three quarters of it says so before calls start failing; with a registry's few
      // calls in five minutes, p99 is about the slowest one.
      const timeout = fn.timeout ?? Duration.seconds(SLOW_FUNCTION_SECONDS);
      if (timeout.toSeconds() > SLOW_FUNCTION_SECONDS) {
        const thresholdMs = Math.round(timeout.toMilliseconds() * DURATION_ALARM_SHARE);
        alarm(`${name}-duration`, fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' }), thresholdMs,
          `${name}: p99 duration reached ${thresholdMs / 1000} s of its ${timeout.toSeconds()} s timeout in 5 minutes`);
      }
    }

    // An on-demand table should never throttle at a registry's load: one throttled read or write
    // (on the table or any of its indexes, which report apart) means a hot partition or an account
    // limit, and the SDK's retries may not hide it. Each series is 0 where it has no data, so the sum
    // counts whichever report. (An alarm's expression takes at most 10 metrics: 2 per table and index.)
    const throttleSources = [{ id: 'table', dimensions: {} }, ...TABLE_DEFINITION.indexes.map((i) => ({ id: i.indexName, dimensions: { GlobalSecondaryIndexName: i.indexName } }))];
    const throttleEvents = Object.fromEntries(throttleSources.flatMap(({ id, dimensions }) => (['Read', 'Write'] as const).map((kind) => [
      `${kind.toLowerCase()}_${id}`,
      props.table.metric(`${kind}ThrottleEvents`, { period: FIVE_MINUTES, statistic: 'Sum', dimensionsMap: { TableName: props.table.tableName, ...dimensions } }),
    ])));
    alarm('TableThrottles', sumOf(throttleEvents, 'Throttle events, table and indexes'), 1, 'The registry table (or an index) throttled a read or write');

    // DynamoDB's own 500s. The SDK retries each (three attempts), so one is seldom seen by a caller;
    // three in five minutes is DynamoDB trouble that callers meet as 503s.
    const systemErrors = Object.fromEntries(TABLE_OPERATIONS.map((operation) => [
      operation.toLowerCase(),
      props.table.metric('SystemErrors', { period: FIVE_MINUTES, statistic: 'Sum', dimensionsMap: { TableName: props.table.tableName, Operation: operation } }),
    ]));
    alarm('TableSystemErrors', sumOf(systemErrors, 'DynamoDB system errors, every operation the store makes'), 3, 'DynamoDB answered the registry table\'s calls with a server error at least 3 times in 5 minutes');
  }
}
