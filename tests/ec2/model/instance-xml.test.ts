/**
 * DescribeInstances writes each instance with instanceItemXml, text built directly for
 * speed; instanceXml is the readable definition. They must never drift apart.
 */
import { describe, expect, it } from "vitest";
import type { InstanceRecord } from "../../../lib/ec2/model/instance-records.ts";
import { instanceItemXml, instanceXml } from "../../../lib/ec2/model/instance-xml.ts";
import { renderValue } from "../../../lib/ec2/xml/render-xml.ts";

const base: InstanceRecord = {
  instanceId: "i-0123456789abcdef0",
  account: "alice",
  reservationId: "r-0123456789abcdef0",
  launchIndex: 2,
  imageId: "ami-0123456789abcdef0",
  instanceType: "t3.medium",
  keyName: "ops & <admins>",
  zone: "rack-2",
  subnetId: "subnet-0123456789abcdef0",
  vpcId: "vpc-0123456789abcdef0",
  sealedUserData: null,
  clientToken: "tok'1\"",
  poweredOff: false,
  disableApiTermination: false,
  disableApiStop: false,
  shutdownBehavior: "stop",
  launchedAt: "2026-01-02T03:04:05.678Z",
  endedAt: null,
  systemId: "abc123",
  machineStatus: "deployed",
  machineStatusMessage: "",
  hostname: "node-1",
  architecture: "amd64/generic",
  powerType: "fake",
  privateIp: "10.0.0.5",
  mac: "52:54:00:00:00:01",
  disks: [{ name: "sda", sizeBytes: 1e11 }, { name: "nvme0n1", sizeBytes: 2e11 }],
  groups: [{ groupId: "sg-1", groupName: "default" }, { groupId: "sg-2", groupName: "web <tier>" }],
  state: "running",
  stateReason: null,
};

const cases: [string, InstanceRecord, Map<string, string> | undefined][] = [
  ["running, every field", base, new Map([["Name", "web & db"], ["env", "<prod>"]])],
  ["no tags, key, address, mac or architecture", { ...base, keyName: null, privateIp: null, mac: null, architecture: null, hostname: null, clientToken: null, disks: [], groups: [] }, undefined],
  ["an empty key name and empty tag map", { ...base, keyName: "", hostname: "" }, new Map()],
  ["stopped with a reason", { ...base, state: "stopped", stateReason: { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" } }, undefined],
  ["terminated: no address, disks or interface", { ...base, state: "terminated", endedAt: "2026-01-02T04:00:00Z", stateReason: { code: "c", message: "m & m" } }, new Map([["a", "b"]])],
  ["a launch time not in ISO form", { ...base, launchedAt: "2026-01-02 03:04:05Z" }, undefined],
];

describe("instanceItemXml", () => {
  for (const [name, instance, tags] of cases) {
    it(`writes what instanceXml renders to: ${name}`, () => {
      expect(instanceItemXml(instance, tags, "123456789012")).toBe(renderValue(instanceXml(instance, tags, "123456789012")));
    });
  }
});
