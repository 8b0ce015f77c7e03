/**
 * @module ec2/actions/launch-templates
 * DescribeLaunchTemplates: Orchestra keeps no launch templates, so the list is empty and a
 * template named by id or name does not exist, as AWS answers for an account without them.
 */
import { OrchestraError } from "../../errors.ts";
import { filterList, int, list, str } from "../query/param-shape.ts";
import { compileFilters } from "../model/filters.ts";
import { defineAction } from "./define-action.ts";

export const describeLaunchTemplates = defineAction(
  "DescribeLaunchTemplates",
  { LaunchTemplateId: list(str({ max: 64 }), { max: 200 }), LaunchTemplateName: list(str({ max: 128 }), { max: 200 }), Filter: filterList, MaxResults: int({ min: 1, max: 200 }), NextToken: str({ max: 1024 }) },
  async (_context, p) => {
    if (p.LaunchTemplateId.length && p.LaunchTemplateName.length) {
      throw new OrchestraError("EC2_INVALID_PARAMETER_COMBINATION", "LaunchTemplateIds and LaunchTemplateNames cannot be used together.");
    }
    if (p.LaunchTemplateId.length) throw new OrchestraError("EC2_LAUNCH_TEMPLATE_ID_NOT_FOUND", `The specified launch template, with template ID ${p.LaunchTemplateId[0]}, does not exist.`);
    if (p.LaunchTemplateName.length) throw new OrchestraError("EC2_LAUNCH_TEMPLATE_NAME_NOT_FOUND", `The specified launch template, with template name ${p.LaunchTemplateName[0]}, does not exist.`);
    if (p.NextToken !== undefined) throw new OrchestraError("EC2_INVALID_PAGINATION_TOKEN", "The NextToken is not from an earlier DescribeLaunchTemplates answer.");
    // Filters are still checked, so a misspelt one is an error here as everywhere.
    compileFilters(p.Filter, { "create-time": () => undefined, "launch-template-name": () => undefined }, () => new Map());
    return { launchTemplates: [] };
  },
);
