/** Who is calling, as the registry sees it: an actor id for history, roles, and a party for partners. */
export const ROLES = ['staff', 'partner', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** The `sub` claim: recorded as the actor in history. */
  actor: string;
  roles: ReadonlySet<Role>;
  /** The party a partner represents (`custom:partyId`). */
  partyId?: string;
}

/** Staff and auditors read the whole registry; anyone else only what their party signed. */
export const readsEverything = (p: Principal) => p.roles.has('staff') || p.roles.has('auditor');
