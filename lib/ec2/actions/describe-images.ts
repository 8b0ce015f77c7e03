/**
 * @module ec2/actions/describe-images
 * DescribeImages over the image store's deployable images and the built-in catalogue: the
 * ami- ids RunInstances accepts. Images are shared; the tags an account put on one are its
 * own, shown (and filterable with tag:KEY, tag-key, tag-value) to that account only.
 */
import { OrchestraError } from "../../errors.ts";
import { bool, filterList, list, pagination, str } from "../query/param-shape.ts";
import { compileFilters, type FilterFields } from "../model/filters.ts";
import type { Image } from "../model/image-catalogue.ts";
import { imagesOnOffer } from "../model/image-source.ts";
import { paginate } from "../model/pagination.ts";
import { tagSet, tagsByResource } from "../model/tags.ts";
import { accountNumber } from "../../inventory/account-number.ts";
import { defineAction } from "./define-action.ts";

/** The owner id of Orchestra's own images. */
const IMAGE_OWNER = accountNumber("orchestra-images");

const FIELDS: FilterFields<Image> = {
  "image-id": (i) => i.imageId,
  name: (i) => i.name,
  description: (i) => i.description,
  architecture: (i) => i.architecture,
  state: () => "available",
  "owner-id": () => IMAGE_OWNER,
  "owner-alias": () => "orchestra",
  "is-public": () => "true",
  "image-type": () => "machine",
  "root-device-type": () => "ebs",
  "root-device-name": () => "/dev/sda1",
  "virtualization-type": () => "hvm",
  hypervisor: () => "xen",
  "platform-details": () => "Linux/UNIX",
};

export const describeImages = defineAction(
  "DescribeImages",
  { ImageId: list(str({ max: 64 }), { max: 1000 }), Owner: list(str({ max: 64 }), { max: 100 }), ExecutableBy: list(str({ max: 64 }), { max: 100 }), Filter: filterList, IncludeDeprecated: bool(), IncludeDisabled: bool(), ...pagination },
  async (context, p) => {
    const images = await imagesOnOffer(context.services.images, context.services.inventory);
    for (const id of p.ImageId) {
      if (!images.some((i) => i.imageId === id)) throw new OrchestraError("EC2_IMAGE_NOT_FOUND", `The image id '[${id}]' does not exist`);
    }
    const owners = new Set(p.Owner);
    // Every image belongs to Orchestra: asking for other owners ("self", "amazon") finds none.
    const ownerMatches = owners.size === 0 || owners.has(IMAGE_OWNER) || owners.has("orchestra");
    const tags = await tagsByResource(context.services.db, context.account, "ami");
    const keep = compileFilters(p.Filter, FIELDS, (i: Image) => tags.get(i.imageId) ?? new Map());
    const chosen = ownerMatches ? images.filter((i) => (p.ImageId.length === 0 || p.ImageId.includes(i.imageId)) && keep(i)) : [];
    const page = paginate(chosen, (i) => i.imageId, "DescribeImages", p.MaxResults, p.NextToken);
    return {
      imagesSet: page.items.map((i) => ({
        imageId: i.imageId,
        imageLocation: `orchestra/${i.name}`,
        imageState: "available",
        imageOwnerId: IMAGE_OWNER,
        creationDate: i.creationDate,
        isPublic: true,
        architecture: i.architecture,
        imageType: "machine",
        imageOwnerAlias: "orchestra",
        name: i.name,
        description: i.description,
        rootDeviceType: "ebs",
        rootDeviceName: "/dev/sda1",
        blockDeviceMapping: [],
        virtualizationType: "hvm",
        hypervisor: "xen",
        platformDetails: "Linux/UNIX",
        usageOperation: "RunInstances",
        tagSet: tagSet(tags.get(i.imageId)),
      })),
      nextToken: page.nextToken,
    };
  },
);
