import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { egressGatewaysOf, gatewayOf, implies, parseEgressGateways } from "../../policy/egressGateways";
import { matches, parseLabelSelector } from "../../policy/labelSelector";

const GATEWAY = { namespace: "social", podSelector: { matchLabels: { "app.kubernetes.io/component": "egress-gateway" } } };

describe("policy/egressGateways", () => {
  describe("parseEgressGateways", () => {
    it("reads absent as none", () => {
      for (const raw of [undefined, null]) assert.deepEqual(parseEgressGateways(raw), { ok: true, value: [] });
      assert.deepEqual(egressGatewaysOf({ getConfig: () => ({}) as any }), { ok: true, value: [] });
      assert.deepEqual(egressGatewaysOf({ getConfig: () => undefined as any }), { ok: true, value: [] });
    });

    it("reads an entry with its namespace and selector, named for messages", () => {
      const parsed = parseEgressGateways([GATEWAY]);
      assert.ok(parsed.ok);
      assert.equal(parsed.value[0].namespace, "social");
      assert.equal(parsed.value[0].text, 'social/{"matchLabels":{"app.kubernetes.io/component":"egress-gateway"}}');
    });

    const bad: Array<[string, unknown, string]> = [
      ["a value that is not a list", { namespace: "social" }, 'egressGateways: got {"namespace":"social"}; expected a list of {"namespace": ..., "podSelector": ...} entries'],
      ["an entry that is not an object", ["social"], 'egressGateways[0]: got "social"; expected an object with a namespace and a podSelector'],
      ["a bad namespace", [{ ...GATEWAY, namespace: "Social" }], 'egressGateways[0].namespace: got "Social"; expected a namespace name such as "social"'],
      ["a missing selector", [{ namespace: "social" }], "egressGateways[0].podSelector: got undefined; expected a label selector such as"],
      ["an unreadable selector", [{ namespace: "social", podSelector: { matchExpressions: [{ key: "a", operator: "Near" }] } }], "egressGateways[0].podSelector: got {\"matchExpressions\""],
      ["an unknown key", [{ ...GATEWAY, ports: [443] }], 'egressGateways[0]: got the keys ["ports"]; expected only namespace and podSelector'],
    ];
    for (const [what, raw, expected] of bad) {
      it(`names the entry, the value and what is expected for ${what}`, () => {
        const parsed = parseEgressGateways(raw);
        assert.ok(!parsed.ok);
        assert.ok(parsed.error.startsWith(expected), parsed.error);
      });
    }

    it("names every bad entry", () => {
      const parsed = parseEgressGateways([GATEWAY, { namespace: 1, podSelector: {} }, { namespace: "x", podSelector: 2 }]);
      assert.ok(!parsed.ok);
      assert.match(parsed.error, /egressGateways\[1\]\.namespace: got 1;/);
      assert.match(parsed.error, /egressGateways\[2\]\.podSelector: got 2;/);
      assert.doesNotMatch(parsed.error, /egressGateways\[0\]/);
    });
  });

  describe("gatewayOf", () => {
    const parsed = parseEgressGateways([GATEWAY]);
    assert.ok(parsed.ok);
    const gateways = parsed.value;
    const cases: Array<[string, string, unknown, boolean]> = [
      ["the gateway's own selector", "social", GATEWAY.podSelector, true],
      ["a narrower selector", "social", { matchLabels: { "app.kubernetes.io/component": "egress-gateway", "app.kubernetes.io/instance": "social" } }, true],
      ["an In of that one value", "social", { matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["egress-gateway"] }] }, true],
      ["the same selector in another namespace", "other", GATEWAY.podSelector, false],
      ["the empty selector (every pod)", "social", {}, false],
      ["an In that also takes web", "social", { matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["egress-gateway", "web"] }] }, false],
      ["an Exists on the key", "social", { matchExpressions: [{ key: "app.kubernetes.io/component", operator: "Exists" }] }, false],
      ["another label only", "social", { matchLabels: { "app.kubernetes.io/instance": "social" } }, false],
      ["an unreadable selector", "social", { matchLabels: { "app.kubernetes.io/component": 1 } }, false],
    ];
    for (const [what, namespace, selector, exempt] of cases) {
      it(`${exempt ? "recognises" : "does not take"} ${what}${exempt ? "" : " for the gateway's"}`, () => {
        assert.equal(gatewayOf(gateways, namespace, selector) !== undefined, exempt);
      });
    }

    it("takes an entry with an empty selector to mean every pod of its namespace", () => {
      const all = parseEgressGateways([{ namespace: "gateway", podSelector: {} }]);
      assert.ok(all.ok);
      assert.ok(gatewayOf(all.value, "gateway", { matchLabels: { anything: "x" } }));
      assert.ok(gatewayOf(all.value, "gateway", {}));
    });
  });

  describe("implies", () => {
    const key = fc.constantFrom("a", "b", "c");
    const value = fc.constantFrom("x", "y", "z");
    const requirement = fc.oneof(
      fc.record({ key, operator: fc.constantFrom("In", "NotIn"), values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }) }),
      fc.record({ key, operator: fc.constantFrom("Exists", "DoesNotExist") }),
    );
    const selector = fc.record({
      matchLabels: fc.dictionary(key, value, { maxKeys: 2 }),
      matchExpressions: fc.array(requirement, { maxLength: 3 }),
    });
    const labels = fc.dictionary(key, value, { maxKeys: 3 }).map((d) => new Map(Object.entries(d)));

    it("is sound: a selector it says is narrower never selects a pod the wider one does not", () => {
      let proven = 0;
      fc.assert(
        fc.property(selector, selector, fc.array(labels, { minLength: 20, maxLength: 20 }), (narrowRaw, wideRaw, pods) => {
          const narrow = parseLabelSelector(narrowRaw);
          const wide = parseLabelSelector(wideRaw);
          if (!implies(narrow, wide)) return;
          proven++;
          for (const pod of pods) assert.ok(!matches(narrow, pod) || matches(wide, pod), JSON.stringify([narrowRaw, wideRaw, [...pod]]));
        }),
        { numRuns: 3000 },
      );
      assert.ok(proven > 100, `only ${proven} of 3000 pairs were proven narrower: the property says little`);
    });

    it("proves the cases a gateway's policies use", () => {
      const narrower = parseLabelSelector({ matchLabels: { a: "x", b: "y" } });
      assert.ok(implies(narrower, parseLabelSelector({ matchLabels: { a: "x" } })));
      assert.ok(implies(narrower, parseLabelSelector({ matchExpressions: [{ key: "a", operator: "NotIn", values: ["z"] }] })));
      assert.ok(implies(narrower, parseLabelSelector({ matchExpressions: [{ key: "b", operator: "Exists" }] })));
      assert.ok(!implies(parseLabelSelector({ matchLabels: { a: "x" } }), parseLabelSelector({ matchLabels: { a: "x", b: "y" } })));
    });
  });
});
