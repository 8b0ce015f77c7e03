import { describe, expect, it } from "vitest";
import { chooseBootBranch } from "../../lib/boot/boot-branch.ts";
import { renderBootScript, renderChainScript } from "../../lib/boot/ipxe-scripts.ts";
import { MACHINE_STATUSES } from "../../lib/inventory/lifecycle.ts";

const ctx = { baseUrl: "http://192.0.2.1:5248/", kernelArgs: "console=ttyS0" };
const images = { discovery: { id: "ami-0123456789abcdef0" }, deploy: { id: "ami-fedcba98765432100" } };

describe("the boot scripts", () => {
  it("the entry script chains to the per-MAC script of the interface iPXE booted from", () => {
    expect(renderChainScript(ctx)).toContain("\nchain --autofree http://192.0.2.1:5248/boot/${netX/mac:hexhyp}.ipxe || goto failed\n");
  });

  it("the entry script asks again after a pause when it gets no per-MAC script (refused by a rate limit, or no answer)", () => {
    const script = renderChainScript(ctx);
    expect(script).toBe(
      [
        "#!ipxe",
        ":retry",
        "chain --autofree http://192.0.2.1:5248/boot/${netX/mac:hexhyp}.ipxe || goto failed",
        "exit",
        ":failed",
        "echo Orchestra: no boot script for ${netX/mac}; retrying in 10 seconds",
        "sleep 10",
        "goto retry",
        "",
      ].join("\n"),
    );
  });

  it("an unknown MAC boots the discovery ramdisk over HTTP with the report URL on the command line", () => {
    const branch = chooseBootBranch(undefined, images);
    expect(branch).toEqual({ kind: "discovery", image: images.discovery });
    const script = renderBootScript(ctx, branch);
    expect(script.startsWith("#!ipxe\n")).toBe(true);
    expect(script).toContain("kernel http://192.0.2.1:5248/images/ami-0123456789abcdef0/kernel initrd=initrd orchestra.url=http://192.0.2.1:5248 orchestra.mode=enlist BOOTIF=01-${netX/mac:hexhyp} console=ttyS0 || goto failed");
    expect(script).toContain("initrd --name initrd http://192.0.2.1:5248/images/ami-0123456789abcdef0/initrd || goto failed");
    expect(script).toContain("\nboot || goto failed\n");
  });

  it("points at another image server (nginx) when one is configured", () => {
    const script = renderBootScript({ ...ctx, imageBaseUrl: "http://192.0.2.1/images/" }, chooseBootBranch(undefined, images));
    expect(script).toContain("kernel http://192.0.2.1/images/ami-0123456789abcdef0/kernel initrd=initrd orchestra.url=http://192.0.2.1:5248 ");
    expect(script).toContain("initrd --name initrd http://192.0.2.1/images/ami-0123456789abcdef0/initrd ");
  });

  it("an unknown MAC with no discovery image waits and retries instead of booting something stale", () => {
    const branch = chooseBootBranch(undefined, {});
    expect(branch.kind).toBe("unavailable");
    const script = renderBootScript(ctx, branch);
    expect(script).toContain("sleep 30");
    expect(script).toContain("chain --autofree http://192.0.2.1:5248/boot.ipxe");
    expect(script).not.toContain("kernel ");
  });

  it("a commissioning machine boots the ramdisk in commissioning mode with its system id and its commissioning token", () => {
    const script = renderBootScript(ctx, chooseBootBranch({ systemId: "abc234", status: "commissioning" }, images, undefined, undefined, { token: "c".repeat(32) }));
    expect(script).toContain(`orchestra.mode=commissioning orchestra.system_id=abc234 orchestra.token=${"c".repeat(32)}`);
    expect(script).toContain("/images/ami-0123456789abcdef0/kernel");
  });

  it("a deploying machine boots the deploy image with its deployment's token", () => {
    const machine = { systemId: "abc234", status: "deploying" };
    const token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    const script = renderBootScript(ctx, chooseBootBranch(machine, images, { token, phase: "planned" }));
    expect(script).toContain("/images/ami-fedcba98765432100/kernel");
    expect(script).toContain(`orchestra.mode=deploy orchestra.system_id=abc234 orchestra.token=${token}`);
    // A machine still writing (say, it rebooted mid-write) writes again.
    expect(chooseBootBranch(machine, images, { token, phase: "writing" }).kind).toBe("deploy");
    // Without a deployment, it waits rather than boots anything.
    expect(chooseBootBranch(machine, images).kind).toBe("unavailable");
    // Without a deploy image, the discovery ramdisk (which carries the deploy program) serves.
    const fallback = chooseBootBranch(machine, { discovery: images.discovery }, { token, phase: "planned" });
    expect(fallback).toMatchObject({ kind: "deploy", image: images.discovery });
    expect(chooseBootBranch(machine, {}, { token, phase: "planned" }).kind).toBe("unavailable");
  });

  it("a deploying machine whose image is written boots from its disk; a failed one powers off", () => {
    const machine = { systemId: "abc234", status: "deploying" };
    const token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    expect(renderBootScript(ctx, chooseBootBranch(machine, images, { token, phase: "written" }))).toContain("booting from local disk\nexit\n");
    expect(chooseBootBranch(machine, images, { token, phase: "booted" }).kind).toBe("local-disk");
    expect(chooseBootBranch(machine, images, { token, phase: "failed" }).kind).toBe("power-off");
  });

  it("a deployed machine boots from its local disk", () => {
    const script = renderBootScript(ctx, chooseBootBranch({ systemId: "abc234", status: "deployed" }, images));
    expect(script).toBe("#!ipxe\necho Orchestra: abc234 is deployed, booting from local disk\nexit\n");
  });

  it("every other state powers off", () => {
    const others = MACHINE_STATUSES.filter((s) => !["commissioning", "deploying", "deployed"].includes(s));
    expect(others.length).toBeGreaterThan(5);
    for (const status of others) {
      const branch = chooseBootBranch({ systemId: "abc234", status }, images);
      expect(branch.kind).toBe("power-off");
      const script = renderBootScript(ctx, branch);
      expect(script).toContain(`machine abc234 is ${status}`);
      expect(script).toContain("poweroff || goto halt");
      expect(script).not.toContain("kernel ");
    }
  });

  it("refuses to interpolate anything iPXE would expand or split", () => {
    expect(() => renderBootScript(ctx, { kind: "deploy", image: { id: "ami-1" }, systemId: "abc234", token: "x ${evil}" })).toThrow(/refusing/);
    expect(() => renderBootScript(ctx, { kind: "local-disk", systemId: "a b" })).toThrow(/refusing/);
  });
});
