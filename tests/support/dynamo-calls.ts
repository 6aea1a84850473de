/** Watches the calls the registry's DynamoDB client makes (in this process): each command's name, input and output. */
import { dynamo } from '#shared/store/client.ts';

export type Call = { command: string; input: Record<string, any>; output: Record<string, any> };

/** Runs `during` with every call (in this process) going through `around`, which sends it with `send`. */
async function aroundCalls<T>(
  around: (call: Omit<Call, 'output'>, send: () => Promise<Call['output']>) => Promise<void>,
  during: () => Promise<T>,
): Promise<T> {
  const name = `around-${Math.random()}`;
  dynamo.middlewareStack.add((next, context) => async (args) => {
    let answer: Awaited<ReturnType<typeof next>> | undefined;
    await around({ command: context.commandName!, input: args.input as Call['input'] }, async () => {
      answer = await next(args);
      return answer.output as Call['output'];
    });
    if (!answer) throw new Error(`${context.commandName} was never sent`);
    return answer;
  }, { step: 'initialize', name });
  try {
    return await during();
  } finally {
    dynamo.middlewareStack.remove(name);
  }
}

/** Runs `during` with every call passed to `onCall` once it is answered. */
export const watchingCalls = <T>(onCall: (call: Call) => void, during: () => Promise<T>): Promise<T> =>
  aroundCalls(async (call, send) => {
    const output = await send();
    onCall({ ...call, output });
  }, during);

/** Runs `during` with `before` awaited ahead of every call (before it is sent): it may throw for the call, or change the table first. */
export const beforeCalls = <T>(before: (call: Omit<Call, 'output'>) => void | Promise<void>, during: () => Promise<T>): Promise<T> =>
  aroundCalls(async (call, send) => {
    await before(call);
    await send();
  }, during);

/** Runs `during` with every call that `fails` picks failing as if DynamoDB had (before it is sent; the SDK does not retry it). */
export const failingCalls = <T>(fails: (call: Omit<Call, 'output'>) => boolean, during: () => Promise<T>): Promise<T> =>
  beforeCalls((call) => {
    if (fails(call)) throw Object.assign(new Error('injected fault'), { name: 'InternalServerError', $fault: 'server' });
  }, during);
