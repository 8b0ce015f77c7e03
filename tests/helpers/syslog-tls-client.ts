/**
 * A TLS syslog client for tests against a real rsyslogd on loopback: one line sent over
 * mutual TLS, and a wait for a line to reach a file.
 */
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:tls";

/** Send one RFC 5424 line from `host` over mutual TLS; resolves when the connection is over (refused or not). */
export function sendSyslogOverTls(port: number, caPem: string, host: string, text: string, credential: { certPem: string; keyPem: string }): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, ca: caPem, servername: "127.0.0.1", cert: credential.certPem, key: credential.keyPem }, () => {
      socket.write(`<14>1 2026-01-01T00:00:00Z ${host} test - - - ${text}\n`, () => setTimeout(() => socket.end(), 200));
    });
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
  });
}

/** Waits up to 10 s for `needle` to appear in the file at `path`. */
export async function waitForLine(path: string, needle: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (existsSync(path) && readFileSync(path, "utf8").includes(needle)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${needle} never reached ${path}`);
}
