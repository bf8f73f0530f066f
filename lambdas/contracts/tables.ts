/**
 * The one definition of stepgate's DynamoDB tables. The CDK tables construct and the local bootstrap both read
 * it, so what runs locally has exactly the key schema that is deployed.
 */
export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /**
   * Non-key attributes copied into the index (projection INCLUDE; an empty list is KEYS_ONLY). Absent: the whole
   * item (projection ALL). Every index write costs write capacity by the size of what is projected.
   */
  readonly projectedAttributes?: readonly string[];
}

export interface TableDefinition {
  /** Short role name; table names are `<prefix>-<role>`, so they contain `risk`, `audit` and `policy`. */
  readonly role: 'risk' | 'audit' | 'policy';
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Epoch-seconds attribute DynamoDB TTL deletes by. TTL is lazy: readers must filter expired items too. */
  readonly ttlAttribute?: string;
  readonly indexes: readonly IndexDefinition[];
}

export const TABLE_DEFINITIONS = {
  /** Profiles, recent events, decisions, velocity counters, global population counts, step-ups and grants. */
  risk: {
    role: 'risk',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    // byTime: every recorded decision by UTC day, for replaying history in time order (simulate, backtests).
    // byUser: one user's decisions in time order (event history for investigators).
    // Both carry only what their queries filter on (expiry, shadow run); readers fetch the ~3 KB decision items by
    // key. Decisions are written on every request and read by staff now and then: projecting the whole item made
    // the two index copies most of a decision's write cost.
    indexes: [
      {
        indexName: 'byTime',
        partitionKey: 'gsi1pk',
        sortKey: 'gsi1sk',
        projectedAttributes: ['expiresAt', 'shadowRun'],
      },
      { indexName: 'byUser', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projectedAttributes: ['expiresAt'] },
    ],
  },
  /** Append-only hash-chained audit records. */
  audit: {
    role: 'audit',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    indexes: [
      { indexName: 'byTime', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      { indexName: 'bySubject', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    ],
  },
  /** Policy versions and the active pointer. */
  policy: {
    role: 'policy',
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [],
  },
} as const satisfies Record<string, TableDefinition>;

export type TableRole = keyof typeof TABLE_DEFINITIONS;

export interface TableNames {
  readonly risk: string;
  readonly audit: string;
  readonly policy: string;
}

export function tableNamesFor(prefix: string): TableNames {
  return { risk: `${prefix}-risk`, audit: `${prefix}-audit`, policy: `${prefix}-policy` };
}
