import { describe, expect, it } from "vitest";
import { parseLdd } from "../../lib/images/shared-libraries.ts";

describe("ldd output", () => {
  it("yields libraries and the loader, not the vDSO", () => {
    const text = [
      "\tlinux-vdso.so.1 (0x00007ffd)",
      "\tlibfreeipmi.so.17 => /lib/x86_64-linux-gnu/libfreeipmi.so.17 (0x00007f)",
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)",
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f)",
    ].join("\n");
    expect(parseLdd(text)).toEqual(["/lib/x86_64-linux-gnu/libfreeipmi.so.17", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
  });

  it("refuses a program whose library is missing", () => {
    expect(() => parseLdd("\tlibgone.so.1 => not found")).toThrow(/missing/);
  });
});
