/**
 * Synthesizes the CDK app exactly as `cdk synth` does (same factory, cdk.json context) into a
 * temp dir. Template tests skip bundling (esbuild is the slow part); the bundle test bundles.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { FunctionName } from '#shared/http/routes.ts';
import { buildApp, type ConcordApp } from '#infra/app.ts';
import { PROJECT_ROOT } from '#infra/paths.ts';
import type { Statement } from './iam-proxy.ts';

import { asArray } from './local-endpoint.ts';

export type { Statement };
export { asArray };

export interface Synthesized extends ConcordApp {
  outdir: string;
  stateful$: Template;
  stateless$: Template;
  /** The template's logical id of a construct's CloudFormation resource. */
  logicalId(stack: Stack, fn: lambda.IFunction | { node: { defaultChild?: unknown } }): string;
  /** Every Allow statement attached to a function's role, across its policies: an API function, or the integrity sweep. */
  allowStatements(fn: FunctionName | 'integrity-sweep'): Statement[];
  cleanup(): void;
}

export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;

export function synthesize(options: { bundle: boolean }): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'concord-cdk-'));
  const built = buildApp({
    outdir,
    context: { ...CDK_CONTEXT, ...(!options.bundle && { 'aws:cdk:bundling-stacks': [] }) },
  });
  built.app.synth();
  const stateless$ = Template.fromStack(built.stateless);
  const logicalId: Synthesized['logicalId'] = (stack, construct) => stack.getLogicalId(construct.node.defaultChild as never);
  return {
    ...built,
    outdir,
    stateful$: Template.fromStack(built.stateful),
    stateless$,
    logicalId,
    allowStatements: (fn) => {
      const role = fn === 'integrity-sweep' ? built.stateless.sweep.fn.role! : built.stateless.functions.byName.get(fn)!.role!;
      const roleId = logicalId(built.stateless, role);
      return Object.values(stateless$.findResources('AWS::IAM::Policy'))
        .filter((p) => asArray(p.Properties.Roles).some((r: { Ref?: string }) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
        .filter((st) => st.Effect === 'Allow');
    },
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
