/** What the local stand-ins for AWS endpoints (fake-aws.ts, iam-proxy.ts) share: reading a body, listening on a free port. */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const asArray = <T>(x: T | T[]) => (Array.isArray(x) ? x : [x]);

export async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts `server` on a free loopback port: its URL, and how to stop it. */
export async function listenLocally(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
