import * as assert from "node:assert/strict";
import { MastodonClusterArgs } from "../../provider";
import { KIND, changedUrns, deploy } from "../harness/stack";

const base: MastodonClusterArgs = { domain: "social.example", version: "v4.5.2" };
/** The resources a change may touch, by type: everything else must stay as it was. */
const name = (urn: string) => urn.split("::").pop()!;

describe("data safety", () => {
  it("protects every data volume and the namespace from replacement and deletion, and keeps them if unprotected", async () => {
    const { stack } = await deploy(base);
    const claims = stack.ofType(KIND.PersistentVolumeClaim);
    assert.deepEqual(claims.map((c) => c.name).sort(), ["social-backups", "social-media", "social-postgresql-data", "social-redis-data"]);
    for (const kept of [...claims, stack.get(KIND.Namespace, "social")]) {
      assert.ok(kept.protect, `${kept.name} could be replaced or deleted by the engine`);
      assert.ok(kept.retainOnDelete, `${kept.name} would be deleted from the cluster with the stack`);
    }
    // Nothing else is protected: `pulumi destroy --exclude-protected` removes all the rest.
    const others = stack.resources.filter((r) => r.protect && !claims.includes(r) && r.type !== KIND.Namespace);
    assert.deepEqual(others.map((r) => r.name), []);
  });

  it("keeps data on claims of their own, never in StatefulSet templates", async () => {
    const { stack } = await deploy(base);
    for (const s of stack.ofType(KIND.StatefulSet)) {
      assert.equal(s.inputs.spec.volumeClaimTemplates, undefined, `${s.name} has volumeClaimTemplates`);
      const claim = s.inputs.spec.template.spec.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName;
      assert.equal(claim, `${s.name}-data`);
    }
  });

  it("creates no namespace when told to use an existing one", async () => {
    const { stack } = await deploy({ ...base, namespace: "fediverse", createNamespace: false });
    assert.equal(stack.ofType(KIND.Namespace).length, 0);
    for (const r of stack.resources.filter((x) => x.type.startsWith("kubernetes:"))) assert.equal(r.state.metadata.namespace, "fediverse");
  });

  it("gives the same desired state on a second run with the same inputs", async () => {
    const { stack: a } = await deploy(base);
    const { stack: b } = await deploy(base);
    assert.deepEqual(changedUrns(a.resources, b.resources), []);
  });

  it("changes only the migration Jobs and Mastodon's workloads (maintenance CronJobs included) on a version change", async () => {
    const { stack: a } = await deploy(base);
    const { stack: b } = await deploy({ ...base, version: "v4.6.6" });
    const changed = changedUrns(a.resources, b.resources);
    assert.deepEqual(changed.map(name).sort(), [
      // The record of the deployed version (versionRecord.ts) is rewritten after the post-deployment migration.
      "social-db-migrate-post", "social-db-migrate-pre", "social-media-remove", "social-preview-cards", "social-sidekiq-default", "social-streaming",
      "social-versions", "social-web",
    ]);
    assert.ok(changed.some((u) => u.includes("ConfigMapPatch::social-versions")) && !changed.some((u) => u.includes("ConfigMap::social-versions")));
  });

  it("touches no data and no secret when replicas, sizes of pools or probes' workloads change", async () => {
    const { stack: a } = await deploy(base);
    const { stack: b } = await deploy({ ...base, web: { replicas: 3, threads: 4 }, streaming: { replicas: 2 } });
    const changed = changedUrns(a.resources, b.resources).map(name);
    for (const n of changed) assert.match(n, /^social-(web|streaming|sidekiq-default|db-migrate-(pre|post))$|pdb$/, `${n} changed`);
    assert.ok(b.find(KIND.PodDisruptionBudget, "social-web"), "three web replicas get a disruption budget");
  });

  it("resizes a volume in place: only the claim's requested size changes", async () => {
    const { stack: a } = await deploy(base);
    const { stack: b } = await deploy({ ...base, postgresql: { storageSize: "20Gi" } });
    assert.deepEqual(changedUrns(a.resources, b.resources).map(name), ["social-postgresql-data"]);
    const before = a.get(KIND.PersistentVolumeClaim, "social-postgresql-data").inputs;
    const after = b.get(KIND.PersistentVolumeClaim, "social-postgresql-data").inputs;
    assert.equal(after.spec.resources.requests.storage, "20Gi");
    // The fields whose change would replace (delete) the claim stay as they were.
    for (const field of ["accessModes", "storageClassName", "selector", "volumeName"]) {
      assert.deepEqual(after.spec[field], before.spec[field], field);
    }
    assert.equal(after.metadata.name, before.metadata.name);
  });

  it("keeps the PostgreSQL StatefulSet's identity fields under every change", async () => {
    const { stack: a } = await deploy(base);
    const { stack: b } = await deploy({ ...base, version: "v4.6.6", postgresql: { storageSize: "30Gi", maxConnections: 200 }, web: { replicas: 2 } });
    const before = a.get(KIND.StatefulSet, "social-postgresql").inputs;
    const after = b.get(KIND.StatefulSet, "social-postgresql").inputs;
    for (const field of ["serviceName", "selector", "podManagementPolicy", "revisionHistoryLimit", "volumeClaimTemplates"]) {
      assert.deepEqual(after.spec[field], before.spec[field], field);
    }
    assert.equal(after.metadata.name, before.metadata.name);
  });

  it("keeps every generated secret through a version change", async () => {
    const { stack: a } = await deploy(base);
    const { stack: b } = await deploy({ ...base, version: "v4.6.6" });
    const secrets = (s: typeof a) => s.resources.filter((r) => r.type.startsWith("random:") || r.type.startsWith("tls:")).map((r) => [r.urn, r.state]);
    assert.ok(secrets(a).length >= 9);
    assert.deepEqual(secrets(b), secrets(a));
  });
});
