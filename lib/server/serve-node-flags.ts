/**
 * @module server/serve-node-flags
 * The Node flags `orchestra serve` runs with. V8 sizes its heap once, when the process starts,
 * so they go on node's own command line, before the CLI's entry: bin/orchestra, the charm's
 * systemd unit, the lab and the boot-file benchmark all put them there.
 *
 * --max-semi-space-size=1 (MiB): V8's young generation starts small and doubles its two
 * semi-spaces, up to 16 MiB each on this machine, while a program allocates fast: loading
 * the modules at start, and a boot storm's per-request objects. The pages it grew into stay
 * resident. With 1 MiB a boot storm's short-lived objects are collected as often as they fill
 * it (each scavenge copies only the few that live on; most of a file's bytes are written from
 * one held Buffer and allocate nothing: boot/file-sender.ts). Measured on the built CLI
 * (tests/bench/boot-http.ts, 36.6 MiB per client): RSS before any client 100 -> 89 MiB, peak
 * at 1,000 clients 187 -> 150 MiB, server CPU per GiB no worse (0.82 -> 0.45 s/GiB, figures
 * in the commit that set it).
 */
export const SERVE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1"];
