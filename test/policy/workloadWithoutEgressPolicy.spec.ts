import * as assert from "node:assert/strict";
import { CheckedResource, UNKNOWN, urnOf } from "../../policy/check";
import { workloadWithoutEgressPolicy } from "../../policy/workloadWithoutEgressPolicy";
import { DEFAULT_ALLOWED, deployment, findings, messages, networkPolicy, service, workload, WORKLOADS } from "./fixtures";

const POLICY = "workload-without-egress-policy";

/** An egress-restricting NetworkPolicy with the given podSelector. */
function selecting(podSelector: any, namespace: string | null = "mastodon", name = "np"): CheckedResource {
  return networkPolicy(name, { podSelector, policyTypes: ["Egress"], egress: [] }, namespace);
}

function unselected(resources: CheckedResource[]): string[] {
  return messages(POLICY, resources).map((m) => m.split(" ")[0]);
}

describe("policy/workloadWithoutEgressPolicy", () => {
  it("is a mandatory, high-severity stack policy", () => {
    assert.equal(workloadWithoutEgressPolicy.name, POLICY);
    assert.equal(workloadWithoutEgressPolicy.enforcementLevel, "mandatory");
    assert.equal(workloadWithoutEgressPolicy.severity, "high");
    assert.equal(typeof workloadWithoutEgressPolicy.validateStack, "function");
  });

  it("reports an unselected workload by kind, namespace and name, against its URN, with the allowed ranges", () => {
    const web = deployment("web");
    const [finding, ...rest] = findings(POLICY, [web]);
    assert.equal(rest.length, 0);
    assert.equal(finding.resource, urnOf(web));
    assert.equal(finding.enforcementLevel, "mandatory");
    assert.equal(
      finding.message,
      'Deployment/mastodon/web is selected by no NetworkPolicy with policyType Egress in namespace "mastodon", so its ' +
        `pods may reach any address; add one that allows egress only to the ${DEFAULT_ALLOWED}`,
    );
  });

  describe("for every workload kind", () => {
    for (const { kind } of WORKLOADS) {
      it(`checks a ${kind} by its pod labels`, () => {
        const w = workload(kind, "w", { labels: { app: "worker" } });
        assert.deepEqual(unselected([w, selecting({ matchLabels: { app: "web" } })]), [`${kind}/mastodon/w`]);
        assert.deepEqual(unselected([w, selecting({ matchLabels: { app: "worker" } })]), []);
      });
    }

    it("reads a CronJob's labels from its job template, not its own metadata", () => {
      const cron = workload("CronJob", "cleanup", { labels: { app: "cleanup" } });
      cron.props.metadata.labels = { app: "web" };
      assert.deepEqual(unselected([cron, selecting({ matchLabels: { app: "web" } })]), ["CronJob/mastodon/cleanup"]);
    });

    it("ignores resources that run no pods", () => {
      assert.deepEqual(unselected([service("web", { selector: { app: "web" } })]), []);
    });
  });

  describe("counts a NetworkPolicy", () => {
    const web = () => deployment("web", { labels: { app: "web", tier: "front" } });
    const counted: Array<[string, CheckedResource]> = [
      ["with an empty podSelector", selecting({})],
      ["with no podSelector (Kubernetes reads it as empty)", networkPolicy("np", { policyTypes: ["Egress"], egress: [] })],
      ["whose matchLabels are a subset of the pod's labels", selecting({ matchLabels: { tier: "front" } })],
      ["without policyTypes but with egress rules", networkPolicy("np", { podSelector: {}, egress: [{ to: [{ podSelector: {} }] }] })],
      ["with policyTypes Ingress and Egress", networkPolicy("np", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })],
      ["with matchExpressions In", selecting({ matchExpressions: [{ key: "app", operator: "In", values: ["web", "streaming"] }] })],
      ["with matchExpressions NotIn, which a pod without the key satisfies", selecting({ matchExpressions: [{ key: "role", operator: "NotIn", values: ["db"] }] })],
      ["with matchExpressions Exists", selecting({ matchExpressions: [{ key: "tier", operator: "Exists" }] })],
      ["with matchExpressions DoesNotExist", selecting({ matchExpressions: [{ key: "role", operator: "DoesNotExist" }] })],
      [
        "whose matchLabels and matchExpressions both hold",
        selecting({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["front"] }] }),
      ],
    ];
    for (const [what, np] of counted) {
      it(what, () => {
        assert.deepEqual(unselected([web(), np]), []);
      });
    }
  });

  describe("does not count a NetworkPolicy", () => {
    const web = () => deployment("web", { labels: { app: "web", tier: "front" } });
    const ignored: Array<[string, CheckedResource]> = [
      ["of another namespace", selecting({}, "other")],
      ["of the default namespace for a workload elsewhere", selecting({}, null)],
      ["with policyTypes Ingress only", networkPolicy("np", { podSelector: {}, policyTypes: ["Ingress"], egress: [{ to: [] }] })],
      ["without policyTypes and without egress rules", networkPolicy("np", { podSelector: {}, ingress: [{}] })],
      ["without policyTypes and with egress: []", networkPolicy("np", { podSelector: {}, egress: [] })],
      ["whose matchLabels differ in one value", selecting({ matchLabels: { app: "web", tier: "back" } })],
      ["whose matchLabels name a label the pod lacks", selecting({ matchLabels: { app: "web", role: "api" } })],
      ["with matchExpressions In not holding", selecting({ matchExpressions: [{ key: "app", operator: "In", values: ["streaming"] }] })],
      ["with matchExpressions In on a missing key", selecting({ matchExpressions: [{ key: "role", operator: "In", values: ["web"] }] })],
      ["with matchExpressions NotIn the pod's value", selecting({ matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] })],
      ["with matchExpressions Exists on a missing key", selecting({ matchExpressions: [{ key: "role", operator: "Exists" }] })],
      ["with matchExpressions DoesNotExist on a present key", selecting({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] })],
      [
        "whose matchLabels hold but matchExpressions do not",
        selecting({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["front"] }] }),
      ],
      ["with an operator Kubernetes does not know", selecting({ matchExpressions: [{ key: "app", operator: "Equals", values: ["web"] }] })],
      ["with In and no values", selecting({ matchExpressions: [{ key: "app", operator: "In", values: [] }] })],
    ];
    for (const [what, np] of ignored) {
      it(what, () => {
        assert.deepEqual(unselected([web(), np]), ["Deployment/mastodon/web"]);
      });
    }
  });

  describe("namespaces", () => {
    it("puts a workload without namespace in default, where a NetworkPolicy without namespace covers it", () => {
      const w = deployment("web", { namespace: null });
      assert.deepEqual(unselected([w]), ["Deployment/default/web"]);
      assert.deepEqual(unselected([w, selecting({}, null)]), []);
      assert.deepEqual(unselected([w, selecting({}, "default")]), []);
    });

    it("reports each unselected workload of each namespace", () => {
      const resources = [
        deployment("web", { namespace: "a" }),
        deployment("web", { namespace: "b" }),
        deployment("worker", { namespace: "b", labels: { app: "worker" } }),
        selecting({ matchLabels: { app: "web" } }, "b"),
      ];
      assert.deepEqual(unselected(resources), ["Deployment/a/web", "Deployment/b/worker"]);
    });
  });

  it("finds the one selector among many that share labels", () => {
    const nps = Array.from({ length: 200 }, (_, i) =>
      selecting({ matchLabels: { "app.kubernetes.io/name": "mastodon", shard: `s${i}` } }, "mastodon", `np-${i}`),
    );
    const expressionOnly = selecting({ matchExpressions: [{ key: "special", operator: "Exists" }] }, "mastodon", "expr");
    const resources = [
      ...nps,
      expressionOnly,
      deployment("shard-137", { labels: { "app.kubernetes.io/name": "mastodon", shard: "s137" } }),
      deployment("special", { labels: { "app.kubernetes.io/name": "mastodon", special: "yes" } }),
      deployment("shard-999", { labels: { "app.kubernetes.io/name": "mastodon", shard: "s999" } }),
    ];
    assert.deepEqual(unselected(resources), ["Deployment/mastodon/shard-999"]);
  });

  describe("CloudNativePG's Cluster and Pooler, whose pods the operator runs", () => {
    const cnpg = (kind: "Cluster" | "Pooler", name: string, spec: any = {}): CheckedResource => ({
      type: `kubernetes:postgresql.cnpg.io/v1:${kind}`,
      name,
      props: { apiVersion: "postgresql.cnpg.io/v1", kind, metadata: { name, namespace: "mastodon" }, spec },
    });
    const cluster = () => cnpg("Cluster", "social-postgresql", { instances: 2 });
    const pooler = () => cnpg("Pooler", "social-pgbouncer", { cluster: { name: "social-postgresql" }, pgbouncer: { poolMode: "transaction" } });

    it("reports them when no NetworkPolicy selects the labels the operator gives their pods", () => {
      assert.deepEqual(unselected([cluster(), pooler(), selecting({ matchLabels: { app: "web" } })]),
        ["Cluster/mastodon/social-postgresql", "Pooler/mastodon/social-pgbouncer"]);
    });

    it("counts a NetworkPolicy selecting their pods by cnpg.io/cluster and cnpg.io/poolerName", () => {
      const resources = [
        cluster(),
        pooler(),
        selecting({ matchLabels: { "cnpg.io/cluster": "social-postgresql" }, matchExpressions: [{ key: "cnpg.io/podRole", operator: "NotIn", values: ["pooler"] }] }, "mastodon", "pg"),
        selecting({ matchLabels: { "cnpg.io/poolerName": "social-pgbouncer" } }, "mastodon", "pool"),
      ];
      assert.deepEqual(unselected(resources), []);
      // The PostgreSQL pods' policy does not cover the PgBouncer pods.
      assert.deepEqual(unselected(resources.slice(0, 3)), ["Pooler/mastodon/social-pgbouncer"]);
    });
  });

  describe("during preview", () => {
    it("turns a NetworkPolicy with an unknown selector into an advisory, without failing the workloads it may cover", () => {
      const resources = [
        selecting({ matchLabels: { app: UNKNOWN } }),
        deployment("web"),
        deployment("elsewhere", { namespace: "other" }),
      ];
      const found = findings(POLICY, resources);
      assert.deepEqual(
        found.map((f) => [f.enforcementLevel, f.message.split(" ")[0]]),
        [
          ["mandatory", "Deployment/other/elsewhere"],
          ["advisory", "can't"],
        ],
      );
      assert.match(found[1].message, /string value at \.spec\.podSelector\.matchLabels\.app can't be known during preview/);
    });

    it("leaves every namespace undecided when a NetworkPolicy's namespace is unknown", () => {
      const found = findings(POLICY, [selecting({}, UNKNOWN), deployment("web")]);
      assert.deepEqual(found.map((f) => f.enforcementLevel), ["advisory"]);
    });

    it("turns a workload with unknown labels into an advisory rather than a pass", () => {
      const w = deployment("web");
      w.props.spec.template.metadata.labels = { app: UNKNOWN };
      const found = findings(POLICY, [w, selecting({ matchLabels: { app: "web" } })]);
      assert.deepEqual(found.map((f) => f.enforcementLevel), ["advisory"]);
    });
  });
});
