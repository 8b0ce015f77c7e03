/**
 * @module maas/operations/deploy-machine
 * `POST machines/{id}/?op=deploy`: the deployment RunInstances makes, for a machine the
 * caller allocated. In one transaction: the machine moves to Deploying, the deployment row
 * ties it to the image (chosen by distro_series and the machine's architecture), and the
 * metadata service's record carries the user_data to cloud-init, as for an EC2 instance.
 */
import { isOrchestraError } from "../../errors.ts";
import { deployAllocatedWithin } from "../../deploy/deploy-allocated-machine.ts";
import { imageConstraints, machineMeetsImage } from "../../images/image-needs.ts";
import { storageBytes } from "../../inventory/machine.ts";
import { MAX_USER_DATA_BYTES } from "../../metadata/store-metadata-source.ts";
import { recordDeployRequest } from "../model/allocation-rows.ts";
import { chooseImage, type MaasImage } from "../model/boot-resources.ts";
import { badParameter, type MaasParams } from "../http/request-params.ts";
import { defineOperation } from "./define-operation.ts";
import { machineAnswer, ownedMachine, wrongState } from "./machine-access.ts";

/** The release deployed when the client names none and the image store has no OS image. */
export const DEFAULT_SERIES = "jammy";

function readUserData(params: MaasParams): Uint8Array | null {
  const value = params.one("user_data");
  if (value === undefined || value === "") return null;
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(value)) throw badParameter("user_data", "user_data must be base64-encoded.");
  const bytes = Buffer.from(value, "base64");
  if (bytes.length > MAX_USER_DATA_BYTES) throw badParameter("user_data", `user_data is limited to ${MAX_USER_DATA_BYTES} bytes (it has ${bytes.length}).`);
  return new Uint8Array(bytes);
}

function pickImage(images: readonly MaasImage[], series: string | undefined, architecture: string): MaasImage {
  // No series: the newest deployable image the store has for the machine, else the default release.
  const chosen = series === undefined ? (images.find((i) => i.deployable && i.architecture === architecture) ?? chooseImage(images, DEFAULT_SERIES, architecture)) : chooseImage(images, series, architecture);
  if (!chosen) {
    const known = [...new Set(images.filter((i) => i.architecture === architecture).map((i) => `${i.osystem}/${i.series}`))].join(", ");
    throw badParameter("distro_series", `'${series ?? DEFAULT_SERIES}' is not a valid distro_series.  It should be one of: ${known || "(none)"}.`);
  }
  return chosen;
}

export const deployMachine = defineOperation({
  method: "POST",
  resource: "machines/{id}",
  op: "deploy",
  params: ["user_data", "distro_series", "hwe_kernel", "comment", "agent_name", "osystem", "install_kvm", "bridge_all"],
  async run(context, params, id) {
    const userData = readUserData(params);
    const series = params.text("distro_series", { max: 64, pattern: /^([a-z0-9-]+\/)?[a-z0-9.-]+$/, hint: "Invalid distro_series." });
    const osystem = params.text("osystem", { max: 32, pattern: /^[a-z0-9-]+$/, hint: "Invalid osystem." });
    const hweKernel = params.text("hwe_kernel", { max: 64, pattern: /^[a-z0-9.-]+$/, hint: "Invalid hwe_kernel." }) ?? "";
    params.text("comment", { max: 1024 });
    for (const flag of ["install_kvm", "bridge_all"]) if (params.flag(flag)) throw badParameter(flag, `${flag} is not supported by Orchestra.`);
    const { db, topology, vendorData } = context.services;
    const images = await context.services.images();
    const requested = series === undefined ? undefined : osystem !== undefined && !series.includes("/") ? `${osystem}/${series}` : series;

    await db.transaction(async (tx) => {
      const entry = await ownedMachine(tx, context, id!, "deploy");
      if (entry.machine.status !== "allocated" && entry.machine.status !== "failed_deployment") throw wrongState(entry, "deployed");
      const image = pickImage(images, requested, entry.machine.architecture);
      // MAAS allocates before it knows the image, so the image's needs are checked here, before the machine is touched.
      if (!machineMeetsImage(entry.machine, image)) {
        const need = imageConstraints(image);
        const parts = [...(need.minMemoryMib ? [`${need.minMemoryMib} MiB of memory`] : []), ...(need.minDiskGib ? [`a disk of at least ${need.minDiskGib} GiB`] : [])];
        throw badParameter("distro_series", `${image.osystem}/${image.series} needs ${parts.join(" and ")}; ${entry.machine.hostname} has ${entry.machine.memoryMib} MiB and ${Math.floor(storageBytes(entry.machine.disks) / 1024 ** 3)} GiB.`);
      }
      const instanceId = entry.allocation.instanceId;
      try {
        await deployAllocatedWithin(tx, context.services, {
          systemId: entry.machine.systemId,
          instanceId,
          image,
          reason: `deploying ${image.osystem}/${image.series} for ${context.account} as ${instanceId} (MAAS API)`,
          instanceType: null,
          region: topology.region,
          publicKeys: [],
          userData,
          vendorData: async () => vendorData ?? null,
        });
      } catch (error) {
        if (isOrchestraError(error, "IMAGE_NOT_DEPLOYABLE")) throw badParameter("distro_series", `${image.osystem}/${image.series} has no disk image to write to a real machine; import or build one (orchestra images build-os).`);
        throw error;
      }
      await recordDeployRequest(tx, instanceId, image.osystem, image.series, hweKernel);
    });
    return machineAnswer(context, id!);
  },
});

