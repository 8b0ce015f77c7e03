import { describe, expect, it } from "vitest";
import { parseMac } from "../../lib/inventory/mac-address.ts";

describe("parseMac", () => {
  it.each([
    ["52:54:00:AB:cd:EF", "52:54:00:ab:cd:ef"],
    ["52-54-00-ab-cd-ef", "52:54:00:ab:cd:ef"],
    ["525400abcdef", "52:54:00:ab:cd:ef"],
    [" 52:54:00:ab:cd:ef\n", "52:54:00:ab:cd:ef"],
  ])("canonicalises %j", (input, expected) => {
    expect(parseMac(input)).toBe(expected);
  });

  it.each(["", "zz", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:01", "52:54-00:ab:cd:ef", "52:54:00:ab:cd:eg", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", 42 as unknown as string])(
    "refuses %j with INVALID_MAC",
    (input) => {
      expect(() => parseMac(input)).toThrow(expect.objectContaining({ code: "INVALID_MAC" }));
    },
  );
});
