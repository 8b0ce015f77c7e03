/**
 * @module fanout/aria2/aria2-arguments
 * aria2c's command lines, written once for the server's seeder, the deploy ramdisk (rendered
 * into its script) and the benchmark's simulated nodes. aria2 is Debian's 1.36 (bookworm);
 * every option here is in `aria2c --help=#all` of that version.
 */

/**
 * A private swarm only: no DHT, no peer exchange, no local peer discovery (a private torrent
 * already turns these off; saying so keeps a public torrent given by mistake off them too),
 * no file preallocation, no console chatter, a file in place is overwritten, not renamed.
 */
export const ARIA2_PRIVATE_SWARM_ARGUMENTS: readonly string[] = [
  "--enable-dht=false",
  "--enable-dht6=false",
  "--enable-peer-exchange=false",
  "--bt-enable-lpd=false",
  "--file-allocation=none",
  "--summary-interval=0",
  "--console-log-level=warn",
  // Its console lines become the reason a node logs for falling back: no terminal colours in them.
  "--enable-color=false",
  "--allow-overwrite=true",
  "--auto-file-renaming=false",
  "--bt-save-metadata=false",
];

/** How a node fetches an image by BitTorrent. */
export interface Aria2DownloadOptions {
  readonly torrent: string;
  readonly dir: string;
  /** The file's name in `dir` (default: the torrent's name). */
  readonly out?: string;
  /** A port, or a range aria2c picks a free one from ("6881-6999"). */
  readonly listenPort: number | string;
  /** Give up when nothing arrives for this long (seconds; a shell variable in the ramdisk's script): the node falls back to HTTP. */
  readonly stallSeconds: number | string;
  /** Keep seeding this long after the download completes (minutes may be fractional); 0 exits at once. */
  readonly seedSeconds: number;
  /** Where aria2c writes its log (`-` for stdout); none by default. */
  readonly log?: string;
  readonly logLevel?: "debug" | "info" | "notice" | "warn" | "error";
}

/** The arguments of `aria2c` that download `torrent` into `dir` (and then seed for seedSeconds). */
export function aria2DownloadArguments(options: Aria2DownloadOptions): string[] {
  return swarmFileArguments(options, [
    `--bt-stop-timeout=${options.stallSeconds}`,
    // seed-ratio 0 means no ratio limit: seeding ends on --seed-time alone.
    "--seed-ratio=0.0",
    `--seed-time=${minutes(options.seedSeconds)}`,
  ]);
}

/** How a holder of the whole file (the server, or a node that has it) seeds it. */
export interface Aria2SeedOptions {
  readonly torrent: string;
  /** The directory holding the file. */
  readonly dir: string;
  /** The file's name in `dir` (default: the torrent's name). */
  readonly out?: string;
  /** A port, or a range aria2c picks a free one from ("6881-6999"). */
  readonly listenPort: number | string;
  /**
   * Seed without reading the whole file first: the server's copy was hashed when its torrent
   * was made, so hashing it again at every start would only delay the swarm.
   */
  readonly unverified: boolean;
  /** Cap on upload per torrent, bytes a second (0 or absent: none). A knob for the benchmark. */
  readonly maxUploadBytesPerSecond?: number;
  /** Stop when this process ends (the server's pid), so a crashed server leaves no orphan. */
  readonly stopWithPid?: number;
  readonly log?: string;
  readonly logLevel?: "debug" | "info" | "notice" | "warn" | "error";
}

/** The arguments of `aria2c` that seed the complete file until killed. */
export function aria2SeedArguments(options: Aria2SeedOptions): string[] {
  return swarmFileArguments(options, [
    options.unverified ? "--bt-seed-unverified=true" : "--check-integrity=true",
    "--seed-ratio=0.0",
    ...(options.maxUploadBytesPerSecond ? [`--max-upload-limit=${Math.trunc(options.maxUploadBytesPerSecond)}`] : []),
    ...(options.stopWithPid ? [`--stop-with-process=${options.stopWithPid}`] : []),
  ]);
}

/** What every aria2c of a swarm is given around its own options: the private swarm, the file, the port, the log, the torrent last. */
function swarmFileArguments(
  options: { readonly torrent: string; readonly dir: string; readonly out?: string; readonly listenPort: number | string; readonly log?: string; readonly logLevel?: string },
  own: readonly string[],
): string[] {
  return [
    ...ARIA2_PRIVATE_SWARM_ARGUMENTS,
    `--dir=${options.dir}`,
    ...(options.out ? [`--index-out=1=${options.out}`] : []),
    `--listen-port=${options.listenPort}`,
    ...own,
    ...(options.log ? [`--log=${options.log}`, `--log-level=${options.logLevel ?? "notice"}`] : []),
    `--torrent-file=${options.torrent}`,
  ];
}

function minutes(seconds: number): string {
  return (Math.max(0, seconds) / 60).toFixed(4);
}
