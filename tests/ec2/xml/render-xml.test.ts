import { describe, expect, it } from "vitest";
import { XMLParser } from "fast-xml-parser";
import { EC2_NAMESPACE, renderError, renderResponse } from "../../../lib/ec2/xml/render-xml.ts";

describe("EC2 XML", () => {
  it("renders a response in the 2016-11-15 namespace with requestId, item lists and escapes", () => {
    const xml = renderResponse("DescribeThings", "req-1", {
      thingSet: [{ name: "a<b>&\"c'", count: 3, on: true, at: new Date("2026-01-02T03:04:05Z"), skipped: undefined }],
      empty: [],
      nothing: null,
    });
    expect(xml).toContain(`<DescribeThingsResponse xmlns="${EC2_NAMESPACE}"><requestId>req-1</requestId>`);
    expect(xml).toContain("<thingSet><item><name>a&lt;b&gt;&amp;&quot;c&apos;</name><count>3</count><on>true</on><at>2026-01-02T03:04:05.000Z</at></item></thingSet><empty></empty>");
    expect(xml).not.toContain("skipped");
    expect(xml).not.toContain("nothing");
    const parsed = new XMLParser().parse(xml);
    expect(parsed.DescribeThingsResponse.thingSet.item.name).toBe('a<b>&"c\'');
  });

  it("renders the AWS error document with a top-level RequestID", () => {
    const parsed = new XMLParser().parse(renderError("InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist", "req-2"));
    expect(parsed.Response).toEqual({ Errors: { Error: { Code: "InvalidInstanceID.NotFound", Message: "The instance ID 'i-1' does not exist" } }, RequestID: "req-2" });
  });
});
