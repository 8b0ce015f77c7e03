/**
 * @module hookenv/ports
 * open-port, close-port and opened-ports. A port is written as Juju writes it:
 * `80/tcp`, `8000-8100/udp` or `icmp`.
 */
import { OrchestraError } from "../errors.ts";
import { runTool, runToolJson } from "./run-tool.ts";

const PORT_SPEC = /^(icmp|([0-9]{1,5})(-([0-9]{1,5}))?\/(tcp|udp))$/;

/** Throws unless `spec` is a port in Juju's form, so a typo fails here and not in Juju. */
export function assertPortSpec(spec: string): void {
  const m = PORT_SPEC.exec(spec);
  const bad = () => new OrchestraError("INVALID_ARGUMENT", `not a port (want 80/tcp, 8000-8100/udp or icmp): ${spec}`);
  if (!m) throw bad();
  if (m[1] === "icmp") return;
  const from = Number(m[2]);
  const to = m[4] === undefined ? from : Number(m[4]);
  if (from < 1 || to > 65535 || to < from) throw bad();
}

/** Opens a port on the unit. */
export async function openPort(spec: string): Promise<void> {
  assertPortSpec(spec);
  await runTool(["open-port", spec]);
}

/** Closes a port on the unit. */
export async function closePort(spec: string): Promise<void> {
  assertPortSpec(spec);
  await runTool(["close-port", spec]);
}

/** The ports this unit has open. */
export async function openedPorts(): Promise<string[]> {
  return (await runToolJson<string[]>(["opened-ports", "--format=json"])) ?? [];
}
