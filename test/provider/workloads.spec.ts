import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { memoryBytes } from "../../provider/containers";
import { MEDIA_VOLUME_LABEL, SIDEKIQ_WORKER_LABEL } from "../../provider/names";
import { CONFIG_HASH_ANNOTATION } from "../../provider/workloads/mastodonPod";
import { s3PublicProtocol } from "../../provider/workloads/env";
import { SIDEKIQ_READY_FILE } from "../../provider/workloads/sidekiq";
import { RecordedResource } from "../harness/mocks";
import { KIND, Stack, deploy } from "../harness/stack";

const podSpec = (r: RecordedResource) => r.inputs.spec.template.spec;
const main = (r: RecordedResource) => podSpec(r).containers[0];
const envOf = (r: RecordedResource) => Object.fromEntries((main(r).env ?? []).map((e: any) => [e.name, e.value]));

describe("Mastodon's processes", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({
      domain: "social.example",
      web: { replicas: 2, processes: 3, threads: 4 },
      sidekiqWorkers: [
        { name: "default", queues: ["default,8", "ingress,4", "scheduler", "fasp"], concurrency: 15 },
        { name: "mail", queues: ["mailers", "pull", "push"], concurrency: 5, replicas: 2 },
      ],
    }));
  });

  it("meets the Pod Security Standards' restricted profile in every pod", () => {
    for (const w of stack.workloads()) {
      const spec = podSpec(w);
      assert.equal(spec.securityContext.runAsNonRoot, true, w.name);
      assert.equal(spec.securityContext.seccompProfile.type, "RuntimeDefault", w.name);
      assert.notEqual(spec.hostNetwork, true, w.name);
      assert.ok(!(spec.volumes ?? []).some((v: any) => v.hostPath), `${w.name} mounts a host path`);
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${w.name}/${c.name}`);
        assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], `${w.name}/${c.name}`);
        assert.notEqual(c.securityContext.privileged, true);
      }
    }
  });

  it("runs Mastodon as uid 991 and the data servers as their images' users", () => {
    for (const w of stack.workloads()) {
      const uid = podSpec(w).securityContext.runAsUser;
      assert.equal(uid, w.type === KIND.StatefulSet ? 999 : 991, w.name);
    }
  });

  it("sets requests and limits for CPU and memory on every container", () => {
    for (const w of stack.workloads()) {
      for (const c of [...podSpec(w).containers, ...(podSpec(w).initContainers ?? [])]) {
        for (const kind of ["requests", "limits"]) {
          assert.ok(c.resources[kind].cpu && c.resources[kind].memory, `${w.name}/${c.name} lacks ${kind}`);
        }
      }
    }
  });

  it("probes web at /health, with a startup allowance for asset loading", () => {
    const web = main(stack.get(KIND.Deployment, "social-web"));
    assert.equal(web.readinessProbe.httpGet.path, "/health");
    assert.equal(web.startupProbe.httpGet.path, "/health");
    assert.equal(web.startupProbe.failureThreshold * web.startupProbe.periodSeconds, 150);
    assert.equal(web.livenessProbe.tcpSocket.port, "http");
  });

  it("probes streaming at /api/v1/streaming/health", () => {
    const streaming = main(stack.get(KIND.Deployment, "social-streaming"));
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      assert.equal(streaming[probe].httpGet.path, "/api/v1/streaming/health");
    }
  });

  it("marks sidekiq ready once it writes its ready file", () => {
    for (const name of ["social-sidekiq-default", "social-sidekiq-mail"]) {
      assert.deepEqual(main(stack.get(KIND.Deployment, name)).readinessProbe.exec.command, ["cat", SIDEKIQ_READY_FILE]);
    }
  });

  it("configures puma's processes and threads, and a pool for each thread", () => {
    assert.deepEqual(envOf(stack.get(KIND.Deployment, "social-web")), { PORT: "3000", WEB_CONCURRENCY: "3", MAX_THREADS: "4", DB_POOL: "4", PERSISTENT_TIMEOUT: "95" });
    assert.deepEqual(main(stack.get(KIND.Deployment, "social-web")).command, ["bundle", "exec", "puma", "-C", "config/puma.rb"]);
  });

  it("runs each sidekiq worker group on its queues, with a pool for each thread", () => {
    const group = stack.get(KIND.Deployment, "social-sidekiq-default");
    assert.deepEqual(main(group).command, ["bundle", "exec", "sidekiq", "-c", "15", "-q", "default,8", "-q", "ingress,4", "-q", "scheduler", "-q", "fasp"]);
    assert.equal(envOf(group).DB_POOL, "15");
    assert.equal(group.inputs.spec.selector.matchLabels[SIDEKIQ_WORKER_LABEL], "default");
    const mail = stack.get(KIND.Deployment, "social-sidekiq-mail");
    assert.deepEqual(main(mail).command.slice(3), ["-c", "5", "-q", "mailers", "-q", "pull", "-q", "push"]);
    assert.equal(mail.inputs.spec.replicas, 2);
  });

  it("keeps web and streaming serving through a rollout, and stops old sidekiq pods first", () => {
    for (const name of ["social-web", "social-streaming"]) {
      assert.deepEqual(stack.get(KIND.Deployment, name).inputs.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    }
    for (const name of ["social-sidekiq-default", "social-sidekiq-mail"]) {
      assert.deepEqual(stack.get(KIND.Deployment, name).inputs.spec.strategy, { type: "Recreate" });
    }
  });

  it("gives a disruption budget to every workload with more than one replica, and only to those", () => {
    const budgets = stack.ofType(KIND.PodDisruptionBudget).map((p) => p.name).sort();
    assert.deepEqual(budgets, ["social-sidekiq-mail", "social-web"]);
    const web = stack.get(KIND.PodDisruptionBudget, "social-web").inputs.spec;
    assert.deepEqual(web.selector.matchLabels, stack.get(KIND.Deployment, "social-web").inputs.spec.selector.matchLabels);
    assert.equal(web.maxUnavailable, 1);
  });

  it("exposes web on 3000 and streaming on 4000 through Services that select their pods", () => {
    const web = stack.get(KIND.Service, "social-web").inputs.spec;
    assert.deepEqual(web.ports.map((p: any) => p.port), [3000]);
    assert.deepEqual(web.selector, stack.get(KIND.Deployment, "social-web").inputs.spec.selector.matchLabels);
    const streaming = stack.get(KIND.Service, "social-streaming").inputs.spec;
    assert.deepEqual(streaming.ports.map((p: any) => p.port), [4000]);
  });

  it("creates the web and streaming Services after their Deployments, so their readiness wait spans no migration", () => {
    for (const component of ["web", "streaming"]) {
      const service = stack.get(KIND.Service, `social-${component}`);
      const deployment = stack.get(KIND.Deployment, `social-${component}`);
      assert.ok(stack.directDependencies(service).includes(deployment), `${service.name} does not wait for its Deployment`);
      const pre = stack.ofType(KIND.Job).find((j) => j.name.startsWith("social-db-migrate-pre"))!;
      assert.ok(stack.dependsOn(deployment, pre), "the Deployment no longer waits for the pre-deployment migration");
    }
  });

  it("mounts media in web and sidekiq and keeps them on the volume's node", () => {
    for (const name of ["social-web", "social-sidekiq-default", "social-sidekiq-mail"]) {
      const w = stack.get(KIND.Deployment, name);
      assert.ok(main(w).volumeMounts.some((m: any) => m.mountPath === "/opt/mastodon/public/system"), name);
      assert.equal(w.inputs.spec.template.metadata.labels[MEDIA_VOLUME_LABEL], "true");
      const term = podSpec(w).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
      assert.equal(term.topologyKey, "kubernetes.io/hostname");
      assert.equal(term.labelSelector.matchLabels[MEDIA_VOLUME_LABEL], "true");
    }
    assert.equal(podSpec(stack.get(KIND.Deployment, "social-streaming")).affinity, undefined);
  });

  it("gives every Mastodon container the shared environment and the instance's settings", () => {
    const config = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.equal(config.LOCAL_DOMAIN, "social.example");
    assert.equal(config.RAILS_ENV, "production");
    assert.equal(config.DB_HOST, "social-postgresql");
    assert.equal(config.REDIS_HOST, "social-redis");
    // Mastodon may request no private address at all until told where the cluster's other instances resolve.
    assert.equal(config.ALLOWED_PRIVATE_ADDRESSES, undefined);
    assert.equal(config.UPDATE_CHECK_URL, "");
    for (const w of stack.workloads().filter((x) => x.type !== KIND.StatefulSet)) {
      assert.equal(main(w).envFrom.length, 2, w.name);
    }
  });
});

describe("restarts on configuration changes", () => {
  const hash = (s: Stack, name: string) => s.get(KIND.Deployment, name).inputs.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];

  it("changes every pod's config hash when the environment changes, and only then", async () => {
    const { stack: a } = await deploy({ domain: "social.example" });
    const { stack: b } = await deploy({ domain: "social.example" });
    const { stack: c } = await deploy({ domain: "social.example", extraEnv: { SINGLE_USER_MODE: "true" } });
    for (const name of ["social-web", "social-streaming", "social-sidekiq-default"]) {
      assert.match(hash(a, name), /^[0-9a-f]{64}$/);
      assert.equal(hash(a, name), hash(b, name));
      assert.notEqual(hash(a, name), hash(c, name));
    }
  });
});

describe("behind the ingress controller", () => {
  it("keeps puma's idle keep-alive connections open longer than Traefik's to its backends (90 s)", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    assert.ok(Number(envOf(stack.get(KIND.Deployment, "social-web")).PERSISTENT_TIMEOUT) > 90);
  });

  it("trusts X-Forwarded-For from loopback and the cluster's ranges only, where the ingress controller's pods live", async () => {
    const { stack } = await deploy({ domain: "social.example", clusterCidrs: ["100.64.0.0/16", "100.65.0.0/16"] });
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.TRUSTED_PROXY_IP, "127.0.0.0/8,::1/128,100.64.0.0/16,100.65.0.0/16");
  });

  it("lets extraEnv widen the trusted proxies (a CDN in front)", async () => {
    const { stack } = await deploy({ domain: "social.example", extraEnv: { TRUSTED_PROXY_IP: "127.0.0.0/8,10.0.0.0/8,203.0.113.0/24" } });
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.TRUSTED_PROXY_IP, "127.0.0.0/8,10.0.0.0/8,203.0.113.0/24");
  });

  it("listens on every IPv4 address on an IPv4 or dual-stack cluster", async () => {
    for (const clusterCidrs of [["10.42.0.0/16", "10.43.0.0/16"], ["10.42.0.0/16", "fd00:10:42::/56"]]) {
      const { stack } = await deploy({ domain: "social.example", clusterCidrs });
      assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.BIND, "0.0.0.0");
      assert.equal(envOf(stack.get(KIND.Deployment, "social-web")).BIND, undefined);
    }
  });

  it("listens on IPv6 on an IPv6-only cluster: puma on [::] (its tcp:// URL), the streaming server on ::", async () => {
    const { stack } = await deploy({ domain: "social.example", clusterCidrs: ["fd00:10:42::/56", "fd00:10:43::/112"] });
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.BIND, "::");
    assert.equal(envOf(stack.get(KIND.Deployment, "social-web")).BIND, "[::]");
    assert.equal(envOf(stack.get(KIND.Deployment, "social-streaming")).BIND, undefined);
  });
});

describe("private addresses Mastodon may request (ALLOWED_PRIVATE_ADDRESSES)", () => {
  const allowed = async (args: Record<string, unknown>) =>
    (await deploy({ domain: "social.example", ...args })).stack.get(KIND.ConfigMap, "social-env").inputs.data.ALLOWED_PRIVATE_ADDRESSES;

  it("lists only the ingress controller's addresses, never the cluster's ranges", async () => {
    assert.equal(await allowed({ ingress: { controllerAddresses: ["10.43.0.10", "fd00:10:43::a"] } }), "10.43.0.10,fd00:10:43::a");
  });

  it("takes them from an Output, as a MastodonPlatform or a read Service gives them", async () => {
    assert.equal(await allowed({ ingress: { controllerAddresses: pulumi.output(["10.43.12.7"]) } }), "10.43.12.7");
    assert.equal(await allowed({ ingress: { controllerAddresses: [pulumi.output("10.43.12.8"), "10.43.12.9"] } }), "10.43.12.8,10.43.12.9");
  });

  it("lists no mail server, object store or data server, which Mastodon's check does not guard", async () => {
    const value = await allowed({
      ingress: { controllerAddresses: ["10.43.0.10"] },
      smtp: { server: "10.43.1.25", port: 1025 },
      media: { s3: { bucket: "media", endpoint: "http://10.43.1.90:9000", region: "us-east-1", accessKeyId: "a", secretAccessKey: "b" } },
      postgresql: { external: { host: "10.43.1.54", password: "x" } },
    });
    assert.equal(value, "10.43.0.10");
  });

  it("stays unset with direct egress until given, and with a gateway whatever is given (Mastodon then skips its check)", async () => {
    assert.equal(await allowed({ allowPublicEgress: true }), undefined);
    assert.equal(await allowed({ allowPublicEgress: true, ingress: { controllerAddresses: ["10.43.0.10"] } }), "10.43.0.10");
    assert.equal(await allowed({ egressGateway: { enabled: true }, ingress: { controllerAddresses: ["10.43.0.10"] } }), undefined);
  });

});

describe("the default sidekiq worker", () => {
  const queuesOf = (stack: Stack) => main(stack.get(KIND.Deployment, "social-sidekiq-default")).command.slice(5).filter((_: string, i: number) => i % 2 === 1);

  it("weights its queues as Mastodon's chart does, so no backlog starves the scheduler", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    assert.deepEqual(queuesOf(stack), ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "scheduler", "fasp"]);
  });

  it("serves fasp only from 4.4, where it exists", async () => {
    const { stack } = await deploy({ domain: "social.example", version: "v4.3.9" });
    assert.deepEqual(queuesOf(stack), ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "scheduler"]);
  });
});

describe("media storage options", () => {
  it("drops the co-location affinity when the volume is ReadWriteMany", async () => {
    const { stack } = await deploy({ domain: "social.example", media: { accessMode: "ReadWriteMany", storageClassName: "nfs" } });
    assert.equal(podSpec(stack.get(KIND.Deployment, "social-web")).affinity, undefined);
    assert.deepEqual(stack.get(KIND.PersistentVolumeClaim, "social-media").inputs.spec.accessModes, ["ReadWriteMany"]);
  });

  it("uses object storage instead of a volume when S3 is configured", async () => {
    const { stack } = await deploy({
      domain: "social.example",
      media: { s3: { bucket: "media", endpoint: "http://minio.storage:9000", accessKeyId: "key", secretAccessKey: "secret-access-key" } },
    });
    assert.equal(stack.find(KIND.PersistentVolumeClaim, "social-media"), undefined);
    const config = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.deepEqual([config.S3_ENABLED, config.S3_BUCKET, config.S3_ENDPOINT, config.S3_PROTOCOL, config.S3_HOSTNAME], ["true", "media", "http://minio.storage:9000", "http", "minio.storage:9000"]);
    assert.equal(stack.get(KIND.Secret, "social-env").inputs.stringData.AWS_SECRET_ACCESS_KEY, "secret-access-key");
    assert.equal(main(stack.get(KIND.Deployment, "social-web")).volumeMounts?.find((m: any) => m.name === "media"), undefined);
  });

  it("publishes media over https when an alias host serves them, whatever the endpoint's scheme", async () => {
    const { stack } = await deploy({
      domain: "social.example",
      media: { s3: { bucket: "media", endpoint: "http://minio.storage:9000", aliasHost: "media.social.example", accessKeyId: "key", secretAccessKey: "secret" } },
    });
    const config = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.equal(config.S3_PROTOCOL, "https");
    assert.equal(config.S3_ALIAS_HOST, "media.social.example");
    // The component still reaches the bucket through the endpoint, in its own scheme.
    assert.equal(config.S3_ENDPOINT, "http://minio.storage:9000");
  });

  it("publishes media over https when the endpoint is the instance's own host", () => {
    assert.equal(s3PublicProtocol("http://social.example:9000", undefined, ["social.example"]), "https");
    assert.equal(s3PublicProtocol("http://files.social.example", undefined, ["social.example"]), "http");
    assert.equal(s3PublicProtocol("https://s3.example", undefined), "https");
  });

  it("keeps Redis in memory only when persistence is off", async () => {
    const { stack } = await deploy({ domain: "social.example", redis: { persistence: false } });
    assert.equal(stack.find(KIND.PersistentVolumeClaim, "social-redis-data"), undefined);
    const redis = stack.get(KIND.StatefulSet, "social-redis");
    assert.deepEqual(podSpec(redis).volumes, [{ name: "data", emptyDir: {} }]);
    assert.ok(main(redis).args.includes("--appendonly") && main(redis).args.includes("no"));
  });
});

describe("the embedded data servers", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example", postgresql: { maxConnections: 150 } }));
  });

  it("configures PostgreSQL's max_connections and checks readiness with pg_isready", () => {
    const pg = main(stack.get(KIND.StatefulSet, "social-postgresql"));
    assert.deepEqual(pg.args, ["-c", "max_connections=150"]);
    assert.equal(pg.readinessProbe.exec.command[0], "pg_isready");
    assert.match(pg.image, /^docker\.io\/library\/postgres:1[4-9]/);
    assert.equal(pg.env.find((e: any) => e.name === "POSTGRES_PASSWORD").valueFrom.secretKeyRef.key, "password");
  });

  it("requires Redis's password and keeps an append-only file", () => {
    const redis = main(stack.get(KIND.StatefulSet, "social-redis"));
    assert.deepEqual(redis.args.slice(0, 2), ["--requirepass", "$(REDIS_PASSWORD)"]);
    assert.ok(redis.args.join(" ").includes("--appendonly yes"));
    assert.match(redis.image, /^docker\.io\/library\/redis:7\./);
  });
});

describe("Redis memory", () => {
  const argOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

  it("bounds the queue store at half its limit (room for an AOF rewrite's fork), refusing writes rather than evicting jobs", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    const redis = main(stack.get(KIND.StatefulSet, "social-redis"));
    assert.equal(redis.resources.limits.memory, "512Mi");
    assert.equal(redis.resources.requests.memory, "96Mi");
    assert.equal(argOf(redis.args, "--maxmemory"), String(256 * 1024 ** 2));
    assert.equal(argOf(redis.args, "--maxmemory-policy"), "noeviction");
    assert.equal(argOf(redis.args, "--appendonly"), "yes");
  });

  it("follows the memory limit given, with three quarters of it when nothing is persisted", async () => {
    const { stack } = await deploy({ domain: "social.example", redis: { persistence: false, resources: { limits: { memory: "2Gi" } } } });
    const redis = main(stack.get(KIND.StatefulSet, "social-redis"));
    assert.equal(argOf(redis.args, "--maxmemory"), String(1.5 * 1024 ** 3));
    assert.equal(argOf(redis.args, "--maxmemory-policy"), "noeviction");
  });

  it("keeps one default instance's memory requests within 2 GiB at every moment: steady, during a migration, during a rollout", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    const podRequests = (w: RecordedResource) => {
      const spec = podSpec(w);
      return [...spec.containers, ...(spec.initContainers ?? [])].reduce((s: number, c: any) => s + memoryBytes(c.resources.requests.memory), 0);
    };
    const steady = stack.workloads().filter((w) => w.type !== KIND.Job).reduce((sum, w) => sum + podRequests(w) * (w.inputs.spec.replicas ?? 1), 0);
    // One migration Job at a time; a rollout surges one web and one streaming pod (maxSurge 1), and no Job runs then.
    const migration = steady + podRequests(stack.get(KIND.Job, "social-db-migrate-pre"));
    const rollout = steady + podRequests(stack.get(KIND.Deployment, "social-web")) + podRequests(stack.get(KIND.Deployment, "social-streaming"));
    for (const [moment, bytes] of Object.entries({ steady, migration, rollout })) assert.ok(bytes <= 2 * 1024 ** 3, `${moment}: ${bytes / 1024 ** 2} MiB`);
  });
});

describe("a separate cache Redis", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example", redis: { cache: { enabled: true } } }));
  });

  it("runs memory-only, evicting the least recently used keys as it fills", () => {
    const cache = stack.get(KIND.StatefulSet, "social-redis-cache");
    const c = main(cache);
    assert.deepEqual(c.args.slice(c.args.indexOf("--maxmemory")), ["--maxmemory", String(0.75 * 256 * 1024 ** 2), "--maxmemory-policy", "allkeys-lru", "--appendonly", "no", "--save", ""]);
    assert.deepEqual(podSpec(cache).volumes, [{ name: "data", emptyDir: {} }]);
    assert.equal(stack.find(KIND.PersistentVolumeClaim, "social-redis-cache-data"), undefined);
  });

  it("points Mastodon's cache at it (CACHE_REDIS_*), its password a secret of its own", () => {
    const config = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.deepEqual([config.CACHE_REDIS_HOST, config.CACHE_REDIS_PORT], ["social-redis-cache", "6379"]);
    const secret = stack.get(KIND.Secret, "social-env");
    // The engine marks a map holding secrets as a whole.
    assert.ok(secret.secretInputPaths.some((p) => "stringData.CACHE_REDIS_PASSWORD".startsWith(p)), JSON.stringify(secret.secretInputPaths));
    assert.notEqual(secret.inputs.stringData.CACHE_REDIS_PASSWORD, secret.inputs.stringData.REDIS_PASSWORD);
    assert.equal(config.REDIS_HOST, "social-redis", "the queues stay on the main Redis");
  });

  it("lets only Mastodon's pods reach it, and them reach it", () => {
    const ingress = stack.get(KIND.NetworkPolicy, "social-redis-cache").inputs.spec;
    assert.deepEqual(ingress.ingress[0].ports, [{ protocol: "TCP", port: 6379 }]);
    const egress = stack.get(KIND.NetworkPolicy, "social-mastodon-data").inputs.spec.egress;
    assert.ok(egress.some((r: any) => r.to[0].podSelector?.matchLabels["app.kubernetes.io/component"] === "redis-cache"));
  });

  it("is ready before the pre-deployment migration starts", () => {
    assert.ok(stack.dependsOn(stack.get(KIND.Job, "social-db-migrate-pre"), stack.get(KIND.StatefulSet, "social-redis-cache")));
  });

  it("is off by default", async () => {
    const { stack: plain } = await deploy({ domain: "social.example" });
    assert.equal(plain.find(KIND.StatefulSet, "social-redis-cache"), undefined);
    assert.equal(plain.get(KIND.ConfigMap, "social-env").inputs.data.CACHE_REDIS_HOST, undefined);
  });
});

describe("the data servers' probes", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example" }));
  });

  for (const name of ["social-postgresql", "social-redis"]) {
    it(`gives ${name} a long start-up allowance, then a liveness check that tolerates recovery`, () => {
      const c = main(stack.get(KIND.StatefulSet, name));
      assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 600, "less than 10 minutes to start");
      assert.deepEqual(c.startupProbe.exec.command, c.readinessProbe.exec.command);
      assert.notDeepEqual(c.livenessProbe.exec.command, c.readinessProbe.exec.command);
    });
  }

  it("keeps PostgreSQL alive while it rejects connections (pg_isready status 1), not when it does not answer (2)", () => {
    const script: string = main(stack.get(KIND.StatefulSet, "social-postgresql")).livenessProbe.exec.command[2];
    const statusOf = (pgIsReady: number) => childProcess.spawnSync("sh", ["-c", script.replace(/^pg_isready [^;]*;/, `(exit ${pgIsReady});`)]).status;
    assert.deepEqual([0, 1, 2, 3].map(statusOf), [0, 0, 1, 1]);
  });

  it("keeps Redis alive while it loads its data (LOADING), not when it does not answer", () => {
    const script: string = main(stack.get(KIND.StatefulSet, "social-redis")).livenessProbe.exec.command[2];
    const statusOf = (reply: string) => childProcess.spawnSync("sh", ["-c", script.replace(/^redis-cli [^|]*\|/, `printf '%s' '${reply}' |`)]).status;
    assert.deepEqual(["PONG", "LOADING Redis is loading the dataset in memory", "", "NOAUTH Authentication required."].map(statusOf), [0, 0, 1, 1]);
  });
});

describe("versions and external servers in the environment", () => {
  const streamingEnv = (s: Stack) => Object.fromEntries(main(s.get(KIND.Deployment, "social-streaming")).env.map((e: any) => [e.name, e.value]));

  it("runs one streaming process per pod before 4.3 (STREAMING_CLUSTER_NUM=1), and leaves the variable out from 4.3", async () => {
    const { stack: old } = await deploy({ domain: "social.example", version: "v4.2.10" });
    assert.equal(streamingEnv(old).STREAMING_CLUSTER_NUM, "1");
    const { stack: current } = await deploy({ domain: "social.example" });
    assert.equal(streamingEnv(current).STREAMING_CLUSTER_NUM, undefined);
  });

  it("sets DB_SSLMODE only where the streaming server reads it as libpq does", async () => {
    const sslModeFor = async (sslMode?: string) => {
      const { stack } = await deploy({ domain: "social.example", postgresql: { external: { host: "pg.db.svc", password: "x", ...(sslMode ? { sslMode } : {}) } } });
      return stack.get(KIND.ConfigMap, "social-env").inputs.data.DB_SSLMODE;
    };
    assert.equal(await sslModeFor(), undefined);
    assert.equal(await sslModeFor("allow"), undefined);
    assert.equal(await sslModeFor("disable"), "disable");
    assert.equal(await sslModeFor("verify-full"), "verify-full");
  });
});
