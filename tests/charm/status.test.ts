import { describe, expect, it } from "vitest";
import { computeStatus, machineSummary, newFacts } from "../../charm/status.ts";

describe("computeStatus", () => {
  it("blocked beats waiting beats stopped beats active", () => {
    const facts = { ...newFacts(), blocked: ["fix a", "fix b"], waiting: ["w"], stopped: ["dnsmasq"], notes: ["n"] };
    expect(computeStatus(facts)).toEqual({ status: "blocked", message: "fix a; fix b" });
    expect(computeStatus({ ...facts, blocked: [] })).toEqual({ status: "waiting", message: "w" });
    expect(computeStatus({ ...facts, blocked: [], waiting: [] })).toEqual({ status: "maintenance", message: "not running: dnsmasq" });
    expect(computeStatus({ ...newFacts(), notes: ["n"], machines: { ready: 1 } })).toEqual({ status: "active", message: "1 machine: 1 ready; n" });
  });

  it("summarises machines in a stable order", () => {
    expect(machineSummary({})).toBe("no machines yet");
    expect(machineSummary({ ready: 2, deployed: 1, new: 4 })).toBe("7 machines: 1 deployed, 4 new, 2 ready");
  });
});
