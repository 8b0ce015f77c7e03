/**
 * MAAS request parameters: query string plus urlencoded or multipart bodies (the `maas` CLI
 * and python-libmaas send multipart), repeated and comma-separated lists, and refusals that
 * name the parameter.
 */
import { describe, expect, it } from "vitest";
import { readMaasParams } from "../../../lib/maas/http/request-params.ts";

describe("readMaasParams", () => {
  it("reads the query and an urlencoded body together", () => {
    const params = readMaasParams("/MAAS/api/2.0/machines/?op=allocate", "application/x-www-form-urlencoded", Buffer.from("tags=a&tags=b,c&cpu_count=2.5"));
    expect(params.one("op")).toBe("allocate");
    expect(params.nameList("tags", /^[a-z]+$/, "bad")).toEqual(["a", "b", "c"]);
    expect(params.number("cpu_count", "bad")).toBe(3);
  });

  it("reads a multipart body as the maas CLI sends it", () => {
    const body = ["--XyZ", 'Content-Disposition: form-data; name="agent_name"', "", "juju", "--XyZ", 'Content-Disposition: form-data; name="user_data"', "", "IyEvYmluL3NoCg==", "--XyZ--", ""].join("\r\n");
    const params = readMaasParams("/x?op=deploy", "multipart/form-data; boundary=XyZ", Buffer.from(body));
    expect([params.one("agent_name"), params.one("user_data"), params.one("op")]).toEqual(["juju", "IyEvYmluL3NoCg==", "deploy"]);
  });

  it("refuses other bodies and malformed values, naming the parameter", () => {
    expect(() => readMaasParams("/x", "application/json", Buffer.from("{}"))).toThrow(/urlencoded or multipart/);
    const params = readMaasParams("/x?mem=lots&dry_run=maybe", undefined, Buffer.alloc(0));
    expect(() => params.number("mem", "Invalid memory")).toThrow(expect.objectContaining({ code: "MAAS_BAD_PARAMETER", details: { parameter: "mem" } }));
    expect(() => params.flag("dry_run")).toThrow(expect.objectContaining({ details: { parameter: "dry_run" } }));
  });
});
