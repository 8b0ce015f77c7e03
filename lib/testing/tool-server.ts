/**
 * @module testing/tool-server
 * How the fake hook tools on PATH reach the world: each tool is a small bash script that
 * sends its name, argv and (for `--file -`) stdin over loopback TCP (bash's /dev/tcp) to
 * this server in the test process, which answers from the in-memory world. A tool call
 * costs a bash start, not a Node start, and needs no file locking: the server is one thread.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { answerToolCall } from "./fake-hook-tools.ts";
import type { World } from "./world.ts";

/** A running tool server. */
export interface ToolServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Parses a request: NUL-terminated fields `tool, argc, args..., stdinBytes`, then the stdin
 * bytes. Returns undefined until the whole request has arrived.
 */
export function parseToolRequest(buffer: Buffer): { tool: string; argv: string[]; stdin: string } | undefined {
  const fields: string[] = [];
  let offset = 0;
  const next = (): string | undefined => {
    const end = buffer.indexOf(0, offset);
    if (end < 0) return undefined;
    const field = buffer.subarray(offset, end).toString("utf8");
    offset = end + 1;
    return field;
  };
  const tool = next();
  const argcText = next();
  if (tool === undefined || argcText === undefined) return undefined;
  const argc = Number(argcText);
  for (let i = 0; i < argc; i++) {
    const arg = next();
    if (arg === undefined) return undefined;
    fields.push(arg);
  }
  const lengthText = next();
  if (lengthText === undefined) return undefined;
  const length = Number(lengthText);
  if (buffer.length < offset + length) return undefined;
  return { tool, argv: fields, stdin: buffer.subarray(offset, offset + length).toString("utf8") };
}

/**
 * Starts the server answering from `world`: on 127.0.0.1 (a free port), or on the unix socket
 * `socketPath` when the charm runs elsewhere (a unit of lib/testing/units reaches it through
 * its network's relay).
 */
export async function startToolServer(world: World, socketPath?: string): Promise<ToolServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const request = parseToolRequest(buffer);
      if (request === undefined) return;
      const answer = answerToolCall(world, request.tool, request.argv, request.stdin);
      const stdout = Buffer.from(answer.stdout);
      socket.end(Buffer.concat([Buffer.from(`${answer.exitCode} ${stdout.length}\n`), stdout, Buffer.from(answer.stderr)]));
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (socketPath === undefined) server.listen(0, "127.0.0.1", () => resolve());
    else server.listen(socketPath, () => resolve());
  });
  const address = server.address();
  if (address === null || (typeof address === "string" && socketPath === undefined)) throw new Error("tool server has no TCP port");
  return {
    port: typeof address === "string" ? 0 : address.port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The bash script for one tool: forwards its call to the server at `host`:`port`. */
export function toolScript(tool: string, port: number, host = "127.0.0.1"): string {
  return `#!/bin/bash
# Fake Juju hook tool "${tool}" for lib/testing: forwards the call to the test's tool server.
export LC_ALL=C
input=
prev=
for a in "$@"; do
  if { [ "$prev" = --file ] && [ "$a" = - ]; } || [ "$a" = --file=- ]; then input=$(cat; printf x); input=\${input%x}
  # A content file is read here: the agent may not see this machine's files (a harness unit).
  elif [ "$prev" = --file ]; then input=$(cat -- "$a"; printf x); input=\${input%x}
  elif [ "\${a#--file=}" != "$a" ]; then input=$(cat -- "\${a#--file=}"; printf x); input=\${input%x}
  fi
  prev=$a
done
exec 3<>/dev/tcp/${host}/${port} || { echo "ERROR fake hook tools: no tool server on ${host}:${port}" >&2; exit 97; }
{ printf '%s\\0' "${tool}" "$#" "$@" "\${#input}"; printf '%s' "$input"; } >&3
IFS=' ' read -r code length <&3
head -c "$length" <&3
cat <&3 >&2
exit "$code"
`;
}

/** Writes one script per tool into `bin`. */
export function installToolScripts(bin: string, tools: readonly string[], port: number, host = "127.0.0.1"): void {
  for (const tool of tools) {
    writeFileSync(join(bin, tool), toolScript(tool, port, host));
    chmodSync(join(bin, tool), 0o755);
  }
}
