import * as assert from "node:assert/strict";
import { MastodonClusterArgs } from "../../provider";
import { parseArgs } from "../../provider/args";
import { InvalidArgsError } from "../../provider/validation";
import { runPolicies } from "../../policy/check";
import { RecordedResource } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack, deploy } from "../harness/stack";

const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";
const TRIGGER_AUTH = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication";

const podSpec = (r: RecordedResource) => r.inputs.spec.template.spec;
const s3 = { bucket: "media", endpoint: "http://minio.storage:9000", accessKeyId: "k", secretAccessKey: "s" };
const base = { domain: "social.example" };
const rest = ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "fasp"];

/** The messages `parseArgs` refuses `args` with. */
function refusal(args: unknown): string {
  try {
    parseArgs("social", args as MastodonClusterArgs);
  } catch (e) {
    assert.ok(e instanceof InvalidArgsError, `expected InvalidArgsError, got ${e}`);
    return e.message;
  }
  assert.fail(`accepted ${JSON.stringify(args)}`);
}

/** A scaled instance: web, streaming and one sidekiq group on CPU, another group on KEDA, media in object storage. */
const scaled: MastodonClusterArgs = {
  ...base,
  media: { s3 },
  postgresql: { maxConnections: 400 },
  web: { autoscaling: { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 } },
  streaming: { autoscaling: { minReplicas: 2, maxReplicas: 4 } },
  sidekiqWorkers: [
    { name: "scheduler", queues: ["scheduler"], concurrency: 5 },
    { name: "busy", queues: ["default,8", "push,6", "ingress,4"], autoscaling: { minReplicas: 1, maxReplicas: 8, scaler: "keda", targetQueueLength: 50 } },
    { name: "other", queues: ["mailers", "pull", "fasp"], autoscaling: { maxReplicas: 3 } },
  ],
};

describe("autoscaled processes", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy(scaled));
  });

  it("gives web and streaming a CPU HorizontalPodAutoscaler (autoscaling/v2) with the bounds given", () => {
    const web = stack.get(HPA, "social-web").inputs.spec;
    assert.deepEqual(web.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "social-web" });
    assert.equal(web.minReplicas, 2);
    assert.equal(web.maxReplicas, 6);
    assert.deepEqual(web.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
    const streaming = stack.get(HPA, "social-streaming").inputs.spec;
    assert.deepEqual([streaming.minReplicas, streaming.maxReplicas, streaming.metrics[0].resource.target.averageUtilization], [2, 4, 75]);
  });

  it("leaves replicas out of every autoscaled Deployment, so an update never resets the autoscaler's count", () => {
    for (const name of ["social-web", "social-streaming", "social-sidekiq-busy", "social-sidekiq-other"]) {
      assert.ok(!("replicas" in stack.get(KIND.Deployment, name).inputs.spec), `${name} sets replicas`);
    }
    assert.equal(stack.get(KIND.Deployment, "social-sidekiq-scheduler").inputs.spec.replicas, 1);
  });

  it("scales a sidekiq group on CPU with a HorizontalPodAutoscaler, another through KEDA, and never both on one Deployment", () => {
    assert.deepEqual(stack.ofType(HPA).map((h) => h.name).sort(), ["social-sidekiq-other", "social-streaming", "social-web"]);
    const other = stack.get(HPA, "social-sidekiq-other").inputs.spec;
    assert.deepEqual([other.scaleTargetRef.name, other.minReplicas, other.maxReplicas], ["social-sidekiq-other", 1, 3]);
    assert.deepEqual(stack.ofType(SCALED_OBJECT).map((s) => s.name), ["social-sidekiq-busy"]);
  });

  it("makes KEDA read the backlog of each of the group's queues in Redis, with the Redis password from a Secret", () => {
    const so = stack.get(SCALED_OBJECT, "social-sidekiq-busy").inputs;
    assert.equal(so.apiVersion, "keda.sh/v1alpha1");
    assert.deepEqual(so.spec.scaleTargetRef, { name: "social-sidekiq-busy" });
    assert.deepEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount], [1, 8]);
    assert.deepEqual(so.spec.triggers.map((t: any) => [t.type, t.metadata.listName, t.metadata.listLength, t.metadata.address]), [
      ["redis", "queue:default", "50", "social-redis.social.svc:6379"],
      ["redis", "queue:push", "50", "social-redis.social.svc:6379"],
      ["redis", "queue:ingress", "50", "social-redis.social.svc:6379"],
    ]);
    const auth = stack.get(TRIGGER_AUTH, "social-keda-redis").inputs;
    assert.ok(so.spec.triggers.every((t: any) => t.authenticationRef.name === auth.metadata.name));
    const envSecret = stack.ofType(KIND.Secret).find((s) => s.name === "social-env")!;
    assert.deepEqual(auth.spec.secretTargetRef, [{ parameter: "password", name: envSecret.state.metadata.name, key: "REDIS_PASSWORD" }]);
    assert.ok(envSecret.inputs.stringData.REDIS_PASSWORD, "the env Secret holds no REDIS_PASSWORD");
  });

  it("validates the autoscalers, ScaledObject and TriggerAuthentication against Kubernetes' and KEDA's schemas", async () => {
    assert.deepEqual(await schemaErrors(stack.resources), []);
    // KEDA's schema is really applied: a count given as a string and a misspelled trigger field are caught.
    const so = stack.get(SCALED_OBJECT, "social-sidekiq-busy");
    const bad = { ...so, state: { ...so.state, spec: { ...so.state.spec, minReplicaCount: "1", triggers: [{ ...so.state.spec.triggers[0], metdata: {} }] } } };
    const errors = await schemaErrors([bad]);
    assert.ok(errors.some((e) => e.includes("minReplicaCount must be integer")), errors.join("\n"));
    assert.ok(errors.some((e) => e.includes("unknown field spec.triggers[0].metdata")), errors.join("\n"));
  });

  it("spreads every replicated workload over nodes and zones, as a preference", () => {
    for (const name of ["social-web", "social-streaming", "social-sidekiq-busy", "social-sidekiq-other"]) {
      const d = stack.get(KIND.Deployment, name);
      const spread = podSpec(d).topologySpreadConstraints;
      assert.deepEqual(spread.map((c: any) => [c.topologyKey, c.whenUnsatisfiable, c.maxSkew]), [
        ["kubernetes.io/hostname", "ScheduleAnyway", 1],
        ["topology.kubernetes.io/zone", "ScheduleAnyway", 1],
      ], name);
      for (const c of spread) {
        assert.deepEqual(c.labelSelector.matchLabels, d.inputs.spec.selector.matchLabels, name);
        assert.deepEqual(c.matchLabelKeys, ["pod-template-hash"]);
      }
    }
    assert.equal(podSpec(stack.get(KIND.Deployment, "social-sidekiq-scheduler")).topologySpreadConstraints, undefined);
  });

  it("gives a disruption budget of one pod at a time to every workload that may run several, none to the scheduler's one pod", () => {
    assert.deepEqual(stack.ofType(KIND.PodDisruptionBudget).map((p) => p.name).sort(),
      ["social-sidekiq-busy", "social-sidekiq-other", "social-streaming", "social-web"]);
    for (const pdb of stack.ofType(KIND.PodDisruptionBudget)) {
      assert.equal(pdb.inputs.spec.maxUnavailable, 1, pdb.name);
      assert.equal(pdb.inputs.spec.minAvailable, undefined, pdb.name);
      assert.deepEqual(pdb.inputs.spec.selector.matchLabels, stack.get(KIND.Deployment, pdb.name).inputs.spec.selector.matchLabels);
    }
  });

  it("lets KEDA's operator, and only it, reach the embedded Redis on its port", () => {
    const policy = stack.get(KIND.NetworkPolicy, "social-keda-redis").inputs.spec;
    assert.deepEqual(policy.podSelector.matchLabels["app.kubernetes.io/component"], "redis");
    assert.deepEqual(policy.ingress, [{
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } }, podSelector: { matchLabels: { app: "keda-operator" } } }],
      ports: [{ protocol: "TCP", port: 6379 }],
    }]);
  });

  it("passes the policy pack", () => {
    assert.deepEqual(runPolicies(stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }))), []);
  });
});

describe("scaling without autoscalers", () => {
  it("creates no autoscaler, no KEDA object and no KEDA policy by default", async () => {
    const { stack } = await deploy(base);
    assert.equal(stack.ofType(HPA).length + stack.ofType(SCALED_OBJECT).length + stack.ofType(TRIGGER_AUTH).length, 0);
    assert.equal(stack.find(KIND.NetworkPolicy, "social-keda-redis"), undefined);
    assert.equal(stack.get(KIND.Deployment, "social-web").inputs.spec.replicas, 1);
    assert.equal(podSpec(stack.get(KIND.Deployment, "social-web")).topologySpreadConstraints, undefined);
  });

  it("spreads fixed replicas that may use several nodes, but not pods held on a ReadWriteOnce media volume's node", async () => {
    const { stack } = await deploy({ ...base, web: { replicas: 3 }, streaming: { replicas: 2 }, postgresql: { maxConnections: 200 } });
    assert.equal(podSpec(stack.get(KIND.Deployment, "social-web")).topologySpreadConstraints, undefined);
    assert.ok(podSpec(stack.get(KIND.Deployment, "social-web")).affinity.podAffinity);
    assert.equal(podSpec(stack.get(KIND.Deployment, "social-streaming")).topologySpreadConstraints.length, 2);
    const rwx = await deploy({ ...base, web: { replicas: 3 }, media: { accessMode: "ReadWriteMany" }, postgresql: { maxConnections: 200 } });
    assert.equal(podSpec(rwx.stack.get(KIND.Deployment, "social-web")).topologySpreadConstraints.length, 2);
  });

  it("spreads an egress gateway of several pods", async () => {
    const { stack } = await deploy({ ...base, egressGateway: { enabled: true, replicas: 2 } });
    assert.equal(podSpec(stack.get(KIND.Deployment, "social-egress-gateway")).topologySpreadConstraints.length, 2);
  });

  it("reads KEDA's credentials nowhere when an external Redis has no password, and adds no policy for an external Redis", async () => {
    const { stack } = await deploy({
      ...base, media: { s3 }, redis: { external: { host: "redis" } },
      sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: rest, autoscaling: { maxReplicas: 2, scaler: "keda" } }],
    });
    assert.equal(stack.ofType(TRIGGER_AUTH).length, 0);
    const so = stack.get(SCALED_OBJECT, "social-sidekiq-rest").inputs.spec;
    assert.equal(so.triggers[0].metadata.address, "redis.social.svc:6379");
    assert.equal(so.triggers[0].authenticationRef, undefined);
    assert.equal(stack.find(KIND.NetworkPolicy, "social-keda-redis"), undefined);
    const v6 = await deploy({
      ...base, media: { s3 }, clusterCidrs: ["fd00:10:42::/56", "fd00:10:43::/112"], redis: { external: { host: "fd00:10:43::7", port: 6380 } },
      sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: rest, autoscaling: { maxReplicas: 2, scaler: "keda" } }],
    });
    assert.equal(v6.stack.get(SCALED_OBJECT, "social-sidekiq-rest").inputs.spec.triggers[0].metadata.address, "[fd00:10:43::7]:6380");
  });
});

describe("KEDA on the queues' latency", () => {
  const latency = (extra: Partial<MastodonClusterArgs> = {}): MastodonClusterArgs => ({
    ...base, media: { s3 }, metrics: { enabled: true, detailed: true }, postgresql: { maxConnections: 200 },
    sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: ["default,8", "push"], autoscaling: { maxReplicas: 4, scaler: "keda", targetQueueLatencySeconds: 30 } },
      { name: "mail", queues: ["ingress", "mailers", "pull", "fasp"] }],
    ...extra,
  });
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy(latency()));
  });

  it("reads each queue's sidekiq_queue_latency_seconds from every sidekiq pod's exporter, keeping the largest", () => {
    const so = stack.get(SCALED_OBJECT, "social-sidekiq-rest").inputs.spec;
    assert.deepEqual(so.triggers, ["default", "push"].map((queue) => ({
      type: "metrics-api",
      metricType: "Value",
      metadata: {
        url: "http://social-sidekiq-metrics.social.svc:9394/metrics",
        format: "prometheus",
        valueLocation: `sidekiq_queue_latency_seconds{queue="${queue}"}`,
        targetValue: "30",
        aggregateFromKubeServiceEndpoints: "true",
        aggregationType: "max",
      },
    })));
    // The URL names the Service the metrics module creates, in front of the sidekiq pods' exporter port.
    const service = stack.get(KIND.Service, "social-sidekiq-metrics").inputs;
    assert.equal(service.metadata.name, "social-sidekiq-metrics");
    assert.deepEqual(service.spec.ports.map((p: any) => p.port), [9394]);
  });

  it("needs no Redis credentials, and lets KEDA's operator reach the sidekiq pods' metrics port only", async () => {
    assert.equal(stack.ofType(TRIGGER_AUTH).length, 0);
    assert.equal(stack.find(KIND.NetworkPolicy, "social-keda-redis"), undefined);
    const policy = stack.get(KIND.NetworkPolicy, "social-keda-metrics").inputs.spec;
    assert.equal(policy.podSelector.matchLabels["app.kubernetes.io/component"], "sidekiq");
    assert.deepEqual(policy.ingress, [{
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } }, podSelector: { matchLabels: { app: "keda-operator" } } }],
      ports: [{ protocol: "TCP", port: 9394 }],
    }]);
    assert.deepEqual(await schemaErrors(stack.resources), []);
    assert.deepEqual(runPolicies(stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }))), []);
  });

  it("refuses the latency without the exporter's detailed metrics, beside a backlog target, on CPU, or before 4.4", () => {
    const worker = (autoscaling: object) => [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: rest, autoscaling: { maxReplicas: 4, ...autoscaling } }];
    assert.match(refusal(latency({ metrics: { enabled: true } })), /args\.sidekiqWorkers\[1\]\.autoscaling\.targetQueueLatencySeconds: got 30; expected nothing unless metrics\.enabled and metrics\.detailed are true/);
    assert.match(refusal(latency({ sidekiqWorkers: worker({ scaler: "keda", targetQueueLatencySeconds: 30, targetQueueLength: 5 }) })), /beside autoscaling\.targetQueueLength/);
    assert.match(refusal(latency({ sidekiqWorkers: worker({ targetQueueLatencySeconds: 30 }) })), /nothing unless autoscaling\.scaler is "keda"/);
    assert.match(refusal(latency({ version: "v4.3.9", metrics: {}, sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: ["default", "push", "ingress", "mailers", "pull"], autoscaling: { maxReplicas: 4, scaler: "keda", targetQueueLatencySeconds: 30 } }] })),
      /targetQueueLatencySeconds: got 30; expected nothing unless metrics\.enabled/);
  });
});

describe("the connection budget of autoscaled processes", () => {
  it("counts every process at its maximum, not its minimum", () => {
    const args = { ...base, media: { s3 }, web: { autoscaling: { minReplicas: 1, maxReplicas: 4 } } };
    // web 4 × 2 × 5 = 40 at its maximum (10 at its minimum) + streaming 10 + sidekiq 10 + surge 20 = 80.
    assert.match(refusal({ ...args, postgresql: { maxConnections: 80 } }), /web 40 \+ streaming 10 \+ sidekiq default 10 \+ rollout surge or migration 20 = 80, plus 3 reserved; raise postgresql.maxConnections to at least 83/);
    assert.doesNotThrow(() => parseArgs("social", { ...args, postgresql: { maxConnections: 83 } }));
  });

  it("counts an autoscaled sidekiq group at its maximum", () => {
    const args = { ...base, media: { s3 }, sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: rest, concurrency: 20, autoscaling: { maxReplicas: 5, scaler: "keda" } }] };
    assert.match(refusal(args), /sidekiq rest 100/);
  });
});

describe("scaling refusals", () => {
  const cases: [string, unknown, string[]][] = [
    ["autoscaled web with ReadWriteOnce media", { ...base, web: { autoscaling: { maxReplicas: 3 } } },
      ["args.web.autoscaling", "ReadWriteOnce volume", "media.s3", 'media.accessMode "ReadWriteMany"']],
    ["an autoscaled sidekiq group with ReadWriteOnce media", { ...base, sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: rest, autoscaling: { maxReplicas: 2 } }] },
      ["args.sidekiqWorkers[1].autoscaling", "media.s3", 'media.accessMode "ReadWriteMany"']],
    ["an autoscaled scheduler group", { ...base, media: { s3 }, sidekiqWorkers: [{ name: "all", queues: ["scheduler", ...rest], autoscaling: { maxReplicas: 2 } }] },
      ["args.sidekiqWorkers[0].autoscaling", "scheduler queue", "exactly one process"]],
    ["replicas beside autoscaling", { ...base, streaming: { replicas: 2, autoscaling: { maxReplicas: 3 } } },
      ["args.streaming.replicas", "got 2", "nothing while streaming.autoscaling is set"]],
    ["a maximum below the minimum", { ...base, streaming: { autoscaling: { minReplicas: 3, maxReplicas: 2 } } },
      ["args.streaming.autoscaling.maxReplicas", "got 2", "at least minReplicas (3)"]],
    ["an unknown scaler", { ...base, media: { s3 }, sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: rest, autoscaling: { maxReplicas: 2, scaler: "latency" } }] },
      ["args.sidekiqWorkers[1].autoscaling.scaler", '"latency"', "cpu or keda"]],
    ["a queue target on the CPU scaler", { ...base, media: { s3 }, sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: rest, autoscaling: { maxReplicas: 2, targetQueueLength: 10 } }] },
      ["args.sidekiqWorkers[1].autoscaling.targetQueueLength", 'nothing unless autoscaling.scaler is "keda"']],
    ["REDIS_NAMESPACE with KEDA", { ...base, media: { s3 }, extraEnv: { REDIS_NAMESPACE: "m" }, sidekiqWorkers: [{ name: "scheduler", queues: ["scheduler"] }, { name: "rest", queues: rest, autoscaling: { maxReplicas: 2, scaler: "keda" } }] },
      ["args.extraEnv.REDIS_NAMESPACE", "queue:<name>"]],
    ["a CPU target of 0", { ...base, streaming: { autoscaling: { maxReplicas: 2, targetCPUUtilizationPercentage: 0 } } },
      ["args.streaming.autoscaling.targetCPUUtilizationPercentage", "got 0", "from 10 to 500"]],
  ];
  for (const [what, args, parts] of cases) {
    it(`refuses ${what}`, () => {
      const message = refusal(args);
      for (const part of parts) assert.ok(message.includes(part), `${JSON.stringify(part)} not in:\n${message}`);
    });
  }

  it("accepts autoscaled web and sidekiq on a ReadWriteMany media volume, and autoscaled streaming with any media", () => {
    assert.doesNotThrow(() => parseArgs("social", { ...base, media: { accessMode: "ReadWriteMany" }, web: { autoscaling: { maxReplicas: 3 } }, postgresql: { maxConnections: 200 } }));
    assert.doesNotThrow(() => parseArgs("social", { ...base, streaming: { autoscaling: { maxReplicas: 3 } } }));
  });
});
