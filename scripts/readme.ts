/**
 * Regenerates the inputs reference, docs/inputs.md, from the package schema (sdk/schema.json): the
 * table of every MastodonCluster and MastodonPlatform input with its type and default, between the
 * file's `<!-- inputs:start -->` and `<!-- inputs:end -->` markers. `npm run readme` writes it;
 * test/readme.spec.ts fails when it has drifted.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
export const README = path.join(ROOT, "README.md");
/** The generated inputs reference. */
export const INPUTS = path.join(ROOT, "docs", "inputs.md");
export const SCHEMA = path.join(ROOT, "sdk", "schema.json");

interface Property { type?: string; $ref?: string; items?: Property; additionalProperties?: Property; description?: string; secret?: boolean }
interface ObjectType { properties?: Record<string, Property>; required?: string[] }
interface Schema { resources: Record<string, { inputProperties: Record<string, Property>; requiredInputs?: string[] }>; types?: Record<string, ObjectType> }

function typeName(p: Property, schema: Schema): string {
  if (p.$ref) return p.$ref.replace("#/types/mastodon:index:", "");
  if (p.type === "array" && p.items) return `${typeName(p.items, schema)}[]`;
  if (p.type === "object" && p.additionalProperties) return `map of ${typeName(p.additionalProperties, schema)}`;
  return p.type ?? "any";
}

/** "... Defaults to X." → ["...", "X"]; "Required." → ["...", "required"]. */
export function splitDefault(description: string): [string, string] {
  const text = description.replace(/\s+/g, " ").trim();
  const m = /^(.*?)\s*(?:Defaults to (.+?)\.|(Required)\.)$/.exec(text);
  if (!m) return [text, "–"];
  return [m[1], m[2] ?? "required"];
}

function escape(cell: string): string {
  return cell.replace(/\|/g, "\\|");
}

function rows(props: Record<string, Property>, required: string[], prefix: string, schema: Schema): string[] {
  return Object.entries(props).flatMap(([name, p]) => {
    const key = `${prefix}${name}`;
    const [what, def] = splitDefault(p.description ?? "");
    const secret = p.secret ? " (secret)" : "";
    const row = `| \`${key}\` | ${escape(typeName(p, schema))}${secret} | ${escape(required.includes(name) ? "required" : def)} | ${escape(what)} |`;
    const ref = p.$ref ?? (p.type === "array" ? p.items?.$ref : undefined);
    // Resource profiles share one shape, described once under the table.
    const nested = ref && !ref.endsWith(":ContainerResources") ? schema.types?.[ref.replace("#/types/", "")] : undefined;
    const inner = nested?.properties ? rows(nested.properties, nested.required ?? [], `${key}${p.type === "array" ? "[]" : ""}.`, schema) : [];
    return [row, ...inner];
  });
}

export function inputsTable(schema: Schema, resource: string): string {
  const r = schema.resources[resource];
  if (!r) throw new Error(`no resource ${resource} in the schema`);
  return ["| Input | Type | Default | Description |", "|---|---|---|---|", ...rows(r.inputProperties, r.requiredInputs ?? [], "", schema)].join("\n");
}

/** The text between `<!-- name:start -->` and `<!-- name:end -->` replaced by `body`. */
export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`no section ${name} (markers ${start} … ${end})`);
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}

/** `doc` (docs/inputs.md) with its inputs section regenerated from `schema`. */
export function renderInputs(doc: string, schema: Schema): string {
  const body = [
    "### MastodonCluster",
    "",
    inputsTable(schema, "mastodon:index:MastodonCluster"),
    "",
    "Every `resources` input has the shape `{ requests?: { cpu?, memory? }, limits?: { cpu?, memory? } }` in",
    "Kubernetes quantities (\"250m\", \"512Mi\"); each value not given keeps the process's default, listed in",
    "[operations.md](operations.md#resource-footprint).",
    "",
    "### MastodonPlatform",
    "",
    inputsTable(schema, "mastodon:index:MastodonPlatform"),
  ].join("\n");
  return replaceSection(doc, "inputs", body);
}

if (require.main === module) {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, "utf8")) as Schema;
  fs.writeFileSync(INPUTS, renderInputs(fs.readFileSync(INPUTS, "utf8"), schema));
  console.log(`${path.relative(ROOT, INPUTS)}: inputs regenerated from ${path.relative(ROOT, SCHEMA)}`);
}
