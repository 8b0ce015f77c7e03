/**
 * @module cli/commands/images
 * `orchestra images ...`: import, build, list and remove boot images.
 */
import { Command } from "commander";
import cliProgress from "cli-progress";
import { OrchestraError } from "../../errors.ts";
import { buildDiscoveryImage } from "../../images/build-discovery.ts";
import { buildOsImage } from "../../images/build-os-image.ts";
import { DEFAULT_OS_IMAGE_CACHE_DIR } from "../../images/os-image-cache.ts";
import { IMAGE_ROLES, type BootImage, type ImageRole } from "../../images/boot-image.ts";
import { listImages, removeImage } from "../../images/image-store.ts";
import { importImage, type ImageSource, type ProgressListener } from "../../images/import-image.ts";
import { resolveDataDir } from "../../store/data-dir.ts";
import { parseWholeNumber } from "../parse-options.ts";
import { DEFAULT_TOPOLOGY } from "../../ec2/model/ec2-services.ts";
import { publishSimplestreams } from "../../images/simplestreams-publish.ts";
import { formatBytes, printJson, renderTable, type Column } from "../output.ts";

const COLUMNS: Column<BootImage>[] = [
  { heading: "ID", value: (i) => i.id },
  { heading: "NAME", value: (i) => i.name },
  { heading: "ROLE", value: (i) => i.role },
  { heading: "RELEASE", value: (i) => i.release },
  { heading: "ARCH", value: (i) => i.architecture },
  { heading: "KERNEL", value: (i) => formatBytes(i.files.kernel.sizeBytes) },
  { heading: "INITRD", value: (i) => formatBytes(i.files.initrd.sizeBytes) },
  // What a machine must have to take the image (its root written out, and memory).
  { heading: "NEEDS-DISK", value: (i) => (i.files.root ? formatBytes(i.minDiskBytes ?? i.files.root.sizeBytes) : "-") },
  { heading: "NEEDS-MEMORY", value: (i) => (i.minMemoryMib ? formatBytes(i.minMemoryMib * 1024 ** 2) : "-") },
  { heading: "SOURCE", value: (i) => i.source },
];

function printImage(image: BootImage, json: boolean | undefined, verb: string): void {
  if (json) printJson(image);
  else process.stdout.write(`${verb} ${image.id} (${image.name}, ${image.role}, ${image.release}/${image.architecture})\n`);
}

/** A progress bar on a terminal, nothing otherwise (logs and pipes get no control characters). */
function progressBar(): { listener: ProgressListener | undefined; stop: () => void } {
  if (!process.stderr.isTTY) return { listener: undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ format: "{file} [{bar}] {percentage}% {value}/{total} bytes", stream: process.stderr }, cliProgress.Presets.shades_classic);
  let current: string | undefined;
  return {
    listener: (file, received, total) => {
      if (file !== current) {
        if (current) bar.stop();
        current = file;
        bar.start(total ?? 0, 0, { file });
      }
      bar.update(received, { file });
    },
    stop: () => bar.stop(),
  };
}

/** The `images` command group. */
export function imagesCommand(): Command {
  const images = new Command("images").description("boot images: kernels, initrds and root images that machines network-boot");

  images
    .command("import")
    .description("register a boot image set from a directory, an installed Debian package, or URLs with checksums")
    .option("--dir <path>", "a local directory holding a kernel (vmlinuz*, linux) and an initrd (initrd*)")
    .option("--package <name>", "an installed Debian package, e.g. debian-installer-12-netboot-amd64 or linux-image-amd64")
    .option("--kernel <name|url>", "the kernel's file name (with --dir) or URL")
    .option("--initrd <name|url>", "the initrd's file name (with --dir) or URL")
    .option("--root <name|url>", "an optional root image's file name (with --dir) or URL")
    .option("--kernel-sha256 <hex>", "the kernel's SHA-256 (required with URLs)")
    .option("--initrd-sha256 <hex>", "the initrd's SHA-256 (required with URLs)")
    .option("--root-sha256 <hex>", "the root image's SHA-256 (required with a root URL)")
    .requiredOption("--name <name>", "a name for the image")
    .option("--role <role>", `what it is for: ${IMAGE_ROLES.join(", ")}`, "os")
    .option("--release <release>", "release, e.g. bookworm", "unknown")
    .option("--arch <arch>", "architecture", "amd64")
    .option("--min-memory-mib <n>", "the least memory a machine needs to deploy and run the root image (RunInstances and machines deploy never give it less)")
    .option("--json", "print the image as JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const minMemoryMib = o.minMemoryMib === undefined ? undefined : parseWholeNumber("--min-memory-mib", o.minMemoryMib);
      const given = [o.dir, o.package, /^https?:/i.test(o.kernel ?? "") ? o.kernel : undefined].filter(Boolean);
      if (given.length !== 1) throw new OrchestraError("INVALID_ARGUMENT", "give exactly one source: --dir PATH, --package NAME, or --kernel URL --initrd URL with their --*-sha256");
      let source: ImageSource;
      if (o.dir) source = { kind: "directory", path: o.dir, kernel: o.kernel, initrd: o.initrd, root: o.root };
      else if (o.package) source = { kind: "package", name: o.package };
      else {
        if (!o.initrd) throw new OrchestraError("MISSING_ARGUMENT", "a URL import needs --initrd URL as well as --kernel URL");
        source = { kind: "url", kernel: o.kernel, initrd: o.initrd, root: o.root, sha256: { kernel: o.kernelSha256, initrd: o.initrdSha256, root: o.rootSha256 } };
      }
      const progress = progressBar();
      try {
        const image = await importImage(resolveDataDir(o.dataDir), { name: o.name, role: o.role as ImageRole, release: o.release, architecture: o.arch, source: o.dir ?? "", ...(minMemoryMib === undefined ? {} : { minMemoryMib }) }, source, progress.listener);
        progress.stop();
        printImage(image, o.json, "imported");
      } finally {
        progress.stop();
      }
    });

  images
    .command("build-discovery")
    .description("build the discovery ramdisk from Debian's busybox-static and linux-image-amd64, and register it")
    .option("--kernel-version <version>", "kernel version (default: the one linux-image-amd64 depends on)")
    .option("--json", "print the image as JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const image = await buildDiscoveryImage(resolveDataDir(o.dataDir), { kernelVersion: o.kernelVersion });
      printImage(image, o.json, "built");
    });

  images
    .command("build-os")
    .description("build a Debian disk image with cloud-init (debootstrap, an MBR disk with a syslinux FAT boot partition and an ext4 root) and register it as an os image")
    .option("--suite <suite>", "Debian suite to debootstrap", "bookworm")
    .option("--mirror <url>", "Debian mirror (default: the host's apt source for the suite)")
    .option("--cache-dir <dir>", "where finished images are kept by recipe, so a second build is a copy", DEFAULT_OS_IMAGE_CACHE_DIR)
    .option("--extra-packages <names>", "comma-separated packages to install as well (e.g. openssh-server)")
    .option("--rebuild", "build even if the cache holds this recipe")
    .option("--json", "print the image as JSON")
    .addHelpText("after", "\nThe image's partition 2 is the root file system (rootPartition in the image record); the deploy step\nwrites /etc/cloud/cloud.cfg.d/99-orchestra.cfg there with the machine's NoCloud seed URL (docs/images.md).\nNeeds root and debootstrap, syslinux, syslinux-common, mtools, dosfstools, e2fsprogs, fdisk.\n")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const image = await buildOsImage(resolveDataDir(o.dataDir), {
        suite: o.suite,
        mirror: o.mirror,
        cacheDir: o.cacheDir,
        extraPackages: o.extraPackages ? String(o.extraPackages).split(",").map((p) => p.trim()).filter(Boolean) : [],
        rebuild: Boolean(o.rebuild),
        onProgress: (message) => process.stderr.write(`build-os: ${message}\n`),
      });
      printImage(image, o.json, "built");
    });

  images
    .command("simplestreams")
    .description("write the signed simplestreams index of the deployable images that Juju's aws provider reads (served by serve at /streams/v1/)")
    .option("--region <name>", "the region the index is for: the one serve --region presents and Juju's cloud names", DEFAULT_TOPOLOGY.region)
    .option("--endpoint <url>", "the endpoint Juju's cloud names for that region (default: https://ec2.<region>.amazonaws.com, as Juju's aws cloud has it)")
    .option("--json", "print what was written as JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const published = await publishSimplestreams(resolveDataDir(o.dataDir), { region: o.region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
      if (o.json) printJson(published);
      else {
        process.stdout.write(`wrote ${published.productIds.length} product(s) for ${published.cloud.region} (${published.cloud.endpoint}) to ${published.dir}
`);
        process.stdout.write(`signed by ${published.fingerprint}; public key: ${published.publicKeyPath}
`);
      }
    });

  images
    .command("list")
    .description("list boot images")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const list = await listImages(resolveDataDir(o.dataDir));
      if (o.json) printJson(list);
      else process.stdout.write(list.length ? renderTable(list, COLUMNS) : "no images\n");
    });

  images
    .command("remove")
    .description("remove a boot image")
    .argument("<id>", "image id (ami-...)")
    .action(async (id: string, _options, command: Command) => {
      await removeImage(resolveDataDir(command.optsWithGlobals().dataDir), id);
      process.stdout.write(`removed ${id}\n`);
    });

  return images;
}
