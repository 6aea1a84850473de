/**
 * The HTTP API, built from the routes table: one route per entry, integrated with its function's
 * Lambda, behind the Cognito JWT authorizer unless the entry is public. Access logs, default
 * throttling (tighter for the public routes) and CORS for the console origin are set on the one
 * `$default` stage.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { gatewayRouteKeys, methodsOf, PREFLIGHT_ROUTE_KEY, routeKey, ROUTES, UNMATCHED_FUNCTION, type FunctionName, type RouteKey } from '#shared/http/routes.ts';

export interface RegistryApiProps {
  functions: ReadonlyMap<FunctionName, lambda.IFunction>;
  pool: cognito.IUserPool;
  client: cognito.IUserPoolClient;
  consoleOrigin: string;
}

/** How long the access log keeps a request: a year, against the functions' three months. */
export const ACCESS_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** Steady rate and burst for every route; well above a registry's load, well below a flood. */
export const THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/**
 * Limits of their own for the routes anyone may call without a token (the public entries of ROUTES,
 * HEAD with GET), tighter than THROTTLE, since a flood of them needs no account. POST /verify the
 * tightest: each call may render the certificate a file claims to be (up to 28 s at 1.5 GB), and at
 * THROTTLE's 50 a second such calls could hold 1,400 instances, more than an account's default
 * Lambda concurrency (1,000), which the staff's functions share; at 20 a second they hold 60 at
 * 3 s a call, 560 at worst. The others read a record or serve a page: half of THROTTLE.
 */
export const PUBLIC_THROTTLE: { default: ThrottleLimits } & Partial<Record<RouteKey, ThrottleLimits>> = {
  default: { rateLimit: 25, burstLimit: 50 },
  'POST /verify': { rateLimit: 20, burstLimit: 40 },
};
interface ThrottleLimits { rateLimit: number; burstLimit: number }

/**
 * HTTP API $context variables: who called what, when and with what outcome. That is personal data:
 * the caller's IP address, and the path, which names the party, ceremony or agreement asked for (and
 * a certificate's verification code). No token, claim, query string or body is logged.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(JSON.stringify({
  requestId: '$context.requestId', time: '$context.requestTime', ip: '$context.identity.sourceIp',
  method: '$context.httpMethod', routeKey: '$context.routeKey', path: '$context.path', status: '$context.status',
  latencyMs: '$context.responseLatency', bytes: '$context.responseLength',
  authorizerError: '$context.authorizer.error', integrationError: '$context.integrationErrorMessage',
}));

export class RegistryApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: RegistryApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Concord registry API',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [props.consoleOrigin],
        allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.PATCH],
        allowHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key'],
        // A browser shows a script only these (beyond the CORS-safelisted ones): Retry-After on a 503, Allow on a 405 included.
        exposeHeaders: ['etag', 'location', 'idempotent-replayed', 'www-authenticate', 'content-disposition', 'retry-after', 'allow'],
        maxAge: Duration.hours(1),
      },
    });

    // The audit trail of who called what: kept a year, and kept when this stack is destroyed or
    // rebuilt (a rebuild starts a new group; the old one stays until its entries expire or it is deleted by hand).
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: ACCESS_LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const authorizer = new HttpUserPoolAuthorizer('Cognito', props.pool, { userPoolClients: [props.client] });
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationOf = (fn: FunctionName) => {
      if (!integrations.has(fn)) integrations.set(fn, new HttpLambdaIntegration(`${fn}-integration`, props.functions.get(fn)!));
      return integrations.get(fn)!;
    };

    // Whatever no route matches: the meta function answers 404, or 405 with Allow, in problem+json
    // (API Gateway itself would answer {"message":"Not Found"}), as the local server does.
    const unmatched = new apigw.HttpRoute(this, 'Unmatched', {
      httpApi: this.api, routeKey: apigw.HttpRouteKey.DEFAULT, integration: integrationOf(UNMATCHED_FUNCTION),
    });
    Validations.of(unmatched).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'The $default route only answers 404/405 for paths and methods no route has; it reads nothing.' });
    // A browser's CORS preflight carries no token. API Gateway answers preflights itself only while
    // no route takes them, and a $default route takes every method, OPTIONS included (http-api-cors,
    // "$default route and JWT authorizer"): so they reach a function, which answers 204 with Allow,
    // and API Gateway adds the CORS headers configured above. The $default route above has no
    // authorizer and would take them too; this route outranks it (AWS's advice for a $default route
    // with an authorizer), so preflights stay token-free should $default ever get one, and show under
    // their own route key in the access log.
    const [preflightMethod, preflightPath] = PREFLIGHT_ROUTE_KEY.split(' ') as ['OPTIONS', string];
    const preflight = new apigw.HttpRoute(this, 'Preflight', {
      httpApi: this.api, routeKey: apigw.HttpRouteKey.with(preflightPath, apigw.HttpMethod[preflightMethod]), integration: integrationOf(UNMATCHED_FUNCTION),
    });
    Validations.of(preflight).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'A CORS preflight carries no token by design (Fetch standard); the answer is 204 with the methods a path takes, reading nothing.' });

    // The public routes' own limits go in the stage's route settings, which HttpStage does not
    // expose. API Gateway refuses settings for a route that does not exist yet, so the stage waits for them.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of ROUTES) {
      const isPublic = route.access === 'public';
      // A GET route answers HEAD too: one API Gateway route per method, to the same function.
      const created = this.api.addRoutes({
        path: route.path,
        methods: methodsOf(route).map((method) => apigw.HttpMethod[method]),
        integration: integrationOf(route.fn),
        ...(!isPublic && { authorizer }),
      });
      for (const gatewayRoute of isPublic ? created : []) {
        Validations.of(gatewayRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${methodsOf(route).join('/')} ${route.path} is public in shared/http/routes.ts (health, API description, certificate verification).`,
        });
        this.stage.node.addDependency(gatewayRoute);
      }
      if (!isPublic) continue;
      const limits = PUBLIC_THROTTLE[routeKey(route)] ?? PUBLIC_THROTTLE.default;
      for (const key of gatewayRouteKeys(route)) routeSettings[key] = { ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit };
    }
    (this.stage.node.defaultChild as apigw.CfnStage).routeSettings = routeSettings;
  }

  get url(): string {
    return this.stage.url;
  }
}
