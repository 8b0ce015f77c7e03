#!/usr/bin/env node
/**
 * @module cli/main
 * The `orchestra` executable.
 */
import { runCli } from "./program.ts";

process.exitCode = await runCli(process.argv.slice(2));
