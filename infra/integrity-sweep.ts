/**
 * The integrity sweep's function and its daily schedule (functions/integrity-sweep): it reads every
 * agreement whole, with read-only access to the table, and writes nothing. What it finds reaches
 * operators through the integrity alarm (its log group is counted with the API functions'); a sweep
 * cut short fails, which its own errors alarm mails (infra/api/alarms.ts).
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { SWEEP_TIMEOUT_SECONDS } from '#functions/integrity-sweep/settings.ts';
import { acknowledgeIndexGrant } from './api/registry-functions.ts';
import { HouseFunction } from './house-function.ts';
import { functionEntry } from './paths.ts';

/** 19:00 UTC: 03:00 in Beijing and Chongqing, the quietest hour of the registry's first expos. */
export const SWEEP_SCHEDULE = events.Schedule.cron({ minute: '0', hour: '19' });

export interface IntegritySweepProps {
  table: dynamodb.ITableV2;
}

export class IntegritySweep extends Construct {
  readonly fn: HouseFunction;
  /** The daily rule that starts it. */
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: IntegritySweepProps) {
    super(scope, id);
    this.fn = new HouseFunction(this, 'Function', {
      entry: functionEntry('integrity-sweep'),
      description: 'Concord integrity sweep: checks every agreement\'s history, daily',
      memoryMb: 1024,
      timeout: Duration.seconds(SWEEP_TIMEOUT_SECONDS),
      environment: { TABLE_NAME: props.table.tableName },
    });
    // Reads an agreement whole (its partition) and its current record, and lists them through the
    // index (Query); reads the items it is found by (BatchGetItem); nothing else.
    props.table.grant(this.fn, 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem');
    acknowledgeIndexGrant(this.fn, props.table);
    // Once a day: a sweep that failed is not run again at once (its alarm has said so), but tomorrow.
    // EventBridge still retries delivering the day's invocation (its default), so none is lost unsaid.
    this.fn.configureAsyncInvoke({ retryAttempts: 0 });
    this.schedule = new events.Rule(this, 'Daily', {
      description: 'Runs the Concord integrity sweep',
      schedule: SWEEP_SCHEDULE,
      targets: [new targets.LambdaFunction(this.fn)],
    });
  }
}
