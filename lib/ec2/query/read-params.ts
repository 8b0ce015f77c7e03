/**
 * @module ec2/query/read-params
 * Turns the flat `Name.1.Field` pairs of a Query request into a typed object according to an
 * action's parameter shape; anything the shape does not name is refused.
 */
import { OrchestraError } from "../../errors.ts";
import type { FormPair } from "./parse-form.ts";
import type { InferFields, Shape, StructShape } from "./param-shape.ts";

/** A trie node: either a leaf value or named children. */
interface Node {
  value?: string;
  children?: Map<string, Node>;
}

/** Parameters every request carries that no action declares. */
const ENVELOPE = new Set(["Action", "Version"]);

/** Read `pairs` against an action's fields; throws EC2_* errors naming the offending parameter. */
export function readParams<F extends Record<string, Shape>>(pairs: readonly FormPair[], fields: F): InferFields<F> {
  const root: Node = { children: new Map() };
  for (const { name, value } of pairs) {
    if (ENVELOPE.has(name)) continue;
    insert(root, name, value);
  }
  return readStruct(root, { kind: "struct", fields }, "") as InferFields<F>;
}

function insert(root: Node, name: string, value: string): void {
  const parts = name.split(".");
  let node = root;
  for (const part of parts) {
    if (part === "") throw unknown(name);
    if (node.value !== undefined) throw unknown(name);
    node.children ??= new Map();
    let next = node.children.get(part);
    if (!next) {
      next = {};
      node.children.set(part, next);
    }
    node = next;
  }
  if (node.value !== undefined) {
    throw new OrchestraError("EC2_DUPLICATE_PARAMETER", `The parameter ${name} is given more than once.`, { parameter: name });
  }
  if (node.children) throw unknown(name);
  node.value = value;
}

function readValue(node: Node, shape: Shape, path: string): unknown {
  switch (shape.kind) {
    case "struct":
      return readStruct(node, shape, path);
    case "list":
      return readList(node, shape.member as Shape, shape.max ?? 1000, path);
    default:
      if (node.value === undefined) throw unknown(firstChildPath(node, path));
      return readScalar(node.value, shape, path);
  }
}

function readStruct(node: Node, shape: StructShape, path: string): Record<string, unknown> {
  if (node.value !== undefined) throw unknown(path);
  const out: Record<string, unknown> = {};
  const children = node.children ?? new Map<string, Node>();
  for (const name of children.keys()) {
    if (!Object.hasOwn(shape.fields, name)) throw unknown(join(path, name));
  }
  for (const [name, fieldShape] of Object.entries(shape.fields) as [string, Shape][]) {
    const child = children.get(name);
    const childPath = join(path, name);
    if (child === undefined) {
      if (fieldShape.required) throw missing(childPath);
      out[name] = fieldShape.kind === "list" ? [] : undefined;
      continue;
    }
    out[name] = readValue(child, fieldShape, childPath);
    if (fieldShape.required && fieldShape.kind === "list" && (out[name] as unknown[]).length === 0) throw missing(`${childPath}.1`);
  }
  return out;
}

function readList(node: Node, member: Shape, max: number, path: string): unknown[] {
  if (node.value !== undefined) throw unknown(path);
  const entries: [number, Node][] = [];
  for (const [index, child] of node.children ?? []) {
    if (!/^[1-9][0-9]{0,5}$/.test(index)) throw unknown(join(path, index));
    entries.push([Number(index), child]);
  }
  if (entries.length > max) {
    throw new OrchestraError("INVALID_ARGUMENT", `The parameter ${path} has more than ${max} members.`, { parameter: path });
  }
  // AWS tolerates gaps in the numbering; members keep the order of their indexes.
  entries.sort((a, b) => a[0] - b[0]);
  return entries.map(([index, child]) => readValue(child, member, `${path}.${index}`));
}

function readScalar(raw: string, shape: Shape, path: string): string | number | boolean {
  switch (shape.kind) {
    case "integer": {
      if (!/^-?[0-9]{1,15}$/.test(raw)) throw invalid(path, raw, "an integer");
      const n = Number(raw);
      if ((shape.min !== undefined && n < shape.min) || (shape.max !== undefined && n > shape.max)) {
        throw invalid(path, raw, `an integer from ${shape.min ?? "-∞"} to ${shape.max ?? "∞"}`);
      }
      return n;
    }
    case "boolean":
      if (raw === "true") return true;
      if (raw === "false") return false;
      throw invalid(path, raw, "true or false");
    case "string": {
      const max = shape.max ?? 255;
      if (raw.length > max) throw invalid(path, `${raw.slice(0, 32)}...`, `at most ${max} characters`);
      if (shape.min !== undefined && raw.length < shape.min) throw invalid(path, raw, `at least ${shape.min} characters`);
      if (shape.oneOf && !shape.oneOf.includes(raw)) throw invalid(path, raw, `one of ${shape.oneOf.join(", ")}`);
      if (shape.pattern && !shape.pattern.test(raw)) throw invalid(path, raw, "well formed");
      return raw;
    }
    default:
      throw unknown(path);
  }
}

function firstChildPath(node: Node, path: string): string {
  const first = node.children?.keys().next().value;
  return first === undefined ? path : join(path, first);
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

function unknown(name: string): OrchestraError {
  return new OrchestraError("EC2_UNKNOWN_PARAMETER", `The parameter ${name} is not recognized.`, { parameter: name });
}

function missing(name: string): OrchestraError {
  return new OrchestraError("MISSING_ARGUMENT", `The request must contain the parameter ${name}.`, { parameter: name });
}

function invalid(name: string, value: string, expected: string): OrchestraError {
  return new OrchestraError("INVALID_ARGUMENT", `Value (${value}) for parameter ${name} is invalid: expected ${expected}.`, { parameter: name });
}
