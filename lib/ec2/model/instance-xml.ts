/**
 * @module ec2/model/instance-xml
 * How an instance and a reservation are written in DescribeInstances and RunInstances.
 */
import { escapeXml, renderChildren, type XmlObject } from "../xml/render-xml.ts";
import { ec2Architecture } from "./image-catalogue.ts";
import type { InstanceRecord } from "./instance-records.ts";
import { INSTANCE_STATES, instanceState } from "./instance-state.ts";
import { derivedResourceId } from "./resource-ids.ts";
import { tagSet } from "./tags.ts";

/** The `instancesSet/item` of one instance. */
export function instanceXml(instance: InstanceRecord, tags: ReadonlyMap<string, string> | undefined, ownerId: string): XmlObject {
  const live = instance.state !== "terminated";
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: instanceState(instance.state),
    privateDnsName: live ? (instance.hostname ?? "") : "",
    dnsName: live ? (instance.hostname ?? "") : "",
    reason: instance.stateReason?.message ?? "",
    keyName: instance.keyName ?? undefined,
    amiLaunchIndex: instance.launchIndex,
    productCodes: [],
    instanceType: instance.instanceType,
    launchTime: new Date(instance.launchedAt),
    placement: { availabilityZone: instance.zone, groupName: "", tenancy: "default" },
    monitoring: { state: "disabled" },
    subnetId: instance.subnetId,
    vpcId: instance.vpcId,
    privateIpAddress: live ? (instance.privateIp ?? undefined) : undefined,
    sourceDestCheck: true,
    groupSet: instance.groups.map((g) => ({ groupId: g.groupId, groupName: g.groupName })),
    stateReason: instance.stateReason ?? undefined,
    architecture: instance.architecture ? ec2Architecture(instance.architecture) : undefined,
    rootDeviceType: "ebs",
    rootDeviceName: ROOT_DEVICE_NAME,
    blockDeviceMapping: blockDeviceMappingXml(instance),
    virtualizationType: "hvm",
    clientToken: instance.clientToken ?? "",
    tagSet: tagSet(tags),
    networkInterfaceSet: live && instance.mac ? [networkInterfaceItem(instance, ownerId)] : [],
    ebsOptimized: false,
    metadataOptions: { state: "applied", httpTokens: "optional", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
  };
}

/**
 * The `instancesSet/item` content of one instance as XML text, exactly what rendering
 * instanceXml gives (tests/ec2/model/instance-xml.test.ts holds the two together), written
 * directly: DescribeInstances renders thousands per answer, and building then walking an
 * object per instance was most of its time.
 */
export function instanceItemXml(instance: InstanceRecord, tags: ReadonlyMap<string, string> | undefined, ownerId: string): string {
  const live = instance.state !== "terminated";
  const launched = new Date(instance.launchedAt).toISOString();
  const host = live ? escapeXml(instance.hostname ?? "") : "";
  const privateIp = live && instance.privateIp !== null ? `<privateIpAddress>${escapeXml(instance.privateIp)}</privateIpAddress>` : "";
  let groups = "";
  for (const g of instance.groups) groups += `<item><groupId>${escapeXml(g.groupId)}</groupId><groupName>${escapeXml(g.groupName)}</groupName></item>`;
  let out =
    `<instanceId>${escapeXml(instance.instanceId)}</instanceId><imageId>${escapeXml(instance.imageId)}</imageId>` +
    `<instanceState><code>${INSTANCE_STATES[instance.state]}</code><name>${instance.state}</name></instanceState>` +
    `<privateDnsName>${host}</privateDnsName><dnsName>${host}</dnsName><reason>${escapeXml(instance.stateReason?.message ?? "")}</reason>` +
    (instance.keyName !== null ? `<keyName>${escapeXml(instance.keyName)}</keyName>` : "") +
    `<amiLaunchIndex>${instance.launchIndex}</amiLaunchIndex><productCodes></productCodes><instanceType>${escapeXml(instance.instanceType)}</instanceType>` +
    `<launchTime>${launched}</launchTime><placement><availabilityZone>${escapeXml(instance.zone)}</availabilityZone><groupName></groupName><tenancy>default</tenancy></placement>` +
    `<monitoring><state>disabled</state></monitoring><subnetId>${escapeXml(instance.subnetId)}</subnetId><vpcId>${escapeXml(instance.vpcId)}</vpcId>${privateIp}` +
    `<sourceDestCheck>true</sourceDestCheck><groupSet>${groups}</groupSet>` +
    (instance.stateReason ? `<stateReason><code>${escapeXml(instance.stateReason.code)}</code><message>${escapeXml(instance.stateReason.message)}</message></stateReason>` : "") +
    (instance.architecture ? `<architecture>${escapeXml(ec2Architecture(instance.architecture))}</architecture>` : "") +
    `<rootDeviceType>ebs</rootDeviceType><rootDeviceName>${ROOT_DEVICE_NAME}</rootDeviceName><blockDeviceMapping>`;
  if (live) {
    instance.disks.forEach((disk, i) => {
      out +=
        `<item><deviceName>${escapeXml(i === 0 ? ROOT_DEVICE_NAME : `/dev/${disk.name}`)}</deviceName><ebs><volumeId>${volumeId(instance, disk.name)}</volumeId>` +
        `<status>attached</status><attachTime>${launched}</attachTime><deleteOnTermination>false</deleteOnTermination></ebs></item>`;
    });
  }
  out += `</blockDeviceMapping><virtualizationType>hvm</virtualizationType><clientToken>${escapeXml(instance.clientToken ?? "")}</clientToken><tagSet>`;
  if (tags) for (const [key, value] of tags) out += `<item><key>${escapeXml(key)}</key><value>${escapeXml(value)}</value></item>`;
  out += "</tagSet><networkInterfaceSet>";
  if (live && instance.mac) {
    out +=
      `<item><networkInterfaceId>${networkInterfaceId(instance)}</networkInterfaceId><subnetId>${escapeXml(instance.subnetId)}</subnetId><vpcId>${escapeXml(instance.vpcId)}</vpcId>` +
      `<ownerId>${escapeXml(ownerId)}</ownerId><status>in-use</status><macAddress>${escapeXml(instance.mac)}</macAddress>` +
      (instance.privateIp !== null ? `<privateIpAddress>${escapeXml(instance.privateIp)}</privateIpAddress>` : "") +
      (instance.hostname !== null ? `<privateDnsName>${escapeXml(instance.hostname)}</privateDnsName>` : "") +
      `<sourceDestCheck>true</sourceDestCheck><groupSet>${groups}</groupSet>` +
      `<attachment><attachmentId>${derivedResourceId("eni-attach", instance.instanceId)}</attachmentId><deviceIndex>0</deviceIndex><status>attached</status>` +
      `<attachTime>${launched}</attachTime><deleteOnTermination>true</deleteOnTermination></attachment></item>`;
  }
  return (
    out +
    "</networkInterfaceSet><ebsOptimized>false</ebsOptimized>" +
    "<metadataOptions><state>applied</state><httpTokens>optional</httpTokens><httpPutResponseHopLimit>1</httpPutResponseHopLimit><httpEndpoint>enabled</httpEndpoint></metadataOptions>"
  );
}

/** The device name a bare-metal instance's first disk is shown under, as on an EBS-backed instance. */
export const ROOT_DEVICE_NAME = "/dev/sda1";

/** The `blockDeviceMapping` items of an instance: its machine's disks while it is live. */
export function blockDeviceMappingXml(instance: InstanceRecord): XmlObject[] {
  if (instance.state === "terminated") return [];
  return instance.disks.map((disk, i) => ({
    deviceName: i === 0 ? ROOT_DEVICE_NAME : `/dev/${disk.name}`,
    ebs: { volumeId: volumeId(instance, disk.name), status: "attached", attachTime: new Date(instance.launchedAt), deleteOnTermination: false },
  }));
}

/** The `networkInterfaceSet/item` of an instance's boot interface. */
function networkInterfaceItem(instance: InstanceRecord, ownerId: string): XmlObject {
  return {
    networkInterfaceId: networkInterfaceId(instance),
    subnetId: instance.subnetId,
    vpcId: instance.vpcId,
    ownerId,
    status: "in-use",
    macAddress: instance.mac ?? undefined,
    privateIpAddress: instance.privateIp ?? undefined,
    privateDnsName: instance.hostname ?? undefined,
    sourceDestCheck: true,
    groupSet: instance.groups.map((g) => ({ groupId: g.groupId, groupName: g.groupName })),
    attachment: { attachmentId: derivedResourceId("eni-attach", instance.instanceId), deviceIndex: 0, status: "attached", attachTime: new Date(instance.launchedAt), deleteOnTermination: true },
  };
}

/** The volume id of one of an instance's disks: stable for the instance's life. */
export function volumeId(instance: Pick<InstanceRecord, "instanceId">, diskName: string): string {
  return derivedResourceId("vol", `${instance.instanceId}/${diskName}`);
}

/** The network interface id of an instance's boot interface. */
export function networkInterfaceId(instance: Pick<InstanceRecord, "instanceId">): string {
  return derivedResourceId("eni", instance.instanceId);
}

/** A reservation `<item>` up to its instances, for answers written as they stream; RESERVATION_END closes it. */
export function reservationStart(reservationId: string, ownerId: string): string {
  return `<item>${renderChildren({ reservationId, ownerId, groupSet: [] })}<instancesSet>`;
}

/** What closes reservationStart. */
export const RESERVATION_END = "</instancesSet></item>";

/** Group instances into reservations, keeping their order. */
export function reservationsXml(instances: readonly InstanceRecord[], tags: ReadonlyMap<string, ReadonlyMap<string, string>>, ownerId: string): XmlObject[] {
  const byReservation = new Map<string, InstanceRecord[]>();
  for (const instance of instances) {
    let list = byReservation.get(instance.reservationId);
    if (!list) byReservation.set(instance.reservationId, (list = []));
    list.push(instance);
  }
  return [...byReservation].map(([reservationId, members]) => ({
    reservationId,
    ownerId,
    groupSet: [],
    instancesSet: members.map((m) => instanceXml(m, tags.get(m.instanceId), ownerId)),
  }));
}
