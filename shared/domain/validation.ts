/**
 * Turns zod issues into FieldErrors that name the field, and throws InvalidInput.
 * Body fields are named by JSON Pointer ("/parties/0/partyId"); query parameters and headers by name.
 */
import * as z from 'zod';
import { InvalidInput, type FieldError } from './errors.ts';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

export const pointer = (path: readonly PropertyKey[]) => (path.length === 0 ? "" : `/${path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join("/")}`);

function describe(issue: RawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  if (issue.code === 'invalid_value') return `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return undefined;
}

/**
 * What a query parameter's value says of how it was sent, where that explains the refusal better
 * than the format: a parameter sent twice arrives joined by a comma (as API Gateway joins them),
 * and the "+" of an offset, sent bare, arrives as a space.
 */
function queryHint(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  if (input.includes(',')) return 'takes one value: it was sent more than once, or holds a comma';
  if (/T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)? \d{2}:?\d{2}$/.test(input)) return 'has a space where its offset\'s "+" should be: send "+" as %2B in a query string';
  return undefined;
}

function toFieldErrors(issues: readonly Issue[], location: 'body' | 'query'): FieldError[] {
  const name = (path: PropertyKey[]) => (location === 'body' ? pointer(path) : path.map(String).join('.'));
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: name([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: name(issue.path), message: (location === 'query' && queryHint(issue.input)) || issue.message }],
  );
}

/**
 * A query parameter the route knows, sent empty (`?country=`, as a form sends a field left
 * blank), counts as not sent. An unknown one is still refused, empty or not.
 */
function withoutBlanks(schema: z.ZodType, query: unknown): unknown {
  if (!(schema instanceof z.ZodObject) || typeof query !== 'object' || query === null) return query;
  return Object.fromEntries(Object.entries(query).filter(([name, value]) => !(value === '' && Object.hasOwn(schema.shape, name))));
}

/**
 * The most fields one refusal names: a 64 KB body can hold some 20,000 bad list items (`1,` in
 * `sectors`), whose errors, named in full, would answer megabytes, past the 6 MB a Lambda function
 * may answer with (a 5xx). The detail says how many more there are.
 */
export const MAX_FIELD_ERRORS = 100;

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, location: 'body' | 'query'): z.output<S> {
  const result = schema.safeParse(location === 'query' ? withoutBlanks(schema, input) : input, { error: describe, reportInput: true });
  if (result.success) return result.data;
  const all = toFieldErrors(result.error.issues, location);
  const errors = all.slice(0, MAX_FIELD_ERRORS);
  const more = all.length - errors.length;
  const summary = errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ') + (more > 0 ? `; and ${more} more` : '');
  throw new InvalidInput(`The ${location === 'body' ? 'request body' : 'query'} is invalid: ${summary}`, errors);
}
