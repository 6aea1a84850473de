/** The link items (party or country -> agreement) under a partition, read straight from the table. */
import { LINK_PREFIX } from '#shared/store/keys.ts';
import { itemsUnder } from './history-items.ts';

export const linksOf = (pk: string): Promise<Record<string, unknown>[]> => itemsUnder(pk, LINK_PREFIX);
