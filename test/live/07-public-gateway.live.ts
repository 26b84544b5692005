/**
 * Journey 7, a public instance through its own egress gateway (`egressGateway: { enabled: true }`): its
 * preview with the policy pack but the isolated lab's config is refused, naming the policy and the gateway's
 * NetworkPolicy; `pulumi up` with the pack and the config docs/networking.md documents
 * (policy-config.public.json, the gateway's namespace set to this instance's) passes; the gateway's
 * Deployment, Service and NetworkPolicy exist and its pods run under the namespace's restricted Pod Security
 * level.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, kubectlItems, kubectlJson, tail } from "./harness";
import { POLICY_PACK, markFailed, newInstanceStack, policyConfigFile } from "./stacks";

const PUBLIC = { stack: "public", instance: "public", domain: "public.live.test" };
const GATEWAY = `${PUBLIC.instance}-egress-gateway`;

/** policy-config.public.json as shipped, its gateway entries moved to `namespace` (the file's is "social"). */
function publicPolicyConfig(dir: string, namespace: string): string {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-config.public.json"), "utf8"));
  const entries = config["networkpolicy-egress-outside-cluster"].egressGateways as Array<{ namespace: string }>;
  assert.ok(entries.length > 0, "policy-config.public.json lists no egress gateway");
  for (const entry of entries) entry.namespace = namespace;
  const file = path.join(dir, "policy-config.public.json");
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

describe("live 7: a public instance through its egress gateway passes the pack with its documented config", function () {
  this.timeout(20 * 60 * 1000);
  const stack = () => newInstanceStack(PUBLIC.stack, PUBLIC.instance, PUBLIC.domain, { egressGateway: "true" });
  let namespace: string;
  let created: ReturnType<typeof stack>;

  before(() => {
    created = stack();
  });

  it("fails the preview with the pack but without the gateway in its config, naming the policy and the gateway's NetworkPolicy", () => {
    const r = created.pulumi(["preview", "--policy-pack", POLICY_PACK, "--policy-pack-config", policyConfigFile(created.dir)]);
    const out = `${r.stdout}\n${r.stderr}`;
    assert.notEqual(r.status, 0, `the preview passed:\n${tail(r)}`);
    assert.match(out, /networkpolicy-egress-outside-cluster/, `the refusal does not name the policy:\n${tail(r)}`);
    assert.match(out, new RegExp(`NetworkPolicy/${PUBLIC.instance}/${GATEWAY}`), `the refusal does not name the gateway's NetworkPolicy:\n${tail(r)}`);
    assert.match(out, /mandatory/, `the violation is not mandatory:\n${tail(r)}`);
    assert.deepEqual(kubectlItems("namespaces").filter((n) => n.metadata.name === PUBLIC.instance), [], "a preview created objects");
  });

  it("deploys with `pulumi up --policy-pack policy --policy-pack-config policy-config.public.json`", () => {
    const config = publicPolicyConfig(created.dir, PUBLIC.instance);
    const up = created.pulumi(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK, "--policy-pack-config", config]);
    if (up.status !== 0) {
      markFailed(PUBLIC.stack, "pulumi up failed");
      assert.fail(`pulumi up with the public policy config failed:\n${tail(up, 80)}`);
    }
    assert.doesNotMatch(`${up.stdout}\n${up.stderr}`, /Policy Violations/, `the pack reported violations:\n${tail(up)}`);
    namespace = created.outputs().namespace;
    assert.equal(namespace, PUBLIC.instance);
  });

  it("runs the gateway: its Deployment, Service on 3128 and NetworkPolicy, and web and sidekiq point at it", () => {
    assert.ok(namespace, "the instance was not deployed");
    const deployment = kubectlJson(["get", "deployment", GATEWAY, "-n", namespace]);
    assert.equal(deployment.status.readyReplicas, deployment.spec.replicas, `Deployment ${GATEWAY} is not ready: ${JSON.stringify(deployment.status)}`);
    assert.match(deployment.spec.template.spec.containers[0].image, /^docker\.io\/ubuntu\/squid:/);
    const service = kubectlJson(["get", "service", GATEWAY, "-n", namespace]);
    assert.deepEqual(service.spec.ports.map((p: any) => p.port), [3128]);
    const policy = kubectlJson(["get", "networkpolicy", GATEWAY, "-n", namespace]);
    assert.deepEqual(policy.spec.policyTypes.sort(), ["Egress", "Ingress"]);
    const blocks = policy.spec.egress.flatMap((rule: any) => (rule.to ?? []).map((peer: any) => peer.ipBlock).filter(Boolean));
    const ipv4 = blocks.find((b: any) => b.cidr === "0.0.0.0/0");
    assert.ok(ipv4, `no public IPv4 egress on the gateway: ${JSON.stringify(blocks)}`);
    for (const range of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"]) {
      assert.ok(ipv4.except.includes(range), `the gateway's egress does not except ${range}: ${JSON.stringify(ipv4.except)}`);
    }
    const web = kubectlJson(["get", "deployment", `${PUBLIC.instance}-web`, "-n", namespace]);
    const envFrom = web.spec.template.spec.containers[0].envFrom.find((e: any) => e.configMapRef)?.configMapRef.name;
    assert.ok(envFrom, "web takes its environment from no ConfigMap");
    const env = kubectlJson(["get", "configmap", envFrom, "-n", namespace]).data;
    assert.equal(env.http_proxy, `http://${GATEWAY}.${namespace}.svc.cluster.local:3128`);
    assert.equal(env.ALLOWED_PRIVATE_ADDRESSES, undefined);
  });

  it("runs the gateway's pods under the namespace's restricted Pod Security level", () => {
    assert.ok(namespace, "the instance was not deployed");
    const ns = kubectlJson(["get", "namespace", namespace]);
    assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted", `namespace ${namespace}'s enforce label`);
    const pods = kubectlItems("pods", namespace, "app.kubernetes.io/component=egress-gateway");
    assert.ok(pods.length >= 1, `no gateway pod in ${namespace}`);
    // The API server admitted them under that label; each runs.
    assert.deepEqual(pods.filter((p) => p.status.phase !== "Running").map((p) => `${p.metadata.name}: ${p.status.phase}`), [], "gateway pods not running");
    const events = kubectlItems("events", namespace).filter((e) => /violates PodSecurity/.test(e.message ?? ""));
    assert.deepEqual(events.map((e) => e.message), [], "PodSecurity refusals");
  });
});
