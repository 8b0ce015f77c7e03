import { describe, expect, it } from "vitest";
import { readParams } from "../../../lib/ec2/query/read-params.ts";
import { bool, filterList, int, list, str, struct, tagSpecificationList } from "../../../lib/ec2/query/param-shape.ts";
import { parseForm } from "../../../lib/ec2/query/parse-form.ts";
import { isOrchestraError } from "../../../lib/errors.ts";

const fields = {
  ImageId: str({ required: true, pattern: /^ami-[0-9a-f]{8,17}$/ }),
  MinCount: int({ required: true, min: 1 }),
  Monitoring: struct({ Enabled: bool() }),
  InstanceId: list(str(), { max: 3 }),
  Filter: filterList,
  TagSpecification: tagSpecificationList,
  Note: str({ max: 5 }),
};

function read(query: string) {
  return readParams(parseForm(query), fields);
}

function failure(query: string): { code: string; message: string } | undefined {
  try {
    read(query);
  } catch (error) {
    if (isOrchestraError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return undefined;
}

describe("readParams", () => {
  it("builds nested lists and structures, ordered by index", () => {
    const params = read(
      "Action=X&Version=2016-11-15&ImageId=ami-12345678&MinCount=2&Monitoring.Enabled=true&InstanceId.2=b&InstanceId.1=a" +
        "&Filter.1.Name=tag:Name&Filter.1.Value.1=x&Filter.1.Value.10=z&Filter.1.Value.2=y" +
        "&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v",
    );
    expect(params).toEqual({
      ImageId: "ami-12345678",
      MinCount: 2,
      Monitoring: { Enabled: true },
      InstanceId: ["a", "b"],
      Filter: [{ Name: "tag:Name", Value: ["x", "y", "z"] }],
      TagSpecification: [{ ResourceType: "instance", Tag: [{ Key: "k", Value: "v" }] }],
      Note: undefined,
    });
  });

  it("defaults absent lists to [] and absent optional values to undefined", () => {
    const params = read("ImageId=ami-12345678&MinCount=1");
    expect(params.InstanceId).toEqual([]);
    expect(params.Monitoring).toBeUndefined();
  });

  it.each([
    ["an unknown parameter", "ImageId=ami-12345678&MinCount=1&Bogus=1", "EC2_UNKNOWN_PARAMETER", "Bogus"],
    ["an unknown nested field", "ImageId=ami-12345678&MinCount=1&Monitoring.Other=1", "EC2_UNKNOWN_PARAMETER", "Monitoring.Other"],
    ["a scalar used as a list", "ImageId=ami-12345678&MinCount=1&Note.1=x", "EC2_UNKNOWN_PARAMETER", "Note.1"],
    ["a list used as a scalar", "ImageId=ami-12345678&MinCount=1&InstanceId=i-1", "EC2_UNKNOWN_PARAMETER", "InstanceId"],
    ["a zero list index", "ImageId=ami-12345678&MinCount=1&InstanceId.0=a", "EC2_UNKNOWN_PARAMETER", "InstanceId.0"],
    ["a non-numeric list index", "ImageId=ami-12345678&MinCount=1&InstanceId.x=a", "EC2_UNKNOWN_PARAMETER", "InstanceId.x"],
    ["a padded list index", "ImageId=ami-12345678&MinCount=1&InstanceId.01=a", "EC2_UNKNOWN_PARAMETER", "InstanceId.01"],
    ["an empty path segment", "ImageId=ami-12345678&MinCount=1&InstanceId..1=a", "EC2_UNKNOWN_PARAMETER", "InstanceId..1"],
    ["a duplicated parameter", "ImageId=ami-12345678&MinCount=1&MinCount=2", "EC2_DUPLICATE_PARAMETER", "MinCount"],
    ["a missing required parameter", "MinCount=1", "MISSING_ARGUMENT", "ImageId"],
    ["a missing required nested field", "ImageId=ami-12345678&MinCount=1&Filter.1.Value.1=x", "MISSING_ARGUMENT", "Filter.1.Name"],
    ["a non-integer", "ImageId=ami-12345678&MinCount=one", "INVALID_ARGUMENT", "MinCount"],
    ["a float", "ImageId=ami-12345678&MinCount=1.5", "INVALID_ARGUMENT", "MinCount"],
    ["an integer below its minimum", "ImageId=ami-12345678&MinCount=0", "INVALID_ARGUMENT", "MinCount"],
    ["a huge integer", "ImageId=ami-12345678&MinCount=99999999999999999999", "INVALID_ARGUMENT", "MinCount"],
    ["a non-boolean", "ImageId=ami-12345678&MinCount=1&Monitoring.Enabled=yes", "INVALID_ARGUMENT", "Monitoring.Enabled"],
    ["an over-long value", "ImageId=ami-12345678&MinCount=1&Note=abcdef", "INVALID_ARGUMENT", "Note"],
    ["a malformed id", "ImageId=ami-XYZ&MinCount=1", "INVALID_ARGUMENT", "ImageId"],
    ["too many list members", "ImageId=ami-12345678&MinCount=1&InstanceId.1=a&InstanceId.2=b&InstanceId.3=c&InstanceId.4=d", "INVALID_ARGUMENT", "InstanceId"],
  ])("refuses %s", (_why, query, code, parameter) => {
    const error = failure(query);
    expect(error?.code).toBe(code);
    expect(error?.message).toContain(parameter);
  });

  it("refuses a value given both as a scalar and as a structure", () => {
    expect(failure("ImageId=ami-12345678&MinCount=1&Monitoring=1&Monitoring.Enabled=true")?.code).toBe("EC2_UNKNOWN_PARAMETER");
  });
});
