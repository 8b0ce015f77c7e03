/**
 * @module ec2/actions/instance-attributes
 * DescribeInstanceAttribute and ModifyInstanceAttribute, which Terraform reads on every
 * refresh and Ansible uses for its diffs. Only what has a meaning on bare metal can change:
 * the termination and stop protections, the security groups, and the user data while the
 * instance is stopped. Everything else answers UnsupportedOperation and changes nothing.
 */
import { OrchestraError } from "../../errors.ts";
import { StoreMetadataSource } from "../../metadata/store-metadata-source.ts";
import { bool, list, str, struct } from "../query/param-shape.ts";
import { openUserData, type InstanceRecord } from "../model/instance-records.ts";
import type { StoreSecrets } from "../../store/store-secrets.ts";
import { blockDeviceMappingXml, ROOT_DEVICE_NAME } from "../model/instance-xml.ts";
import { networkView } from "../model/network-topology.ts";
import { resolveGroups } from "../model/security-group-rows.ts";
import { checkUserData } from "../model/user-data.ts";
import type { XmlObject } from "../xml/render-xml.ts";
import { defineAction } from "./define-action.ts";
import { namedInstances } from "../model/instance-ids.ts";

/** The attribute names of the 2016-11-15 API (InstanceAttributeName). */
export const INSTANCE_ATTRIBUTES = [
  "instanceType",
  "kernel",
  "ramdisk",
  "userData",
  "disableApiTermination",
  "instanceInitiatedShutdownBehavior",
  "rootDeviceName",
  "blockDeviceMapping",
  "productCodes",
  "sourceDestCheck",
  "groupSet",
  "ebsOptimized",
  "sriovNetSupport",
  "enaSupport",
  "enclaveOptions",
  "disableApiStop",
] as const;

type AttributeName = (typeof INSTANCE_ATTRIBUTES)[number];

/** Each attribute's answer, as `<{attribute}>` in the response. */
function attributeXml(instance: InstanceRecord, attribute: AttributeName, secrets: StoreSecrets): XmlObject {
  switch (attribute) {
    case "instanceType":
      return { instanceType: { value: instance.instanceType } };
    case "userData": {
      const userData = openUserData(instance, secrets);
      return { userData: userData ? { value: userData } : {} };
    }
    case "disableApiTermination":
      return { disableApiTermination: { value: instance.disableApiTermination } };
    case "disableApiStop":
      return { disableApiStop: { value: instance.disableApiStop } };
    case "instanceInitiatedShutdownBehavior":
      return { instanceInitiatedShutdownBehavior: { value: "stop" } };
    case "rootDeviceName":
      return { rootDeviceName: { value: ROOT_DEVICE_NAME } };
    case "blockDeviceMapping":
      return { blockDeviceMapping: blockDeviceMappingXml(instance) };
    case "groupSet":
      return { groupSet: instance.groups.map((g) => ({ groupId: g.groupId, groupName: g.groupName })) };
    case "sourceDestCheck":
      return { sourceDestCheck: { value: true } };
    case "ebsOptimized":
      return { ebsOptimized: { value: false } };
    case "enaSupport":
      return { enaSupport: { value: false } };
    case "enclaveOptions":
      return { enclaveOptions: { enabled: false } };
    case "productCodes":
      return { productCodes: [] };
    // A bare-metal machine boots its own kernel: there is no separate kernel or ramdisk image.
    case "kernel":
      return { kernel: {} };
    case "ramdisk":
      return { ramdisk: {} };
    case "sriovNetSupport":
      return { sriovNetSupport: {} };
  }
}

export const describeInstanceAttribute = defineAction(
  "DescribeInstanceAttribute",
  { InstanceId: str({ required: true, max: 64 }), Attribute: str({ required: true, max: 64, oneOf: INSTANCE_ATTRIBUTES }) },
  async (context, p) => {
    const [instance] = await namedInstances(context, [p.InstanceId]);
    return { instanceId: instance!.instanceId, ...attributeXml(instance!, p.Attribute as AttributeName, context.services.db.secrets) };
  },
);

const booleanValue = struct({ Value: bool() });
const stringValue = struct({ Value: str({ max: 255 }) });

const modifyParams = {
  InstanceId: str({ required: true, max: 64 }),
  Attribute: str({ max: 64, oneOf: INSTANCE_ATTRIBUTES }),
  Value: str({ max: 22_000 }),
  DisableApiTermination: booleanValue,
  DisableApiStop: booleanValue,
  InstanceInitiatedShutdownBehavior: stringValue,
  InstanceType: stringValue,
  UserData: struct({ Value: str({ max: 22_000 }) }),
  GroupId: list(str({ max: 64 }), { max: 16 }),
  SourceDestCheck: booleanValue,
  EbsOptimized: booleanValue,
  EnaSupport: booleanValue,
  Kernel: stringValue,
  Ramdisk: stringValue,
  SriovNetSupport: stringValue,
  BlockDeviceMapping: list(struct({ DeviceName: str({ max: 64 }), Ebs: struct({ DeleteOnTermination: bool(), VolumeId: str({ max: 64 }) }), NoDevice: str(), VirtualName: str() }), { max: 32 }),
};

/** The one change a ModifyInstanceAttribute call asks for. */
type Change =
  | { attribute: "disableApiTermination" | "disableApiStop" | "sourceDestCheck" | "ebsOptimized" | "enaSupport"; value: boolean }
  | { attribute: "instanceInitiatedShutdownBehavior" | "instanceType" | "userData" | "kernel" | "ramdisk" | "sriovNetSupport"; value: string }
  | { attribute: "groupSet"; value: string[] }
  | { attribute: "blockDeviceMapping" };

type ModifyParams = Parameters<(typeof modifyInstanceAttribute)["run"]>[1];

/** AWS takes one attribute per call, either as `Attribute`+`Value` or as its own parameter. */
function requestedChange(p: ModifyParams): Change {
  const changes: Change[] = [];
  const booleans = { DisableApiTermination: "disableApiTermination", DisableApiStop: "disableApiStop", SourceDestCheck: "sourceDestCheck", EbsOptimized: "ebsOptimized", EnaSupport: "enaSupport" } as const;
  for (const [parameter, attribute] of Object.entries(booleans) as [keyof typeof booleans, (typeof booleans)[keyof typeof booleans]][]) {
    const given = p[parameter];
    if (given === undefined) continue;
    if (given.Value === undefined) throw missing(`${parameter}.Value`);
    changes.push({ attribute, value: given.Value });
  }
  const strings = { InstanceInitiatedShutdownBehavior: "instanceInitiatedShutdownBehavior", InstanceType: "instanceType", UserData: "userData", Kernel: "kernel", Ramdisk: "ramdisk", SriovNetSupport: "sriovNetSupport" } as const;
  for (const [parameter, attribute] of Object.entries(strings) as [keyof typeof strings, (typeof strings)[keyof typeof strings]][]) {
    const given = p[parameter];
    if (given === undefined) continue;
    if (given.Value === undefined) throw missing(`${parameter}.Value`);
    changes.push({ attribute, value: given.Value });
  }
  if (p.GroupId.length > 0) changes.push({ attribute: "groupSet", value: p.GroupId });
  if (p.BlockDeviceMapping.length > 0) changes.push({ attribute: "blockDeviceMapping" });
  if (p.Attribute !== undefined || p.Value !== undefined) {
    if (p.Attribute === undefined) throw missing("Attribute");
    if (p.Value === undefined) throw missing("Value");
    changes.push(fromAttributeValue(p.Attribute as AttributeName, p.Value));
  }
  if (changes.length === 0) throw missing("an attribute to modify (e.g. DisableApiTermination.Value, or Attribute and Value)");
  if (changes.length > 1) throw new OrchestraError("EC2_INVALID_PARAMETER_COMBINATION", `Fields for multiple attribute types specified: ${changes.map((c) => c.attribute).join(", ")}. Modify one attribute per call.`);
  return changes[0]!;
}

function fromAttributeValue(attribute: AttributeName, value: string): Change {
  switch (attribute) {
    case "disableApiTermination":
    case "disableApiStop":
    case "sourceDestCheck":
    case "ebsOptimized":
    case "enaSupport":
      if (value !== "true" && value !== "false") throw new OrchestraError("INVALID_ARGUMENT", `Value (${value.slice(0, 32)}) for parameter value is invalid: ${attribute} is true or false.`, { parameter: "Value" });
      return { attribute, value: value === "true" };
    case "instanceInitiatedShutdownBehavior":
    case "instanceType":
    case "userData":
    case "kernel":
    case "ramdisk":
    case "sriovNetSupport":
      return { attribute, value };
    case "groupSet":
      return { attribute, value: [value] };
    default:
      throw new OrchestraError("INVALID_ARGUMENT", `The attribute ${attribute} cannot be modified.`, { parameter: "Attribute" });
  }
}

function missing(parameter: string): OrchestraError {
  return new OrchestraError("MISSING_ARGUMENT", `The request must contain the parameter ${parameter}.`, { parameter });
}

function unsupported(message: string): never {
  throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", message);
}

export const modifyInstanceAttribute = defineAction("ModifyInstanceAttribute", modifyParams, async (context, p) => {
  const change = requestedChange(p);
  const { services, account } = context;
  await services.db.transaction(async (tx) => {
    const [instance] = await namedInstances(context, [p.InstanceId], tx);
    if (instance!.state === "terminated" || instance!.state === "shutting-down") {
      throw new OrchestraError("EC2_INCORRECT_INSTANCE_STATE", `The instance '${instance!.instanceId}' is ${instance!.state}: its attributes can no longer be modified.`);
    }
    switch (change.attribute) {
      case "disableApiTermination":
        await tx.run("UPDATE ec2_instances SET disable_api_termination = $2 WHERE instance_id = $1", [instance!.instanceId, change.value ? 1 : 0]);
        return;
      case "disableApiStop":
        await tx.run("UPDATE ec2_instances SET disable_api_stop = $2 WHERE instance_id = $1", [instance!.instanceId, change.value ? 1 : 0]);
        return;
      case "userData": {
        if (instance!.state !== "stopped") throw new OrchestraError("EC2_INCORRECT_INSTANCE_STATE", `The instance '${instance!.instanceId}' is not in the 'stopped' state (it is ${instance!.state}).`);
        const userData = change.value === "" ? null : checkUserData(change.value);
        await tx.run("UPDATE ec2_instances SET user_data = $2 WHERE instance_id = $1", [instance!.instanceId, userData === null ? null : tx.secrets.seal(userData, `instance:${instance!.instanceId}:user-data`)]);
        // What the node's cloud-init reads after the next start: the metadata service's copy.
        await new StoreMetadataSource(services.db, { now: services.now }).setUserDataWithin(tx, instance!.instanceId, userData === null ? null : new Uint8Array(Buffer.from(userData, "base64")));
        return;
      }
      case "groupSet": {
        const network = await networkView(tx, services.topology);
        const groups = await resolveGroups(tx, account, network.vpc.vpcId, change.value, []);
        await tx.run("DELETE FROM ec2_instance_groups WHERE instance_id = $1", [instance!.instanceId]);
        for (const [position, group] of groups.entries()) {
          await tx.run("INSERT INTO ec2_instance_groups (instance_id, group_id, position) VALUES ($1, $2, $3)", [instance!.instanceId, group.groupId, position]);
        }
        return;
      }
      case "instanceInitiatedShutdownBehavior":
        if (change.value === "stop") return;
        if (change.value === "terminate") unsupported("instanceInitiatedShutdownBehavior=terminate is not available: Orchestra does not watch for a node powering itself off, so such a machine stays allocated (stopped).");
        throw new OrchestraError("INVALID_ARGUMENT", `Value (${change.value.slice(0, 32)}) for parameter instanceInitiatedShutdownBehavior is invalid: stop or terminate.`, { parameter: "InstanceInitiatedShutdownBehavior.Value" });
      case "instanceType":
        if (change.value === instance!.instanceType) return;
        unsupported(`A bare-metal instance's type is the machine it runs on: launch a new ${change.value} instance instead of changing ${instance!.instanceId}.`);
      case "sourceDestCheck":
        if (change.value) return;
        unsupported("Orchestra does not filter a machine's traffic: sourceDestCheck cannot be turned off.");
      case "ebsOptimized":
      case "enaSupport":
        if (!change.value) return;
        unsupported(`${change.attribute} has no meaning on bare metal.`);
      default:
        unsupported(`${change.attribute} cannot be modified on bare metal: the machine's kernel, devices and disks are its own.`);
    }
  });
  return { return: true };
});
