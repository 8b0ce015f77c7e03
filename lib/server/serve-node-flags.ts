/**
 * @module server/serve-node-flags
 * The Node flags `orchestra serve` runs with. V8 sizes its heap once, when the process starts,
 * so they go on node's own command line, before the CLI's entry: bin/orchestra, the charm's
 * systemd unit, the lab and the boot-file benchmark all put them there.
 *
 * --max-semi-space-size=1 (MiB): V8's young generation starts small and doubles its two
 * semi-spaces, up to V8's own cap, while a program allocates fast: loading the modules at
 * start, and a boot storm's per-request objects. The pages it grew into stay resident: at 300
 * clients serve's V8 heap peaked at 94 MiB (35 MiB with this flag) for 30-53 MiB in use. With 1 MiB a boot storm's short-lived objects are collected as often as they fill
 * it (each scavenge copies only the few that live on; most of a file's bytes are written from
 * one held Buffer and allocate nothing: boot/file-sender.ts). Measured with the lazy loading
 * of execa, undici and node-forge, back to back against the code before both, on the built
 * CLI (tests/bench/boot-http.ts, 36.6 MiB per client, load 5-6): RSS before any client
 * 112 -> 88 MiB, peak at 100 clients 162 -> 128 MiB, at 1,000 clients 207 -> 154 MiB; server
 * CPU per GiB 0.43 -> 0.46 s at 100 clients and 0.41 -> 0.43 s at 1,000 (nginx 0.12 and
 * 0.16 in both runs): within this machine's run-to-run noise. The cost shows on the EC2 API's
 * large listings instead: DescribeInstances of 1,000 and 10,000 instances took 1.15-1.21x
 * the server CPU with this flag (34 and 332 ms against 29.5 and 274 ms, tests/bench/ec2-api.ts
 * back to back at load 2.5-3.5), while RSS stayed flat (153 and 177 MiB against 226 and 297);
 * 8 MiB gave 29.5 and 266 ms but 163 MiB at 1,000 boot clients against 152. The listing
 * then allocated less for each instance (its XML straight into 64 KiB Buffers, 100 rows per
 * query, groups in the row's query: ec2/xml/xml-chunks.ts, ec2/model/instance-records.ts):
 * with this flag, the built CLI and moto in the same run (tests/bench/ec2-api.ts, which now
 * starts serve so), 29.5-30 -> 22.5-23.5 ms at 1,000 and 286-300 -> 224-234 ms at 10,000
 * (load 1.1-2.5), 51-53x moto's CPU where it was 41x.
 */
export const SERVE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1"];
