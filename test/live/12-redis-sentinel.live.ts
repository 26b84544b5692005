/**
 * Journey 12, Redis Sentinel: an instance whose Redis is a Sentinel set (`redis.sentinel.enabled`) deploys with the
 * policy pack: the StatefulSet's three pods are admitted under the `restricted` level and become ready, each on its
 * own claim, the one the component created and protects; the PodDisruptionBudget and the headless Service exist; then
 * an upgrade of Mastodon's version leaves the set, its claims, its Service and budget untouched (same UIDs, same
 * StatefulSet generation).
 *
 * kwok marks the pods Running and Ready: no Redis runs here, so nothing here shows an election or a failover
 * (test/provider/redisSentinel.spec.ts runs the pods' own script and config with real Redis servers on loopback).
 */
import * as assert from "node:assert/strict";
import { DEFAULT_VERSION } from "../../provider/versions";
import { kubectlItems, kubectlJson, tail } from "./harness";
import { PREVIOUS_VERSION, markFailed, newInstanceStack, stackOf, uids, upWithPack } from "./stacks";

const SENTINEL = { stack: "sentinel", instance: "ha", domain: "ha.live.test" };
const SET = `${SENTINEL.instance}-redis-node`;

/** UIDs of the Redis set's objects, by kind/name, and the StatefulSet's generation. */
function redisObjects(namespace: string) {
  const ours = (m: Map<string, string>, prefix: string) => new Map([...m].filter(([name]) => name.startsWith(prefix)));
  return {
    claims: ours(uids("persistentvolumeclaims", namespace), `data-${SET}-`),
    statefulSets: ours(uids("statefulsets", namespace), SET),
    services: ours(uids("services", namespace), `${SENTINEL.instance}-redis-headless`),
    budgets: ours(uids("poddisruptionbudgets", namespace), SET),
    generation: kubectlJson(["get", "statefulset", SET, "-n", namespace]).metadata.generation as number,
  };
}

describe(`live 12: a Redis Sentinel set, deployed at ${PREVIOUS_VERSION} and kept through an upgrade`, function () {
  this.timeout(25 * 60 * 1000);
  let namespace: string;

  before(() => {
    const stack = newInstanceStack(SENTINEL.stack, SENTINEL.instance, SENTINEL.domain, { version: PREVIOUS_VERSION, redisSentinel: "true" });
    const up = upWithPack(stack);
    if (up.status !== 0) {
      markFailed(SENTINEL.stack, `pulumi up with redis.sentinel failed`);
      throw new Error(`pulumi up with redis.sentinel at ${PREVIOUS_VERSION} failed:\n${tail(up, 80)}`);
    }
    namespace = stack.outputs().namespace;
  });

  it("runs three ready pods of one StatefulSet, each on the claim the component made for it", () => {
    const set = kubectlJson(["get", "statefulset", SET, "-n", namespace]);
    assert.equal(set.spec.replicas, 3);
    assert.equal(set.status.readyReplicas, 3, `ready: ${JSON.stringify(set.status)}`);
    const pods = kubectlItems("pods", namespace, `app.kubernetes.io/instance=${SENTINEL.instance},app.kubernetes.io/component=redis`);
    assert.deepEqual(pods.map((p) => p.metadata.name).sort(), [0, 1, 2].map((i) => `${SET}-${i}`));
    for (const pod of pods) {
      assert.equal(pod.status.phase, "Running", pod.metadata.name);
      assert.deepEqual(pod.spec.containers.map((c: any) => c.name), ["redis", "sentinel"]);
      const claim = pod.spec.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName;
      assert.equal(claim, `data-${pod.metadata.name}`);
    }
    // The claims are the stack's (protected), not ones the StatefulSet controller made.
    const resources = stackOf(SENTINEL.stack).resources();
    for (let i = 0; i < 3; i++) {
      const claim = resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim" && r.outputs?.metadata?.name === `data-${SET}-${i}`);
      assert.ok(claim, `claim data-${SET}-${i} is not in the stack`);
      assert.equal(claim.protect, true, `claim data-${SET}-${i} is not protected`);
      const live = kubectlJson(["get", "pvc", `data-${SET}-${i}`, "-n", namespace]);
      assert.equal(live.metadata.uid, claim.outputs.metadata.uid, `the pods use another claim than the stack's data-${SET}-${i}`);
    }
  });

  it("has a PodDisruptionBudget that lets one pod go, a headless Service, and Mastodon pointed at the sentinels", () => {
    const budget = kubectlJson(["get", "poddisruptionbudget", SET, "-n", namespace]);
    assert.equal(budget.spec.maxUnavailable, 1);
    assert.equal(budget.status.expectedPods, 3);
    const service = kubectlJson(["get", "service", `${SENTINEL.instance}-redis-headless`, "-n", namespace]);
    assert.equal(service.spec.clusterIP, "None");
    const env = kubectlItems("configmaps", namespace, `app.kubernetes.io/instance=${SENTINEL.instance}`).find((c) => c.data?.REDIS_SENTINEL_MASTER);
    assert.ok(env, "no ConfigMap with REDIS_SENTINEL_MASTER");
    assert.equal(env.data.REDIS_SENTINELS.split(",").length, 3);
    assert.equal(env.data.REDIS_HOST, undefined);
  });

  it("keeps the set, its claims, Service and budget through an upgrade to the default version", () => {
    const previous = redisObjects(namespace);
    assert.equal(previous.claims.size, 3);
    const stack = stackOf(SENTINEL.stack);
    stack.must(["config", "rm", "version"]);
    const up = upWithPack(stack);
    if (up.status !== 0) throw new Error(`pulumi up to the default version failed:\n${tail(up, 80)}`);
    assert.equal(stack.outputs().version, DEFAULT_VERSION);
    const after = redisObjects(namespace);
    assert.deepEqual(after.claims, previous.claims, "claims replaced");
    assert.deepEqual(after.statefulSets, previous.statefulSets, "StatefulSet replaced");
    assert.deepEqual(after.services, previous.services, "Service replaced");
    assert.deepEqual(after.budgets, previous.budgets, "PodDisruptionBudget replaced");
    assert.equal(after.generation, previous.generation, "the StatefulSet's spec changed (its pods would roll)");
  });
});
