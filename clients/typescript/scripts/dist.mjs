// Build helpers: `clean` empties dist/ before a build; `copy` adds src/schema.d.ts, which
// tsc does not emit (declaration files are inputs only) but dist/types.d.ts imports.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const command = process.argv[2];
if (command === "clean") {
  rmSync(dist, { recursive: true, force: true });
} else if (command === "copy") {
  mkdirSync(dist, { recursive: true });
  copyFileSync(join(root, "src/schema.d.ts"), join(dist, "schema.d.ts"));
} else {
  console.error("usage: node scripts/dist.mjs clean|copy");
  process.exit(2);
}
