/**
 * Finds a member named twice in one JSON object. `JSON.parse` keeps the last silently, so
 * `{"title": "A", "title": "B"}` would register "B" though the sender may have meant "A"; I-JSON
 * (RFC 7493 §2.3) forbids such objects, and the registry refuses them.
 */
import { pointer } from '#shared/domain/validation.ts';

type Frame = { kind: 'object'; names: Set<string>; member?: string; expectsName: boolean } | { kind: 'array'; index: number };

/** The JSON Pointer of the first member named twice in its object, in text already known to be valid JSON; undefined if none is. */
export function repeatedMember(json: string): string | undefined {
  const frames: Frame[] = [];
  const path = () => frames.map((f) => (f.kind === 'object' ? f.member! : f.index));
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    const top = frames.at(-1);
    if (ch === '{') frames.push({ kind: 'object', names: new Set(), expectsName: true });
    else if (ch === '[') frames.push({ kind: 'array', index: 0 });
    else if (ch === '}' || ch === ']') frames.pop();
    else if (ch === ',' && top) {
      if (top.kind === 'array') top.index++;
      else top.expectsName = true;
    } else if (ch === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (top?.kind === 'object' && top.expectsName) {
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.names.has(name)) return pointer([...path().slice(0, -1), name]);
        top.names.add(name);
        top.member = name;
        top.expectsName = false;
      }
      i = end;
    }
  }
  return undefined;
}
