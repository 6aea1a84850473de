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

/** Who made a change, and when: what a record's created and updated fields, and a history entry, say. */
export interface Stamp {
  at: string;
  actor: string;
}

/** The stamp of a change this principal makes now. */
export const stampOf = (p: Principal): Stamp => ({ at: new Date().toISOString(), actor: p.actor });

/** Staff and auditors read the whole registry; anyone else only what their party signed. */
export const readsEverything = (p: Principal) => p.roles.has('staff') || p.roles.has('auditor');
