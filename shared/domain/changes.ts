/**
 * Field-level changes of directory records (a party's rename, a ceremony's correction): what a
 * change set each field from and to, enough to undo it, and to tell the same change sent again.
 * How a patch applies (`patched`) is the same for an agreement's amendment.
 */

/** Each field a change set to another value, from what to what (null: absent). */
export type FieldChanges<F extends string = string> = Partial<Record<F, { from: string | null; to: string | null }>>;

type Fields<F extends string> = Partial<Record<F, string | undefined>>;

/** A patch applied: a value sets its field, null removes it, undefined leaves it. */
export function patched<T extends object>(record: T, patch: Record<string, unknown>): T {
  const next = { ...record } as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next as T;
}

/** What changed between two versions of a record, among `fields`. */
export function changesOf<F extends string>(fields: readonly F[], before: Fields<F>, after: Fields<F>): FieldChanges<F> {
  return Object.fromEntries(fields.filter((f) => before[f] !== after[f]).map((f) => [f, { from: before[f] ?? null, to: after[f] ?? null }])) as FieldChanges<F>;
}

/** The record as it was before `changes`: each field it changed back to what it was. */
export function undone<T extends Fields<F>, F extends string>(fields: readonly F[], record: T, changes: FieldChanges<F>): T {
  const before = { ...record };
  for (const field of fields) {
    const change = changes[field];
    if (!change) continue;
    if (change.from === null) delete before[field];
    else (before as Record<F, string>)[field] = change.from;
  }
  return before;
}
