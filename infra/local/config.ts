/** Settings of the local server and token tool, from the environment. */
import * as z from 'zod';

const settings = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().min(1, 'must name a directory (unset, it is .data)').default('.data'),
  /** Where phones that scan a certificate's QR code reach this server, e.g. http://192.168.1.20:3000. */
  PUBLIC_BASE_URL: z.url().optional(),
});

const parsed = settings.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
  process.exit(2);
}

export const localConfig = parsed.data;
