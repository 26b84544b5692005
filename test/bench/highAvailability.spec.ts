/**
 * How bench/highAvailability.ts counts the pods of the HA profile: autoscaled Deployments from their autoscaler's
 * bounds, CloudNativePG's Cluster and Pooler from their specs, Jobs only while they run.
 */
import * as assert from "node:assert/strict";
import { haFootprint, podGroups } from "../../bench/highAvailability";

const MI = 1024 ** 2;
const pod = (memory: string) => ({ template: { spec: { containers: [{ name: "c", resources: { requests: { cpu: "100m", memory } } }] } } });

const recorded = [
  { type: "kubernetes:apps/v1:Deployment", name: "web", inputs: { metadata: { name: "web" }, spec: { ...pod("500Mi"), strategy: { rollingUpdate: { maxSurge: 1 } } } } },
  { type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", name: "web", inputs: { spec: { scaleTargetRef: { name: "web" }, minReplicas: 2, maxReplicas: 6 } } },
  { type: "kubernetes:apps/v1:Deployment", name: "sidekiq", inputs: { metadata: { name: "sidekiq" }, spec: { replicas: 1, ...pod("400Mi"), strategy: { type: "Recreate" } } } },
  { type: "kubernetes:apps/v1:StatefulSet", name: "redis", inputs: { metadata: { name: "redis" }, spec: { replicas: 3, ...pod("100Mi") } } },
  { type: "kubernetes:postgresql.cnpg.io/v1:Cluster", name: "pg", inputs: { spec: { instances: 3, resources: { requests: { cpu: "100m", memory: "256Mi" } } } } },
  { type: "kubernetes:postgresql.cnpg.io/v1:Pooler", name: "bouncer", inputs: { spec: { instances: 2, template: { spec: { containers: [{ name: "pgbouncer", resources: { requests: { memory: "32Mi" } } }] } } } } },
  { type: "kubernetes:batch/v1:Job", name: "migrate", inputs: { spec: pod("400Mi") } },
  { type: "kubernetes:core/v1:Service", name: "web", inputs: { spec: {} } },
];

describe("bench/highAvailability.ts", () => {
  it("counts an autoscaled Deployment from its autoscaler's bounds, CloudNativePG's pods from their specs", () => {
    const byName = new Map(podGroups(recorded).map((g) => [g.name, g]));
    assert.deepEqual([...byName.keys()], ["web", "sidekiq", "redis", "pg", "bouncer", "migrate"]);
    assert.deepEqual([byName.get("web")!.min, byName.get("web")!.max, byName.get("web")!.surge], [2, 6, 1]);
    assert.deepEqual([byName.get("sidekiq")!.min, byName.get("sidekiq")!.surge], [1, 0]);
    assert.deepEqual([byName.get("pg")!.min, byName.get("pg")!.perPod.memoryRequests], [3, 256 * MI]);
    assert.deepEqual([byName.get("bouncer")!.min, byName.get("bouncer")!.perPod.memoryRequests], [2, 32 * MI]);
  });

  it("adds the pods at each moment: steady at the minimum, a rollout's surge, one Job, every autoscaler at its maximum", () => {
    const f = haFootprint(podGroups(recorded));
    const steady = 2 * 500 + 400 + 3 * 100 + 3 * 256 + 2 * 32;
    assert.equal(f.steady.memoryRequests, steady * MI);
    assert.equal(f.rollout.memoryRequests, (steady + 500) * MI);
    assert.equal(f.migration.memoryRequests, (steady + 400) * MI);
    assert.equal(f.maximum.memoryRequests, (steady + 4 * 500) * MI);
    assert.equal(f.maximumRollout.memoryRequests, (steady + 4 * 500 + 500) * MI);
  });
});
