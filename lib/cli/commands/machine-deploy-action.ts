/**
 * @module cli/commands/machine-deploy-action
 * What `orchestra machines deploy` does (lib/cli/commands/machine-deploy.ts declares it): it
 * takes the path RunInstances takes: the inventory's allocation (the named machine, or the
 * cheapest ready one that fits the image's disk and memory needs) moving the machine on to
 * deploying in the same write of its row, then recordDeploymentWithin, in one transaction.
 * Loaded only when the command runs: it brings
 * the deployment, image and metadata code (and node:net, node:stream), which every other
 * `machines` command, `machines list` first, does not need.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { deploymentOf } from "../../deploy/deployment-rows.ts";
import { recordDeploymentWithin } from "../../deploy/deploy-allocated-machine.ts";
import type { Image } from "../../ec2/model/image-catalogue.ts";
import { describeImageNeed, imageConstraints } from "../../images/image-needs.ts";
import { availableImages, storeImageSource } from "../../ec2/model/image-source.ts";
import { parseSshPublicKey } from "../../ec2/keys/ssh-public-key.ts";
import { OrchestraError, isOrchestraError } from "../../errors.ts";
import { assertTransition } from "../../inventory/lifecycle.ts";
import { machineView } from "../../inventory/machine-view.ts";
import type { PublicKey } from "../../metadata/metadata-source.ts";
import { MAX_USER_DATA_BYTES } from "../../metadata/store-metadata-source.ts";
import { resolveDataDir } from "../../store/data-dir.ts";
import { withInventory } from "../context.ts";
import { formatBytes, printJson } from "../output.ts";
import { manualInstructions } from "./manual-instructions.ts";
import { waitForStatus, waitTimes } from "./machine-wait.ts";

/** The image by id, or by name: the newest of that name (build-os registers a new image each run). */
function pickImage(images: readonly Image[], wanted: string): Image {
  const byId = images.find((i) => i.imageId === wanted);
  if (byId) return byId;
  const newest = images.filter((i) => i.name === wanted).sort((a, b) => b.creationDate.localeCompare(a.creationDate))[0];
  if (newest) return newest;
  throw new OrchestraError("IMAGE_NOT_FOUND", `no image ${JSON.stringify(wanted)}: orchestra images list shows the images here (build one with orchestra images build-os)`, { id: wanted });
}

async function readUserData(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new OrchestraError("INVALID_ARGUMENT", `cannot read --user-data ${JSON.stringify(path)}: ${error.code ?? error.message}`);
  });
  if (bytes.length > MAX_USER_DATA_BYTES) throw new OrchestraError("INVALID_ARGUMENT", `--user-data ${JSON.stringify(path)} is ${bytes.length} bytes; user data is limited to ${MAX_USER_DATA_BYTES} bytes, as on EC2`);
  return new Uint8Array(bytes);
}

/** Every key in OpenSSH public key files (authorized_keys lines; blank lines and comments skipped). */
async function readSshKeys(paths: readonly string[]): Promise<PublicKey[]> {
  const keys: PublicKey[] = [];
  for (const path of paths) {
    const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new OrchestraError("INVALID_ARGUMENT", `cannot read --ssh-key ${JSON.stringify(path)}: ${error.code ?? error.message}`);
    });
    const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    if (lines.length === 0) throw new OrchestraError("INVALID_ARGUMENT", `--ssh-key ${JSON.stringify(path)} holds no public key`);
    for (const [n, line] of lines.entries()) {
      try {
        parseSshPublicKey(line);
      } catch (error) {
        if (!isOrchestraError(error)) throw error;
        throw new OrchestraError("INVALID_ARGUMENT", `--ssh-key ${JSON.stringify(path)}, key ${n + 1}: ${error.message} (give a public key, e.g. ~/.ssh/id_ed25519.pub)`);
      }
      keys.push({ name: `cli-${keys.length}`, openssh: line });
    }
  }
  return keys;
}

/** Run `machines deploy [ref]` with the options on `command`. */
export async function deployAction(ref: string | undefined, command: Command): Promise<void> {
  const o = command.optsWithGlobals();
  const times = waitTimes(o as { timeoutSeconds: string; intervalMs: string });
  // Everything the caller gives is read and checked before the store is touched.
  const userData = o.userData === undefined ? null : await readUserData(o.userData);
  const publicKeys = await readSshKeys(o.sshKey ?? []);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(o.region)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --region ${JSON.stringify(o.region)}: lower-case letters, digits and '-'`);
  await withInventory(o, async (inventory) => {
    const image = pickImage(await availableImages(storeImageSource(resolveDataDir(o.dataDir))), o.image);
    const named = ref === undefined ? undefined : await inventory.getMachine(ref);
    if (named) assertTransition(ref === named.systemId ? named.systemId : `${ref} (${named.systemId})`, named.status, "allocated");
    const { instance, machine } = await inventory.db.transaction(async (tx) => {
      const constraints = {
        architecture: image.debianArchitecture,
        ...imageConstraints(image),
        ...(o.instanceType === undefined ? {} : { instanceType: o.instanceType }),
        ...(o.zone === undefined ? {} : { zone: o.zone }),
        ...(named ? { systemIds: [named.systemId] } : {}),
      };
      let allocation;
      try {
        // Ready → allocated → deploying in one write of the machine's row, as RunInstances does (one asked, one answered, or NO_CAPACITY).
        allocation = (
          await inventory.allocateManyWithin(tx, constraints, o.account, { min: 1, max: 1 }, {
            to: "deploying",
            reason: (instance) => `deploying ${image.name} for ${o.account} as ${instance.instanceId} (orchestra machines deploy)`,
          })
        )[0]!;
      } catch (error) {
        if (!isOrchestraError(error, "NO_CAPACITY")) throw error;
        const need = describeImageNeed(image);
        const what = named ? `machine ${ref} (${named.architecture}, ${named.cpus} cpus, ${formatBytes(named.memoryMib * 1024 ** 2)} memory, ${formatBytes(named.disks.reduce((sum, d) => sum + d.sizeBytes, 0))} disk) cannot take the image` : "no ready machine can take the image";
        throw new OrchestraError("NO_CAPACITY", `${what}: ${error.message}${need ? `; ${need}` : ""}`, {}, { cause: error });
      }
      const deployed = await recordDeploymentWithin(tx, { db: inventory.db, inventory, now: () => new Date() }, allocation.machine, {
        instanceId: allocation.instance.instanceId,
        image,
        newInstance: true,
        instanceType: o.instanceType ?? null,
        region: o.region,
        publicKeys,
        userData,
        // serve's --vendor-data and --node-* setup live in that process, not in the store.
        vendorData: async () => null,
      });
      return { instance: allocation.instance, machine: deployed };
    });
    const view = machineView(machine, inventory.powerTypes);
    if (!o.json) {
      process.stdout.write(`deploying ${image.imageId} (${image.name}) onto ${view.hostname} (${view.systemId}) as ${instance.instanceId} for ${o.account}${view.power.testOnly ? "; power type fake: TEST ONLY, deployed at once" : ""}\n`);
      process.stdout.write(await manualInstructions([machine]));
    }
    const final = o.wait
      ? (await waitForStatus(inventory, [machine.systemId], "deployed", {
          ...times,
          progress: process.stderr.isTTY === true && !o.json,
          detail: async (m) => {
            const d = m.status === "deploying" ? await deploymentOf(inventory.db, m.systemId) : undefined;
            return d ? `${d.phase}${d.bytesTotal ? ` ${formatBytes(d.bytesDone)} of ${formatBytes(d.bytesTotal)}` : ""}` : "";
          },
        }))[0]!
      : machine;
    if (o.json) printJson({ instance, image: { imageId: image.imageId, name: image.name }, machine: machineView(final, inventory.powerTypes) });
    else if (o.wait) process.stdout.write(`${final.hostname}: ${final.status}\n`);
  });
}
