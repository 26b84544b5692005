/**
 * Writes sdk/schema.json: the package schema, exactly as the plugin serves it to the Pulumi CLI
 * (provider/schema.ts: inferred from the documented args, secret inputs marked), so reviewers see
 * every change to the cross-language contract. Run `npm run schema` after changing provider/
 * args or outputs; test/sdk/schema.spec.ts fails while the committed file is stale.
 */
import * as fs from "fs";
import * as path from "path";
import { MastodonProvider } from "../provider/schema";

export const SCHEMA_PATH = path.resolve(__dirname, "..", "sdk", "schema.json");

/** The text of sdk/schema.json: the served schema, two-space indented, with a final newline. */
export async function renderSchema(provider: MastodonProvider = new MastodonProvider()): Promise<string> {
  return `${JSON.stringify(JSON.parse(await provider.getSchema()), null, 2)}\n`;
}

async function main(): Promise<void> {
  const text = await renderSchema();
  fs.mkdirSync(path.dirname(SCHEMA_PATH), { recursive: true });
  fs.writeFileSync(SCHEMA_PATH, text);
  const { version, resources } = JSON.parse(text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_PATH)}: version ${version}, ${Object.keys(resources).join(", ")}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`schema: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
