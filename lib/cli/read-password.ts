/**
 * @module cli/read-password
 * A password for a command, never from its arguments (they show in `ps` and shell history):
 * typed at a prompt without echo on a terminal, else the first line of standard input.
 */
import { OrchestraError } from "../errors.ts";

/** Read one line from stdin: silently at a terminal (asked twice), else piped. */
export async function readPassword(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.from(chunk));
    const line = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
    if (line === "") throw new OrchestraError("MISSING_ARGUMENT", "no password on standard input: pipe it in (one line) or run at a terminal to be asked");
    return line;
  }
  const first = await typeSilently(`${prompt}: `, input, output);
  const second = await typeSilently(`${prompt} (again): `, input, output);
  if (first !== second) throw new OrchestraError("INVALID_ARGUMENT", "the two passwords differ");
  return first;
}

function typeSilently(prompt: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt);
    let typed = "";
    input.setRawMode(true);
    input.resume();
    const onData = (data: Buffer) => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done(() => resolve(typed));
        if (ch === "\u0003") return done(() => reject(new OrchestraError("MISSING_ARGUMENT", "cancelled")));
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    const done = (finish: () => void) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      output.write("\n");
      finish();
    };
    input.on("data", onData);
  });
}
