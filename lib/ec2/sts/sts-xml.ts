/**
 * @module ec2/sts/sts-xml
 * STS's Query-protocol XML: `<{Action}Response><{Action}Result>` with PascalCase members,
 * `ResponseMetadata/RequestId`, and the `<ErrorResponse>` error document.
 */
import { escapeXml, type XmlObject } from "../xml/render-xml.ts";
import { STS_NAMESPACE } from "./sts-actions.ts";

/** A successful STS response; the members are plain strings. */
export function renderStsResponse(action: string, requestId: string, result: XmlObject): string {
  const members = Object.entries(result)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${STS_NAMESPACE}"><${action}Result>${members}</${action}Result><ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`;
}

/** The STS error document; `Sender` for client errors, `Receiver` for server faults. */
export function renderStsError(code: string, message: string, requestId: string, status: number): string {
  const type = status >= 500 ? "Receiver" : "Sender";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`;
}
