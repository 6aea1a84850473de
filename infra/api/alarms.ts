/**
 * Alarms that need a human: API 5xx, and errors or throttles of any function, mailed through one
 * SNS topic. Thresholds are deliberately low: a registry's normal error rate is zero.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface RegistryAlarmsProps {
  email: string;
  stage: apigw.HttpStage;
  functions: ReadonlyMap<string, lambda.IFunction>;
}

const FIVE_MINUTES = Duration.minutes(5);

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

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        metric, threshold, evaluationPeriods: 1, alarmDescription: description,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(action);

    alarm('Api5xx', props.stage.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), 5, 'API answered 5xx at least 5 times in 5 minutes');
    for (const [name, fn] of props.functions) {
      alarm(`${name}-errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 3, `${name} failed at least 3 times in 5 minutes`);
      alarm(`${name}-throttles`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `${name} was throttled`);
    }
  }
}
