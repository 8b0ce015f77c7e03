/**
 * The discovery report's BMC fields: what the ramdisk found in-band, and the user it set up.
 * (The rest of the report's validation is tested through the endpoint, in boot-service.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { parseDiscoveryReport } from "../../lib/boot/discovery-report.ts";
import { isOrchestraError } from "../../lib/errors.ts";

const base = {
  version: 1,
  mode: "enlist",
  bootMac: "52:54:00:12:00:01",
  cpus: 1,
  memoryMib: 512,
  interfaces: [{ name: "eth0", mac: "52:54:00:12:00:01" }],
};

describe("a discovery report's BMC", () => {
  it("may be absent: an empty address and no credentials", () => {
    const report = parseDiscoveryReport({ ...base, bmcAddress: "", bmcUsername: "", bmcPassword: "" });
    expect(report.bmcAddress).toBe("");
    expect(report).not.toHaveProperty("bmcUsername");
    expect(report).not.toHaveProperty("bmcPassword");
    expect(parseDiscoveryReport(base).bmcAddress).toBe("");
  });

  it("carries the address, and the user and password the ramdisk set up, with a port only when reported", () => {
    const report = parseDiscoveryReport({ ...base, bmcAddress: "192.0.2.10", bmcUsername: "orchestra", bmcPassword: "Zq81abcDEF234xyz" });
    expect(report).toMatchObject({ bmcAddress: "192.0.2.10", bmcUsername: "orchestra", bmcPassword: "Zq81abcDEF234xyz" });
    expect(report).not.toHaveProperty("bmcPort");
    expect(parseDiscoveryReport({ ...base, bmcAddress: "192.0.2.10", bmcPort: 6230 }).bmcPort).toBe(6230);
  });

  it("may carry an address alone (a BMC the ramdisk could not add a user to)", () => {
    expect(parseDiscoveryReport({ ...base, bmcAddress: "192.0.2.10", bmcUsername: "", bmcPassword: "" })).toMatchObject({ bmcAddress: "192.0.2.10" });
  });

  const secret = "s3cret-Value!";
  it.each([
    ["an address that is not IPv4", { bmcAddress: "bmc.example" }, "bmcAddress"],
    ["the unspecified address (ipmi_sim's answer when it knows none)", { bmcAddress: "0.0.0.0" }, "bmcAddress"],
    ["a user without a password", { bmcAddress: "192.0.2.10", bmcUsername: "orchestra" }, "bmcPassword"],
    ["a password without a user", { bmcAddress: "192.0.2.10", bmcPassword: secret }, "bmcUsername"],
    ["credentials without an address", { bmcUsername: "orchestra", bmcPassword: secret }, "bmcAddress"],
    ["a port without an address", { bmcPort: 623 }, "bmcAddress"],
    ["a port out of range", { bmcAddress: "192.0.2.10", bmcPort: 70_000 }, "bmcPort"],
    ["a port as text", { bmcAddress: "192.0.2.10", bmcPort: "623" }, "bmcPort"],
    ["a user name longer than IPMI's 16 bytes", { bmcAddress: "192.0.2.10", bmcUsername: "u".repeat(17), bmcPassword: secret }, "bmcUsername"],
    ["a user name with a space", { bmcAddress: "192.0.2.10", bmcUsername: "or chestra", bmcPassword: secret }, "bmcUsername"],
    ["a password longer than IPMI's 20 bytes", { bmcAddress: "192.0.2.10", bmcUsername: "orchestra", bmcPassword: `${secret}${"x".repeat(10)}` }, "bmcPassword"],
    ["a password with a control character", { bmcAddress: "192.0.2.10", bmcUsername: "orchestra", bmcPassword: `${secret}\n` }, "bmcPassword"],
    ["a password that is not text", { bmcAddress: "192.0.2.10", bmcUsername: "orchestra", bmcPassword: 1234 }, "bmcPassword"],
  ])("refuses %s, naming the field and never the password", (_name, fields, field) => {
    let error: unknown;
    try {
      parseDiscoveryReport({ ...base, ...fields });
    } catch (e) {
      error = e;
    }
    expect(isOrchestraError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^discovery report: ${field} `));
    expect((error as Error).message).not.toContain(secret);
  });
});
