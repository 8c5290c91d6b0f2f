// Shared set-up of the tests that run against a live Gazette (GAZETTE_URL, GAZETTE_ADMIN_KEY).
import assert from "node:assert/strict";
import { Gazette, type FetchLike } from "../src/index.js";

export const baseUrl = process.env.GAZETTE_URL ?? "";
export const adminKey = process.env.GAZETTE_ADMIN_KEY ?? "";
/** Optional: a content key, for servers that require one on reads. */
export const contentKey = process.env.GAZETTE_KEY || undefined;

export function requireServer(): void {
  assert.ok(baseUrl, "set GAZETTE_URL to the base URL of a running Gazette");
  assert.ok(adminKey, "set GAZETTE_ADMIN_KEY to an admin key of that Gazette");
}

/** A reader (content key or none) and an admin client. */
export function clients(fetch?: FetchLike): { reader: Gazette; admin: Gazette } {
  requireServer();
  return {
    reader: new Gazette({ baseUrl, key: contentKey, fetch }),
    admin: new Gazette({ baseUrl, key: contentKey, adminKey, fetch }),
  };
}

/** A fetch that records the URLs and headers it was asked for. */
export function recordingFetch(): { fetch: FetchLike; calls: { url: string; headers: Headers }[] } {
  const calls: { url: string; headers: Headers }[] = [];
  return {
    calls,
    fetch: (url, init) => {
      calls.push({ url, headers: new Headers(init?.headers) });
      return fetch(url, init);
    },
  };
}

let counter = 0;
/** A slug no other test run uses. */
export function uniqueSlug(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${process.pid.toString(36)}-${counter}`;
}

/** Resolves when `predicate` holds, polling; rejects after `ms`. */
export async function waitFor(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
