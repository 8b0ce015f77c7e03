/**
 * @module ec2/xml/render-xml
 * EC2 responses as XML: `<{Action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">`
 * with a `requestId`, lists as `<item>` elements the way every EC2 `...Set` is written, and
 * the AWS error document `<Response><Errors><Error>` with its top-level `RequestID`.
 */

import { XmlStream } from "./xml-stream.ts";

/** The namespace of the 2016-11-15 EC2 API. */
export const EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

/**
 * A value that renders to XML: objects are elements, arrays are `<item>` lists, null/undefined
 * are left out; an XmlStream (a response's top-level element only) is written as it comes.
 */
export type XmlValue = string | number | boolean | Date | null | undefined | readonly XmlValue[] | XmlObject | XmlStream;
/** An element's children, in order. */
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

/** Render a successful response for `action`. */
export function renderResponse(action: string, requestId: string, body: XmlObject): string {
  // Plain concatenation: V8 builds a rope and flattens it once, which is several times
  // faster than pushing millions of fragments into an array for a 10,000-instance answer.
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NAMESPACE}"><requestId>${escapeXml(requestId)}</requestId>${renderChildren(body)}</${action}Response>`;
}

/** Whether a response body holds a streamed element (then render it with renderResponseStream). */
export function isStreamed(body: XmlObject): boolean {
  for (const name in body) if (body[name] instanceof XmlStream) return true;
  return false;
}

/** Render a successful response piece by piece: streamed elements as they come, the rest at once. */
export async function* renderResponseStream(action: string, requestId: string, body: XmlObject): AsyncGenerator<string | Buffer> {
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NAMESPACE}"><requestId>${escapeXml(requestId)}</requestId>`;
  for (const name in body) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (value instanceof XmlStream) {
      yield `${out}<${name}>`;
      for await (const piece of value.pieces()) yield piece;
      out = `</${name}>${renderChildren(value.after())}`;
    } else {
      out += `<${name}>${renderValue(value)}</${name}>`;
    }
  }
  yield `${out}</${action}Response>`;
}

/**
 * How many characters (or bytes, for pieces already encoded) of a streamed answer are read
 * before it is sent as a stream: an answer that ends within it (DescribeInstances of a few
 * instances) is sent whole instead.
 */
export const WHOLE_ANSWER_LIMIT = 64 * 1024;

/**
 * A streamed answer, read up to `limit` characters: the whole answer if it ended within them
 * (text if every piece was text, else its UTF-8 bytes), else a stream of the same pieces that
 * starts with what was read. A small answer sent whole goes out in one write with its length;
 * streamed, it was a chunked answer of several writes, the largest part of a by-id
 * DescribeInstances' server time. A large one still streams, so the server never holds more
 * than `limit` of it.
 */
export async function wholeIfSmall(pieces: AsyncGenerator<string | Buffer>, limit = WHOLE_ANSWER_LIMIT): Promise<string | Buffer | AsyncGenerator<string | Buffer>> {
  const head: (string | Buffer)[] = [];
  let size = 0;
  for (;;) {
    const next = await pieces.next();
    if (next.done) {
      if (head.every((piece) => typeof piece === "string")) return head.join("");
      return Buffer.concat(head.map((piece) => (typeof piece === "string" ? Buffer.from(piece) : piece)));
    }
    head.push(next.value);
    size += next.value.length;
    if (size > limit) break;
  }
  return (async function* () {
    try {
      yield* head;
      yield* pieces;
    } finally {
      // Abandoned after the head (the client went away): the source is closed too.
      await pieces.return(undefined);
    }
  })();
}

/** Render the AWS error document. */
export function renderError(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${escapeXml(requestId)}</RequestID></Response>`
  );
}

/** The XML of an object's children, in order. */
export function renderChildren(object: XmlObject): string {
  let out = "";
  for (const name in object) {
    const value = object[name];
    if (value === undefined || value === null) continue;
    out += `<${name}>${renderValue(value)}</${name}>`;
  }
  return out;
}

/** The XML content of one value (an element's inside, or an `<item>`'s). */
export function renderValue(value: XmlValue): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return escapeXml(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  // A streamed element is only written by renderResponseStream, at a response's top level.
  if (value instanceof XmlStream) throw new Error("an XmlStream can only be a response's top-level element");
  if (Array.isArray(value)) {
    let out = "";
    for (const item of value as readonly XmlValue[]) out += `<item>${renderValue(item)}</item>`;
    return out;
  }
  return renderChildren(value as XmlObject);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#13;" };

/** Escape text for element content; callers only pass text that parse-form accepted as XML-safe. */
export function escapeXml(text: string): string {
  return /[&<>"'\r]/.test(text) ? text.replace(/[&<>"'\r]/g, (c) => ESCAPES[c]!) : text;
}
