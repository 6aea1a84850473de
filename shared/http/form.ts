/**
 * One file out of a multipart/form-data body (RFC 7578), as a browser's form sends it: what lets a
 * page without script upload a certificate to `POST /verify`. Only what forms produce is taken:
 * CRLF line ends, a boundary named in the Content-Type, parts with a Content-Disposition naming
 * their field. Anything else is a 400 naming what is wrong.
 */
import { InvalidInput } from '#shared/domain/errors.ts';

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/** The boundary a multipart Content-Type names (RFC 2046 §5.1.1: 1-70 characters, maybe quoted). */
function boundaryOf(contentType: string): string {
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;"]*))\s*(?:;|$)/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new InvalidInput('A multipart/form-data body needs its boundary named in the Content-Type', [{ path: 'Content-Type', message: 'must name a boundary' }]);
  if (boundary.length > 70) {
    throw new InvalidInput(`The boundary the Content-Type names is ${boundary.length} characters long; a multipart boundary has at most 70`, [{ path: 'Content-Type', message: 'must name a boundary of at most 70 characters' }]);
  }
  return boundary;
}

/**
 * A file's name as an answer shows it: no longer than a line, without control characters or bidi
 * controls (a right-to-left override in a name another site's script gave the file would reorder
 * the rest of the sentence on the page); the joiners a Persian name or an emoji needs stay.
 */
function shownName(name: string): string {
  const shown = [...name.replace(/[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu, '')]; // by code point: no half of an emoji
  return shown.length > 100 ? `${shown.slice(0, 100).join('')}…` : shown.join('');
}

/** The most parts a form may have: a browser's upload form sends one; a 2 MB body of tens of thousands would only cost time. */
const MAX_FORM_PARTS = 100;

const malformed = (why: string) =>
  new InvalidInput(`The body is not a well-formed multipart/form-data form: ${why}`, [{ path: '', message: 'is not a well-formed multipart/form-data form' }]);

/**
 * A parameter of a part's Content-Disposition (`form-data; name="file"; filename="x.pdf"`): the
 * field it fills, or the name of the file in it; undefined if none. Parameters are read one after
 * another, so a quoted value (a file's name) may hold `;` and `name=` without being taken for
 * parameters. A quoted value ends at the next `"`: browsers write a `"` in a name as %22 and a
 * backslash as itself (HTML's form encoding), never escaped.
 */
function dispositionParameter(headers: string, wanted: 'name' | 'filename'): string | undefined {
  const disposition = headers.split('\r\n').find((line) => /^content-disposition\s*:/i.test(line)) ?? '';
  const type = /^[^:]*:\s*form-data\s*/i.exec(disposition);
  if (!type) return undefined;
  const parameter = /;\s*([^\s=;"]+)\s*(?:=\s*(?:"([^"]*)"|([^\s;"]*)))?\s*/y;
  parameter.lastIndex = type[0].length;
  for (let match = parameter.exec(disposition); match; match = parameter.exec(disposition)) {
    if (match[1]!.toLowerCase() === wanted) return match[2] ?? match[3];
  }
  return undefined;
}

/**
 * The bytes of the file sent in field `field`. A form with no such field, with it empty (no file
 * chosen), or with it twice (two files: which one to check?), is a 400 naming the field.
 */
export function formFile(body: Buffer, contentType: string, field: string): Buffer {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  const afterLineEnd = Buffer.concat([CRLF, delimiter]);
  const nextDelimiter = (from: number) => delimiterAfter(body, delimiter, afterLineEnd, from);
  // The first delimiter may open the body; every later one follows a CRLF (which belongs to it).
  let at = delimiterEnd(body, delimiter, 0) === undefined ? nextDelimiter(0) : 0;
  if (at < 0) throw malformed('no part starts with the boundary the Content-Type names');
  let found: Buffer | undefined;
  for (let parts = 0; ; parts++) {
    const lineEnd = delimiterEnd(body, delimiter, at);
    if (lineEnd === 'closing' || lineEnd === undefined) break;
    if (parts === MAX_FORM_PARTS) throw malformed(`it has more than ${MAX_FORM_PARTS} parts (the upload form sends one)`);
    const next = nextDelimiter(lineEnd);
    if (next < 0) throw malformed('a part is not closed by the boundary');
    const contentEnd = next - CRLF.length;
    // The part's headers end at its first blank line, which must come before the part does.
    const headersEnd = body.indexOf(HEADERS_END, lineEnd - CRLF.length);
    const contentStart = headersEnd + HEADERS_END.length;
    if (headersEnd < 0 || contentStart > contentEnd) throw malformed('a part has no end to its headers');
    const partHeaders = body.subarray(lineEnd, Math.max(lineEnd, headersEnd)).toString('utf8');
    if (dispositionParameter(partHeaders, 'name') === field) {
      if (found) throw new InvalidInput(`The form's "${field}" field holds more than one file: send one certificate at a time`, [{ path: field, message: 'must hold one file' }]);
      found = body.subarray(contentStart, contentEnd);
      // A browser sends an empty part with no file name when no file was chosen; one with a name is a file of 0 bytes.
      const fileName = dispositionParameter(partHeaders, 'filename');
      if (found.length === 0 && fileName) throw new InvalidInput(`The file "${shownName(fileName)}" is empty (0 bytes): choose the certificate's PDF file`, [{ path: field, message: 'is an empty file' }]);
      if (found.length === 0) throw new InvalidInput(`The form's "${field}" field holds no file: choose the certificate's PDF file`, [{ path: field, message: 'is empty' }]);
    }
    at = next;
  }
  if (found) return found;
  throw new InvalidInput(`The form has no "${field}" field: send the certificate's PDF file in it`, [{ path: field, message: 'is required' }]);
}

/**
 * Where the delimiter line at `at` ends (past its CRLF), or 'closing' for the closing delimiter
 * (`--` after the boundary, ending the line or the body); undefined when `at` holds no delimiter:
 * the boundary followed by anything else than spaces (transport padding) and the line's end is
 * part of a longer line, not a delimiter.
 */
function delimiterEnd(body: Buffer, delimiter: Buffer, at: number): number | 'closing' | undefined {
  if (!body.subarray(at, at + delimiter.length).equals(delimiter)) return undefined;
  let end = at + delimiter.length;
  const closing = body.subarray(end, end + 2).toString('latin1') === '--';
  if (closing) end += 2;
  while (body[end] === 0x20 || body[end] === 0x09) end += 1;
  if (closing && end === body.length) return 'closing';
  if (!body.subarray(end, end + CRLF.length).equals(CRLF)) return undefined;
  return closing ? 'closing' : end + CRLF.length;
}

/** Where the next delimiter after `from` starts (past the CRLF, `afterLineEnd` = CRLF + delimiter, that belongs to it); -1 when there is none. */
function delimiterAfter(body: Buffer, delimiter: Buffer, afterLineEnd: Buffer, from: number): number {
  for (let found = body.indexOf(afterLineEnd, from); found >= 0; found = body.indexOf(afterLineEnd, found + 1)) {
    if (delimiterEnd(body, delimiter, found + CRLF.length) !== undefined) return found + CRLF.length;
  }
  return -1;
}
