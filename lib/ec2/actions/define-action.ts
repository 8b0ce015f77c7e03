/**
 * @module ec2/actions/define-action
 * The shape of one EC2 action: its exact parameters and the function that runs it.
 */
import type { InferFields, Shape } from "../query/param-shape.ts";
import type { XmlObject } from "../xml/render-xml.ts";
import type { Ec2Context } from "../model/ec2-context.ts";

/** One EC2 action, as the dispatch table holds it. */
export interface Ec2Action<F extends Record<string, Shape> = Record<string, Shape>> {
  readonly name: string;
  /** Every parameter the action accepts besides Action, Version and DryRun. */
  readonly params: F;
  /** Runs the action; the result becomes the children of `<{name}Response>`. */
  readonly run: (context: Ec2Context, params: InferFields<F>) => Promise<XmlObject>;
}

/** Declare an action; the parameter types of `run` follow from `params`. */
export function defineAction<const F extends Record<string, Shape>>(
  name: string,
  params: F,
  run: (context: Ec2Context, params: InferFields<F>) => Promise<XmlObject>,
): Ec2Action<F> {
  return { name, params, run };
}
