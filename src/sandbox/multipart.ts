/**
 * A small multipart/form-data parser for the upload endpoints. Express does
 * not parse multipart, and uploads here are small, so the whole body is
 * buffered and split on the boundary.
 */

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: Record<string, MultipartPart>;
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2])?.trim() : undefined;
}

/** Throws an Error with a readable message when the body is not valid multipart. */
export function parseMultipart(body: Buffer, boundary: string): MultipartForm {
  const delimiter = Buffer.from(`--${boundary}`);
  const form: MultipartForm = { fields: {}, files: {} };
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('multipart body has no boundary line');
  for (;;) {
    pos += delimiter.length;
    // "--" right after a delimiter marks the end of the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const next = body.indexOf(delimiter, pos);
    if (next < 0) throw new Error('multipart body is truncated (no closing boundary)');
    // The part ends with CRLF before the next delimiter.
    const partEnd = body[next - 2] === 0x0d && body[next - 1] === 0x0a ? next - 2 : next;
    const part = body.subarray(pos, partEnd);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new Error('multipart part has no header block');
    const headers = part.subarray(0, headerEnd).toString('utf8').split('\r\n');
    const data = Buffer.from(part.subarray(headerEnd + 4));
    let name: string | undefined;
    let filename: string | undefined;
    let contentType: string | undefined;
    for (const line of headers) {
      const idx = line.indexOf(':');
      if (idx < 0) continue;
      const key = line.slice(0, idx).trim().toLowerCase();
      const value = line.slice(idx + 1).trim();
      if (key === 'content-disposition') {
        name = /\bname="([^"]*)"/i.exec(value)?.[1];
        filename = /\bfilename="([^"]*)"/i.exec(value)?.[1];
      } else if (key === 'content-type') {
        contentType = value;
      }
    }
    if (name === undefined) throw new Error('multipart part has no name');
    if (filename !== undefined || (contentType && !/^text\/plain/i.test(contentType))) {
      const file: MultipartPart = { name, data };
      if (filename !== undefined) file.filename = filename;
      if (contentType !== undefined) file.contentType = contentType;
      form.files[name] = file;
    } else {
      form.fields[name] = data.toString('utf8');
    }
    pos = next;
  }
  return form;
}
