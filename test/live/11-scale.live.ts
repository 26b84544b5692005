/**
 * Journey 11, processes that scale: an instance whose web and streaming have CPU HorizontalPodAutoscalers and
 * whose sidekiq groups scale on CPU and through KEDA (its CRDs are installed; its operator cannot run here) deploys
 * under the policy pack. The API server accepts the autoscalers, the ScaledObject and its TriggerAuthentication;
 * the controller manager's HPA controller raises each Deployment to its minimum. A count the autoscaler chose
 * survives a version upgrade (Pulumi leaves `replicas` to it and owns none of it), and the upgrade keeps the
 * autoscalers, the ScaledObject and the disruption budgets in place.
 */
import * as assert from "node:assert/strict";
import { DEFAULT_VERSION } from "../../provider/versions";
import { kubectlItems, kubectlJson, run, tail } from "./harness";
import { PREVIOUS_VERSION, markFailed, newInstanceStack, stackOf, uids, upWithPack } from "./stacks";

const SCALE = { stack: "scale", instance: "scaled", domain: "scaled.live.test" };
const SCALING = {
  media: { accessMode: "ReadWriteMany" },
  postgresql: { maxConnections: 300 },
  web: { autoscaling: { minReplicas: 2, maxReplicas: 4 } },
  streaming: { autoscaling: { minReplicas: 2, maxReplicas: 3 } },
  sidekiqWorkers: [
    { name: "scheduler", queues: ["scheduler"], concurrency: 5 },
    { name: "busy", queues: ["default,8", "push,6", "ingress,4"], autoscaling: { minReplicas: 1, maxReplicas: 3, scaler: "keda", targetQueueLength: 50 } },
    { name: "other", queues: ["mailers", "pull", "fasp"], autoscaling: { minReplicas: 2, maxReplicas: 3 } },
  ],
};

function replicas(namespace: string, name: string): number {
  return kubectlJson(["get", "deployment", name, "--namespace", namespace, "-o", "json"]).spec.replicas;
}

/** Polls until `check` holds (the HPA controller syncs every 15 s), failing with what it last saw. */
async function eventually(what: string, seconds: number, check: () => string | undefined): Promise<void> {
  let last: string | undefined;
  for (let i = 0; i < seconds; i += 3) {
    last = check();
    if (last === undefined) return;
    await new Promise((r) => setTimeout(r, 3000));
  }
  assert.fail(`${what}: ${last}`);
}

/** The field managers that own a Deployment's spec.replicas. */
function replicaOwners(namespace: string, name: string): string[] {
  const d = kubectlJson(["get", "deployment", name, "--namespace", namespace, "--show-managed-fields", "-o", "json"]);
  return (d.metadata.managedFields ?? []).filter((f: any) => f.fieldsV1?.["f:spec"]?.["f:replicas"] !== undefined).map((f: any) => f.manager);
}

describe("live 11: autoscalers, KEDA and disruption budgets through a version upgrade", function () {
  this.timeout(25 * 60 * 1000);
  let namespace: string;
  let kept: Map<string, Map<string, string>>;
  const KINDS = ["horizontalpodautoscalers.v2.autoscaling", "poddisruptionbudgets", "scaledobjects.keda.sh", "triggerauthentications.keda.sh"];

  before(() => {
    const stack = newInstanceStack(SCALE.stack, SCALE.instance, SCALE.domain, { version: PREVIOUS_VERSION, scaling: JSON.stringify(SCALING) });
    const up = upWithPack(stack);
    if (up.status !== 0) {
      markFailed(SCALE.stack, `pulumi up of the scaled instance failed`);
      throw new Error(`pulumi up of the scaled instance at ${PREVIOUS_VERSION} failed:\n${tail(up, 80)}`);
    }
    namespace = stack.outputs().namespace;
  });

  it("has the API server accept the autoscalers, the ScaledObject, its TriggerAuthentication and the budgets", () => {
    const names = (kind: string) => kubectlItems(kind, namespace).map((o) => o.metadata.name).sort();
    assert.deepEqual(names("horizontalpodautoscalers.v2.autoscaling"), ["scaled-sidekiq-other", "scaled-streaming", "scaled-web"]);
    assert.deepEqual(names("scaledobjects.keda.sh"), ["scaled-sidekiq-busy"]);
    assert.deepEqual(names("triggerauthentications.keda.sh"), ["scaled-keda-redis"]);
    assert.deepEqual(names("poddisruptionbudgets"), ["scaled-sidekiq-busy", "scaled-sidekiq-other", "scaled-streaming", "scaled-web"]);
    const so = kubectlItems("scaledobjects.keda.sh", namespace)[0];
    assert.deepEqual(so.spec.triggers.map((t: any) => t.metadata.listName), ["queue:default", "queue:push", "queue:ingress"]);
    assert.equal(so.spec.maxReplicaCount, 3);
  });

  it("lets the HPA controller raise each autoscaled Deployment to its minimum, Pulumi owning none of replicas", async () => {
    await eventually("autoscaled Deployments at their minimum", 120, () => {
      const counts = { web: replicas(namespace, "scaled-web"), streaming: replicas(namespace, "scaled-streaming"), other: replicas(namespace, "scaled-sidekiq-other") };
      return counts.web === 2 && counts.streaming === 2 && counts.other === 2 ? undefined : JSON.stringify(counts);
    });
    for (const name of ["scaled-web", "scaled-streaming", "scaled-sidekiq-other", "scaled-sidekiq-busy"]) {
      assert.ok(!replicaOwners(namespace, name).some((m) => /pulumi/i.test(m)), `Pulumi owns ${name}'s replicas: ${replicaOwners(namespace, name)}`);
    }
    assert.equal(replicas(namespace, "scaled-sidekiq-scheduler"), 1);
  });

  it("keeps the autoscalers' counts, the autoscalers, the ScaledObject and the budgets through a version upgrade", () => {
    // An autoscaler that chose 3 web pods (the HPA controller leaves a count within bounds alone without metrics).
    const scale = run("kubectl", ["scale", "deployment", "scaled-web", "--namespace", namespace, "--replicas", "3"]);
    assert.equal(scale.status, 0, tail(scale));
    kept = new Map(KINDS.map((k) => [k, uids(k, namespace)]));
    const stack = stackOf(SCALE.stack);
    stack.must(["config", "rm", "version"]);
    const up = upWithPack(stack);
    if (up.status !== 0) throw new Error(`pulumi up to the default version failed:\n${tail(up, 80)}`);
    assert.equal(stack.outputs().version, DEFAULT_VERSION);
    const web = kubectlJson(["get", "deployment", "scaled-web", "--namespace", namespace, "-o", "json"]);
    assert.match(web.spec.template.spec.containers[0].image, new RegExp(`:${DEFAULT_VERSION}$`), "web was not upgraded");
    assert.equal(web.spec.replicas, 3, "the upgrade reset the autoscaler's count");
    for (const [kind, before] of kept) assert.deepEqual(uids(kind, namespace), before, `${kind} were replaced or deleted`);
  });
});
