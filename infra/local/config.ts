/** Settings of the local server and token tool, from the environment. */
import * as z from 'zod';
import { printableBaseUrl } from '#shared/certificate/signature.ts';

/** A variable set to nothing (`HOST=` in a CI file) counts as unset: an empty HOST listened on every interface. */
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

const settings = z.object({
  PORT: z.preprocess(unsetIfEmpty, z.string().regex(/^\d{1,5}$/, 'must be a port number from 0 to 65535').transform(Number)
    .pipe(z.number().max(65535, 'must be a port number from 0 to 65535')).default(3000)),
  HOST: z.preprocess(unsetIfEmpty, z.string().default('127.0.0.1')),
  DATA_DIR: z.string().min(1, 'must name a directory (unset, it is .data)').default('.data'),
  /**
   * Where phones that scan a certificate's QR code reach this server, e.g. http://192.168.1.20:3000.
   * Printed on certificates for good: http(s), and no query or fragment, which would swallow the
   * verification path.
   */
  PUBLIC_BASE_URL: z.preprocess(unsetIfEmpty, printableBaseUrl('http(s)').optional()),
});

export type LocalConfig = z.infer<typeof settings>;

/** The settings in `env`, or a message for each variable that is wrong. */
export function parseLocalConfig(env: Record<string, string | undefined>): { config: LocalConfig } | { errors: string[] } {
  const parsed = settings.safeParse(env);
  return parsed.success ? { config: parsed.data } : { errors: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
}

/** The settings of this process's environment; a wrong one ends the process with its message (exit 2). */
export function localConfig(): LocalConfig {
  const parsed = parseLocalConfig(process.env);
  if ('config' in parsed) return parsed.config;
  for (const error of parsed.errors) console.error(error);
  process.exit(2);
}
