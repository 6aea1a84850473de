/** Settings of the local server and token tool, from the environment. */
import { z } from 'zod';

export const localConfig = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    DATA_DIR: z.string().min(1).default('.data'),
  })
  .parse(process.env);
