#!/usr/bin/env node
/**
 * @module cli/main
 * The `orchestra` executable. It imports nothing statically: on a Node older than 24 the
 * rest of the CLI fails to load (node:sqlite and newer syntax), so the version is checked
 * first and refused in one plain line instead of a loader stack trace.
 */
const MINIMUM_NODE_MAJOR = 24;

const major = Number(process.versions.node.split(".")[0]);
if (major < MINIMUM_NODE_MAJOR) {
  process.stderr.write(
    `orchestra: error [NODE_TOO_OLD]: Orchestra needs Node ${MINIMUM_NODE_MAJOR} or newer, this is Node ${process.versions.node}; ` +
      `run it as bin/orchestra (or npx orchestra) from a checkout after \`npm ci\`, which brings its own Node ${MINIMUM_NODE_MAJOR}\n`,
  );
  process.exitCode = 1;
} else {
  // V8's compiled code for every module is kept on disk between runs (in $NODE_COMPILE_CACHE,
  // else the temporary directory): about a third of a command's start was compiling the
  // same modules again (tests/bench/cli-start.ts).
  (await import("node:module")).enableCompileCache();
  // A reader that stops early (`orchestra machines list --json | head`) closes the pipe: the
  // next write fails with EPIPE, which Node raises as an unhandled error with a stack trace.
  // Like other Unix tools, stop quietly instead: the reader has all it wanted.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
  });
  const { runCli } = await import("./program.ts");
  process.exitCode = await runCli(process.argv.slice(2));
}
