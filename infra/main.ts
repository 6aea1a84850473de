/** `cdk synth` / `cdk deploy` entry point (cdk.json "app"). */
import { buildApp } from './app.ts';

buildApp().app.synth();
