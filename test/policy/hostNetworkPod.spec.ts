import * as assert from "node:assert/strict";
import { UNKNOWN } from "../../policy/check";
import { hostNetworkPod } from "../../policy/hostNetworkPod";
import { DEFAULT_ALLOWED, findings, messages, service, workload, WORKLOADS } from "./fixtures";

const POLICY = "host-network-pod";

const FIELD: Record<string, string> = {
  Pod: "spec.hostNetwork",
  CronJob: "spec.jobTemplate.spec.template.spec.hostNetwork",
};

describe("policy/hostNetworkPod", () => {
  it("is a mandatory, high-severity resource policy", () => {
    assert.equal(hostNetworkPod.name, POLICY);
    assert.equal(hostNetworkPod.enforcementLevel, "mandatory");
    assert.equal(hostNetworkPod.severity, "high");
  });

  for (const { kind } of WORKLOADS) {
    describe(kind, () => {
      it("rejects hostNetwork: true, naming the field and the allowed ranges", () => {
        const [message, ...rest] = messages(POLICY, [workload(kind, "w", { hostNetwork: true })]);
        assert.equal(rest.length, 0);
        const field = FIELD[kind] ?? "spec.template.spec.hostNetwork";
        assert.equal(
          message,
          `${kind}/mastodon/w: ${field} is true; host-network pods bypass NetworkPolicy, so their egress cannot be held ` +
            `inside the ${DEFAULT_ALLOWED}`,
        );
      });

      it("allows hostNetwork: false and an absent hostNetwork", () => {
        assert.deepEqual(messages(POLICY, [workload(kind, "a", { hostNetwork: false }), workload(kind, "b")]), []);
      });
    });
  }

  it("does not apply to resources that run no pods", () => {
    assert.deepEqual(messages(POLICY, [service("s", { hostNetwork: true } as any)]), []);
  });

  it("names the configured ranges", () => {
    const [message] = messages(POLICY, [workload("Deployment", "w", { hostNetwork: true })], { clusterCidrs: ["10.0.0.0/8"] });
    assert.ok(message.endsWith("allowed ranges: 10.0.0.0/8"), message);
  });

  it("turns an unknown hostNetwork during preview into an advisory rather than a pass", () => {
    const w = workload("Deployment", "w");
    w.props.spec.template.spec.hostNetwork = UNKNOWN;
    const found = findings(POLICY, [w]);
    assert.deepEqual(found.map((f) => f.enforcementLevel), ["advisory"]);
    assert.match(found[0].message, /\.spec\.template\.spec\.hostNetwork can't be known during preview/);
  });
});
