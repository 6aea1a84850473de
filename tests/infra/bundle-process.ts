/**
 * Runs one synthesized Lambda bundle in a fresh Node process, cwd in the bundle's own directory
 * and no access to the project's node_modules, so anything not bundled fails to load. Events go
 * in as JSON lines on stdin; results come back on stdout behind a marker (the handler may log).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

const MARK = '@@concord-result ';

// The Lambda runtime's part: import the module, call `handler(event, context)` per event, with
// the function's own timeout counting down from the start of each invocation.
const RUNTIME = `
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
const mod = await import(pathToFileURL(process.argv[1]).href);
const timeoutMs = Number(process.argv[2]);
for await (const line of createInterface({ input: process.stdin })) {
  const deadline = Date.now() + timeoutMs;
  const context = { awsRequestId: 'smoke', functionName: 'smoke', getRemainingTimeInMillis: () => deadline - Date.now() };
  let out;
  try { out = { ok: true, result: await mod.handler(JSON.parse(line), context) }; }
  catch (error) { out = { ok: false, error: String(error && error.stack || error) }; }
  process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify(out) + '\\n');
}`;

export interface BundleProcess {
  invoke(event: unknown): Promise<any>;
  /** Everything the process wrote that was not a result (logs, errors). */
  output(): string;
  stop(): void;
}

/** `timeoutSeconds`: the function's timeout, as its template sets it. */
export function startBundle(bundleFile: string, cwd: string, env: Record<string, string>, timeoutSeconds: number): BundleProcess {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--input-type=module', '-e', RUNTIME, bundleFile, String(timeoutSeconds * 1000)], { cwd, env });
  const waiting: ((value: unknown) => void)[] = [];
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith(MARK)) return void (log += `${line}\n`);
    const out = JSON.parse(line.slice(MARK.length)) as { ok: boolean; result?: unknown; error?: string };
    waiting.shift()?.(out.ok ? out.result : new Error(out.error));
  });
  const exited = new Promise<never>((_ok, fail) => child.on('exit', (code) => fail(new Error(`bundle exited (${code}):\n${log}`))));
  return {
    async invoke(event) {
      const result = new Promise((ok) => waiting.push(ok));
      child.stdin.write(`${JSON.stringify(event)}\n`);
      const value = await Promise.race([result, exited]);
      if (value instanceof Error) throw value;
      return value;
    },
    output: () => log,
    stop: () => void child.kill(),
  };
}
