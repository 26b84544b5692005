import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isResourcePolicy, isStackPolicy } from "./policyKinds";
import { PACK_NAME, policies } from "../../policy/policies";

const POLICY_DIR = path.join(__dirname, "..", "..", "policy");

describe("policy/policies", () => {
  it("lists the four policies of the mastodon-egress pack", () => {
    assert.equal(PACK_NAME, "mastodon-egress");
    assert.deepEqual(
      policies.map((p) => p.name),
      ["networkpolicy-egress-outside-cluster", "workload-without-egress-policy", "host-network-pod", "external-name-service"],
    );
  });

  it("makes workload-without-egress-policy the only stack policy", () => {
    assert.deepEqual(policies.filter(isStackPolicy).map((p) => p.name), ["workload-without-egress-policy"]);
    assert.equal(policies.filter(isResourcePolicy).length, 3);
  });

  it("gives every policy a description, a severity, remediation steps and the mandatory level", () => {
    for (const p of policies) {
      assert.ok(p.description.length > 0, p.name);
      assert.ok(p.severity, p.name);
      assert.ok(p.remediationSteps, p.name);
      assert.equal(p.enforcementLevel, "mandatory", p.name);
    }
  });

  it("builds the pack in index.ts only, as mandatory, from the policies module", () => {
    const index = readFileSync(path.join(POLICY_DIR, "index.ts"), "utf8");
    assert.match(index, /new PolicyPack\(PACK_NAME, \{ policies, enforcementLevel: "mandatory" \}\)/);
    assert.match(index, /from "\.\/policies"/);
  });

  it("ships the files the Pulumi CLI needs to run the pack", () => {
    const manifest = JSON.parse(readFileSync(path.join(POLICY_DIR, "package.json"), "utf8"));
    assert.equal(manifest.name, "mastodon-egress-policies");
    assert.ok(manifest.version, "PolicyPack reads the version from package.json");
    assert.deepEqual(
      { ...manifest.dependencies },
      { "@pulumi/kubernetes": "4.34.2", "@pulumi/policy": "1.21.0", "@pulumi/pulumi": "3.270.0", "ipaddr.js": "2.5.0" },
    );
    const yaml = readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8");
    assert.match(yaml, /^runtime: nodejs$/m);
    assert.match(yaml, /^description: /m);
  });
});
