/**
 * @module maas/http/request-params
 * A MAAS request's parameters: the query string and, for POST and PUT, a form body
 * (urlencoded as gomaasapi sends it, or multipart as the `maas` CLI and python-libmaas do).
 * Readers name the parameter in every refusal, in MAAS's form-error shape.
 */
import { OrchestraError } from "../../errors.ts";

/** A refusal of one parameter, answered as MAAS's `{"name": ["message"]}`. */
export function badParameter(name: string, message: string): OrchestraError {
  return new OrchestraError("MAAS_BAD_PARAMETER", message, { parameter: name });
}

/** The parameters of one request. */
export class MaasParams {
  readonly #values: Map<string, string[]>;

  constructor(pairs: Iterable<readonly [string, string]>) {
    this.#values = new Map();
    for (const [name, value] of pairs) {
      const list = this.#values.get(name) ?? [];
      list.push(value);
      this.#values.set(name, list);
    }
  }

  /** Every name given. */
  names(): string[] {
    return [...this.#values.keys()];
  }

  /** Every value of a repeatable parameter. */
  all(name: string): string[] {
    return this.#values.get(name) ?? [];
  }

  /** A single-valued parameter: the last one given wins, as in Django's QueryDict. */
  one(name: string): string | undefined {
    return this.#values.get(name)?.at(-1);
  }

  /** A text parameter of at most `max` characters matching `pattern`. */
  text(name: string, options: { max?: number; pattern?: RegExp; hint?: string } = {}): string | undefined {
    const value = this.one(name);
    if (value === undefined) return undefined;
    if (value.length > (options.max ?? 255)) throw badParameter(name, `Ensure this value has at most ${options.max ?? 255} characters (it has ${value.length}).`);
    if (options.pattern && !options.pattern.test(value)) throw badParameter(name, options.hint ?? `Invalid ${name}.`);
    return value;
  }

  /** A non-negative number (MAAS takes cpu_count and mem as numbers, fractions rounded up). */
  number(name: string, message: string, max = 2 ** 40): number | undefined {
    const value = this.one(name);
    if (value === undefined || value === "") return undefined;
    if (!/^\d+(\.\d+)?$/.test(value.trim()) || Number(value) > max) throw badParameter(name, message);
    return Math.ceil(Number(value));
  }

  /** A boolean as Django reads it. */
  flag(name: string): boolean | undefined {
    const value = this.one(name);
    if (value === undefined) return undefined;
    if (/^(true|1|on|yes)$/i.test(value)) return true;
    if (/^(false|0|off|no|)$/i.test(value)) return false;
    throw badParameter(name, `'${value.slice(0, 32)}' value must be either True or False.`);
  }

  /** Names split from every value of a list parameter, which MAAS accepts repeated or comma-separated. */
  nameList(name: string, pattern: RegExp, hint: string): string[] {
    const out: string[] = [];
    for (const value of this.all(name)) {
      for (const part of value.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
        if (!pattern.test(part)) throw badParameter(name, `${hint}: ${JSON.stringify(part.slice(0, 64))}`);
        out.push(part);
      }
    }
    return out;
  }
}

/** Read the query string and body of a request. */
export function readMaasParams(rawUrl: string, contentType: string | undefined, body: Buffer): MaasParams {
  const q = rawUrl.indexOf("?");
  const pairs: [string, string][] = q === -1 ? [] : [...new URLSearchParams(rawUrl.slice(q + 1))];
  if (body.length > 0) {
    const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
    if (type === "application/x-www-form-urlencoded") pairs.push(...new URLSearchParams(body.toString("utf8")));
    else if (type === "multipart/form-data") pairs.push(...readMultipart(contentType!, body));
    else throw new OrchestraError("UNSUPPORTED_MEDIA_TYPE", `A MAAS API body must be application/x-www-form-urlencoded or multipart/form-data, not ${JSON.stringify(type.slice(0, 64))}.`);
  }
  return new MaasParams(pairs);
}

/** The text fields of a multipart/form-data body (file parts are read as text too: no MAAS call Orchestra serves takes files). */
function readMultipart(contentType: string, body: Buffer): [string, string][] {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) throw new OrchestraError("MAAS_BAD_PARAMETER", "The multipart body has no boundary.", { parameter: "Content-Type" });
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const text = body.toString("latin1");
  const pairs: [string, string][] = [];
  for (const part of text.split(delimiter).slice(1)) {
    if (part.startsWith("--")) break;
    const split = part.indexOf("\r\n\r\n");
    if (split === -1) throw new OrchestraError("MAAS_BAD_PARAMETER", "A multipart part has no header end.", { parameter: "body" });
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(part.slice(0, split));
    if (!name) throw new OrchestraError("MAAS_BAD_PARAMETER", "A multipart part has no name.", { parameter: "body" });
    const value = part.slice(split + 4).replace(/\r\n$/, "");
    pairs.push([name[1]!, Buffer.from(value, "latin1").toString("utf8")]);
  }
  return pairs;
}
