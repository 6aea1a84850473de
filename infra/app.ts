/**
 * The CDK app as a function, so `cdk synth` (infra/main.ts) and the tests build exactly the same
 * thing. cdk-nag's AwsSolutions pack runs at every synthesis: an unacknowledged finding fails it.
 */
import { App, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { consoleOrigin, isProductionStage, readConfig } from './config.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

export interface ConcordApp {
  app: App;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

export function buildApp(props: AppProps = {}): ConcordApp {
  const app = new App(props);
  const config = readConfig(app.node);
  const prefix = `Concord-${config.stage}`;

  // Only what was given: a stack without an account (or region) deploys wherever the shell's credentials point.
  const env = { ...(config.account && { account: config.account }), ...(config.region && { region: config.region }) };

  const tableName = `concord-${config.stage}`;
  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    description: 'Concord registry: table, signing key, users (retained)',
    tableName,
    email: config.emailFrom && config.region ? { from: config.emailFrom, region: config.region } : undefined,
    production: isProductionStage(config.stage),
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    env,
    description: 'Concord registry: functions, HTTP API, alarms',
    tableName,
    signingKey: stateful.signingKey,
    cursorKey: stateful.cursorKey,
    pool: stateful.users.pool,
    client: stateful.users.consoleClient,
    consoleOrigin: consoleOrigin(config),
    alarmEmail: config.alarmEmail,
    publicBaseUrl: config.publicBaseUrl,
  });
  stateless.addStackDependency(stateful, 'the table, signing key and user pool must exist first');
  Tags.of(app).add('app', 'concord');
  Tags.of(app).add('stage', config.stage);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful, stateless };
}
