/**
 * @module ec2/actions/run-instances
 * RunInstances: allocate and deploy machines. All-or-nothing: between MinCount and
 * MaxCount machines are allocated in one transaction with every EC2 row, or none is.
 * ClientToken makes a retry return the first reservation instead of launching again. The
 * metadata service's record (user data, SSH key) is written in the same transaction.
 */
import { createHash } from "node:crypto";
import { OrchestraError, isOrchestraError } from "../../errors.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";
import { bool, int, list, str, struct, tagSpecificationList, type InferFields } from "../query/param-shape.ts";
import { recordDeploymentWithin } from "../../deploy/deploy-allocated-machine.ts";
import { findAvailableImage } from "../model/image-source.ts";
import { describeImageNeed, imageConstraints } from "../../images/image-needs.ts";
import { reservationsXml, volumeId } from "../model/instance-xml.ts";
import { loadInstances } from "../model/instance-records.ts";
import { networkView } from "../model/network-topology.ts";
import { newResourceId } from "../model/resource-ids.ts";
import { ensureDefaultGroup, resolveGroups } from "../model/security-group-rows.ts";
import { putTags, tagsByResource, tagsFor } from "../model/tags.ts";
import { checkTagSpecifications } from "../model/tag-specifications.ts";
import { checkUserData } from "../model/user-data.ts";
import type { Ec2Context } from "../model/ec2-context.ts";
import { defineAction } from "./define-action.ts";

/** The instance type EC2 launches when none is named. */
const DEFAULT_INSTANCE_TYPE = "m1.small";

const params = {
  ImageId: str({ required: true, max: 64 }),
  InstanceType: str({ max: 64 }),
  MinCount: int({ required: true, min: 1, max: 1000 }),
  MaxCount: int({ required: true, min: 1, max: 1000 }),
  UserData: str({ max: 22_000 }),
  KeyName: str({ max: 255 }),
  Placement: struct({ AvailabilityZone: str({ max: 64 }), Tenancy: str({ oneOf: ["default"] }) }),
  SubnetId: str({ max: 64 }),
  SecurityGroupId: list(str({ max: 64 }), { max: 16 }),
  SecurityGroup: list(str({ max: 255 }), { max: 16 }),
  TagSpecification: tagSpecificationList,
  ClientToken: str({ max: 64 }),
  // Juju asks for a root disk size this way: on bare metal it becomes a minimum disk size.
  BlockDeviceMapping: list(
    struct({
      DeviceName: str({ required: true, max: 64 }),
      Ebs: struct({ VolumeSize: int({ min: 1, max: 65_536 }), VolumeType: str({ max: 16 }), DeleteOnTermination: bool() }),
    }),
    { max: 1 },
  ),
  Monitoring: struct({ Enabled: bool() }),
  DisableApiTermination: bool(),
  DisableApiStop: bool(),
  InstanceInitiatedShutdownBehavior: str({ oneOf: ["stop", "terminate"] }),
  // Ansible always describes the instance's network this way, even for one plain interface.
  NetworkInterface: list(
    struct({
      DeviceIndex: int({ min: 0, max: 31 }),
      SubnetId: str({ max: 64 }),
      SecurityGroupId: list(str({ max: 64 }), { max: 16 }),
      AssociatePublicIpAddress: bool(),
      DeleteOnTermination: bool(),
      Description: str({ max: 255 }),
    }),
    { max: 32 },
  ),
};

/** The one network interface a bare-metal instance gets: its machine's boot interface. */
function bootInterface(p: InferFields<typeof params>): { subnetId?: string; groupIds: string[] } {
  if (p.NetworkInterface.length === 0) return { ...(p.SubnetId !== undefined ? { subnetId: p.SubnetId } : {}), groupIds: p.SecurityGroupId };
  if (p.NetworkInterface.length > 1) throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "A bare-metal instance gets one network interface, its machine's boot interface: give NetworkInterface.1 only.");
  const nic = p.NetworkInterface[0]!;
  if (nic.DeviceIndex === undefined) throw new OrchestraError("MISSING_ARGUMENT", "The request must contain the parameter NetworkInterface.1.DeviceIndex.", { parameter: "NetworkInterface.1.DeviceIndex" });
  if (nic.DeviceIndex !== 0) throw new OrchestraError("INVALID_ARGUMENT", `Value (${nic.DeviceIndex}) for parameter NetworkInterface.1.DeviceIndex is invalid: the boot interface is device 0.`, { parameter: "NetworkInterface.1.DeviceIndex" });
  // As AWS: the interface carries the subnet and groups, so the instance-level ones may not be given too.
  if (p.SubnetId !== undefined) throw new OrchestraError("EC2_INVALID_PARAMETER_COMBINATION", "Network interfaces and an instance-level subnet ID may not be specified on the same request");
  if (p.SecurityGroupId.length > 0 || p.SecurityGroup.length > 0) throw new OrchestraError("EC2_INVALID_PARAMETER_COMBINATION", "Network interfaces and an instance-level security groups may not be specified on the same request");
  if (nic.AssociatePublicIpAddress === true) throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "Orchestra has no public addresses: AssociatePublicIpAddress must be false or left out.");
  if (nic.DeleteOnTermination === false) throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "The boot interface is part of the machine and cannot outlive the instance: DeleteOnTermination must be true or left out.");
  return { ...(nic.SubnetId !== undefined ? { subnetId: nic.SubnetId } : {}), groupIds: nic.SecurityGroupId };
}

export const runInstances = defineAction("RunInstances", params, async (context, p) => {
  const { services, account } = context;
  if (p.MinCount > p.MaxCount) throw new OrchestraError("INVALID_ARGUMENT", `MinCount (${p.MinCount}) must not be greater than MaxCount (${p.MaxCount}).`);
  if (p.Monitoring?.Enabled) throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "Detailed monitoring is not available on Orchestra's bare metal.");
  const image = await findAvailableImage(services.images, p.ImageId);
  if (!image) {
    if (!/^ami-[0-9a-f]{8,17}$/.test(p.ImageId)) throw new OrchestraError("EC2_IMAGE_ID_MALFORMED", `Invalid id: "${p.ImageId}" (expecting "ami-...")`);
    throw new OrchestraError("EC2_IMAGE_NOT_FOUND", `The image id '[${p.ImageId}]' does not exist`);
  }
  const userData = p.UserData === undefined ? null : checkUserData(p.UserData);
  checkTagSpecifications(p.TagSpecification, ["instance", "volume"]);
  if (p.InstanceInitiatedShutdownBehavior === "terminate") {
    throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "InstanceInitiatedShutdownBehavior=terminate is not available: Orchestra does not watch for a node powering itself off, so such a machine stays allocated (stopped).");
  }
  const nic = bootInterface(p);
  // The disk asked for, and never less disk or memory than the image needs: a machine too small for the image would fail half way through writing or booting it.
  const need = imageConstraints(image);
  const askedGib = p.BlockDeviceMapping[0]?.Ebs?.VolumeSize;
  const rootGib = Math.max(askedGib ?? 0, need.minDiskGib ?? 0) || undefined;
  const instanceType = p.InstanceType ?? DEFAULT_INSTANCE_TYPE;
  // What a ClientToken stands for: a retry must ask for the same launch.
  const digest = p.ClientToken === undefined ? undefined : createHash("sha256").update(JSON.stringify({ ...p, ClientToken: undefined })).digest("hex");
  const now = services.now();
  const at = now.toISOString();

  // The answer is read in the launch's transaction: read after it, each of its two statements
  // began a read transaction of its own on the store (a lock taken and released each).
  return services.db.transaction(async (tx) => {
    if (p.ClientToken !== undefined) {
      const earlier = await tx.get<{ request_digest: string; reservation_id: string }>("SELECT request_digest, reservation_id FROM ec2_client_tokens WHERE account = $1 AND client_token = $2", [account, p.ClientToken]);
      if (earlier) {
        if (earlier.request_digest !== digest) throw new OrchestraError("EC2_IDEMPOTENT_MISMATCH", `Arguments on this idempotent request are inconsistent with arguments used in previous request(s) with client token '${p.ClientToken}'.`);
        return reservationResponse(tx, context, earlier.reservation_id);
      }
    }
    const network = await networkView(tx, services.topology);
    const subnet = nic.subnetId === undefined ? undefined : network.subnets.find((s) => s.subnetId === nic.subnetId);
    if (nic.subnetId !== undefined && !subnet) throw new OrchestraError("EC2_SUBNET_NOT_FOUND", `The subnet ID '${nic.subnetId}' does not exist`);
    const zone = p.Placement?.AvailabilityZone;
    if (zone !== undefined && !network.subnets.some((s) => s.zone === zone)) throw new OrchestraError("INVALID_ARGUMENT", `Invalid availability zone: [${zone}]`);
    if (zone !== undefined && subnet && subnet.zone !== zone) {
      throw new OrchestraError("EC2_INVALID_PARAMETER_COMBINATION", `The subnet ${subnet.subnetId} is in ${subnet.zone}, not in the requested Availability Zone ${zone}.`);
    }
    const wantedZone = zone ?? subnet?.zone;
    const key = p.KeyName === undefined ? undefined : await tx.get<{ public_key: string }>("SELECT public_key FROM ec2_key_pairs WHERE account = $1 AND key_name = $2", [account, p.KeyName]);
    if (p.KeyName !== undefined && !key) throw new OrchestraError("EC2_KEY_PAIR_NOT_FOUND", `The key pair '${p.KeyName}' does not exist`);
    const groups =
      nic.groupIds.length || p.SecurityGroup.length
        ? await resolveGroups(tx, account, network.vpc.vpcId, nic.groupIds, p.SecurityGroup)
        : [await ensureDefaultGroup(tx, account, network.vpc.vpcId, at)];
    const reservation = newResourceId("r");
    const constraints = { instanceType, architecture: image.debianArchitecture, ...(wantedZone ? { zone: wantedZone } : {}), ...(rootGib ? { minDiskGib: rootGib } : {}), ...(need.minMemoryMib ? { minMemoryMib: need.minMemoryMib } : {}) };
    let allocations;
    try {
      // Each machine goes from ready through allocated to deploying in one write of its row.
      allocations = await services.inventory.allocateManyWithin(tx, constraints, account, { min: p.MinCount, max: p.MaxCount }, {
        to: "deploying",
        reason: (instance) => `deploying ${image.name} for ${account} as ${instance.instanceId}`,
      });
    } catch (error) {
      if (!isOrchestraError(error, "NO_CAPACITY")) throw error;
      const found = typeof error.details?.found === "number" ? error.details.found : 0;
      throw new OrchestraError(
        "NO_CAPACITY",
        `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${wantedZone ?? "any"}): ${found} of the ${p.MinCount} machines asked for are ready (${error.message})${describeImageNeed(image) ? `; ${describeImageNeed(image)}` : ""}.`,
        {},
        { cause: error },
      );
    }
    const volumeTags = tagsFor(p.TagSpecification, "volume");
    for (const [index, allocation] of allocations.entries()) {
      const machine = await recordDeploymentWithin(tx, services, allocation.machine, {
        instanceId: allocation.instance.instanceId,
        image,
        instanceType,
        region: services.topology.region,
        publicKeys: key ? [{ name: p.KeyName!, openssh: key.public_key }] : [],
        userData: userData === null ? null : new Uint8Array(Buffer.from(userData, "base64")),
        // What the node will learn from the metadata service, committed with the instance.
        vendorData: async (m) => (services.nodeSetup ? services.nodeSetup.vendorDataWithin(tx, { instanceId: allocation.instance.instanceId, hostname: m.hostname }, services.now()) : (services.vendorData ?? null)),
        newInstance: true,
      });
      const machineSubnet = network.subnets.find((s) => s.zone === machine.zone)!;
      await insertInstanceRow(tx, {
        instanceId: allocation.instance.instanceId,
        account,
        reservationId: reservation,
        launchIndex: index,
        imageId: image.imageId,
        instanceType,
        keyName: p.KeyName ?? null,
        zone: machine.zone,
        subnetId: machineSubnet.subnetId,
        vpcId: network.vpc.vpcId,
        userData,
        clientToken: p.ClientToken ?? null,
        disableApiTermination: p.DisableApiTermination === true,
        disableApiStop: p.DisableApiStop === true,
        launchedAt: at,
      });
      if (volumeTags.length > 0) await putTags(tx, account, machine.disks.map((disk) => volumeId(allocation.instance, disk.name)), volumeTags);
      for (const [position, group] of groups.entries()) {
        await tx.run("INSERT INTO ec2_instance_groups (instance_id, group_id, position) VALUES ($1, $2, $3)", [allocation.instance.instanceId, group.groupId, position]);
      }
    }
    await putTags(tx, account, allocations.map((a) => a.instance.instanceId), tagsFor(p.TagSpecification, "instance"));
    if (p.ClientToken !== undefined) {
      await tx.run("INSERT INTO ec2_client_tokens (account, client_token, request_digest, reservation_id, created_at) VALUES ($1, $2, $3, $4, $5)", [account, p.ClientToken, digest!, reservation, at]);
    }
    return reservationResponse(tx, context, reservation, allocations.map((a) => a.instance.instanceId));
  });
});

/** The reservation as RunInstances answers it, read in `db`; its members are read unless the launch that made them says which they are. */
async function reservationResponse(db: SqlExecutor, { services, account, ownerId }: Ec2Context, reservationId: string, instanceIds?: readonly string[]) {
  const now = services.now();
  const members = instanceIds ?? (await reservationMembers(db, account, reservationId));
  const all = await loadInstances(db, { account, now, includeExpired: true, instanceIds: members });
  all.sort((a, b) => a.launchIndex - b.launchIndex);
  const [reservation] = reservationsXml(all, await tagsByResource(db, account, "i", members), ownerId);
  return reservation!;
}

async function reservationMembers(db: SqlExecutor, account: string, reservationId: string): Promise<string[]> {
  const rows = await db.all<{ instance_id: string }>("SELECT instance_id FROM ec2_instances WHERE account = $1 AND reservation_id = $2 ORDER BY launch_index", [account, reservationId]);
  return rows.map((r) => r.instance_id);
}

interface InstanceRowInput {
  instanceId: string;
  account: string;
  reservationId: string;
  launchIndex: number;
  imageId: string;
  instanceType: string;
  keyName: string | null;
  zone: string;
  subnetId: string;
  vpcId: string;
  userData: string | null;
  clientToken: string | null;
  disableApiTermination: boolean;
  disableApiStop: boolean;
  launchedAt: string;
}

async function insertInstanceRow(tx: SqlExecutor, row: InstanceRowInput): Promise<void> {
  await tx.run(
    `INSERT INTO ec2_instances (instance_id, account, reservation_id, launch_index, image_id, instance_type, key_name, zone, subnet_id, vpc_id, user_data, client_token, powered_off, launched_at, state_reason, disable_api_termination, disable_api_stop)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, NULL, $14, $15)`,
    [row.instanceId, row.account, row.reservationId, row.launchIndex, row.imageId, row.instanceType, row.keyName, row.zone, row.subnetId, row.vpcId, row.userData === null ? null : tx.secrets.seal(row.userData, `instance:${row.instanceId}:user-data`), row.clientToken, row.launchedAt, row.disableApiTermination ? 1 : 0, row.disableApiStop ? 1 : 0],
  );
}
