/** Watches the calls the registry's DynamoDB client makes (in this process): each command's name, input and output. */
import { dynamo } from '#shared/store/client.ts';

export type Call = { command: string; input: Record<string, any>; output: Record<string, any> };

/** Runs `during` with every call passed to `onCall` once it is answered. */
export async function watchingCalls<T>(onCall: (call: Call) => void, during: () => Promise<T>): Promise<T> {
  const name = `watch-${Math.random()}`;
  dynamo.middlewareStack.add((next, context) => async (args) => {
    const out = await next(args);
    onCall({ command: context.commandName!, input: args.input as Call['input'], output: out.output as Call['output'] });
    return out;
  }, { step: 'initialize', name });
  try {
    return await during();
  } finally {
    dynamo.middlewareStack.remove(name);
  }
}

/** Runs `during` with `before` awaited ahead of every call (before it is sent): it may throw for the call, or change the table first. */
export async function beforeCalls<T>(before: (call: Omit<Call, 'output'>) => void | Promise<void>, during: () => Promise<T>): Promise<T> {
  const name = `before-${Math.random()}`;
  dynamo.middlewareStack.add((next, context) => async (args) => {
    await before({ command: context.commandName!, input: args.input as Call['input'] });
    return next(args);
  }, { step: 'initialize', name });
  try {
    return await during();
  } finally {
    dynamo.middlewareStack.remove(name);
  }
}

/** Runs `during` with every call that `fails` picks failing as if DynamoDB had (before it is sent; the SDK does not retry it). */
export const failingCalls = <T>(fails: (call: Omit<Call, 'output'>) => boolean, during: () => Promise<T>): Promise<T> =>
  beforeCalls((call) => {
    if (fails(call)) throw Object.assign(new Error('injected fault'), { name: 'InternalServerError', $fault: 'server' });
  }, during);
