import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { MastodonClusterArgs } from "../../provider";
import { parseArgs } from "../../provider/args";
import { REDIS_IMAGE } from "../../provider/args/defaults";
import { runPolicies } from "../../policy/check";
import { MASTODON_COMPONENTS } from "../../provider/names";
import { SENTINEL_SCRIPT } from "../../provider/redisSentinel";
import { InvalidArgsError } from "../../provider/validation";
import { DEFAULT_VERSION } from "../../provider/versions";
import { RecordedResource } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack, changedUrns, deploy } from "../harness/stack";
import { freePort } from "./egressGatewaySquid";
import { LoopbackNode, LoopbackSentinelSet, masterFromSentinels, redisServerBinary, until } from "./redisSentinelLoopback";

const base: MastodonClusterArgs = { domain: "social.example", redis: { sentinel: { enabled: true } } };
const external: MastodonClusterArgs = {
  domain: "social.example",
  redis: { external: { sentinels: ["sentinel-0.redis-ha", "sentinel-1.redis-ha:26380"], masterName: "mymaster", password: "pw" } },
};
const podSpec = (r: RecordedResource) => r.inputs.spec.template.spec;
const container = (r: RecordedResource, name: string) => podSpec(r).containers.find((c: any) => c.name === name);
const argOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
const fqdn = (i: number) => `social-redis-node-${i}.social-redis-headless.social.svc.cluster.local`;

function rejection(args: MastodonClusterArgs): string {
  try {
    parseArgs("social", args);
  } catch (e) {
    assert.ok(e instanceof InvalidArgsError, `expected InvalidArgsError, got ${e}`);
    return e.message;
  }
  assert.fail(`accepted ${JSON.stringify(args)}`);
}

describe("Redis Sentinel, embedded", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy(base));
  });

  it("runs three pods of one StatefulSet, each a Redis and a Sentinel from the pinned official image, instead of the single server", () => {
    const set = stack.get(KIND.StatefulSet, "social-redis-node");
    assert.equal(set.inputs.spec.replicas, 3);
    assert.equal(set.inputs.spec.podManagementPolicy, "OrderedReady");
    assert.equal(set.inputs.spec.serviceName, "social-redis-headless");
    assert.deepEqual(podSpec(set).containers.map((c: any) => [c.name, c.image]), [["redis", REDIS_IMAGE], ["sentinel", REDIS_IMAGE]]);
    assert.deepEqual(container(set, "redis").command, ["sh", "/scripts/redisSentinel.sh", "redis"]);
    assert.deepEqual(container(set, "sentinel").command, ["sh", "/scripts/redisSentinel.sh", "sentinel"]);
    assert.equal(stack.find(KIND.StatefulSet, "social-redis"), undefined);
    assert.equal(stack.find(KIND.Service, "social-redis"), undefined);
    // The script the pods mount is the one the loopback spec below runs.
    const scripts = stack.ofType(KIND.ConfigMap).find((c) => c.name === "social-redis-scripts")!;
    assert.equal(scripts.inputs.data["redisSentinel.sh"], fs.readFileSync(path.join(__dirname, "../../provider/redisSentinel.sh"), "utf8"));
    assert.deepEqual(podSpec(set).volumes.find((v: any) => v.name === "scripts").configMap, { name: scripts.state.metadata.name });
  });

  it("finds its pods by name through a headless Service that publishes them before they are ready", () => {
    const service = stack.get(KIND.Service, "social-redis-headless").inputs.spec;
    assert.equal(service.clusterIP, "None");
    assert.equal(service.publishNotReadyAddresses, true);
    assert.deepEqual(service.ports.map((p: any) => [p.name, p.port]), [["redis", 6379], ["sentinel", 26379]]);
    const env = Object.fromEntries(container(stack.get(KIND.StatefulSet, "social-redis-node"), "redis").env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.REDIS_NODES, [0, 1, 2].map((i) => `${fqdn(i)}:6379:26379`).join(" "));
    assert.equal(env.SENTINEL_QUORUM, "2");
    assert.deepEqual(env.POD_NAME, { fieldRef: { fieldPath: "metadata.name" } });
    assert.equal(env.REDIS_PASSWORD.secretKeyRef.key, "password");
  });

  it("keeps the single server's memory bounds and append-only file in every Redis", () => {
    const redis = container(stack.get(KIND.StatefulSet, "social-redis-node"), "redis");
    assert.equal(redis.resources.limits.memory, "512Mi");
    assert.equal(argOf(redis.args, "--maxmemory"), String(256 * 1024 ** 2));
    assert.equal(argOf(redis.args, "--maxmemory-policy"), "noeviction");
    assert.equal(argOf(redis.args, "--appendonly"), "yes");
    const sentinel = container(stack.get(KIND.StatefulSet, "social-redis-node"), "sentinel");
    assert.deepEqual(sentinel.resources, { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } });
    for (const c of podSpec(stack.get(KIND.StatefulSet, "social-redis-node")).containers) {
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.ok(c[probe]?.exec, `${c.name} has no ${probe}`);
    }
  });

  it("keeps each pod's data on a protected, retained claim of its own, which the StatefulSet's claim template names", () => {
    const set = stack.get(KIND.StatefulSet, "social-redis-node");
    const claims = stack.ofType(KIND.PersistentVolumeClaim).filter((c) => c.name.startsWith("social-redis"));
    assert.deepEqual(claims.map((c) => c.state.metadata.name).sort(), [0, 1, 2].map((i) => `data-social-redis-node-${i}`));
    for (const claim of claims) {
      assert.ok(claim.protect && claim.retainOnDelete, claim.name);
      assert.ok(stack.dependsOn(set, claim), `the StatefulSet may create ${claim.name} before the component does`);
    }
    assert.deepEqual(set.inputs.spec.volumeClaimTemplates.map((t: any) => t.metadata.name), ["data"]);
    assert.ok(set.ignoreChanges?.includes("spec.volumeClaimTemplates"), "a new storage size would replace the StatefulSet");
    assert.deepEqual(set.inputs.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
    assert.deepEqual(container(set, "redis").volumeMounts.find((m: any) => m.name === "data"), { name: "data", mountPath: "/data" });
  });

  it("spreads its pods over nodes when it can and lets one go at a time", () => {
    const set = stack.get(KIND.StatefulSet, "social-redis-node");
    const [term] = podSpec(set).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    assert.equal(term.podAffinityTerm.topologyKey, "kubernetes.io/hostname");
    assert.deepEqual(term.podAffinityTerm.labelSelector.matchLabels, set.inputs.spec.selector.matchLabels);
    const budget = stack.get(KIND.PodDisruptionBudget, "social-redis-node").inputs.spec;
    assert.equal(budget.maxUnavailable, 1);
    assert.deepEqual(budget.selector, set.inputs.spec.selector);
  });

  it("points Mastodon at the sentinels, with no REDIS_HOST or REDIS_URL that would win over them", () => {
    const env = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.equal(env.REDIS_SENTINELS, [0, 1, 2].map((i) => `${fqdn(i)}:26379`).join(","));
    assert.equal(env.REDIS_SENTINEL_MASTER, "mastodon");
    for (const unset of ["REDIS_HOST", "REDIS_PORT", "REDIS_URL", "REDIS_SENTINEL_PASSWORD"]) assert.equal(env[unset], undefined, unset);
    const secret = (name: string, key: string) => stack.get(KIND.Secret, name).secretInputPaths.some((p) => p === "stringData" || p === `stringData.${key}`);
    assert.ok(secret("social-env", "REDIS_PASSWORD"), "REDIS_PASSWORD is not a Pulumi secret");
    assert.ok(secret("social-redis", "password"), "the set's password is not a Pulumi secret");
  });

  it("lets Mastodon's pods reach Redis and the sentinels, and the set's pods each other, on 6379 and 26379 only", () => {
    const redis = stack.get(KIND.NetworkPolicy, "social-redis").inputs.spec;
    assert.deepEqual(redis.policyTypes, ["Ingress", "Egress"]);
    const ports = [{ protocol: "TCP", port: 6379 }, { protocol: "TCP", port: 26379 }];
    const self = { podSelector: { matchLabels: stack.get(KIND.StatefulSet, "social-redis-node").inputs.spec.selector.matchLabels } };
    assert.deepEqual(redis.ingress, [{ from: [{ podSelector: redis.ingress[0].from[0].podSelector }, self], ports }]);
    assert.deepEqual(redis.ingress[0].from[0].podSelector.matchExpressions[0].values, MASTODON_COMPONENTS);
    assert.deepEqual(redis.egress, [{ to: [self], ports }]);
    const data = stack.get(KIND.NetworkPolicy, "social-mastodon-data").inputs.spec;
    assert.deepEqual(data.egress[1], { to: [self], ports });
  });

  it("passes the policy pack", () => {
    const found = runPolicies(stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })));
    assert.deepEqual(found, []);
  });

  it("leaves the set, its claims, Secret, Service and budget untouched by a Mastodon version change", async () => {
    const { stack: before } = await deploy({ ...base, version: "v4.5.2" });
    const { stack: after } = await deploy({ ...base, version: DEFAULT_VERSION });
    const changed = changedUrns(before.resources, after.resources).map((u) => u.split("::").pop()!);
    assert.ok(changed.some((n) => n.startsWith("social-db-migrate")), "the change touches nothing at all");
    for (const name of changed) assert.doesNotMatch(name, /^social-redis/, `${name} changes with Mastodon's version`);
  });

  it("grows by new claims of its own, keeping the others as they are", async () => {
    const { stack: five } = await deploy({ ...base, redis: { sentinel: { enabled: true, replicas: 5 } } });
    const changed = changedUrns(stack.resources, five.resources).map((u) => u.split("::").pop()!);
    assert.deepEqual(changed.filter((n) => n.startsWith("social-redis-data")), ["social-redis-data-3", "social-redis-data-4"]);
    assert.equal(five.get(KIND.StatefulSet, "social-redis-node").inputs.spec.replicas, 5);
    assert.equal(five.get(KIND.ConfigMap, "social-env").inputs.data.REDIS_SENTINELS.split(",").length, 5);
  });

  it("keeps the cache Redis a single server beside the set", async () => {
    const { stack: cached } = await deploy({ ...base, redis: { sentinel: { enabled: true }, cache: { enabled: true } } });
    const env = cached.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.equal(env.CACHE_REDIS_HOST, "social-redis-cache");
    assert.ok(env.REDIS_SENTINELS);
    assert.ok(cached.get(KIND.StatefulSet, "social-redis-cache"));
  });
});

describe("Redis Sentinel and KEDA", () => {
  const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";
  const TRIGGER_AUTH = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication";
  const keda = (redis: MastodonClusterArgs["redis"]): MastodonClusterArgs => ({
    domain: "social.example",
    redis,
    media: { s3: { bucket: "media", endpoint: "http://minio.storage:9000", accessKeyId: "k", secretAccessKey: "s" } },
    sidekiqWorkers: [
      { name: "scheduler", queues: ["scheduler"] },
      { name: "rest", queues: ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "fasp"], autoscaling: { maxReplicas: 4, scaler: "keda", targetQueueLength: 50 } },
    ],
  });

  it("makes KEDA read the queues through the sentinels, with the password for Redis and the sentinels alike", async () => {
    const { stack } = await deploy(keda({ sentinel: { enabled: true } }));
    const [trigger] = stack.get(SCALED_OBJECT, "social-sidekiq-rest").inputs.spec.triggers;
    assert.equal(trigger.type, "redis-sentinel");
    assert.deepEqual(trigger.metadata, { addresses: [0, 1, 2].map((i) => `${fqdn(i)}:26379`).join(","), sentinelMaster: "mastodon", listName: "queue:default", listLength: "50" });
    const auth = stack.get(TRIGGER_AUTH, "social-keda-redis").inputs.spec.secretTargetRef;
    assert.deepEqual(auth.map((r: any) => [r.parameter, r.key]), [["password", "REDIS_PASSWORD"], ["sentinelPassword", "REDIS_PASSWORD"]]);
    // KEDA's operator reaches the sentinels, then the master they name.
    const policy = stack.get(KIND.NetworkPolicy, "social-keda-redis").inputs.spec;
    assert.deepEqual(policy.ingress[0].ports, [{ protocol: "TCP", port: 6379 }, { protocol: "TCP", port: 26379 }]);
    assert.deepEqual(await schemaErrors(stack.resources), []);
  });

  it("qualifies an external sentinel's bare Service name with the instance's namespace, as KEDA's operator lives elsewhere", async () => {
    const { stack } = await deploy(keda({ external: { sentinels: ["sentinel", "sentinel-1.redis-ha:26380"], masterName: "mymaster", password: "pw" } }));
    const [trigger] = stack.get(SCALED_OBJECT, "social-sidekiq-rest").inputs.spec.triggers;
    assert.equal(trigger.metadata.addresses, "sentinel.social.svc:26379,sentinel-1.redis-ha:26380");
    assert.equal(trigger.metadata.sentinelMaster, "mymaster");
  });
});

describe("Redis Sentinel, external", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy(external));
  });

  it("points Mastodon at the given sentinels, filling in the default port, and runs no Redis", () => {
    const env = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.equal(env.REDIS_SENTINELS, "sentinel-0.redis-ha:26379,sentinel-1.redis-ha:26380");
    assert.equal(env.REDIS_SENTINEL_MASTER, "mymaster");
    assert.equal(env.REDIS_HOST, undefined);
    assert.equal(stack.ofType(KIND.StatefulSet).filter((s) => s.name.includes("redis")).length, 0);
  });

  it("lets Mastodon's pods reach the sentinels' namespace on their ports and the servers' port, and passes the pack", () => {
    const data = stack.get(KIND.NetworkPolicy, "social-mastodon-data").inputs.spec;
    const redis = data.egress[1];
    assert.deepEqual(redis.ports.map((p: any) => p.port), [6379, 26379, 26380]);
    assert.deepEqual(redis.to[0], { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "redis-ha" } } });
    assert.deepEqual(runPolicies(stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }))), []);
  });
});

describe("Redis Sentinel's args", () => {
  const cases: Array<[string, MastodonClusterArgs, string[]]> = [
    ["an embedded set before Mastodon 4.3", { ...base, version: "v4.2.17" }, ["args.redis.sentinel.enabled: got true", "v4.2.17", "from v4.3.0"]],
    ["external sentinels before Mastodon 4.3", { ...external, version: "v4.2.17" }, ["args.redis.external.sentinels", "v4.2.17", "from v4.3.0"]],
    ["an even number of pods", { domain: "social.example", redis: { sentinel: { enabled: true, replicas: 4 } } }, ["args.redis.sentinel.replicas: got 4", "an odd whole number, at least 3"]],
    ["a set of one", { domain: "social.example", redis: { sentinel: { enabled: true, replicas: 1 } } }, ["args.redis.sentinel.replicas: got 1", "at least 3"]],
    ["a set without persistence", { domain: "social.example", redis: { persistence: false, sentinel: { enabled: true } } }, ["args.redis.persistence: got false", "empty its replicas"]],
    ["an embedded set beside an external Redis", { domain: "social.example", redis: { external: { host: "redis.db" }, sentinel: { enabled: true } } }, ["args.redis.sentinel", "redis.external is set"]],
    ["a host beside sentinels", { domain: "social.example", redis: { external: { host: "redis.db", sentinels: ["s.db"], masterName: "m" } } }, ["args.redis.external.host: got \"redis.db\"", "the sentinels name the master"]],
    ["sentinels without a master name", { domain: "social.example", redis: { external: { sentinels: ["s.db"] } } }, ["args.redis.external.masterName: got undefined", "REDIS_SENTINEL_MASTER"]],
    ["an external Redis with neither host nor sentinels", { domain: "social.example", redis: { external: { port: 6380 } } }, ["args.redis.external.host: got undefined", "or redis.external.sentinels"]],
    ["a malformed sentinel address", { domain: "social.example", redis: { external: { sentinels: ["s.db:port"], masterName: "m" } } }, ["args.redis.external.sentinels[0]", "host, or host:port"]],
    ["an outside sentinel while isolated", { domain: "social.example", redis: { external: { sentinels: ["sentinel.example.net"], masterName: "m" } } }, ["args.redis.external.sentinels[0]: got \"sentinel.example.net\"", "an in-cluster Service"]],
    ["the sentinel variables in extraEnv", { ...base, extraEnv: { REDIS_SENTINELS: "x:26379" } }, ["args.extraEnv.REDIS_SENTINELS", "does not manage"]],
  ];
  for (const [what, args, fragments] of cases) {
    it(`refuses ${what}, naming the field, the value and what is expected`, () => {
      const message = rejection(args);
      for (const fragment of fragments) assert.ok(message.includes(fragment), `"${fragment}" not in:\n${message}`);
    });
  }

  it("accepts an embedded set from v4.3.0 and five pods", () => {
    assert.equal(parseArgs("social", { ...base, version: "v4.3.0" }).redis.sentinel?.replicas, 3);
    assert.equal(parseArgs("social", { domain: "social.example", redis: { sentinel: { enabled: true, replicas: 5 } } }).redis.sentinel?.replicas, 5);
    assert.equal(parseArgs("social", { domain: "social.example", redis: { sentinel: { enabled: false } } }).redis.sentinel, undefined);
  });
});

describe("the Sentinel set's pods, run for real on loopback (Debian's redis-server)", function () {
  this.timeout(180_000);
  const password = 'a "quoted" pass\\word';
  let set: LoopbackSentinelSet;
  let env: Record<string, string>;
  let newMaster: string;

  before(async function () {
    if (!redisServerBinary()) this.skip("redis-server and redis-cli are not installed (apt-get install -y redis-server redis-tools)");
    const { stack } = await deploy(base);
    const statefulSet = stack.get(KIND.StatefulSet, "social-redis-node");
    const script = stack.ofType(KIND.ConfigMap).find((c) => c.name === "social-redis-scripts")!.inputs.data["redisSentinel.sh"];
    env = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    const nodes: LoopbackNode[] = [];
    for (let i = 0; i < statefulSet.inputs.spec.replicas; i++) nodes.push({ host: "127.0.0.1", redisPort: await freePort(), sentinelPort: await freePort() });
    set = new LoopbackSentinelSet(podSpec(statefulSet).containers, script, nodes, password, "social-redis-node");
    // OrderedReady: each pod once the one before answers on both ports.
    for (let i = 0; i < nodes.length; i++) {
      set.start(i);
      await until(`pod ${i} to answer`, () => (set.cli("127.0.0.1", nodes[i].redisPort, "ping")?.[0] === "PONG" && set.cli("127.0.0.1", nodes[i].sentinelPort, "ping")?.[0] === "PONG") || undefined);
    }
  });

  after(async () => {
    await set?.stopAll();
  });

  /** REDIS_SENTINELS as the component sets it, each pod's name and port replaced by its loopback address. */
  const loopbackSentinels = () => env.REDIS_SENTINELS.split(",").map((entry, i) => {
    assert.equal(entry, `${fqdn(i)}:26379`);
    return `127.0.0.1:${set.nodes[i].sentinelPort}`;
  }).join(",");
  const address = (i: number) => `127.0.0.1:${set.nodes[i].redisPort}`;

  it("makes the first pod the master at the first start, and the others its replicas", async () => {
    for (let i = 0; i < 3; i++) assert.equal(set.sentinelMaster(i, env.REDIS_SENTINEL_MASTER), address(0), `sentinel ${i}`);
    assert.equal(set.replication(0)?.role, "master");
    for (const i of [1, 2]) {
      const info = await until(`replica ${i} in sync`, () => { const r = set.replication(i); return r?.master_link_status === "up" ? r : undefined; });
      assert.equal(info.role, "slave");
      assert.equal(`${info.master_host}:${info.master_port}`, address(0));
    }
    // Each sentinel learns of both replicas and the two other sentinels.
    for (let i = 0; i < 3; i++) {
      await until(`sentinel ${i} to know the set`, () => {
        const fields = set.cli("127.0.0.1", set.nodes[i].sentinelPort, "sentinel", "master", env.REDIS_SENTINEL_MASTER);
        const f = fields && Object.fromEntries(fields.flatMap((v, j) => (j % 2 === 0 ? [[v, fields[j + 1]]] : [])));
        return f?.["num-slaves"] === "2" && f?.["num-other-sentinels"] === "2" ? true : undefined;
      });
    }
    assert.deepEqual(set.cli("127.0.0.1", set.nodes[0].redisPort, "set", "before-failover", "kept"), ["OK"]);
    for (const i of [1, 2]) await until(`the write on replica ${i}`, () => (set.cli("127.0.0.1", set.nodes[i].redisPort, "get", "before-failover")?.[0] === "kept" || undefined));
    // The server keeps its data where the claim is mounted, with the component's memory bound.
    assert.deepEqual(set.cli("127.0.0.1", set.nodes[0].redisPort, "config", "get", "appendonly"), ["appendonly", "yes"]);
    assert.deepEqual(set.cli("127.0.0.1", set.nodes[0].redisPort, "config", "get", "maxmemory"), ["maxmemory", String(256 * 1024 ** 2)]);
  });

  it("promotes a replica when the master's pod is lost, and a client following REDIS_SENTINELS finds it with the data", async () => {
    await set.kill(0);
    newMaster = await until("the surviving sentinels to promote a replica", () => {
      const named = [1, 2].map((i) => set.sentinelMaster(i, env.REDIS_SENTINEL_MASTER));
      return named[0] !== undefined && named[0] !== address(0) && named[0] === named[1] && set.replication(named[0] === address(1) ? 1 : 2)?.role === "master" ? named[0] : undefined;
    });
    assert.ok([address(1), address(2)].includes(newMaster));
    // The first sentinel listed is gone: the client goes on to the next, as Mastodon's do.
    const found = masterFromSentinels(set, loopbackSentinels(), env.REDIS_SENTINEL_MASTER);
    assert.equal(found, newMaster);
    const [host, port] = found!.split(":");
    assert.deepEqual(set.cli(host, Number(port), "get", "before-failover"), ["kept"]);
    assert.deepEqual(set.cli(host, Number(port), "set", "after-failover", "written"), ["OK"]);
  });

  it("brings the lost pod back as a replica of the new master, with what was written meanwhile", async () => {
    set.start(0);
    // The script asked the sentinels rather than falling back to the first pod (its own address).
    const chosen = await until("the restarted pod's choice", () => set.log("redis", 0).match(/^redis social-redis-node-0: master (\S+)$/gm)?.[1]);
    assert.equal(chosen, `redis social-redis-node-0: master ${newMaster}`);
    const info = await until("the former master in sync as a replica", () => { const r = set.replication(0); return r?.role === "slave" && r.master_link_status === "up" ? r : undefined; });
    assert.equal(`${info.master_host}:${info.master_port}`, newMaster);
    await until("the write made during its absence", () => (set.cli("127.0.0.1", set.nodes[0].redisPort, "get", "after-failover")?.[0] === "written" || undefined));
    await until("its sentinel to name the new master", () => (set.sentinelMaster(0, env.REDIS_SENTINEL_MASTER) === newMaster || undefined));
    assert.equal(masterFromSentinels(set, loopbackSentinels(), env.REDIS_SENTINEL_MASTER), newMaster);
  });
});

describe("redisSentinel.sh", () => {
  it("is the script the module ships", () => {
    assert.equal(SENTINEL_SCRIPT, fs.readFileSync(path.join(__dirname, "../../provider/redisSentinel.sh"), "utf8"));
  });
});
