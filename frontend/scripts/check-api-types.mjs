// Fails when src/api/schema.d.ts is not what openapi-typescript makes of api/openapi.json.
// Fix: `npm run gen:api` (after `python -m api.openapi > api/openapi.json`).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = mkdtempSync(join(tmpdir(), "oms-api-types-"));
try {
  const fresh = join(dir, "schema.d.ts");
  execFileSync(join(root, "node_modules", ".bin", "openapi-typescript"), [join(root, "..", "api", "openapi.json"), "-o", fresh], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const committed = readFileSync(join(root, "src", "api", "schema.d.ts"), "utf8");
  if (readFileSync(fresh, "utf8") !== committed) {
    console.error("src/api/schema.d.ts is stale against api/openapi.json: run `npm run gen:api` in frontend/");
    process.exit(1);
  }
  console.log("API types match api/openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
