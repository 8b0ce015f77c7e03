/**
 * The stalling filter, as it was tried against `orchestra serve`: a tag of 256 `a` and a
 * DescribeTags filter `*a*a*a*a*a*a*b`. A matcher that backtracks takes hours on it and
 * holds the server's only thread, so /healthz and the boot listener stop answering too.
 * The assertions are on answers: DescribeTags must answer (the client gives up after 10 s,
 * which a backtracking matcher blows through) and /healthz must answer while it runs.
 */
import { CreateSecurityGroupCommand, CreateTagsCommand, DescribeTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrchestra, type OrchestraProcess } from "../helpers/orchestra-process.ts";

let orchestra: OrchestraProcess;
let client: EC2Client;

beforeAll(async () => {
  orchestra = await startOrchestra();
  const key = await orchestra.createCredentials("stall");
  client = new EC2Client({
    endpoint: orchestra.endpoint,
    region: orchestra.region,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ requestTimeout: 10_000 }),
  });
});
afterAll(async () => {
  client?.destroy();
  await orchestra?.stop();
});

describe("EC2 filters against a real server", () => {
  it("answers a backtracking-bait filter, and /healthz keeps answering meanwhile", async () => {
    const group = await client.send(new CreateSecurityGroupCommand({ GroupName: "bait", Description: "tag holder" }));
    const bait = "a".repeat(256);
    await client.send(new CreateTagsCommand({ Resources: [group.GroupId!], Tags: [{ Key: "bait", Value: bait }, { Key: "plain", Value: "x" }] }));

    const health: number[] = [];
    let done = false;
    const probing = (async () => {
      while (!done) {
        const response = await fetch(new URL("/healthz", orchestra.bootUrl), { signal: AbortSignal.timeout(10_000) });
        health.push(response.status);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      for (const value of ["*a*a*a*a*a*a*b", `${"*a".repeat(100)}*b`, `${"?".repeat(200)}*b`]) {
        const answer = await client.send(new DescribeTagsCommand({ Filters: [{ Name: "value", Values: [value] }] }));
        expect(answer.Tags).toEqual([]);
      }
      const hit = await client.send(new DescribeTagsCommand({ Filters: [{ Name: "value", Values: ["*a*a*a*a*a*a*"] }] }));
      expect(hit.Tags?.map((t) => t.Key)).toEqual(["bait"]);
    } finally {
      done = true;
      await probing;
    }
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((status) => status === 200)).toBe(true);
  }, 60_000);
});
