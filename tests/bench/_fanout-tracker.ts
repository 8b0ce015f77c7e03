/**
 * The fan-out benchmark's tracker process: lib/fanout's token-gated tracker, run inside the
 * server's network namespace (a process cannot listen in another namespace, so the
 * benchmark starts this one there). It admits exactly the tokens in the file it is given,
 * one per simulated node, and only for the image's infohash, as the product's authorizer
 * admits live deployment tokens of an image; everything else is refused.
 *
 * Run as: node _fanout-tracker.ts <host> <port> <infohash> <tokens file>
 * Prints "listening <url>" once it answers; at SIGTERM, the number of announces admitted and
 * refused, then exits.
 */
import { readFileSync } from "node:fs";
import { startFanoutTracker } from "../../lib/fanout/index.ts";

const [host = "", port = "", infoHash = "", tokensFile = ""] = process.argv.slice(2);
const tokens = new Map(readFileSync(tokensFile, "utf8").split("\n").filter(Boolean).map((token, i) => [token, `n${i + 1}`]));
let admitted = 0;
let refused = 0;
const quiet = () => {};
const tracker = await startFanoutTracker({
  host,
  port: Number(port),
  authorize: async (caller) => {
    const label = tokens.get(caller.token);
    if (!label) return refused++, { refused: "no live deployment holds this token" };
    if (caller.infoHash !== infoHash) return refused++, { refused: "this token's deployment is not of that image" };
    admitted++;
    return { label };
  },
  // The benchmark counts announces; a log line per announce would only cost the machine CPU.
  log: { info: quiet, warn: quiet, debug: quiet },
});
console.log(`listening ${tracker.url}`);
process.on("SIGTERM", () => {
  console.log(`announces admitted ${admitted} refused ${refused}`);
  void tracker.close().finally(() => process.exit(0));
});
