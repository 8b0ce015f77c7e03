/**
 * @module maas/credentials/maas-api-key
 * MAAS API keys in MAAS's own shape, `consumer_key:token_key:token_secret`: what `maas login`,
 * Juju's `maas-oauth` credential and gomaasapi take. MAAS makes the parts from 18, 18 and 32
 * letters and digits; Orchestra does the same so clients that check lengths accept them.
 */
import { randomInt } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomText(length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHABET[randomInt(ALPHABET.length)];
  return text;
}

/** The three parts of a MAAS API key. */
export interface MaasApiKeyParts {
  readonly consumerKey: string;
  readonly tokenKey: string;
  readonly tokenSecret: string;
}

/** A new key: 18 + 18 + 32 characters; the secret carries 190 bits. */
export function newMaasApiKey(): MaasApiKeyParts {
  return { consumerKey: randomText(18), tokenKey: randomText(18), tokenSecret: randomText(32) };
}

/** The one-string form clients are given. */
export function formatMaasApiKey(key: MaasApiKeyParts): string {
  return `${key.consumerKey}:${key.tokenKey}:${key.tokenSecret}`;
}

/** Whether a string has the shape of a key part Orchestra issues. */
export function isMaasKeyPart(value: string, length: 18 | 32): boolean {
  return value.length === length && /^[A-Za-z0-9]+$/.test(value);
}
