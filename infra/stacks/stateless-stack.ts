/**
 * Everything that can be rebuilt from code: the functions, the HTTP API, the daily integrity sweep
 * and the alarms. State
 * (table, signing key, users) comes in from the stateful stack. Only the API's access log, the
 * audit trail, is kept when this stack goes (infra/api/http-api.ts).
 */
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { RegistryAlarms } from '../api/alarms.ts';
import { RegistryApi } from '../api/http-api.ts';
import { RegistryFunctions } from '../api/registry-functions.ts';
import { IntegritySweep } from '../integrity-sweep.ts';

export interface StatelessStackProps extends StackProps {
  /** The stateful stack's table, by name: no export pins it to this stack. */
  tableName: string;
  signingKey: secretsmanager.ISecret;
  cursorKey: secretsmanager.ISecret;
  pool: cognito.IUserPool;
  client: cognito.IUserPoolClient;
  consoleOrigin: string;
  alarmEmail: string;
  /** Where certificates point their readers; defaults to the API's own URL. */
  publicBaseUrl?: string | undefined;
}

export class StatelessStack extends Stack {
  readonly functions: RegistryFunctions;
  readonly api: RegistryApi;
  readonly sweep: IntegritySweep;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const table = dynamodb.TableV2.fromTableAttributes(this, 'Table', { tableName: props.tableName, grantIndexPermissions: true });
    this.functions = new RegistryFunctions(this, 'Functions', { table, signingKey: props.signingKey, cursorKey: props.cursorKey });
    this.api = new RegistryApi(this, 'Http', {
      functions: this.functions.byName,
      pool: props.pool,
      client: props.client,
      consoleOrigin: props.consoleOrigin,
    });
    // Set after the API exists: the URL names the API, which does not depend on the functions.
    const publicBaseUrl = props.publicBaseUrl ?? this.api.url;
    for (const fn of this.functions.byName.values()) fn.addEnvironment('PUBLIC_BASE_URL', publicBaseUrl);
    if (!props.publicBaseUrl) {
      // Every certificate prints its verification link: one under the execute-api URL stops
      // working when this stack (and so the API) is rebuilt.
      Annotations.of(this).addWarningV2('concord:public-base-url', 'No publicBaseUrl: certificates print the API\'s execute-api URL, which changes if this stack is ever rebuilt, and every link printed before would then lead nowhere. For production, deploy with -c publicBaseUrl=https://<a custom domain that routes to this API>.');
    }
    this.sweep = new IntegritySweep(this, 'IntegritySweep', { table });
    new RegistryAlarms(this, 'Alarms', { email: props.alarmEmail, stage: this.api.stage, functions: this.functions.byName, sweep: this.sweep, table });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the registry API' });
    new CfnOutput(this, 'UserPoolId', { value: props.pool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: props.client.userPoolClientId, description: 'Console app client (audience of the JWT authorizer)' });
  }
}
