/**
 * Turns zod issues into FieldErrors that name the field, and throws InvalidInput.
 * Body fields are named by JSON Pointer ("/parties/0/partyId"); query parameters and headers by name.
 */
import type { z } from 'zod';
import { InvalidInput, type FieldError } from './errors.ts';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const pointer = (path: PropertyKey[]) => (path.length === 0 ? "" : `/${path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join("/")}`);

function describe(issue: RawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  if (issue.code === 'invalid_value') return `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return undefined;
}

function toFieldErrors(issues: readonly Issue[], location: 'body' | 'query'): FieldError[] {
  const name = (path: PropertyKey[]) => (location === 'body' ? pointer(path) : path.map(String).join('.'));
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: name([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: name(issue.path), message: issue.message }],
  );
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, location: 'body' | 'query'): z.output<S> {
  const result = schema.safeParse(input, { error: describe, reportInput: true });
  if (result.success) return result.data;
  const errors = toFieldErrors(result.error.issues, location);
  const summary = errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ');
  throw new InvalidInput(`The ${location === 'body' ? 'request body' : 'query'} is invalid: ${summary}`, errors);
}
