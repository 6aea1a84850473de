/**
 * The one NodejsFunction subclass: every Lambda of the app (API functions and the signing-key
 * custom resource) gets the same runtime, architecture, bundling, logging and tracing from here.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PROJECT_ROOT } from './paths.ts';

/** The newest Node.js runtime aws-cdk-lib 2.276 knows; tests pin it so an upgrade is a decision. */
export const HOUSE_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/** A file copied next to the bundle after esbuild runs (fonts, WASM). */
export interface BundledFile {
  source: string;
  bundlePath: string;
}

export interface HouseFunctionProps {
  entry: string;
  description: string;
  memoryMb: number;
  environment?: Record<string, string>;
  timeout?: Duration;
  files?: readonly BundledFile[];
}

// Some CommonJS dependencies call require() on Node built-ins; an ESM bundle has no require.
const REQUIRE_SHIM = "import { createRequire as __houseCreateRequire } from 'node:module'; const require = __houseCreateRequire(import.meta.url);";

const quote = (path: string) => `'${path.replaceAll("'", "'\\''")}'`;

const copyCommands = (files: readonly BundledFile[], outputDir: string) =>
  files.map((f) => {
    const target = `${outputDir}/${f.bundlePath}`;
    return `mkdir -p ${quote(target.slice(0, target.lastIndexOf('/')))} && cp ${quote(f.source)} ${quote(target)}`;
  });

export class HouseFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    // Declared before super() can build the function: its role and log group are passed in.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which take no resource ARN; tests/infra asserts no other action gets Resource *.',
    });
    const files = props.files ?? [];

    super(scope, id, {
      entry: props.entry,
      description: props.description,
      memorySize: props.memoryMb,
      timeout: props.timeout ?? Duration.seconds(10),
      runtime: HOUSE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}/package-lock.json`,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        minify: true,
        logLevel: LogLevel.ERROR,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Stack traces need file and line, not the sources: keeps the .map small.
        sourcesContent: false,
        // The SDK is bundled, not taken from the runtime: the versions package-lock.json pins
        // are the ones tested, and the bundle runs anywhere Node does (see tests/infra).
        bundleAwsSDK: true,
        // pdf-lib's 14 standard-font metrics are dead weight: certificates embed subset TTFs only.
        esbuildArgs: { '--alias:@pdf-lib/standard-fonts': `${PROJECT_ROOT}/infra/bundling/pdf-lib-standard-fonts` },
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input, outputDir) => copyCommands(files, outputDir),
        },
      },
    });
  }
}
