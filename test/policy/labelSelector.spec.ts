import * as assert from "node:assert/strict";
import { labelsOf, matches, parseLabelSelector, selectsEverything } from "../../policy/labelSelector";

const labels = (l: Record<string, string>) => new Map(Object.entries(l));

describe("policy/labelSelector", () => {
  it("reads an absent or empty selector as selecting every pod", () => {
    for (const raw of [undefined, null, {}, { matchLabels: {}, matchExpressions: [] }]) {
      const selector = parseLabelSelector(raw);
      assert.equal(selectsEverything(selector), true, JSON.stringify(raw));
      assert.equal(matches(selector, labels({})), true);
    }
  });

  const unreadable: Array<[string, any]> = [
    ["a selector that is not an object", "app=web"],
    ["a non-string matchLabels value", { matchLabels: { replicas: 3 } }],
    ["matchExpressions that are not a list", { matchExpressions: { key: "app" } }],
    ["an expression without key", { matchExpressions: [{ operator: "Exists" }] }],
    ["Exists with values", { matchExpressions: [{ key: "app", operator: "Exists", values: ["web"] }] }],
    ["NotIn without values", { matchExpressions: [{ key: "app", operator: "NotIn" }] }],
    ["a lower-case operator", { matchExpressions: [{ key: "app", operator: "in", values: ["web"] }] }],
  ];
  for (const [what, raw] of unreadable) {
    it(`selects nothing for ${what}`, () => {
      const selector = parseLabelSelector(raw);
      assert.equal(selector.valid, false);
      assert.equal(selectsEverything(selector), false);
      assert.equal(matches(selector, labels({ app: "web" })), false);
    });
  }

  it("requires every matchLabels pair and every expression", () => {
    const selector = parseLabelSelector({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["front", "edge"] },
        { key: "canary", operator: "DoesNotExist" },
      ],
    });
    assert.equal(matches(selector, labels({ app: "web", tier: "edge" })), true);
    assert.equal(matches(selector, labels({ app: "web", tier: "edge", canary: "1" })), false);
    assert.equal(matches(selector, labels({ app: "web", tier: "back" })), false);
    assert.equal(matches(selector, labels({ tier: "front" })), false);
  });

  it("reads only string labels from metadata", () => {
    assert.deepEqual([...labelsOf({ labels: { app: "web", n: 1 } })], [["app", "web"]]);
    assert.deepEqual([...labelsOf(undefined)], []);
  });
});
