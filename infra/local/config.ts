/** Settings of the local server and token tool, from the environment. */
import * as z from 'zod';

export const localConfig = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    DATA_DIR: z.string().min(1).default('.data'),
    /** Where phones that scan a certificate's QR code reach this server, e.g. http://192.168.1.20:3000. */
    PUBLIC_BASE_URL: z.url().optional(),
  })
  .parse(process.env);
