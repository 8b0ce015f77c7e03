import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tlsMaterialFiles, tlsPaths } from "../../../charm/workloads/tls-material.ts";

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "tls-")); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (files: { path: string; content: string }[]) => {
  for (const f of files) {
    mkdirSync(join(f.path, ".."), { recursive: true });
    writeFileSync(f.path, f.content);
  }
};

describe("tlsMaterialFiles", () => {
  it("makes a CA and a server certificate for the address that verifies against it", () => {
    const paths = tlsPaths(dir);
    const files = tlsMaterialFiles(paths, "10.0.0.1");
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    const ca = new X509Certificate(byPath[paths.caFile]!.content);
    const cert = new X509Certificate(byPath[paths.certFile]!.content);
    expect(ca.ca).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIP("10.0.0.1")).toBe("10.0.0.1");
    expect(cert.checkPrivateKey(createPrivateKey(byPath[paths.keyFile]!.content))).toBe(true);
    expect(byPath[paths.keyFile]!.mode).toBe(0o600);
  });

  it("returns the same files when they already name the address; re-issues under the same CA when it moves", () => {
    const paths = tlsPaths(dir);
    const first = tlsMaterialFiles(paths, "10.0.0.1");
    write(first);
    expect(tlsMaterialFiles(paths, "10.0.0.1")).toEqual(first);
    const moved = tlsMaterialFiles(paths, "10.0.0.2");
    const get = (files: typeof first, p: string) => files.find((f) => f.path === p)!.content;
    expect(get(moved, paths.caFile)).toBe(get(first, paths.caFile));
    expect(get(moved, paths.certFile)).not.toBe(get(first, paths.certFile));
    expect(new X509Certificate(get(moved, paths.certFile)).verify(new X509Certificate(get(first, paths.caFile)).publicKey)).toBe(true);
  });

  it("renews the server certificate in its last 30 days, under the same CA, and not before", () => {
    const paths = tlsPaths(dir);
    const issuedAt = new Date("2026-01-01T00:00:00Z");
    const first = tlsMaterialFiles(paths, "10.0.0.1", undefined, issuedAt);
    write(first);
    const get = (files: typeof first, p: string) => files.find((f) => f.path === p)!.content;
    // A year's certificate, 300 days on: kept.
    expect(tlsMaterialFiles(paths, "10.0.0.1", undefined, new Date("2026-10-28T00:00:00Z"))).toEqual(first);
    // 340 days on (25 left): a new one, valid a year from then, from the same CA.
    const renewed = tlsMaterialFiles(paths, "10.0.0.1", undefined, new Date("2026-12-07T00:00:00Z"));
    expect(get(renewed, paths.caFile)).toBe(get(first, paths.caFile));
    const cert = new X509Certificate(get(renewed, paths.certFile));
    expect(cert.serialNumber).not.toBe(new X509Certificate(get(first, paths.certFile)).serialNumber);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(new Date("2027-12-01T00:00:00Z").getTime());
    expect(cert.verify(new X509Certificate(get(first, paths.caFile)).publicKey)).toBe(true);
  });
});
