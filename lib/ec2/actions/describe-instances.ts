/**
 * @module ec2/actions/describe-instances
 * DescribeInstances and DescribeInstanceStatus with EC2's filters and pagination. Instance
 * ids named explicitly narrow the SQL; filters run over the account's instances.
 */
import { OrchestraError } from "../../errors.ts";
import { bool, filterList, list, pagination, str } from "../query/param-shape.ts";
import { compileFilters, type FilterFields } from "../model/filters.ts";
import { checkAllFound, checkInstanceIdShapes } from "../model/instance-ids.ts";
import { loadInstances, scanInstances, type InstanceRecord } from "../model/instance-records.ts";
import { INSTANCE_STATES, instanceState } from "../model/instance-state.ts";
import { instanceItemXml, networkInterfaceId, RESERVATION_END, reservationStart, ROOT_DEVICE_NAME } from "../model/instance-xml.ts";
import { decodeToken, encodeToken, paginate } from "../model/pagination.ts";
import { instanceFilterSql } from "../model/instance-filter-sql.ts";
import { XmlStream } from "../xml/xml-stream.ts";
import { XmlChunks } from "../xml/xml-chunks.ts";
import type { SqlValue } from "../../store/sql-database.ts";
import { tagsByResource } from "../model/tags.ts";
import { ec2Architecture } from "../model/image-catalogue.ts";
import type { Ec2Context } from "../model/ec2-context.ts";
import { defineAction } from "./define-action.ts";

/** The DescribeInstances filters Orchestra answers (besides tag:KEY, tag-key, tag-value). */
const INSTANCE_FILTERS: FilterFields<InstanceRecord> = {
  "instance-id": (i) => i.instanceId,
  "instance-state-name": (i) => i.state,
  "instance-state-code": (i) => String(INSTANCE_STATES[i.state]),
  "instance-type": (i) => i.instanceType,
  "availability-zone": (i) => i.zone,
  "placement.availability-zone": (i) => i.zone,
  "image-id": (i) => i.imageId,
  "key-name": (i) => i.keyName ?? undefined,
  "reservation-id": (i) => i.reservationId,
  "subnet-id": (i) => i.subnetId,
  "vpc-id": (i) => i.vpcId,
  "private-ip-address": (i) => i.privateIp ?? undefined,
  "private-dns-name": (i) => i.hostname ?? undefined,
  "dns-name": (i) => i.hostname ?? undefined,
  architecture: (i) => (i.architecture ? ec2Architecture(i.architecture) : undefined),
  "client-token": (i) => i.clientToken ?? undefined,
  "launch-index": (i) => String(i.launchIndex),
  "instance.group-id": (i) => i.groups.map((g) => g.groupId),
  "instance.group-name": (i) => i.groups.map((g) => g.groupName),
  "group-id": (i) => i.groups.map((g) => g.groupId),
  "group-name": (i) => i.groups.map((g) => g.groupName),
  "network-interface.mac-address": (i) => i.mac ?? undefined,
  // Ansible finds instances launched on a given interface by its id.
  "network-interface.network-interface-id": (i) => (i.mac ? networkInterfaceId(i) : undefined),
  "network-interface.subnet-id": (i) => i.subnetId,
  "network-interface.vpc-id": (i) => i.vpcId,
  "network-interface.group-id": (i) => i.groups.map((g) => g.groupId),
  "root-device-name": () => ROOT_DEVICE_NAME,
  "root-device-type": () => "ebs",
  "virtualization-type": () => "hvm",
  "tenancy": () => "default",
};

/** Load, check and filter the instances a Describe call asks for. */
async function selectInstances(context: Ec2Context, ids: readonly string[], filters: readonly { Name: string; Value: string[] }[]) {
  const { services, account } = context;
  checkInstanceIdShapes(ids);
  // Juju lists its machines with an instance-id filter: load only those rows. The filter
  // still runs below, so this narrows the query without changing the answer.
  const idFilter = filters.find((f) => f.Name === "instance-id" && f.Value.length > 0 && f.Value.every((v) => !/[*?\\]/.test(v)));
  const narrowed = ids.length ? ids : idFilter?.Value;
  const instances = await loadInstances(services.db, { account, now: services.now(), ...(narrowed ? { instanceIds: narrowed } : {}) });
  if (ids.length) checkAllFound(ids, instances);
  const tags = await tagsByResource(services.db, account, "i", narrowed);
  const keep = compileFilters(filters, INSTANCE_FILTERS, (i: InstanceRecord) => tags.get(i.instanceId) ?? new Map());
  return { instances: instances.filter(keep), tags };
}

export const describeInstances = defineAction(
  "DescribeInstances",
  { InstanceId: list(str({ max: 64 }), { max: 1000 }), Filter: filterList, ...pagination },
  async (context, p) => {
    if (p.InstanceId.length && (p.MaxResults !== undefined || p.NextToken !== undefined)) {
      throw new OrchestraError("EC2_INVALID_PARAMETER_COMBINATION", "The parameter instancesSet cannot be used with the parameter maxResults");
    }
    const { services, account } = context;
    checkInstanceIdShapes(p.InstanceId);
    // Every check that can refuse the call runs here, before the answer starts streaming.
    let batchTags = new Map<string, Map<string, string>>();
    const keep = compileFilters(p.Filter, INSTANCE_FILTERS, (i: InstanceRecord) => batchTags.get(i.instanceId) ?? new Map());
    const after = p.NextToken === undefined ? undefined : decodeToken(p.NextToken, "DescribeInstances");
    const ownerId = context.ownerId;
    let batches: AsyncIterable<InstanceRecord[]> | Iterable<InstanceRecord[]>;
    if (p.InstanceId.length) {
      // Named ids (1,000 at most): read them first, to refuse any not found before a byte is sent.
      const named = [...new Set(p.InstanceId)];
      const found: InstanceRecord[] = [];
      for await (const batch of scanInstances(services.db, { account, now: services.now(), instanceIds: named })) found.push(...batch);
      checkAllFound(named, found);
      batches = [found];
    } else {
      const params: SqlValue[] = [account];
      const conditions = instanceFilterSql(p.Filter, 1, params);
      batches = scanInstances(services.db, {
        account,
        now: services.now(),
        conditions,
        params: params.slice(1),
        ...(after !== undefined ? { afterReservation: after } : {}),
        ...(services.instanceScanBatch ? { batch: services.instanceScanBatch } : {}),
      });
    }
    let nextToken: string | undefined;
    // Pages hold whole reservations, as on AWS, cut in reservation-id order. The XML goes
    // straight into Buffers of ~64 KiB, each sent as soon as it is full (../xml/xml-chunks.ts).
    async function* reservations(): AsyncGenerator<Buffer> {
      const out = new XmlChunks();
      let open: string | undefined;
      let shown = 0;
      for await (const batch of batches) {
        batchTags = await tagsByResource(services.db, account, "i", batch.map((i) => i.instanceId));
        for (const instance of batch) {
          if (!keep(instance)) continue;
          if (instance.reservationId !== open) {
            if (open !== undefined) out.write(RESERVATION_END);
            if (p.MaxResults !== undefined && shown === p.MaxResults) {
              nextToken = encodeToken("DescribeInstances", open!);
              yield* out.take(true);
              return;
            }
            shown++;
            open = instance.reservationId;
            out.write(reservationStart(open, ownerId));
          }
          out.write("<item>");
          out.write(instanceItemXml(instance, batchTags.get(instance.instanceId), ownerId));
          out.write("</item>");
          if (out.ready) yield* out.take();
        }
      }
      if (open !== undefined) out.write(RESERVATION_END);
      yield* out.take(true);
    }
    return { reservationSet: new XmlStream(reservations, () => ({ nextToken })) };
  },
);

const STATUS_FILTERS: FilterFields<InstanceRecord> = {
  "availability-zone": (i) => i.zone,
  "instance-state-name": (i) => i.state,
  "instance-state-code": (i) => String(INSTANCE_STATES[i.state]),
  "system-status.status": (i) => health(i),
  "instance-status.status": (i) => health(i),
};

function health(instance: InstanceRecord): string {
  if (instance.state === "running") return "ok";
  return instance.state === "pending" ? "initializing" : "not-applicable";
}

export const describeInstanceStatus = defineAction(
  "DescribeInstanceStatus",
  { InstanceId: list(str({ max: 64 }), { max: 1000 }), Filter: filterList, IncludeAllInstances: bool(), ...pagination },
  async (context, p) => {
    const { instances } = await selectInstances(context, p.InstanceId, []);
    const keep = compileFilters(p.Filter, STATUS_FILTERS);
    const shown = instances.filter((i) => (p.IncludeAllInstances || i.state === "running") && keep(i));
    const page = paginate(shown, (i) => i.instanceId, "DescribeInstanceStatus", p.MaxResults, p.NextToken);
    return {
      instanceStatusSet: page.items.map((i) => {
        const status = health(i);
        const details = [{ name: "reachability", status: status === "ok" ? "passed" : status === "initializing" ? "initializing" : "not-applicable" }];
        return {
          instanceId: i.instanceId,
          availabilityZone: i.zone,
          instanceState: instanceState(i.state),
          systemStatus: { status, details },
          instanceStatus: { status, details },
          eventsSet: [],
        };
      }),
      nextToken: page.nextToken,
    };
  },
);
