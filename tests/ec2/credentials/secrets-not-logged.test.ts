import { Writable } from "node:stream";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { pino } from "pino";
import { CredentialStore } from "../../../lib/ec2/credentials/credential-store.ts";
import { secretBox } from "../../../lib/ec2/credentials/secret-box.ts";
import { createEc2Server } from "../../../lib/ec2/http/ec2-server.ts";
import { Inventory } from "../../../lib/inventory/index.ts";
import { openStore } from "../../../lib/store/open-store.ts";

describe("logging", () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it("never writes a secret, even at trace level and on failures", async () => {
    const db = await openStore(":memory:");
    closers.push(() => db.close());
    const credentials = new CredentialStore(db, secretBox(randomBytes(32)));
    const key = await credentials.create("acme");
    const app = createEc2Server({
      services: { topology: { region: "orchestra", vpcCidr: "10.0.0.0/16" }, db, inventory: new Inventory(db), credentials, now: () => new Date() },
      lookupSecret: credentials.lookup,
      logger: pino({ level: "trace" }, sink),
    });
    closers.push(() => app.close());
    const endpoint = await app.listen({ host: "127.0.0.1", port: 0 });
    const good = new EC2Client({ endpoint, region: "orchestra", credentials: key, maxAttempts: 1 });
    const bad = new EC2Client({ endpoint, region: "orchestra", credentials: { ...key, secretAccessKey: `${key.secretAccessKey}x` }, maxAttempts: 1 });
    closers.push(async () => { good.destroy(); bad.destroy(); });
    await good.send(new DescribeRegionsCommand({}));
    await bad.send(new DescribeRegionsCommand({})).catch(() => undefined);
    const log = lines.join("");
    expect(log).toContain('"action":"DescribeRegions"');
    expect(log).toContain('"status":403');
    expect(log).not.toContain(key.secretAccessKey);
    expect(log).not.toContain("Signature=");
  });
});
