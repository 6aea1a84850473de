/**
 * The README's walkthrough, pasted into a shell as a newcomer pastes it: each command does what its
 * comment says, against a registry with the demo data `npm start` seeds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
/** Where the walkthrough's file goes, instead of /tmp. */
const scratch = mkdtempSync(join(tmpdir(), 'concord-readme-'));

beforeAll(async () => {
  t = await startTestRegistry({ seed: true });
});
afterAll(async () => {
  try {
    await t?.close();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

/** The shell block right under the README's one paragraph line that starts with `lead` (never another block further on). */
function readmeBlock(lead: string): string {
  const readme = readFileSync('README.md', 'utf8');
  expect(readme.split(lead), lead).toHaveLength(2);
  const block = new RegExp(`${lead}[^\n]*\n\n\`\`\`sh\n([\\s\\S]*?)\n\`\`\`\n`).exec(readme);
  expect(block, `a sh block right under "${lead}"`).not.toBeNull();
  return block![1]!;
}

describe('the README', () => {
  it('walks a signing from start to finish: logged, amended, its certificate downloaded and checked valid', async () => {
    const script = readmeBlock('A signing from start to finish').replaceAll('http://127.0.0.1:3000', t.url).replaceAll('/tmp/certificate.pdf', join(scratch, 'certificate.pdf'));
    // This registry and this scratch dir, never a server on port 3000 or a file left in /tmp.
    expect(script).not.toMatch(/:3000|\/tmp\/certificate\.pdf/);
    // Run apart from this process, which serves the registry: a synchronous run would stop it answering.
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
      const env = { ...process.env, STAFF: t.tokens.staff, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };
      execFile('bash', ['-euo', 'pipefail', '-c', script], { env, encoding: 'utf8', timeout: 15_000 }, (error, stdout, stderr) =>
        done({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
    expect([run.status, run.stderr]).toEqual([0, '']);
    const lines = run.stdout.trim().split('\n');
    // The party, the ceremony, the new agreement's id, the amended agreement, the verdict.
    expect(lines).toHaveLength(5);
    const [partyOut, ceremonyOut, id, amended, verdict] = lines;
    expect(JSON.parse(partyOut!)).toMatchObject({ id: 'city-kazan', localName: 'Казань' });
    expect(JSON.parse(ceremonyOut!)).toMatchObject({ id: 'kazan-2024', timeZone: 'Europe/Moscow' });
    expect(id).toMatch(/^ag-[a-z0-9]+$/);
    expect(JSON.parse(amended!)).toMatchObject({ id, version: 2, summary: 'Exchange of museum exhibitions' });
    expect(JSON.parse(verdict!)).toMatchObject({ status: 'valid', version: 2, currentVersion: 2 });
  });
});
