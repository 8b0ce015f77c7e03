/**
 * @module ec2/model/tag-specifications
 * Checks on tags as callers give them (TagSpecification, CreateTags).
 */
import { OrchestraError } from "../../errors.ts";

/** The most tags one resource may carry, as on AWS. */
export const MAX_TAGS_PER_RESOURCE = 50;

/** Refuse reserved keys (`aws:`), as AWS does. */
export function checkTagKeys(tags: readonly { Key: string }[]): void {
  for (const tag of tags) {
    if (tag.Key.toLowerCase().startsWith("aws:")) throw new OrchestraError("INVALID_ARGUMENT", `Tag keys starting with 'aws:' are reserved for internal use (${tag.Key}).`);
  }
}

/** Refuse a TagSpecification for a resource type the action does not create. */
export function checkTagSpecifications(specifications: readonly { ResourceType: string; Tag: readonly { Key: string }[] }[], allowed: readonly string[]): void {
  for (const specification of specifications) {
    if (!allowed.includes(specification.ResourceType)) {
      throw new OrchestraError("INVALID_ARGUMENT", `'${specification.ResourceType}' is not a valid taggable resource type for this operation (allowed: ${allowed.join(", ")}).`);
    }
    checkTagKeys(specification.Tag);
  }
}
