/** `cdk synth` / `cdk deploy` entry point (cdk.json "app"). */
import { buildApp } from './app.ts';
import { DeployConfigError } from './config.ts';

try {
  buildApp().app.synth();
} catch (error) {
  if (!(error instanceof DeployConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
