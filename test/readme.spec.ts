import * as assert from "node:assert/strict";
import * as fs from "fs";
import { README, SCHEMA, renderReadme, splitDefault } from "../scripts/readme";

describe("README", () => {
  const readme = fs.readFileSync(README, "utf8");
  const schema = JSON.parse(fs.readFileSync(SCHEMA, "utf8"));

  it("lists every input with its default, as the schema gives them (run `npm run readme` after `npm run schema`)", () => {
    assert.equal(readme, renderReadme(readme, schema), "README's inputs table is stale");
  });

  it("lists every input of MastodonCluster, nested ones included", () => {
    for (const name of Object.keys(schema.resources["mastodon:index:MastodonCluster"].inputProperties)) {
      assert.ok(readme.includes(`| \`${name}\` |`), `${name} is missing`);
    }
    assert.ok(readme.includes("| `sidekiqWorkers[].queues` |"));
    assert.ok(readme.includes("| `postgresql.external.password` | string (secret) | required |"));
  });

  it("reads defaults out of the docs", () => {
    assert.deepEqual(splitDefault("Pods. Defaults to 1."), ["Pods.", "1"]);
    assert.deepEqual(splitDefault("The domain. Required."), ["The domain.", "required"]);
    assert.deepEqual(splitDefault("No default stated."), ["No default stated.", "–"]);
  });

  it("gives the test command CI runs", () => {
    assert.ok(readme.includes("npm test"));
    assert.match(fs.readFileSync(".ci/run", "utf8"), /^npm test$/m);
  });
});
