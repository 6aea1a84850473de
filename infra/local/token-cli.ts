/** `npm run --silent token -- <staff|auditor|partner> [partyId]`: prints one local token, nothing else. */
import { ID_PATTERN } from '#shared/domain/formats.ts';
import { ROLES, type Role } from '#shared/domain/principal.ts';
import { localConfig } from './config.ts';
import { loadSecret, mintToken } from './jwt.ts';

const [role, partyId] = process.argv.slice(2);
if (!role || !(ROLES as readonly string[]).includes(role) || (role === 'partner' && !partyId) || (partyId !== undefined && !ID_PATTERN.test(partyId))) {
  console.error('usage: npm run --silent token -- <staff|auditor|partner> [partyId]   (partner needs a partyId, a party\'s id like city-chongqing)');
  process.exit(2);
}
try {
  process.stdout.write(`${mintToken(loadSecret(localConfig().DATA_DIR, undefined, { create: false }), role as Role, partyId ? { partyId } : {})}\n`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
