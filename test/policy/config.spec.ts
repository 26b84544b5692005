import * as assert from "node:assert/strict";
import { formatCidr } from "../../policy/cidr";
import { clusterCidrsOf, configSchema, DEFAULT_CLUSTER_CIDRS, egressConfigSchema, parseClusterCidrs } from "../../policy/config";
import { policies } from "../../policy/policies";
import { egressPolicy, findings, ipBlockPolicy } from "./fixtures";

const EGRESS = "networkpolicy-egress-outside-cluster";

describe("policy/config", () => {
  describe("clusterCidrs", () => {
    it("defaults to k3s's pod and service CIDRs", () => {
      assert.deepEqual(DEFAULT_CLUSTER_CIDRS, ["10.42.0.0/16", "10.43.0.0/16"]);
      const parsed = parseClusterCidrs(undefined);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value.cidrs.map(formatCidr), ["10.42.0.0/16", "10.43.0.0/16"]);
      assert.equal(parsed.value.text, "10.42.0.0/16, 10.43.0.0/16");
    });

    const absent: Array<[string, () => any]> = [
      ["getConfig returns no object", () => undefined],
      ["getConfig returns an empty object (defaults not filled in)", () => ({})],
      ["clusterCidrs is null", () => ({ clusterCidrs: null })],
    ];
    for (const [when, getConfig] of absent) {
      it(`uses the defaults when ${when}`, () => {
        const parsed = clusterCidrsOf({ getConfig: getConfig as any });
        assert.ok(parsed.ok);
        assert.equal(parsed.value.text, "10.42.0.0/16, 10.43.0.0/16");
      });
    }

    it("accepts IPv6 entries and canonicalises host bits", () => {
      const parsed = parseClusterCidrs(["10.42.1.1/16", "fd00:0042::/56"]);
      assert.ok(parsed.ok);
      assert.equal(parsed.value.text, "10.42.0.0/16, fd00:42::/56");
    });

    it("accepts an empty list, which allows no ipBlock at all", () => {
      const parsed = parseClusterCidrs([]);
      assert.ok(parsed.ok);
      assert.equal(parsed.value.allowedCidrs.length, 0);
      const [finding] = findings(EGRESS, [ipBlockPolicy("10.42.0.0/32")], { clusterCidrs: [] });
      assert.match(finding.message, /10\.42\.0\.0\/32 reaches addresses outside/);
    });

    it("names the key, the bad value and what is expected for a malformed CIDR", () => {
      const parsed = parseClusterCidrs(["10.42.0.0/16", "10.42.0.0/33"]);
      assert.ok(!parsed.ok);
      assert.equal(parsed.error, 'clusterCidrs[1]: got "10.42.0.0/33"; expected an IPv4 or IPv6 CIDR such as 10.42.0.0/16');
    });

    it("names every bad entry, not only the first", () => {
      const parsed = parseClusterCidrs(["10.42/16", "10.43.0.0/16", 42]);
      assert.ok(!parsed.ok);
      assert.match(parsed.error, /clusterCidrs\[0\]: got "10\.42\/16"/);
      assert.match(parsed.error, /clusterCidrs\[2\]: got 42;/);
      assert.doesNotMatch(parsed.error, /clusterCidrs\[1\]/);
    });

    it("rejects a value that is not a list", () => {
      const parsed = parseClusterCidrs("10.42.0.0/16");
      assert.ok(!parsed.ok);
      assert.match(parsed.error, /^clusterCidrs: got "10\.42\.0\.0\/16"; expected an array of IPv4 or IPv6 CIDRs/);
    });

    it("parses a value once and serves it again from the cache", () => {
      const config = { clusterCidrs: ["10.50.0.0/16"] };
      const first = clusterCidrsOf({ getConfig: () => config as any });
      const second = clusterCidrsOf({ getConfig: () => ({ clusterCidrs: ["10.50.0.0/16"] }) as any });
      assert.equal(first, second);
    });
  });

  describe("a malformed clusterCidrs in the pack's config", () => {
    const bad = { clusterCidrs: ["10.42.0.0/16", "10.42.0.0/33"] };
    const expected = 'clusterCidrs[1]: got "10.42.0.0/33"; expected an IPv4 or IPv6 CIDR such as 10.42.0.0/16';

    it("is a violation on each NetworkPolicy, never a pass", () => {
      const [finding, ...rest] = findings(EGRESS, [ipBlockPolicy("10.42.0.0/16")], bad);
      assert.equal(rest.length, 0);
      assert.equal(finding.enforcementLevel, "mandatory");
      assert.equal(finding.message, `NetworkPolicy/mastodon/egress: invalid policy config: ${expected}`);
    });

    it("is a stack-wide violation of workload-without-egress-policy", () => {
      const [finding] = findings("workload-without-egress-policy", [egressPolicy([])], bad);
      assert.equal(finding.resource, "");
      assert.equal(finding.message, `invalid policy config: ${expected}`);
    });
  });

  describe("configSchema", () => {
    it("is declared by every policy, with the default and enforcementLevel left to the engine", () => {
      for (const policy of policies) {
        const expected = policy.name === EGRESS ? egressConfigSchema : configSchema;
        assert.equal(policy.configSchema, expected, policy.name);
        assert.equal(policy.configSchema?.properties.clusterCidrs, configSchema.properties.clusterCidrs, policy.name);
      }
      const property = configSchema.properties.clusterCidrs;
      assert.equal(property.type, "array");
      assert.deepEqual(property.default, ["10.42.0.0/16", "10.43.0.0/16"]);
      assert.equal("enforcementLevel" in configSchema.properties, false);
    });
  });

  describe("egressGateways", () => {
    it("is declared by networkpolicy-egress-outside-cluster only, empty by default", () => {
      for (const policy of policies) {
        assert.equal("egressGateways" in (policy.configSchema?.properties ?? {}), policy.name === EGRESS, policy.name);
      }
      assert.deepEqual(egressConfigSchema.properties.egressGateways.default, []);
    });
  });
});
