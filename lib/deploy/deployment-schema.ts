/**
 * @module deploy/deployment-schema
 * The deployments table: one row per machine for its latest deployment, tied to the
 * `deploying` state entry it belongs to, so a row left from an earlier deployment can never
 * steer a later one. The token is the deployment's secret: the deploy ramdisk gets it on its
 * kernel command line and shows it on every call back.
 */
import type { Migration } from "../store/migrations.ts";

/** The phases a deployment passes through; `failed` and `booted` are final. */
export const DEPLOYMENT_PHASES = ["planned", "writing", "written", "booted", "failed"] as const;

/** A deployment's phase. */
export type DeploymentPhase = (typeof DEPLOYMENT_PHASES)[number];

export const DEPLOYMENT_MIGRATION: Migration = {
  version: 6,
  name: "deployments",
  statements: () => [
    `CREATE TABLE deployments (
      machine_id TEXT PRIMARY KEY REFERENCES machines (system_id) ON DELETE CASCADE,
      token TEXT NOT NULL UNIQUE,
      entered_at TEXT NOT NULL,
      instance_id TEXT,
      image_id TEXT NOT NULL,
      nocloud_secret TEXT,
      phase TEXT NOT NULL,
      bytes_done BIGINT NOT NULL DEFAULT 0,
      bytes_total BIGINT,
      node_address TEXT,
      console_offset BIGINT NOT NULL DEFAULT 0,
      message TEXT NOT NULL DEFAULT '',
      log TEXT NOT NULL DEFAULT '',
      started_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
    "CREATE INDEX deployments_by_instance ON deployments (instance_id)",
  ],
};
