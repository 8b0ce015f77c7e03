/**
 * @module ec2/actions/describe-account-attributes
 * DescribeAccountAttributes: Juju checks credentials with it and reads `default-vpc`.
 */
import { OrchestraError } from "../../errors.ts";
import { list, str } from "../query/param-shape.ts";
import { networkView } from "../model/network-topology.ts";
import { defineAction } from "./define-action.ts";

export const describeAccountAttributes = defineAction("DescribeAccountAttributes", { AttributeName: list(str({ max: 64 }), { max: 20 }) }, async ({ services }, p) => {
  const network = await networkView(services.db, services.topology);
  const machines = await services.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM machines WHERE status NOT IN ('retired', 'broken')");
  const attributes: Record<string, string[]> = {
    "supported-platforms": ["VPC"],
    "default-vpc": [network.vpc.vpcId],
    "max-instances": [String(Number(machines?.n ?? 0))],
    "vpc-max-security-groups-per-interface": ["16"],
    "max-elastic-ips": ["0"],
    "vpc-max-elastic-ips": ["0"],
  };
  for (const name of p.AttributeName) {
    if (!Object.hasOwn(attributes, name)) throw new OrchestraError("INVALID_ARGUMENT", `Invalid attribute name: ${name} (known: ${Object.keys(attributes).join(", ")})`);
  }
  const names = p.AttributeName.length ? p.AttributeName : Object.keys(attributes);
  return {
    accountAttributeSet: names.map((attributeName) => ({ attributeName, attributeValueSet: attributes[attributeName]!.map((attributeValue) => ({ attributeValue })) })),
  };
});
