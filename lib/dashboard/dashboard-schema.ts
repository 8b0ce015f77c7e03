/**
 * @module dashboard/dashboard-schema
 * The dashboard's tables: operators, their sessions (held server side, so logging out ends
 * one for good) and their API keys. Only hashes of session tokens and key secrets are kept:
 * a copy of the database opens no session.
 */
import type { Migration } from "../store/migrations.ts";

/** Migration 14: dashboard users, sessions and API keys. */
export const DASHBOARD_MIGRATION: Migration = {
  version: 14,
  name: "dashboard users",
  statements: () => [
    `CREATE TABLE dashboard_users (
      name TEXT PRIMARY KEY,
      password_hash TEXT NOT NULL,
      admin INTEGER NOT NULL,
      account TEXT,
      created_at TEXT NOT NULL,
      disabled_at TEXT
    )`,
    `CREATE TABLE dashboard_sessions (
      token_hash TEXT PRIMARY KEY,
      user_name TEXT NOT NULL REFERENCES dashboard_users (name) ON DELETE CASCADE,
      csrf_token TEXT NOT NULL,
      created_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL,
      ended_at TEXT
    )`,
    "CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions (user_name)",
    `CREATE TABLE dashboard_api_keys (
      key_id TEXT PRIMARY KEY,
      secret_hash TEXT NOT NULL,
      user_name TEXT NOT NULL REFERENCES dashboard_users (name) ON DELETE CASCADE,
      created_at TEXT NOT NULL,
      revoked_at TEXT
    )`,
  ],
};
