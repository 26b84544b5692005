import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { connectionBudget, parseArgs } from "../../provider/args";
import { memoryBytes } from "../../provider/containers";
import { OPENSEARCH_UID, esHost, searchDeployCommand } from "../../provider/search";
import { RecordedResource } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack, changedUrns, deploy } from "../harness/stack";

const SEARCH = { domain: "social.example", search: { enabled: true } };
const ES_VARIABLES = ["ES_ENABLED", "ES_HOST", "ES_PORT", "ES_USER", "ES_PASS", "ES_PREFIX", "ES_PRESET"];

/** Does a label selector (matchLabels and matchExpressions "In") select these labels? */
function selects(selector: any, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e: any) => e.operator === "In" && e.values.includes(labels[e.key]));
  return byLabels && byExpressions;
}
const podLabels = (w: RecordedResource) => w.inputs.spec.template.metadata.labels;
const container = (w: RecordedResource) => w.inputs.spec.template.spec.containers[0];
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));
const envConfig = (s: Stack) => s.get(KIND.ConfigMap, "social-env").inputs.data;
const podRequests = (w: RecordedResource) => {
  const spec = w.inputs.spec.template.spec;
  return [...spec.containers, ...(spec.initContainers ?? [])].reduce((sum: number, c: any) => sum + memoryBytes(c.resources.requests.memory), 0);
};
const steadyRequests = (s: Stack) => s.workloads().filter((w) => w.type !== KIND.Job).reduce((sum, w) => sum + podRequests(w) * (w.inputs.spec.replicas ?? 1), 0);

describe("full-text search", () => {
  let stack: Stack;
  let off: Stack;
  before(async () => {
    ({ stack } = await deploy(SEARCH));
    ({ stack: off } = await deploy({ domain: "social.example" }));
  });
  const server = () => stack.get(KIND.StatefulSet, "social-search");
  const job = () => stack.get(KIND.Job, "social-search-deploy");

  describe("off (the default)", () => {
    it("adds nothing: no variable, server, claim, Job or policy, and the same footprint as before", () => {
      for (const v of ES_VARIABLES) assert.equal(envConfig(off)[v], undefined, v);
      assert.equal(off.resources.filter((r) => /search/.test(r.name)).length, 0, off.resources.filter((r) => /search/.test(r.name)).map((r) => r.name).join(", "));
      assert.deepEqual(off.workloads().map((w) => w.name).sort(), [
        "social-db-migrate-post", "social-db-migrate-pre", "social-postgresql", "social-redis", "social-sidekiq-default", "social-streaming", "social-web",
      ]);
    });
  });

  describe("embedded", () => {
    it("points every Mastodon process at the embedded server, one node, no replica", () => {
      const env = envConfig(stack);
      assert.deepEqual(
        Object.fromEntries(ES_VARIABLES.filter((v) => env[v] !== undefined).map((v) => [v, env[v]])),
        { ES_ENABLED: "true", ES_HOST: "social-search", ES_PORT: "9200", ES_PRESET: "single_node_cluster" },
      );
      assert.equal(stack.get(KIND.Service, "social-search").inputs.spec.ports[0].port, 9200);
    });

    it("runs the pinned official OpenSearch 2 image as one node, without mmap, privileges or an init container", () => {
      const c = container(server());
      assert.equal(c.image, "docker.io/opensearchproject/opensearch:2.19.4");
      const env = envOf(c);
      assert.equal(env["discovery.type"], "single-node");
      assert.equal(env["node.store.allow_mmap"], "false");
      assert.equal(env.DISABLE_SECURITY_PLUGIN, "true");
      assert.equal(env.DISABLE_INSTALL_DEMO_CONFIG, "true");
      assert.equal(env["network.host"], "0.0.0.0");
      const pod = server().inputs.spec.template.spec;
      assert.equal(server().inputs.spec.replicas, 1);
      assert.equal(pod.initContainers, undefined);
      assert.deepEqual([pod.securityContext.runAsUser, pod.securityContext.fsGroup, pod.securityContext.runAsNonRoot], [OPENSEARCH_UID, OPENSEARCH_UID, true]);
      assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      assert.equal(pod.automountServiceAccountToken, false);
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.ok(c[probe], probe);
      assert.equal(c.readinessProbe.httpGet.port, 9200);
    });

    it("states its memory: a 1Gi request, its JVM heap half of it, and follows the request given", async () => {
      const c = container(server());
      assert.deepEqual(c.resources, { requests: { cpu: "100m", memory: "1Gi" }, limits: { cpu: "1", memory: "1536Mi" } });
      assert.equal(envOf(c).OPENSEARCH_JAVA_OPTS, "-Xms512m -Xmx512m");
      const { stack: big } = await deploy({ ...SEARCH, search: { enabled: true, resources: { requests: { memory: "3Gi" }, limits: { memory: "4Gi" } } } });
      assert.equal(envOf(container(big.get(KIND.StatefulSet, "social-search"))).OPENSEARCH_JAVA_OPTS, "-Xms1536m -Xmx1536m");
    });

    it("adds exactly the server's 1Gi to the steady memory requests, and the index Job's 384Mi only while it runs", () => {
      assert.equal(steadyRequests(stack) - steadyRequests(off), 1024 ** 3);
      assert.equal(podRequests(job()) - (job().inputs.spec.template.spec.initContainers ?? []).reduce((s: number, c: any) => s + memoryBytes(c.resources.requests.memory), 0), 384 * 1024 ** 2);
    });

    it("keeps the index on a claim of its own, protected and retained, that no version, image or size change replaces", async () => {
      const claim = stack.get(KIND.PersistentVolumeClaim, "social-search-data");
      assert.ok(claim.protect && claim.retainOnDelete);
      assert.deepEqual(claim.inputs.spec.accessModes, ["ReadWriteOnce"]);
      assert.equal(claim.inputs.spec.resources.requests.storage, "8Gi");
      assert.equal(server().inputs.spec.volumeClaimTemplates, undefined);
      assert.equal(server().inputs.spec.template.spec.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName, "social-search-data");
      assert.equal(container(server()).volumeMounts[0].mountPath, "/usr/share/opensearch/data");
      const { stack: changed } = await deploy({ ...SEARCH, version: "v4.5.2", search: { enabled: true, image: "docker.io/opensearchproject/opensearch:2.19.3", storageSize: "20Gi" } });
      const after = changed.get(KIND.PersistentVolumeClaim, "social-search-data").inputs;
      assert.equal(after.spec.resources.requests.storage, "20Gi");
      for (const field of ["accessModes", "storageClassName", "selector", "volumeName"]) assert.deepEqual(after.spec[field], claim.inputs.spec[field], field);
      assert.equal(after.metadata.name, claim.inputs.metadata.name);
      const identity = (s: RecordedResource) => ({ name: s.inputs.metadata.name, serviceName: s.inputs.spec.serviceName, selector: s.inputs.spec.selector, templates: s.inputs.spec.volumeClaimTemplates });
      assert.deepEqual(identity(changed.get(KIND.StatefulSet, "social-search")), identity(server()));
    });

    it("produces objects Kubernetes' schemas accept (dotted setting names in env included)", async () => {
      assert.deepEqual(await schemaErrors(stack.resources.filter((r) => /search/.test(r.name))), []);
      assert.ok(stack.resources.filter((r) => /search/.test(r.name)).length >= 6);
    });

    it("is not awaited by the rollout: nothing but the index Job waits for it", () => {
      const waiting = stack.resources.filter((r) => r !== server() && stack.dependsOn(r, server())).map((r) => r.name);
      assert.deepEqual(waiting, ["social-search-deploy"]);
    });
  });

  describe("the index Job", () => {
    it("runs `tootctl search deploy` after the post-deployment migration and the search server, and nothing waits for it", () => {
      assert.ok(stack.dependsOn(job(), stack.get(KIND.Job, "social-db-migrate-post")));
      assert.ok(stack.dependsOn(job(), server()));
      assert.ok(stack.dependsOn(job(), stack.get(KIND.Service, "social-search")));
      for (const d of stack.ofType(KIND.Deployment)) assert.ok(stack.dependsOn(job(), d), `does not wait for ${d.name}`);
      for (const r of stack.resources.filter((r) => r !== job())) assert.ok(!r.dependencies.includes(job().urn), `${r.name} waits for the index Job`);
      assert.deepEqual(container(job()).command, ["tootctl", "search", "deploy", "--concurrency=5", "--batch-size=100"]);
    });

    it("runs in the instance's image and environment, with a pool for its threads", () => {
      const web = container(stack.get(KIND.Deployment, "social-web"));
      assert.equal(container(job()).image, web.image);
      assert.deepEqual(container(job()).envFrom, web.envFrom);
      assert.equal(envOf(container(job())).DB_POOL, "6");
      assert.deepEqual(container(job()).resources.requests, { cpu: "100m", memory: "384Mi" });
    });

    it("is named by Pulumi, retried by the next `pulumi up` when it failed, within a deadline the engine outwaits", () => {
      assert.equal(job().inputs.metadata.name, undefined);
      assert.equal(job().inputs.metadata.annotations["pulumi.com/replaceUnready"], "true");
      assert.equal(job().inputs.spec.activeDeadlineSeconds, 21600);
      assert.deepEqual(job().customTimeouts, { create: "370m", update: "370m", delete: "" });
      const pod = job().inputs.spec.template.spec;
      assert.equal(pod.restartPolicy, "Never");
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.containers[0].securityContext.allowPrivilegeEscalation, false);
    });

    it("runs again on a version change and on a change of the environment, not on a run with the same inputs", async () => {
      const template = (s: Stack) => s.get(KIND.Job, "social-search-deploy").inputs.spec.template;
      const { stack: same } = await deploy(SEARCH);
      assert.deepEqual(template(same), template(stack));
      const { stack: upgraded } = await deploy({ ...SEARCH, version: "v4.5.2" });
      assert.notDeepEqual(template(upgraded), template(stack));
      const { stack: reconfigured } = await deploy({ ...SEARCH, extraEnv: { DEFAULT_LOCALE: "de" } });
      assert.notDeepEqual(template(reconfigured), template(stack));
      // A rerun changes no data: the server and its claim stay as they were.
      const changed = changedUrns(stack.resources, upgraded.resources).map((u) => u.split("::").pop());
      assert.ok(changed.includes("social-search-deploy"));
      for (const kept of ["social-search", "social-search-data"]) assert.ok(!changed.includes(kept), `${kept} changed`);
    });

    it("takes tootctl's concurrency, batch size and deadline from search.deploy", async () => {
      const { stack: tuned } = await deploy({ ...SEARCH, search: { enabled: true, deploy: { concurrency: 2, batchSize: 500, activeDeadlineSeconds: 3600 } } });
      const j = tuned.get(KIND.Job, "social-search-deploy");
      assert.deepEqual(container(j).command, searchDeployCommand({ concurrency: 2, batchSize: 500 }));
      assert.equal(envOf(container(j)).DB_POOL, "3");
      assert.equal(j.inputs.spec.activeDeadlineSeconds, 3600);
    });
  });

  describe("the network boundary", () => {
    const policy = (s: Stack, id: string) => s.get(KIND.NetworkPolicy, `social-${id}`).inputs.spec;
    const clientNames = ["social-search-deploy", "social-sidekiq-default", "social-web"];

    it("lets only web, sidekiq and the index Job reach the server, on 9200", () => {
      const spec = policy(stack, "search");
      assert.deepEqual(spec.policyTypes, ["Ingress"]);
      assert.ok(selects(spec.podSelector, podLabels(server())));
      assert.equal(spec.ingress.length, 1);
      assert.deepEqual(spec.ingress[0].ports, [{ protocol: "TCP", port: 9200 }]);
      const admitted = stack.workloads().filter((w) => spec.ingress[0].from.some((p: any) => selects(p.podSelector, podLabels(w)))).map((w) => w.name).sort();
      assert.deepEqual(admitted, clientNames);
    });

    it("gives those clients, and only them, egress to the server's pods on 9200", () => {
      const spec = policy(stack, "search-clients");
      assert.deepEqual(spec.egress, [{ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "mastodon", "app.kubernetes.io/instance": "social", "app.kubernetes.io/component": "search" } } }], ports: [{ protocol: "TCP", port: 9200 }] }]);
      assert.deepEqual(stack.workloads().filter((w) => selects(spec.podSelector, podLabels(w))).map((w) => w.name).sort(), clientNames);
    });

    it("lets the server reach nothing but the cluster DNS, and admit nothing but its clients", () => {
      const selecting = stack.ofType(KIND.NetworkPolicy).filter((p) => selects(p.inputs.spec.podSelector, podLabels(server())));
      assert.deepEqual(selecting.map((p) => p.name).sort(), ["social-default-deny", "social-dns", "social-search"]);
      const egress = selecting.flatMap((p) => p.inputs.spec.egress ?? []);
      assert.deepEqual(egress.flatMap((e: any) => e.ports.map((p: any) => p.port)), [53, 53]);
    });

    it("lets the index Job reach PostgreSQL and Redis like every Mastodon pod", () => {
      const data = policy(stack, "mastodon-data").podSelector;
      assert.ok(selects(data, podLabels(job())));
      assert.ok(selects(policy(stack, "postgresql").ingress[0].from[0].podSelector, podLabels(job())));
    });
  });

  describe("external", () => {
    const external = { host: "opensearch.search", password: "s3cret", user: "mastodon", scheme: "https" };

    it("points Mastodon at it (https, user, an index prefix of the instance's name, the password a secret), and runs no server", async () => {
      const { stack: ext } = await deploy({ ...SEARCH, search: { enabled: true, external } });
      const env = envConfig(ext);
      assert.deepEqual(
        [env.ES_ENABLED, env.ES_HOST, env.ES_PORT, env.ES_USER, env.ES_PREFIX, env.ES_PRESET, env.ES_PASS],
        ["true", "https://opensearch.search", "9200", "mastodon", "social", "single_node_cluster", undefined],
      );
      const secret = ext.get(KIND.Secret, "social-env");
      assert.equal(secret.inputs.stringData.ES_PASS, "s3cret");
      assert.ok(secret.secretInputPaths.some((p) => "stringData.ES_PASS".startsWith(p)));
      assert.equal(ext.find(KIND.StatefulSet, "social-search"), undefined);
      assert.equal(ext.find(KIND.PersistentVolumeClaim, "social-search-data"), undefined);
      assert.equal(ext.find(KIND.NetworkPolicy, "social-search"), undefined);
      assert.ok(ext.find(KIND.Job, "social-search-deploy"));
    });

    it("is reached by its clients on its port: its Service's namespace and the cluster's ranges", async () => {
      const { stack: ext } = await deploy({ ...SEARCH, search: { enabled: true, external: { host: "opensearch.search", port: 9201, preset: "small_cluster", indexPrefix: "lab" } } });
      assert.deepEqual(ext.get(KIND.NetworkPolicy, "social-search-clients").inputs.spec.egress, [{
        to: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "search" } } },
          { ipBlock: { cidr: "10.42.0.0/16" } },
          { ipBlock: { cidr: "10.43.0.0/16" } },
        ],
        ports: [{ protocol: "TCP", port: 9201 }],
      }]);
      const env = envConfig(ext);
      assert.deepEqual([env.ES_PORT, env.ES_PRESET, env.ES_PREFIX, env.ES_USER], ["9201", "small_cluster", "lab", undefined]);
    });

    it("is held to the isolation rule, given as a string or as an Output", async () => {
      assert.throws(() => parseArgs("social", { ...SEARCH, search: { enabled: true, external: { host: "search.example.com" } } }),
        /args\.search\.external\.host: got "search\.example\.com"; expected an in-cluster Service or an address in clusterCidrs/);
      assert.ok(parseArgs("social", { ...SEARCH, allowPublicEgress: true, search: { enabled: true, external: { host: "search.example.com" } } }));
      const config = parseArgs("social", { ...SEARCH, search: { enabled: true, external: { host: pulumi.output("search.example.com") } } });
      await assert.rejects((config.search.external!.host as any).promise(), /args\.search\.external\.host: got "search\.example\.com"; expected an in-cluster Service/);
    });

    it("writes an IPv6 address in brackets", () => {
      assert.equal(esHost("fd00:10:43::7", "http"), "[fd00:10:43::7]");
      assert.equal(esHost("fd00:10:43::7", "https"), "https://[fd00:10:43::7]");
      assert.equal(esHost("10.43.0.7", "http"), "10.43.0.7");
    });
  });

  describe("validation", () => {
    const bad = (search: object, extra: object = {}) => () => parseArgs("social", { domain: "social.example", ...extra, search } as any);

    it("refuses settings while search is off", () => {
      assert.throws(bad({ image: "docker.io/opensearchproject/opensearch:2.19.4" }), /args\.search\.image: got "docker\.io\/opensearchproject\/opensearch:2\.19\.4"; expected nothing unless search\.enabled is true/);
      assert.throws(bad({ enabled: false, external: { host: "os.search" } }), /args\.search\.external: .*expected nothing unless search\.enabled is true/);
      assert.throws(bad({ deploy: { concurrency: 2 } }), /args\.search\.deploy: .*expected nothing unless search\.enabled is true/);
    });

    it("refuses the embedded server's settings beside an external server", () => {
      assert.throws(bad({ enabled: true, external: { host: "os.search" }, storageSize: "20Gi" }), /args\.search\.storageSize: got "20Gi"; expected nothing: search\.storageSize configures the embedded server, and search\.external is set/);
      assert.throws(bad({ enabled: true, external: { host: "os.search" }, resources: { requests: { memory: "2Gi" } } }), /args\.search\.resources: .*search\.external is set/);
    });

    it("refuses a user without a password and a password without a user, a scheme in the host, a bad prefix or preset", () => {
      assert.throws(bad({ enabled: true, external: { host: "os.search", user: "mastodon" } }), /args\.search\.external\.user: got "mastodon"; expected search\.external\.user and search\.external\.password given together, or neither/);
      assert.throws(bad({ enabled: true, external: { host: "os.search", password: "x" } }), /args\.search\.external\.password: got \[secret\]; expected search\.external\.user and search\.external\.password/);
      assert.throws(bad({ enabled: true, external: { host: "https://os.search" } }), /args\.search\.external\.host: got "https:\/\/os\.search"; expected a host name or address without a scheme/);
      assert.throws(bad({ enabled: true, external: { host: "os.search", indexPrefix: "Lab" } }), /args\.search\.external\.indexPrefix: got "Lab"; expected an index prefix/);
      assert.throws(bad({ enabled: true, external: { host: "os.search", preset: "tiny" } }), /args\.search\.external\.preset: got "tiny"; expected single_node_cluster, small_cluster or large_cluster/);
    });

    it("refuses an embedded image that is not a pinned OpenSearch 2", () => {
      assert.throws(bad({ enabled: true, image: "docker.io/opensearchproject/opensearch:latest" }), /args\.search\.image: .*expected an image pinned by a version tag or a digest/);
      assert.throws(bad({ enabled: true, image: "docker.io/opensearchproject/opensearch:3.3.2" }), /args\.search\.image: got "docker\.io\/opensearchproject\/opensearch:3\.3\.2"; expected an OpenSearch 2\.x image/);
      assert.ok(parseArgs("social", { domain: "social.example", search: { enabled: true, image: "registry.lab/opensearch@sha256:" + "a".repeat(64) } }));
    });

    it("refuses a memory request too small for a heap of half of it, and a limit below the request", () => {
      assert.throws(bad({ enabled: true, resources: { requests: { memory: "256Mi" } } }), /args\.search\.resources\.requests\.memory: got "256Mi"; expected at least 512Mi: the JVM heap is half the memory request/);
      assert.throws(bad({ enabled: true, resources: { requests: { memory: "2Gi" } } }), /args\.search\.resources\.limits\.memory: got "1536Mi"; expected at least the memory request \(2Gi\)/);
      assert.throws(bad({ enabled: true, resources: { requests: { memory: "512m" } } }), /args\.search\.resources\.requests\.memory: got "512m"; expected at least 512Mi/);
    });

    it("refuses the ES_* variables in extraEnv: search has its own input", () => {
      assert.throws(() => parseArgs("social", { domain: "social.example", extraEnv: { ES_ENABLED: "true" } }), /args\.extraEnv\.ES_ENABLED/);
    });

    it("counts the index Job's connections in the connection budget", () => {
      const budget = (searchDeploy?: number) => connectionBudget({ web: { replicas: 1, processes: 1, threads: 1 }, streaming: { replicas: 1, dbPool: 1 }, searchDeploy }, [{ name: "default", concurrency: 1, replicas: 1 }]);
      assert.equal(budget(undefined).total, 1 + 1 + 1 + 2);
      assert.equal(budget(21).total, 1 + 1 + 1 + 21);
      assert.throws(bad({ enabled: true, deploy: { concurrency: 50 } }, { postgresql: { maxConnections: 60 } }), /args\.postgresql\.maxConnections: .*search index Job 51/);
    });
  });
});
