// Generates src/schema.d.ts from the server's OpenAPI document, or checks that the
// committed file is what the generator would write today.
//
//   node scripts/schema.mjs generate   # (re)write src/schema.d.ts
//   node scripts/schema.mjs check      # exit 1 when src/schema.d.ts is stale
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const spec = resolve(root, "../../openapi/openapi.json");
const committed = join(root, "src/schema.d.ts");
const bin = join(root, "node_modules/openapi-typescript/bin/cli.js");

function generate(output) {
  if (!existsSync(spec)) {
    console.error(`OpenAPI document not found at ${spec}`);
    process.exit(2);
  }
  const run = spawnSync(process.execPath, [bin, spec, "--output", output], {
    cwd: root,
    encoding: "utf8",
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout ?? "");
    process.stderr.write(run.stderr ?? "");
    console.error("openapi-typescript failed");
    process.exit(run.status ?? 2);
  }
}

const mode = process.argv[2];
if (mode === "generate") {
  generate(committed);
  console.log(`wrote ${relative(root, committed)} from ${relative(root, spec)}`);
} else if (mode === "check") {
  const dir = mkdtempSync(join(tmpdir(), "gazette-schema-"));
  try {
    const fresh = join(dir, "schema.d.ts");
    generate(fresh);
    const want = readFileSync(fresh, "utf8");
    const have = existsSync(committed) ? readFileSync(committed, "utf8") : "";
    if (want !== have) {
      const a = have.split("\n");
      const b = want.split("\n");
      let line = 0;
      while (line < Math.max(a.length, b.length) && a[line] === b[line]) line++;
      console.error(
        [
          `DRIFT: src/schema.d.ts does not match ${relative(root, spec)}.`,
          `First difference at line ${line + 1}:`,
          `  committed: ${a[line] === undefined ? "<end of file>" : a[line].trim()}`,
          `  generated: ${b[line] === undefined ? "<end of file>" : b[line].trim()}`,
          `Run \`npm run generate\` and commit src/schema.d.ts (then fix src/index.ts if it no longer type-checks).`,
        ].join("\n"),
      );
      process.exit(1);
    }
    console.log("src/schema.d.ts is up to date with the OpenAPI document.");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  console.error("usage: node scripts/schema.mjs generate|check");
  process.exit(2);
}
