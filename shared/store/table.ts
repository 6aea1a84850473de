/**
 * The single-table definition, as plain data. The local server creates its dynalite table from
 * it and the CDK stack builds its TableV2 from it, so the two can never drift apart.
 *
 * | index | agreements                  | parties                   | ceremonies           |
 * |-------|-----------------------------|---------------------------|----------------------|
 * | gsi1  | AGREEMENTS / signedAt#id    | PARTIES / id              | CEREMONIES / start#id|
 * | gsi2  | CEREMONY#id / signedAt#id   | PARTY_KIND#k / country#id |                      |
 * | gsi3  |                             | PARTY_COUNTRY#cc / kind#id|                      |
 *
 * GSIs project only `data` (the record as the API returns it). An agreement's history entries
 * are items of their own in its partition (keys.historyEntryKey), with no index keys.
 */
export const TABLE_DEFINITION = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  ],
  projectedAttributes: ['data'],
} as const;

export type IndexName = (typeof TABLE_DEFINITION.indexes)[number]['indexName'];
