/** `npm run --silent token -- <staff|auditor|partner> [partyId]`: prints one local token, nothing else. */
import { ROLES, type Role } from '#shared/domain/principal.ts';
import { localConfig } from './config.ts';
import { loadSecret, mintToken } from './jwt.ts';

const [role, partyId] = process.argv.slice(2);
if (!role || !(ROLES as readonly string[]).includes(role) || (role === 'partner' && !partyId)) {
  console.error('usage: npm run --silent token -- <staff|auditor|partner> [partyId]   (partner needs a partyId)');
  process.exit(2);
}
process.stdout.write(`${mintToken(loadSecret(localConfig.DATA_DIR), role as Role, partyId ? { partyId } : {})}\n`);
