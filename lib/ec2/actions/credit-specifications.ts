/**
 * @module ec2/actions/credit-specifications
 * DescribeInstanceCreditSpecifications: CPU credits belong to burstable (T) virtual
 * machines; no bare-metal instance is burstable, so the answer is always empty. Named
 * instances are still checked: another account's id answers InvalidInstanceID.NotFound.
 */
import { filterList, int, list, str } from "../query/param-shape.ts";
import { compileFilters } from "../model/filters.ts";
import { OrchestraError } from "../../errors.ts";
import { defineAction } from "./define-action.ts";
import { namedInstances } from "../model/instance-ids.ts";

export const describeInstanceCreditSpecifications = defineAction(
  "DescribeInstanceCreditSpecifications",
  { InstanceId: list(str({ max: 64 }), { max: 1000 }), Filter: filterList, MaxResults: int({ min: 5, max: 1000 }), NextToken: str({ max: 1024 }) },
  async (context, p) => {
    if (p.InstanceId.length && p.MaxResults !== undefined) {
      throw new OrchestraError("EC2_INVALID_PARAMETER_COMBINATION", "The parameter instanceIds cannot be used with the parameter maxResults");
    }
    if (p.InstanceId.length) await namedInstances(context, p.InstanceId);
    compileFilters(p.Filter, { "instance-id": () => undefined });
    if (p.NextToken !== undefined) throw new OrchestraError("EC2_INVALID_PAGINATION_TOKEN", "The NextToken is not from an earlier DescribeInstanceCreditSpecifications answer.");
    return { instanceCreditSpecificationSet: [] };
  },
);
