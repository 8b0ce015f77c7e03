/**
 * The CLI loads only the command group a command line names; every other group is a stub
 * made from COMMAND_TABLE. These tests keep the table true to the groups themselves, so
 * `orchestra --help` shows what it showed when every group was loaded.
 */
import { Command, Help } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, COMMAND_TABLE, commandNamed } from "../../lib/cli/program.ts";

describe("the CLI's command table", () => {
  it("names, summarises and shows each group as the group itself does", async () => {
    const help = new Help();
    const parent = new Command("orchestra");
    for (const entry of COMMAND_TABLE) {
      const command = await entry.load();
      parent.addCommand(command);
      expect([command.name(), command.description(), help.subcommandTerm(command)]).toEqual([entry.name, entry.summary, entry.term]);
    }
  });

  it("prints the same --help with stubs as with every group loaded", async () => {
    const render = (program: Command) => program.helpInformation();
    expect(render(await buildProgram(["--help"]))).toEqual(render(await buildProgram()));
  });

  it("finds the group a command line names, past global options and their values", () => {
    expect(commandNamed(["machines", "list", "--json"])).toBe("machines");
    expect(commandNamed(["--data-dir", "serve", "machines", "list"])).toBe("machines");
    expect(commandNamed(["--data-dir=/x", "zones"])).toBe("zones");
    expect(commandNamed(["help", "--data-dir", "x", "images"])).toBe("images");
    expect(commandNamed(["help"])).toBe("help");
    expect(commandNamed(["--help"])).toBeUndefined();
    expect(commandNamed(["--", "machines"])).toBeUndefined();
  });

  it("loads the named group whole and leaves the others as stubs", async () => {
    const program = await buildProgram(["--data-dir", "/nowhere", "machines", "list"]);
    const machines = program.commands.find((c) => c.name() === "machines")!;
    const serve = program.commands.find((c) => c.name() === "serve")!;
    expect(machines.commands.map((c) => c.name())).toContain("list");
    expect(serve.options).toEqual([]);
  });
});
