/** `npm start`: the whole registry on this machine. */
import { localConfig } from './config.ts';
import { DEMO_CEREMONY, DEMO_PARTNER_PARTY } from './demo/demo-data.ts';
import { DataDirInUse, DataDirUnusable } from './data-files.ts';
import { startRegistry } from './server.ts';

const { PORT, HOST, DATA_DIR, PUBLIC_BASE_URL } = localConfig();

/** Variables as a shell takes them before a command, each value quoted when it needs to be: printed commands paste as they are. */
const sh = (vars: Record<string, string>) =>
  Object.entries(vars).map(([k, v]) => `${k}=${/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`} `).join('');

let registry;
try {
  registry = await startRegistry({ dataDir: DATA_DIR, port: PORT, host: HOST, seed: true, integritySweepEveryMs: 24 * 60 * 60 * 1000, ...(PUBLIC_BASE_URL && { publicBaseUrl: PUBLIC_BASE_URL }), log: (line) => console.log(line) });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') console.error(`Port ${PORT} is taken: stop the other server, or run ${sh({ ...(DATA_DIR !== '.data' && { DATA_DIR }), ...(HOST !== '127.0.0.1' && { HOST }), PORT: String(PORT + 1) })}npm start`);
  else if (error instanceof DataDirInUse || error instanceof DataDirUnusable) console.error(error.message);
  else console.error(error);
  process.exit(1);
}

const { url } = registry;
const staff = registry.token('staff');
console.log(`
Concord registry running at ${url}   (data in ${registry.dataDir})

Tokens (valid 24 h; mint more with: ${sh(DATA_DIR === '.data' ? {} : { DATA_DIR })}npm run --silent token -- <staff|auditor|partner> [partyId])
  STAFF=${staff}
  AUDITOR=${registry.token('auditor')}
  PARTNER=${registry.token('partner', DEMO_PARTNER_PARTY)}   # partner of ${DEMO_PARTNER_PARTY}

Try (after pasting the token lines above into your shell):
  curl -s ${url}/healthz
  curl -s -H "Authorization: Bearer $STAFF" "${url}/agreements?ceremonyId=${DEMO_CEREMONY.id}"
  curl -s -H "Authorization: Bearer $PARTNER" "${url}/agreements"
  curl -s -H "Authorization: Bearer $PARTNER" -o certificate.pdf "${url}/agreements/<id>/certificate.pdf"
  curl -s ${url}/openapi.json
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    registry.close().then(() => process.exit(0), () => process.exit(1));
  });
}
