/**
 * The README and docs/: the generated inputs reference is current, every relative link leads to a file and heading
 * that exist, and the README stays a front door that reaches every page of docs/.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { INPUTS, README, SCHEMA, renderInputs, splitDefault } from "../scripts/readme";

const ROOT = path.resolve(__dirname, "..");
const DOCS = path.join(ROOT, "docs");

/** README.md, every page of docs/, and the READMEs of examples/ and sdk/. */
function markdownFiles(): string[] {
  const examples = fs.readdirSync(path.join(ROOT, "examples")).map((e) => path.join(ROOT, "examples", e, "README.md"));
  return [
    README,
    ...fs.readdirSync(DOCS).filter((f) => f.endsWith(".md")).map((f) => path.join(DOCS, f)),
    ...examples,
    path.join(ROOT, "sdk", "README.md"),
  ].filter((f) => fs.existsSync(f));
}

/** The text outside fenced code blocks and inline code, where a `[x](y)` is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** The targets of the markdown links `[text](target)` of a page. */
export function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** GitHub's anchors for a page's headings: lowercase, punctuation dropped, spaces as hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const headings = markdown.replace(/^```[\s\S]*?^```/gm, "").match(/^#{1,6} .+$/gm) ?? [];
  return new Set(
    headings.map((h) =>
      h
        .replace(/^#+ /, "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    ),
  );
}

describe("README and docs/", () => {
  const readme = fs.readFileSync(README, "utf8");
  const inputs = fs.readFileSync(INPUTS, "utf8");
  const schema = JSON.parse(fs.readFileSync(SCHEMA, "utf8"));

  it("docs/inputs.md lists every input with its default, as the schema gives them (run `npm run readme` after `npm run schema`)", () => {
    assert.equal(inputs, renderInputs(inputs, schema), "docs/inputs.md is stale: run `npm run readme`");
  });

  it("docs/inputs.md lists every input of MastodonCluster, nested ones included", () => {
    for (const name of Object.keys(schema.resources["mastodon:index:MastodonCluster"].inputProperties)) {
      assert.ok(inputs.includes(`| \`${name}\` |`), `${name} is missing`);
    }
    assert.ok(inputs.includes("| `sidekiqWorkers[].queues` |"));
    assert.ok(inputs.includes("| `postgresql.external.password` | string (secret) | required |"));
  });

  it("reads defaults out of the docs", () => {
    assert.deepEqual(splitDefault("Pods. Defaults to 1."), ["Pods.", "1"]);
    assert.deepEqual(splitDefault("The domain. Required."), ["The domain.", "required"]);
    assert.deepEqual(splitDefault("No default stated."), ["No default stated.", "–"]);
  });

  it("gives the test command CI runs", () => {
    assert.ok(readme.includes("npm test"));
    assert.match(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8"), /^npm test$/m);
  });

  it("gives the set-up and deploy commands with the passphrase of the local backend, in code blocks", () => {
    const blocks = (readme.match(/^```sh\n[\s\S]*?^```/gm) ?? []).join("\n");
    assert.match(blocks, /export PULUMI_CONFIG_PASSPHRASE=/);
    assert.match(blocks, /npm ci && pulumi stack select --create dev/);
    assert.match(blocks, /^npm run deploy\b/m);
    assert.match(blocks, /^npm test$/m);
  });

  it("keeps the README a front door: at most 250 lines, linking every page of docs/", () => {
    const lines = readme.split("\n").length;
    assert.ok(lines <= 250, `README.md has ${lines} lines; move depth into docs/`);
    for (const page of fs.readdirSync(DOCS).filter((f) => f.endsWith(".md"))) {
      assert.ok(linkTargets(readme).includes(`docs/${page}`), `README.md does not link docs/${page}`);
    }
  });

  it("has every relative link lead to a file that exists, and every #anchor to a heading of that page", () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = fs.readFileSync(file, "utf8");
      for (const target of linkTargets(text)) {
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
        const [pathPart, anchor] = target.split("#", 2);
        const resolved = pathPart === "" ? file : path.resolve(path.dirname(file), decodeURI(pathPart));
        const where = `${path.relative(ROOT, file)}: (${target})`;
        if (!fs.existsSync(resolved)) {
          broken.push(`${where} → no ${path.relative(ROOT, resolved)}`);
        } else if (anchor !== undefined && !headingAnchors(fs.readFileSync(resolved, "utf8")).has(anchor)) {
          broken.push(`${where} → no heading #${anchor} in ${path.relative(ROOT, resolved)}`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it("finds links and anchors as GitHub renders them", () => {
    assert.deepEqual(linkTargets("see [a](docs/a.md#x) and `[b](not-a-link)`\n```\n[c](code)\n```\n"), ["docs/a.md#x"]);
    assert.deepEqual([...headingAnchors("# Inputs and outputs\n## The rollout order\n### `tls.acmeEmail`: Let's Encrypt\n")], [
      "inputs-and-outputs",
      "the-rollout-order",
      "tlsacmeemail-lets-encrypt",
    ]);
  });
});
