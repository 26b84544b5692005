import * as assert from "node:assert/strict";
import { atLeast, hasStreamingImage, isSupported, mastodonImages, parseVersion, sidekiqQueues, weightedSidekiqQueues } from "../../provider/versions";

const v = (tag: string) => parseVersion(tag)!;

describe("Mastodon versions", () => {
  it("parses release tags, pre-releases included, and nothing else", () => {
    assert.deepEqual(parseVersion("v4.6.6"), { tag: "v4.6.6", major: 4, minor: 6, patch: 6 });
    assert.equal(parseVersion("v4.5.0-beta.2")?.minor, 5);
    for (const bad of ["4.6.7", "v4.6", "v4.6.6.1", "latest", "v4.6.6 ", "V4.6.7"]) assert.equal(parseVersion(bad), undefined, bad);
  });

  it("supports 4.x from 4.2 on", () => {
    assert.ok(isSupported(v("v4.2.0")));
    assert.ok(isSupported(v("v4.7.0")));
    assert.ok(!isSupported(v("v4.1.9")));
    assert.ok(!isSupported(v("v5.0.0")));
  });

  it("compares by minor series, pre-releases counting as their series", () => {
    assert.ok(atLeast(v("v4.4.0-rc.1"), 4, 4));
    assert.ok(!atLeast(v("v4.3.9"), 4, 4));
    assert.ok(atLeast(v("v5.0.0"), 4, 9));
  });

  it("adds the fasp queue from 4.4", () => {
    assert.deepEqual(sidekiqQueues(v("v4.3.9")), ["default", "push", "ingress", "mailers", "pull", "scheduler"]);
    assert.deepEqual(sidekiqQueues(v("v4.4.0")), ["default", "push", "ingress", "mailers", "pull", "scheduler", "fasp"]);
    assert.deepEqual(weightedSidekiqQueues(v("v4.4.0")), ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "scheduler", "fasp"]);
    assert.deepEqual(weightedSidekiqQueues(v("v4.3.9")), ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "scheduler"]);
  });

  it("runs streaming from its own image from 4.3, with the same tag", () => {
    assert.ok(!hasStreamingImage(v("v4.2.17")));
    assert.deepEqual(mastodonImages(v("v4.3.1"), "r/m", "r/s"), { mastodon: "r/m:v4.3.1", streaming: "r/s:v4.3.1", streamingCommand: ["node", "./streaming/index.js"] });
    assert.deepEqual(mastodonImages(v("v4.2.17"), "r/m", "r/s"), { mastodon: "r/m:v4.2.17", streaming: "r/m:v4.2.17", streamingCommand: ["node", "./streaming"] });
  });

});
