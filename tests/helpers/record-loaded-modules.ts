/**
 * A `node --import` module for tests: records the URL of every module the process loads and
 * writes them, one a line, to $ORCHESTRA_TEST_LOADED_MODULES when the process exits. Tests use
 * it to check what a command loads at start (what it does not load costs it no memory).
 */
import { registerHooks } from "node:module";
import { writeFileSync } from "node:fs";

const loaded: string[] = [];
registerHooks({
  load(url, context, next) {
    loaded.push(url);
    return next(url, context);
  },
});
process.on("exit", () => writeFileSync(process.env.ORCHESTRA_TEST_LOADED_MODULES!, `${loaded.join("\n")}\n`));
