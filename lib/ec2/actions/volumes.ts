/**
 * @module ec2/actions/volumes
 * DescribeVolumes shows the disks of the account's live instances' machines; creating,
 * attaching, detaching and deleting disks has no meaning on bare metal and says so.
 */
import { OrchestraError } from "../../errors.ts";
import { bool, filterList, int, list, pagination, str, tagSpecificationList } from "../query/param-shape.ts";
import { compileFilters, type FilterFields } from "../model/filters.ts";
import { loadInstances, type InstanceRecord } from "../model/instance-records.ts";
import { volumeId } from "../model/instance-xml.ts";
import { paginate } from "../model/pagination.ts";
import { tagSet, tagsByResource } from "../model/tags.ts";
import { defineAction } from "./define-action.ts";

interface Volume {
  readonly volumeId: string;
  readonly instance: InstanceRecord;
  readonly device: string;
  readonly sizeGib: number;
}

const FIELDS: FilterFields<Volume> = {
  "volume-id": (v) => v.volumeId,
  "attachment.instance-id": (v) => v.instance.instanceId,
  "attachment.device": (v) => v.device,
  "attachment.status": () => "attached",
  "attachment.delete-on-termination": () => "false",
  "availability-zone": (v) => v.instance.zone,
  status: () => "in-use",
  size: (v) => String(v.sizeGib),
  "volume-type": () => "standard",
  encrypted: () => "false",
};

export const describeVolumes = defineAction("DescribeVolumes", { VolumeId: list(str({ max: 64 }), { max: 1000 }), Filter: filterList, ...pagination }, async (context, p) => {
  const { services, account } = context;
  const instances = (await loadInstances(services.db, { account, now: services.now() })).filter((i) => i.state !== "terminated");
  const volumes: Volume[] = instances.flatMap((instance) =>
    instance.disks.map((disk, i) => ({ volumeId: volumeId(instance, disk.name), instance, device: i === 0 ? "/dev/sda1" : `/dev/${disk.name}`, sizeGib: Math.max(1, Math.round(disk.sizeBytes / 1024 ** 3)) })),
  );
  for (const id of p.VolumeId) if (!volumes.some((v) => v.volumeId === id)) throw new OrchestraError("EC2_VOLUME_NOT_FOUND", `The volume '${id}' does not exist.`);
  const tags = await tagsByResource(services.db, account, "vol");
  const keep = compileFilters(p.Filter, FIELDS, (v: Volume) => tags.get(v.volumeId) ?? new Map());
  const chosen = volumes.filter((v) => (p.VolumeId.length === 0 || p.VolumeId.includes(v.volumeId)) && keep(v)).sort((a, b) => (a.volumeId < b.volumeId ? -1 : 1));
  const page = paginate(chosen, (v) => v.volumeId, "DescribeVolumes", p.MaxResults, p.NextToken);
  return {
    volumeSet: page.items.map((v) => ({
      volumeId: v.volumeId,
      size: v.sizeGib,
      snapshotId: "",
      availabilityZone: v.instance.zone,
      status: "in-use",
      createTime: new Date(v.instance.launchedAt),
      attachmentSet: [{ volumeId: v.volumeId, instanceId: v.instance.instanceId, device: v.device, status: "attached", attachTime: new Date(v.instance.launchedAt), deleteOnTermination: false }],
      volumeType: "standard",
      encrypted: false,
      multiAttachEnabled: false,
      tagSet: tagSet(tags.get(v.volumeId)),
    })),
    nextToken: page.nextToken,
  };
});

function unsupported(action: string): never {
  throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", `${action} is not supported: a bare-metal instance's disks are the machine's own; choose a machine with the disks you need (instance type or BlockDeviceMapping root size).`);
}

export const createVolume = defineAction(
  "CreateVolume",
  { AvailabilityZone: str({ max: 64 }), Size: int({ min: 1 }), VolumeType: str({ max: 16 }), Iops: int({ min: 0 }), Encrypted: bool(), SnapshotId: str({ max: 64 }), TagSpecification: tagSpecificationList, ClientToken: str({ max: 64 }) },
  async () => unsupported("CreateVolume"),
);
export const attachVolume = defineAction("AttachVolume", { Device: str({ required: true }), InstanceId: str({ required: true }), VolumeId: str({ required: true }) }, async () => unsupported("AttachVolume"));
export const detachVolume = defineAction("DetachVolume", { Device: str(), Force: bool(), InstanceId: str(), VolumeId: str({ required: true }) }, async () => unsupported("DetachVolume"));
export const deleteVolume = defineAction("DeleteVolume", { VolumeId: str({ required: true }) }, async () => unsupported("DeleteVolume"));
