/**
 * @module ec2/xml/xml-stream
 * An element whose content is produced piece by piece: a 10,000-instance DescribeInstances
 * answer is megabytes of XML, and holding it whole (and the records behind it) made the
 * server's memory and per-instance cost grow with the inventory. The server writes each
 * piece as it comes, pulled at the pace the client reads (backpressure).
 */
import type { XmlObject } from "./render-xml.ts";

/**
 * The content of one element, as already-rendered XML pieces (each escaped by its producer):
 * text, or its UTF-8 bytes (DescribeInstances writes its instances straight into Buffers),
 * and the sibling elements that follow it, known only once the content is written (a
 * NextToken, say: whether there is a next page shows while the page is read).
 */
export class XmlStream {
  readonly pieces: () => AsyncIterable<string | Buffer>;
  readonly after: () => XmlObject;
  constructor(pieces: () => AsyncIterable<string | Buffer>, after: () => XmlObject = () => ({})) {
    this.pieces = pieces;
    this.after = after;
  }
}
