import * as assert from "node:assert/strict";
import { parseArgs } from "../../provider/args";
import { RECORD_ANNOTATIONS, imageSeries, versionChangeProblems } from "../../provider/versionRecord";
import { upgradeWarnings } from "../../provider/versions";
import { withExistingState } from "../harness/mocks";
import { KIND, Stack, deploy } from "../harness/stack";
import type { MastodonClusterArgs } from "../../provider";

const base = { domain: "social.example" };
const configOf = (args: object) => parseArgs("social", { ...base, ...args } as MastodonClusterArgs);

/** The record a previous run left: the marker (its first run's annotation) and the live object's versions. */
function previousRun(versions: { version?: string; postgresqlMajor?: string; redisSeries?: string }) {
  const annotations: Record<string, string> = {};
  if (versions.version) annotations[RECORD_ANNOTATIONS.version] = versions.version;
  if (versions.postgresqlMajor) annotations[RECORD_ANNOTATIONS.postgresqlMajor] = versions.postgresqlMajor;
  if (versions.redisSeries) annotations[RECORD_ANNOTATIONS.redisSeries] = versions.redisSeries;
  return {
    [`${KIND.ConfigMap}::social-versions`]: { metadata: { annotations: { [RECORD_ANNOTATIONS.createdBy]: "an-earlier-run" } } },
    [`${KIND.ConfigMap}::social-versions-previous`]: { metadata: { name: "social-versions", namespace: "social", annotations: { [RECORD_ANNOTATIONS.createdBy]: "an-earlier-run", ...annotations } } },
  };
}

/** Deploys `args` over `previous`, collecting the errors the deployment reports. */
async function deployOver(previous: ReturnType<typeof previousRun>, args: object): Promise<{ stack: Stack; errors: string[] }> {
  const errors: string[] = [];
  const collect = (e: unknown) => errors.push((e as Error).message);
  process.on("unhandledRejection", collect);
  try {
    const { stack } = await withExistingState(previous, () => deploy({ ...base, ...args } as MastodonClusterArgs));
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { stack, errors: [...new Set(errors)] };
  } finally {
    process.off("unhandledRejection", collect);
  }
}

describe("the version record: what is refused", () => {
  const current = { version: "v4.6.6", postgresqlMajor: "17", redisSeries: "7.4" };

  it("refuses another PostgreSQL major on the existing data directory, naming the field, the image and the way out", () => {
    const [problem, ...more] = versionChangeProblems(current, { ...current, postgresqlMajor: "18" }, configOf({ postgresql: { image: "postgres:18.1" } }));
    assert.deepEqual(more, []);
    assert.match(problem, /^args\.postgresql\.image: got "postgres:18\.1"; expected PostgreSQL 17, the major version the data volume holds/);
    assert.match(problem, /acknowledge\.postgresqlMajorFrom to "17" and acknowledge\.postgresqlUpgradeMethod/);
  });

  it("allows it once the user states the data's major and how they moved, and only that move", () => {
    const stated = configOf({ postgresql: { image: "postgres:18.1" }, acknowledge: { postgresqlMajorFrom: "17", postgresqlUpgradeMethod: "pg_upgrade" } });
    assert.deepEqual(versionChangeProblems(current, { ...current, postgresqlMajor: "18" }, stated), []);
    const stale = configOf({ postgresql: { image: "postgres:19.0" }, acknowledge: { postgresqlMajorFrom: "17", postgresqlUpgradeMethod: "pg_upgrade" } });
    assert.equal(versionChangeProblems({ ...current, postgresqlMajor: "18" }, { ...current, postgresqlMajor: "19" }, stale).length, 1);
  });

  it("lets PostgreSQL's minor releases through", () => {
    assert.deepEqual(versionChangeProblems(current, current, configOf({ postgresql: { image: "postgres:17.7" } })), []);
  });

  it("refuses an older Redis series on persisted data, and lets newer ones through", () => {
    const [problem] = versionChangeProblems(current, { ...current, redisSeries: "7.2" }, configOf({ redis: { image: "redis:7.2.5" } }));
    assert.match(problem, /^args\.redis\.image: got "redis:7\.2\.5"; expected Redis 7\.4 or later.*acknowledge\.redisSeriesFrom to "7\.4"/);
    assert.deepEqual(versionChangeProblems(current, { ...current, redisSeries: "7.2" }, configOf({ redis: { image: "redis:7.2.5" }, acknowledge: { redisSeriesFrom: "7.4" } })), []);
    assert.deepEqual(versionChangeProblems(current, { ...current, redisSeries: "8.2" }, configOf({ redis: { image: "redis:8.2.1" } })), []);
  });

  it("refuses what `npm run upgrade-plan` warns about: a skipped minor series, a downgrade; unless acknowledged", () => {
    const skip = versionChangeProblems({ ...current, version: "v4.4.3" }, current, configOf({}));
    assert.equal(skip.length, 1);
    assert.match(skip[0], /^args\.version: got "v4\.6\.6"; expected a release Mastodon supports going to from v4\.4\.3/);
    assert.ok(skip[0].includes(upgradeWarnings("v4.4.3", "v4.6.6")[0]), skip[0]);
    assert.match(versionChangeProblems(current, { ...current, version: "v4.5.2" }, configOf({ version: "v4.5.2" }))[0], /does not support downgrades/);
    assert.deepEqual(versionChangeProblems({ ...current, version: "v4.4.3" }, current, configOf({ acknowledge: { versionChangeFrom: "v4.4.3" } })), []);
    assert.deepEqual(versionChangeProblems({ ...current, version: "v4.5.2" }, current, configOf({})), []);
  });

  it("reads the series from image tags, not from digests", () => {
    assert.equal(imageSeries("docker.io/library/postgres:17.6", 1), "17");
    assert.equal(imageSeries("docker.io/library/redis:7.4.5-bookworm", 2), "7.4");
    assert.equal(imageSeries("redis@sha256:0123", 2), undefined);
  });
});

describe("the version record: in a deployment", () => {
  it("is created once, kept by the engine (ignoreChanges), and written after the post-deployment migration", async () => {
    const { stack } = await deploy(base);
    const marker = stack.get(KIND.ConfigMap, "social-versions");
    assert.deepEqual(marker.ignoreChanges, ["metadata.annotations"]);
    const write = stack.get("kubernetes:core/v1:ConfigMapPatch", "social-versions");
    assert.deepEqual(write.inputs.metadata.annotations, {
      [RECORD_ANNOTATIONS.version]: "v4.6.6",
      [RECORD_ANNOTATIONS.postgresqlMajor]: "17",
      [RECORD_ANNOTATIONS.redisSeries]: "7.4",
    });
    assert.ok(stack.dependsOn(write, stack.get(KIND.Job, "social-db-migrate-post")));
  });

  it("refuses a PostgreSQL major change over existing data before any workload changes", async () => {
    const { stack, errors } = await deployOver(previousRun({ version: "v4.6.6", postgresqlMajor: "16", redisSeries: "7.4" }), {});
    assert.ok(errors.length > 0, "nothing was refused");
    for (const e of errors) assert.match(e, /^MastodonCluster "social": invalid args:\n {2}- args\.postgresql\.image: got "docker\.io\/library\/postgres:17\.6"; expected PostgreSQL 16/);
    assert.equal(stack.find(KIND.StatefulSet, "social-postgresql"), undefined, "the StatefulSet was registered");
    assert.deepEqual(stack.workloads().map((w) => w.name), [], "a workload was registered");
    assert.equal(stack.find("kubernetes:core/v1:ConfigMapPatch", "social-versions"), undefined, "the record moved");
  });

  it("goes ahead when the change is stated, and records the new major", async () => {
    const { stack, errors } = await deployOver(previousRun({ version: "v4.6.6", postgresqlMajor: "16", redisSeries: "7.4" }), {
      acknowledge: { postgresqlMajorFrom: "16", postgresqlUpgradeMethod: "dump-restore" },
    });
    assert.deepEqual(errors, []);
    assert.equal(stack.get(KIND.StatefulSet, "social-postgresql").inputs.spec.template.spec.containers[0].image, "docker.io/library/postgres:17.6");
    assert.equal(stack.get("kubernetes:core/v1:ConfigMapPatch", "social-versions").inputs.metadata.annotations[RECORD_ANNOTATIONS.postgresqlMajor], "17");
  });

  it("lets an ordinary upgrade through: the next minor series, the same data servers", async () => {
    const { stack, errors } = await deployOver(previousRun({ version: "v4.5.2", postgresqlMajor: "17", redisSeries: "7.4" }), {});
    assert.deepEqual(errors, []);
    assert.ok(stack.find(KIND.Deployment, "social-web"));
  });

  it("refuses a Mastodon version that skips a series, before the pre-deployment migration", async () => {
    const { stack, errors } = await deployOver(previousRun({ version: "v4.4.3", postgresqlMajor: "17", redisSeries: "7.4" }), {});
    assert.ok(errors.some((e) => /args\.version: got "v4\.6\.6".*skips 4\.5/s.test(e)), errors.join("\n"));
    assert.equal(stack.find(KIND.Job, "social-db-migrate-pre"), undefined);
  });
});
