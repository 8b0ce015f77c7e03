/**
 * @module ec2/query/param-shape
 * A small schema language for EC2 Query parameters. Each action declares the exact
 * parameters it takes; the reader refuses anything else, so an unsupported option is an
 * error and never silently ignored. Types of the parsed values are inferred from the shape.
 */

/** Options every shape takes. */
interface Common {
  readonly required?: boolean;
}

/** A text value; `max` defaults to 255 characters. */
export interface StringShape extends Common {
  readonly kind: "string";
  readonly max?: number;
  readonly min?: number;
  readonly pattern?: RegExp;
  readonly oneOf?: readonly string[];
}

/** A decimal integer within [min, max]. */
export interface IntegerShape extends Common {
  readonly kind: "integer";
  readonly min?: number;
  readonly max?: number;
}

/** `true` or `false`, exactly as the SDKs send them. */
export interface BooleanShape extends Common {
  readonly kind: "boolean";
}

/** A flattened list `Name.1`, `Name.2`, ...; absent means empty. */
export interface ListShape<M = unknown> extends Common {
  readonly kind: "list";
  readonly member: M;
  readonly max?: number;
}

/** A nested structure `Name.Field`. */
export interface StructShape<F = Record<string, unknown>> extends Common {
  readonly kind: "struct";
  readonly fields: F;
}

/** Any parameter shape. */
export type Shape = StringShape | IntegerShape | BooleanShape | ListShape | StructShape;

/** The parsed value of a shape. */
export type Infer<S> = S extends StringShape
  ? string
  : S extends IntegerShape
    ? number
    : S extends BooleanShape
      ? boolean
      : S extends { kind: "list"; member: infer M }
        ? Infer<M>[]
        : S extends { kind: "struct"; fields: infer F }
          ? InferFields<F>
          : never;

/** The parsed value of a structure: required fields are present, lists default to []. */
export type InferFields<F> = {
  -readonly [K in keyof F]: F[K] extends { required: true } | { kind: "list" } ? Infer<F[K]> : Infer<F[K]> | undefined;
};

/** A string parameter. */
export function str<const O extends Omit<StringShape, "kind"> = {}>(options?: O): StringShape & O {
  return { kind: "string", ...options } as StringShape & O;
}

/** An integer parameter. */
export function int<const O extends Omit<IntegerShape, "kind"> = {}>(options?: O): IntegerShape & O {
  return { kind: "integer", ...options } as IntegerShape & O;
}

/** A boolean parameter. */
export function bool<const O extends Omit<BooleanShape, "kind"> = {}>(options?: O): BooleanShape & O {
  return { kind: "boolean", ...options } as BooleanShape & O;
}

/** A list parameter (`Name.N`). */
export function list<M extends Shape, const O extends { max?: number; required?: boolean } = {}>(member: M, options?: O): ListShape<M> & O {
  return { kind: "list", member, ...options } as ListShape<M> & O;
}

/** A structure parameter (`Name.Field`). */
export function struct<const F extends Record<string, Shape>, const O extends { required?: boolean } = {}>(fields: F, options?: O): StructShape<F> & O {
  return { kind: "struct", fields, ...options } as StructShape<F> & O;
}

/** `Filter.N.Name` / `Filter.N.Value.M`, as every Describe action takes. */
export const filterList = list(struct({ Name: str({ required: true }), Value: list(str(), { max: 1000 }) }), { max: 50 });

/** `TagSpecification.N.ResourceType` / `.Tag.M.Key` / `.Tag.M.Value`. */
export const tagSpecificationList = list(
  struct({
    ResourceType: str({ required: true, max: 64 }),
    Tag: list(struct({ Key: str({ required: true, max: 128, min: 1 }), Value: str({ max: 256 }) }), { max: 50 }),
  }),
  { max: 10 },
);

/** `DryRun`, which every action accepts. */
export const dryRun = bool();

/** `MaxResults`/`NextToken` for paginated actions. */
export const pagination = { MaxResults: int({ min: 5, max: 1000 }), NextToken: str({ max: 1024 }) } as const;
