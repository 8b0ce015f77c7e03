/**
 * @module cli/commands/machine-deploy
 * `orchestra machines deploy [MACHINE] --image ID`: deploy a machine from the command line,
 * as MAAS's `machine deploy` does, without an EC2 client. It takes the path RunInstances
 * takes: the inventory's allocation (the named machine, or the cheapest ready one that fits
 * the image's disk and memory needs), then deployAllocatedWithin, in one transaction; the
 * lifecycle engine of the running `orchestra serve` does the rest (power, network boot, the
 * deploy ramdisk). The result is an instance of the account (`instances list`), not an EC2
 * instance: like a MAAS deployment, EC2 clients do not see it.
 */
import { Command } from "commander";
import { DEFAULT_TOPOLOGY } from "../../ec2/model/ec2-services.ts";
import { collect } from "../parse-options.ts";

/** The `machines deploy` command. */
export function deployCommand(): Command {
  return new Command("deploy")
    .description("deploy an image onto a ready machine (the one named, else the cheapest that fits the image), with user-data and SSH keys, as MAAS deploys")
    .argument("[machine]", "system id, hostname or MAC address of a ready machine (default: the cheapest ready machine that fits)")
    .requiredOption("--image <id|name>", "the image: an ami- id, or an image name from orchestra images list (the newest of that name)")
    .option("--user-data <file>", "user-data for cloud-init on the machine (up to 16 KiB)")
    .option("--ssh-key <file>", "an OpenSSH public key file whose keys may log in (repeatable)", collect)
    .option("--account <name>", "account the deployment (instance) belongs to", "admin")
    .option("--instance-type <name>", "also require this instance type's minimums")
    .option("--zone <zone>", "only a machine in this availability zone")
    .option("--region <name>", "the region the node's metadata names: serve's --region", DEFAULT_TOPOLOGY.region)
    .option("--wait", "wait until the machine is deployed, showing progress on a terminal; fails if the deployment does")
    .option("--timeout-seconds <n>", "with --wait: give up after this long", "2400")
    .option("--interval-ms <n>", "with --wait: how often to look", "1000")
    .option("--json", "print the instance and machine as JSON")
    .addHelpText(
      "after",
      "\nThe machine's disk and memory must meet the image's needs (orchestra images list); none ready that does\nis NO_CAPACITY, naming them. The running orchestra serve powers the machine and deploys it; --wait\nfollows it to deployed. The deployment is an instance of --account (orchestra instances list); release\nit with orchestra machines release.\n",
    )
    // The deployment, image and metadata code is loaded only when a deployment runs.
    .action(async (ref: string | undefined, _options, command: Command) => (await import("./machine-deploy-action.ts")).deployAction(ref, command));
}
