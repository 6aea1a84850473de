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
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new InvalidInput('A multipart/form-data body needs its boundary named in the Content-Type', [{ path: 'Content-Type', message: 'must name a boundary' }]);
  return boundary;
}

const malformed = (why: string) =>
  new InvalidInput(`The body is not a well-formed multipart/form-data form: ${why}`, [{ path: '', message: 'is not a well-formed multipart/form-data form' }]);

/** The field a part's headers name in their Content-Disposition (`form-data; name="file"; ...`), if any. */
function fieldName(headers: string): string | undefined {
  const disposition = headers.split('\r\n').find((line) => /^content-disposition\s*:/i.test(line));
  if (!disposition || !/:\s*form-data\s*(;|$)/i.test(disposition)) return undefined;
  return /;\s*name\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(disposition)?.slice(1).find((v) => v !== undefined);
}

/**
 * The bytes of the file sent in field `field`. A form with no such field, or with it empty (no file
 * chosen), is a 400 naming the field.
 */
export function formFile(body: Buffer, contentType: string, field: string): Buffer {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  const nextDelimiter = Buffer.concat([CRLF, delimiter]);
  // The first delimiter may open the body; every later one follows a CRLF (which belongs to it).
  let at = 0;
  if (!body.subarray(0, delimiter.length).equals(delimiter)) {
    const first = body.indexOf(nextDelimiter);
    if (first < 0) throw malformed('no part starts with the boundary the Content-Type names');
    at = first + CRLF.length;
  }
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString('latin1') === '--') break; // the closing delimiter
    const lineEnd = body.indexOf(CRLF, afterDelimiter);
    const next = body.indexOf(nextDelimiter, afterDelimiter);
    if (next < 0) throw malformed('a part is not closed by the boundary');
    // The part's headers end at its first blank line, which must come before the part does.
    const headersEnd = lineEnd < 0 ? -1 : body.indexOf(HEADERS_END, lineEnd);
    const contentStart = headersEnd + HEADERS_END.length;
    if (headersEnd < 0 || contentStart > next) throw malformed('a part has no end to its headers');
    const headersStart = lineEnd + CRLF.length;
    if (fieldName(body.subarray(headersStart, Math.max(headersStart, headersEnd)).toString('utf8')) === field) {
      const file = body.subarray(contentStart, next);
      if (file.length === 0) throw new InvalidInput(`The form's "${field}" field holds no file: choose the certificate's PDF file`, [{ path: field, message: 'is empty' }]);
      return file;
    }
    at = next + CRLF.length;
  }
  throw new InvalidInput(`The form has no "${field}" field: send the certificate's PDF file in it`, [{ path: field, message: 'is required' }]);
}
