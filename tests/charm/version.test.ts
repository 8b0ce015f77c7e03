import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { CHARM_VERSION } from "../../charm/version.ts";

it("the charm reports the package's version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  expect(CHARM_VERSION).toBe(pkg.version);
});
