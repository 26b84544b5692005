import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import * as provider from "../../provider";
import { COMPONENTS } from "../../provider/schema";

const PROVIDER_DIR = path.resolve(__dirname, "..", "..", "provider");

/** Every .ts file of provider/ (node_modules aside), relative to it. */
function sources(dir = PROVIDER_DIR): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(full);
    return e.name.endsWith(".ts") ? [path.relative(PROVIDER_DIR, full)] : [];
  });
}

/** The module paths a file imports or requires, resolved against provider/. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(PROVIDER_DIR, file), "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|require\()\s*"(\.[^"]*)"/g)].map((m) => m[1]);
  return specifiers.map((s) => path.relative(PROVIDER_DIR, path.resolve(PROVIDER_DIR, path.dirname(file), s)));
}

describe("provider/'s module graph", () => {
  it("runs one way: index.ts exports the components, and no module imports index.ts back", () => {
    const offenders = sources().filter((f) => f !== "index.ts").filter((f) => importsOf(f).some((i) => i === "index" || i === ""));
    assert.deepEqual(offenders, []);
  });

  it("serves the schema of exactly the components index.ts exports", () => {
    assert.deepEqual(getPulumiComponents(COMPONENTS).map((c) => c.name).sort(), getPulumiComponents(provider).map((c) => c.name).sort());
  });

  it("names no two modules alike in different folders", () => {
    const byName = new Map<string, string[]>();
    for (const f of sources()) byName.set(path.basename(f), [...(byName.get(path.basename(f)) ?? []), f]);
    const shared = [...byName.entries()].filter(([name, files]) => files.length > 1 && name !== "index.ts");
    assert.deepEqual(shared, []);
  });
});
