/**
 * @module boot/ipxe-scripts
 * The iPXE scripts the boot service renders per request: pure functions of the machine's
 * state at that moment and the images on hand (DESIGN.md, "The boot path", step 2).
 */

/** Where the boot service is and what a node should boot for each branch. */
export interface BootScriptContext {
  /** The boot service's base URL as the node sees it, e.g. http://192.0.2.1:5248. */
  readonly baseUrl: string;
  /** Extra kernel arguments for every Linux boot (serial console, for instance). */
  readonly kernelArgs?: string;
  /**
   * Where nodes fetch image files (`<imageBaseUrl>/<ami-id>/kernel`), when something else
   * serves `<data dir>/images` (nginx with sendfile, say); default: `<baseUrl>/images`.
   */
  readonly imageBaseUrl?: string;
}

/** A kernel+initrd pair the service serves. */
export interface BootImageRef {
  readonly id: string;
}

/** Which script a machine gets, chosen from its state. */
export type BootBranch =
  | { readonly kind: "discovery"; readonly image: BootImageRef }
  | { readonly kind: "commissioning"; readonly image: BootImageRef; readonly systemId: string; readonly token: string }
  | { readonly kind: "deploy"; readonly image: BootImageRef; readonly systemId: string; readonly token: string }
  | { readonly kind: "erase"; readonly image: BootImageRef; readonly systemId: string; readonly token: string; readonly mode: string }
  | { readonly kind: "local-disk"; readonly systemId: string }
  | { readonly kind: "power-off"; readonly reason: string }
  | { readonly kind: "unavailable"; readonly reason: string };

// iPXE expands ${...} itself; these strings are passed through untouched.
const NODE_MAC = "${netX/mac}";
const NODE_MAC_HYPHENS = "${netX/mac:hexhyp}";

/** iPXE treats these characters specially in a command line; keep them out of what we interpolate. */
function checkArg(value: string): string {
  if (/[\s${}#"'\\]/.test(value)) throw new Error(`refusing to put ${JSON.stringify(value)} into an iPXE script`);
  return value;
}

function linuxBoot(ctx: BootScriptContext, title: string, image: BootImageRef, args: string): string {
  const base = ctx.baseUrl.replace(/\/+$/, "");
  const files = checkArg((ctx.imageBaseUrl ?? `${base}/images`).replace(/\/+$/, ""));
  const id = checkArg(image.id);
  const extra = ctx.kernelArgs ? ` ${ctx.kernelArgs}` : "";
  return [
    "#!ipxe",
    `echo Orchestra: ${title}`,
    `kernel ${files}/${id}/kernel initrd=initrd ${args} BOOTIF=01-${NODE_MAC_HYPHENS}${extra} || goto failed`,
    `initrd --name initrd ${files}/${id}/initrd || goto failed`,
    "boot || goto failed",
    ":failed",
    "echo Orchestra: boot failed; retrying in 10 seconds",
    "sleep 10",
    `chain --autofree ${base}/boot.ipxe`,
    "",
  ].join("\n");
}

/**
 * Seconds iPXE waits before asking again when it got no per-MAC script: the server refused
 * it (429: many unknown machines powering on at once meet the boot path's rate limits) or
 * could not be reached.
 */
export const BOOT_RETRY_DELAY_S = 10;

/** The script every iPXE client first gets: chain to the per-MAC script, and ask again until one comes. */
export function renderChainScript(ctx: BootScriptContext): string {
  const base = ctx.baseUrl.replace(/\/+$/, "");
  // netX is the interface iPXE booted from, so the MAC is the one DHCP saw. Without the retry,
  // a refused machine fell back to its firmware, which may boot a stale disk or stop.
  return [
    "#!ipxe",
    ":retry",
    `chain --autofree ${base}/boot/${NODE_MAC_HYPHENS}.ipxe || goto failed`,
    // A chained script that returns (local disk: `exit`) hands control back to the firmware here too.
    "exit",
    ":failed",
    `echo Orchestra: no boot script for \${netX/mac}; retrying in ${BOOT_RETRY_DELAY_S} seconds`,
    `sleep ${BOOT_RETRY_DELAY_S}`,
    "goto retry",
    "",
  ].join("\n");
}

/** The script for one machine's branch. */
export function renderBootScript(ctx: BootScriptContext, branch: BootBranch): string {
  const base = ctx.baseUrl.replace(/\/+$/, "");
  switch (branch.kind) {
    case "discovery":
      return linuxBoot(ctx, `unknown machine ${NODE_MAC}, booting discovery`, branch.image, `orchestra.url=${base} orchestra.mode=enlist`);
    case "commissioning":
      return linuxBoot(ctx, `commissioning ${checkArg(branch.systemId)}`, branch.image, `orchestra.url=${base} orchestra.mode=commissioning orchestra.system_id=${checkArg(branch.systemId)} orchestra.token=${checkArg(branch.token)}`);
    case "deploy":
      return linuxBoot(ctx, `deploying ${checkArg(branch.systemId)}`, branch.image, `orchestra.url=${base} orchestra.mode=deploy orchestra.system_id=${checkArg(branch.systemId)} orchestra.token=${checkArg(branch.token)}`);
    case "erase":
      return linuxBoot(ctx, `erasing the disks of ${checkArg(branch.systemId)}`, branch.image, `orchestra.url=${base} orchestra.mode=erase orchestra.system_id=${checkArg(branch.systemId)} orchestra.token=${checkArg(branch.token)} orchestra.erase=${checkArg(branch.mode)}`);
    case "local-disk":
      // exit hands control back to the firmware, which tries the next boot device: the disk.
      return ["#!ipxe", `echo Orchestra: ${checkArg(branch.systemId)} is deployed, booting from local disk`, "exit", ""].join("\n");
    case "power-off":
      return [
        "#!ipxe",
        `echo Orchestra: ${oneLine(branch.reason)}; powering off`,
        "poweroff || goto halt",
        ":halt",
        "echo Orchestra: this firmware cannot power off; waiting",
        "sleep 3600",
        "goto halt",
        "",
      ].join("\n");
    case "unavailable":
      // Nothing to boot (no discovery image yet): retry rather than fall through to a stale disk.
      return ["#!ipxe", `echo Orchestra: ${oneLine(branch.reason)}; retrying in 30 seconds`, "sleep 30", `chain --autofree ${base}/boot.ipxe`, ""].join("\n");
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n$]/g, " ");
}
