import * as assert from "node:assert/strict";
import { UNKNOWN } from "../../policy/check";
import { externalNameService } from "../../policy/externalNameService";
import { DEFAULT_ALLOWED, deployment, findings, messages, service } from "./fixtures";

const POLICY = "external-name-service";

describe("policy/externalNameService", () => {
  it("is a mandatory, medium-severity resource policy on Services", () => {
    assert.equal(externalNameService.name, POLICY);
    assert.equal(externalNameService.enforcementLevel, "mandatory");
    assert.equal(externalNameService.severity, "medium");
  });

  it("rejects a Service of type ExternalName, naming it, its target and the allowed ranges", () => {
    const [message, ...rest] = messages(POLICY, [service("s3", { type: "ExternalName", externalName: "s3.eu-west-1.amazonaws.com" })]);
    assert.equal(rest.length, 0);
    assert.equal(
      message,
      'Service/mastodon/s3: spec.type is ExternalName (spec.externalName "s3.eu-west-1.amazonaws.com"), an alias for a ' +
        `name outside the cluster; egress must stay inside the ${DEFAULT_ALLOWED}`,
    );
  });

  const allowed: Array<[string, Record<string, any>]> = [
    ["ClusterIP", { type: "ClusterIP", selector: { app: "web" } }],
    ["headless", { clusterIP: "None", selector: { app: "web" } }],
    ["without a type", { selector: { app: "web" } }],
    ["NodePort", { type: "NodePort", selector: { app: "web" } }],
  ];
  for (const [what, spec] of allowed) {
    it(`allows a ${what} Service`, () => {
      assert.deepEqual(messages(POLICY, [service("web", spec)]), []);
    });
  }

  it("does not apply to other resources", () => {
    const d = deployment("web");
    d.props.spec.type = "ExternalName";
    assert.deepEqual(messages(POLICY, [d]), []);
  });

  it("turns an unknown type during preview into an advisory rather than a pass", () => {
    const found = findings(POLICY, [service("s", { type: UNKNOWN })]);
    assert.deepEqual(found.map((f) => f.enforcementLevel), ["advisory"]);
    assert.match(found[0].message, /string value at \.spec\.type can't be known during preview/);
  });
});
