import * as assert from "node:assert/strict";
import { parseArgs } from "../../provider/args";
import { METRICS_LABEL, METRICS_PORT, metricsEnv } from "../../provider/metrics";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack, deploy } from "../harness/stack";

const SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const EXPORTER_VARIABLES = [
  "MASTODON_PROMETHEUS_EXPORTER_ENABLED", "MASTODON_PROMETHEUS_EXPORTER_LOCAL", "MASTODON_PROMETHEUS_EXPORTER_HOST", "MASTODON_PROMETHEUS_EXPORTER_PORT",
];

describe("metrics", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example", metrics: { enabled: true, monitoringNamespace: "prometheus" } }));
  });
  const envConfig = (s: Stack) => s.get(KIND.ConfigMap, "social-env").inputs.data;

  it("turn on Mastodon's in-process exporter on every address, port 9394", () => {
    const env = envConfig(stack);
    assert.equal(env.MASTODON_PROMETHEUS_EXPORTER_ENABLED, "true");
    assert.equal(env.MASTODON_PROMETHEUS_EXPORTER_LOCAL, "true");
    assert.equal(env.MASTODON_PROMETHEUS_EXPORTER_HOST, "0.0.0.0");
    assert.equal(env.MASTODON_PROMETHEUS_EXPORTER_PORT, String(METRICS_PORT));
    assert.equal(env.MASTODON_PROMETHEUS_EXPORTER_WEB_DETAILED_METRICS, undefined);
  });

  it("restart the processes when turned on (the variables are in the config hash)", async () => {
    const { stack: off } = await deploy({ domain: "social.example" });
    const hash = (s: Stack) => s.get(KIND.Deployment, "social-web").inputs.spec.template.metadata.annotations["mastodon.pulumi.com/config-hash"];
    assert.notEqual(hash(stack), hash(off));
  });

  it("give each process a headless Service with a port named metrics, created after its rollout", () => {
    for (const [component, port] of [["web", 9394], ["sidekiq", 9394], ["streaming", 4000]] as const) {
      const service = stack.get(KIND.Service, `social-${component}-metrics`);
      assert.equal(service.inputs.spec.clusterIP, "None");
      assert.deepEqual(service.inputs.spec.ports, [{ name: "metrics", port, targetPort: port, protocol: "TCP" }]);
      assert.equal(service.inputs.spec.selector["app.kubernetes.io/component"], component);
      assert.equal(service.inputs.metadata.labels[METRICS_LABEL], "true");
    }
    assert.ok(stack.dependsOn(stack.get(KIND.Service, "social-web-metrics"), stack.get(KIND.Deployment, "social-web")));
  });

  it("admit scrapes from the monitoring namespace only, on the metrics ports only", () => {
    const policy = stack.get(KIND.NetworkPolicy, "social-metrics").inputs.spec;
    assert.deepEqual(policy.policyTypes, ["Ingress"]);
    assert.deepEqual(policy.ingress, [{
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "prometheus" } } }],
      ports: [{ protocol: "TCP", port: 9394 }, { protocol: "TCP", port: 4000 }],
    }]);
    assert.deepEqual(policy.podSelector.matchExpressions[0].values, ["web", "sidekiq", "streaming"]);
  });

  it("create no ServiceMonitor unless asked, and one selecting the metrics Services when asked", async () => {
    assert.equal(stack.ofType(SERVICE_MONITOR).length, 0);
    const { stack: withMonitor } = await deploy({ domain: "social.example", metrics: { enabled: true, serviceMonitor: true } });
    const monitor = withMonitor.get(SERVICE_MONITOR, "social-metrics").inputs;
    assert.deepEqual(monitor.spec.selector.matchLabels, { "app.kubernetes.io/instance": "social", [METRICS_LABEL]: "true" });
    assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: ["social"] });
    assert.deepEqual(monitor.spec.endpoints, [{ port: "metrics", path: "/metrics", interval: "30s" }]);
    // The ServiceMonitor too, against the Prometheus Operator's schema.
    assert.deepEqual(await schemaErrors(withMonitor.resources), []);
  });

  it("add the detailed metrics only when asked", async () => {
    const { stack: detailed } = await deploy({ domain: "social.example", metrics: { enabled: true, detailed: true } });
    assert.equal(envConfig(detailed).MASTODON_PROMETHEUS_EXPORTER_WEB_DETAILED_METRICS, "true");
    assert.equal(envConfig(detailed).MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS, "true");
  });

  it("listen on IPv6 on an IPv6-only cluster", () => {
    const config = parseArgs("social", { domain: "social.example", metrics: { enabled: true }, clusterCidrs: ["fd00:10:42::/56", "fd00:10:43::/112"] });
    assert.equal(metricsEnv(config).MASTODON_PROMETHEUS_EXPORTER_HOST, "::");
  });

  it("are off by default: no variable, no Service, no policy", async () => {
    const { stack: off } = await deploy({ domain: "social.example" });
    for (const v of EXPORTER_VARIABLES) assert.equal(envConfig(off)[v], undefined, v);
    assert.equal(off.find(KIND.Service, "social-web-metrics"), undefined);
    assert.equal(off.find(KIND.NetworkPolicy, "social-metrics"), undefined);
  });

  it("are refused before Mastodon 4.4, and their options without them; the exporter's variables are the component's", () => {
    assert.throws(() => parseArgs("social", { domain: "social.example", version: "v4.3.0", metrics: { enabled: true } }),
      /args\.metrics\.enabled: got true; expected false with version v4\.3\.0: Mastodon's Prometheus exporter exists from v4\.4\.0/);
    assert.throws(() => parseArgs("social", { domain: "social.example", metrics: { serviceMonitor: true } }),
      /args\.metrics\.serviceMonitor: got true; expected false or nothing unless metrics\.enabled is true/);
    assert.throws(() => parseArgs("social", { domain: "social.example", extraEnv: { MASTODON_PROMETHEUS_EXPORTER_ENABLED: "true" } }),
      /args\.extraEnv\.MASTODON_PROMETHEUS_EXPORTER_ENABLED/);
  });
});
