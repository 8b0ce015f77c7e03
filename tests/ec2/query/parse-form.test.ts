import { describe, expect, it } from "vitest";
import { parseForm, MAX_PAIRS } from "../../../lib/ec2/query/parse-form.ts";
import { isOrchestraError } from "../../../lib/errors.ts";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isOrchestraError(error) ? error.code : "not an OrchestraError";
  }
  return undefined;
}

describe("parseForm", () => {
  it("decodes pairs in order, with + as space and percent escapes", () => {
    expect(parseForm("Action=RunInstances&Tag.1.Value=a+b%2Bc%20d&Empty=&Bare")).toEqual([
      { name: "Action", value: "RunInstances" },
      { name: "Tag.1.Value", value: "a b+c d" },
      { name: "Empty", value: "" },
      { name: "Bare", value: "" },
    ]);
  });

  it("decodes multi-byte UTF-8 and skips empty pieces", () => {
    expect(parseForm(Buffer.from("&&Name=%E2%9C%93%F0%9F%98%80&&"))).toEqual([{ name: "Name", value: "✓😀" }]);
  });

  it("keeps = inside values", () => {
    expect(parseForm("UserData=YWJj==")).toEqual([{ name: "UserData", value: "YWJj==" }]);
  });

  it.each([
    ["a truncated escape", "Action=%4"],
    ["a non-hex escape", "Action=%zz"],
    ["invalid UTF-8", "Action=%C3%28"],
    ["an overlong UTF-8 encoding", "Action=%C0%AF"],
    ["a UTF-16 surrogate in UTF-8", "Action=%ED%A0%80"],
    ["a NUL byte", "Action=a%00b"],
    ["a control character", "Action=a%07b"],
    ["an empty name", "=value"],
  ])("refuses %s as MalformedQueryString", (_why, input) => {
    expect(code(() => parseForm(input))).toBe("EC2_MALFORMED_QUERY");
  });

  it("refuses raw non-UTF-8 bytes in a body", () => {
    expect(code(() => parseForm(Buffer.from([0x41, 0x3d, 0xff, 0xfe])))).toBe("EC2_MALFORMED_QUERY");
  });

  it("refuses more than MAX_PAIRS pairs", () => {
    const many = Array.from({ length: MAX_PAIRS + 1 }, (_, i) => `P${i}=1`).join("&");
    expect(code(() => parseForm(many))).toBe("EC2_MALFORMED_QUERY");
    expect(parseForm(Array.from({ length: MAX_PAIRS }, (_, i) => `P${i}=1`).join("&"))).toHaveLength(MAX_PAIRS);
  });

  it("allows tab, newline and carriage return", () => {
    expect(parseForm("V=a%09b%0Ac%0Dd")[0]!.value).toBe("a\tb\nc\rd");
  });
});
