/**
 * @module deploy/console-log
 * Machines' serial console logs, as files named by the boot MAC under `<data dir>/consoles`:
 * the lab's VMs write there, and so can a site's console server (conserver, ipmiconsole
 * for serial-over-LAN). GetConsoleOutput reads only the part written since the instance's
 * deployment began, so one owner never sees an earlier owner's console.
 */
import { statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

/** Reads machines' console logs. */
export interface ConsoleLogSource {
  /** The log's current size in bytes (0 when there is none): where a new deployment's part starts. */
  size(mac: string): Promise<number>;
  /** At most `maxBytes` of the newest text written since `offset` (all since 0 when the file was truncated since). */
  read(mac: string, offset: number, maxBytes: number): Promise<Buffer>;
}

/** EC2's limit: the newest 64 KiB of console output. */
export const CONSOLE_OUTPUT_BYTES = 64 * 1024;

/** The directory console logs live in. */
export function consoleLogDir(dataDir: string): string {
  return join(dataDir, "consoles");
}

/** The log file of the machine whose boot NIC has `mac` (aa:bb:... → aa-bb-....log). */
export function consoleLogPath(dataDir: string, mac: string): string {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) throw new Error(`not a normalised MAC: ${JSON.stringify(mac)}`);
  return join(consoleLogDir(dataDir), `${mac.replaceAll(":", "-")}.log`);
}

/** Console logs as files under `<dataDir>/consoles`. */
export function fileConsoleLogs(dataDir: string): ConsoleLogSource {
  return {
    async size(mac) {
      // Synchronous, and no error for a file that is not there (most machines have no console
      // log): it is asked inside RunInstances' transaction, where a rejected promise stat cost
      // about 200 µs of the server's thread a deployment, most of it building the ENOENT error.
      try {
        return statSync(consoleLogPath(dataDir, mac), { throwIfNoEntry: false })?.size ?? 0;
      } catch {
        return 0;
      }
    },
    async read(mac, offset, maxBytes) {
      const file = await open(consoleLogPath(dataDir, mac), "r").catch(() => undefined);
      if (!file) return Buffer.alloc(0);
      try {
        const { size } = await file.stat();
        const from = size < offset ? 0 : offset;
        const start = Math.max(from, size - maxBytes);
        const buffer = Buffer.alloc(size - start);
        await file.read(buffer, 0, buffer.length, start);
        return buffer;
      } finally {
        await file.close();
      }
    },
  };
}
