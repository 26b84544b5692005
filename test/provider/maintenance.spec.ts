import * as assert from "node:assert/strict";
import { parseArgs } from "../../provider/args";
import { MAINTENANCE_CONCURRENCY, maintenanceCommand } from "../../provider/maintenance";
import { MEDIA_VOLUME_LABEL } from "../../provider/names";
import { KIND, Stack, deploy } from "../harness/stack";

const CRON_JOB = "kubernetes:batch/v1:CronJob";
const podOf = (cronJob: { inputs: any }) => cronJob.inputs.spec.jobTemplate.spec.template.spec;
const labelsOf = (cronJob: { inputs: any }) => cronJob.inputs.spec.jobTemplate.spec.template.metadata.labels;

describe("maintenance CronJobs", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example" }));
  });
  const media = () => stack.get(CRON_JOB, "social-media-remove");
  const cards = () => stack.get(CRON_JOB, "social-preview-cards");

  it("run Mastodon's recommended cleanups weekly, with tootctl's default ages", () => {
    assert.equal(media().inputs.spec.schedule, "0 4 * * 0");
    assert.deepEqual(podOf(media()).containers[0].command, ["tootctl", "media", "remove", "--days=7", `--concurrency=${MAINTENANCE_CONCURRENCY}`]);
    assert.equal(cards().inputs.spec.schedule, "30 4 * * 3", "another day than the media cleanup's");
    assert.deepEqual(podOf(cards()).containers[0].command, ["tootctl", "preview_cards", "remove", "--days=180", `--concurrency=${MAINTENANCE_CONCURRENCY}`]);
    for (const job of [media(), cards()]) {
      assert.equal(job.inputs.spec.concurrencyPolicy, "Forbid");
      assert.equal(podOf(job).restartPolicy, "Never");
      const env = Object.fromEntries(podOf(job).containers[0].env.map((e: any) => [e.name, e.value]));
      assert.ok(Number(env.DB_POOL) > MAINTENANCE_CONCURRENCY, "one connection per tootctl thread, and one for the main thread");
    }
  });

  it("run the instance's image with its environment, and mount the media volume as web does", () => {
    const web = stack.get(KIND.Deployment, "social-web").inputs.spec.template.spec;
    for (const job of [media(), cards()]) {
      const pod = podOf(job);
      assert.equal(pod.containers[0].image, web.containers[0].image);
      assert.deepEqual(pod.containers[0].envFrom, web.containers[0].envFrom);
      assert.deepEqual(pod.volumes, web.volumes);
      assert.deepEqual(pod.containers[0].volumeMounts, web.containers[0].volumeMounts);
    }
  });

  it("go to the node of a ReadWriteOnce media volume, through the affinity web and sidekiq share", () => {
    const web = stack.get(KIND.Deployment, "social-web").inputs.spec.template;
    for (const job of [media(), cards()]) {
      assert.equal(labelsOf(job)[MEDIA_VOLUME_LABEL], "true");
      assert.deepEqual(podOf(job).affinity, web.spec.affinity);
      const term = podOf(job).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
      for (const [k, v] of Object.entries(term.labelSelector.matchLabels)) assert.equal(web.metadata.labels[k], v, "the term selects web's pods");
    }
  });

  it("need no affinity with a ReadWriteMany volume, and no volume with object storage, where a policy lets them reach the bucket", async () => {
    const { stack: rwx } = await deploy({ domain: "social.example", media: { accessMode: "ReadWriteMany" } });
    assert.equal(podOf(rwx.get(CRON_JOB, "social-media-remove")).affinity, undefined);
    assert.equal(rwx.find(KIND.NetworkPolicy, "social-maintenance"), undefined);
    const { stack: s3 } = await deploy({
      domain: "social.example",
      media: { s3: { bucket: "media", endpoint: "http://minio.storage:9000", accessKeyId: "k", secretAccessKey: "s" } },
    });
    const pod = podOf(s3.get(CRON_JOB, "social-media-remove"));
    assert.ok(!(pod.volumes ?? []).some((v: any) => v.persistentVolumeClaim), "no claim to mount");
    const policy = s3.get(KIND.NetworkPolicy, "social-maintenance").inputs.spec;
    assert.deepEqual(policy.policyTypes, ["Egress"]);
    assert.deepEqual(policy.egress[0].to.slice(1), [{ ipBlock: { cidr: "10.42.0.0/16" } }, { ipBlock: { cidr: "10.43.0.0/16" } }]);
    for (const [k, v] of Object.entries(policy.podSelector.matchLabels)) assert.equal(labelsOf(s3.get(CRON_JOB, "social-media-remove"))[k], v);
  });

  it("reach PostgreSQL and Redis through the instance's data policy, as every Mastodon process", () => {
    const data = stack.get(KIND.NetworkPolicy, "social-mastodon-data").inputs.spec.podSelector;
    const postgresql = stack.get(KIND.NetworkPolicy, "social-postgresql").inputs.spec.ingress[0].from[0].podSelector;
    for (const selector of [data, postgresql]) {
      const components = selector.matchExpressions.find((e: any) => e.key === "app.kubernetes.io/component").values;
      assert.ok(components.includes(labelsOf(media())["app.kubernetes.io/component"]));
    }
  });

  it("change to the new image only after the post-deployment migration", () => {
    const post = stack.get(KIND.Job, "social-db-migrate-post");
    for (const job of [media(), cards()]) assert.ok(stack.dependsOn(job, post), `${job.name} does not wait for the post-deployment migration`);
    for (const r of [post, ...stack.ofType(KIND.Deployment)]) assert.ok(!stack.dependsOn(r, media()));
  });

  it("follow the schedules and ages given, and can be turned off one by one", async () => {
    const { stack } = await deploy({ domain: "social.example", maintenance: { mediaRemove: { schedule: "@daily", days: 3 }, previewCardsRemove: { enabled: false } } });
    const job = stack.get(CRON_JOB, "social-media-remove");
    assert.equal(job.inputs.spec.schedule, "@daily");
    assert.deepEqual(podOf(job).containers[0].command, maintenanceCommand("media-remove", 3));
    assert.equal(stack.find(CRON_JOB, "social-preview-cards"), undefined);
  });

  it("refuse preview card ages under two weeks (tootctl: such cards are not fetched again) and bad schedules", () => {
    const bad = (maintenance: object) => () => parseArgs("social", { domain: "social.example", maintenance } as any);
    assert.throws(bad({ previewCardsRemove: { days: 7 } }), /args\.maintenance\.previewCardsRemove\.days: got 7; expected a whole number of days from 14 to 36500/);
    assert.throws(bad({ mediaRemove: { days: 0 } }), /args\.maintenance\.mediaRemove\.days: got 0; expected a whole number of days from 1 to 36500/);
    assert.throws(bad({ mediaRemove: { schedule: "every sunday" } }), /args\.maintenance\.mediaRemove\.schedule: got "every sunday"; expected a cron schedule/);
    assert.throws(bad({ vacuum: {} }), /args\.maintenance: .*expected only mediaRemove, previewCardsRemove/);
  });

  it("keep CronJob names within Kubernetes' 52 characters for the longest component name", async () => {
    const name = "a".repeat(38);
    const { stack } = await deploy({ domain: "social.example" }, name);
    for (const job of stack.ofType(CRON_JOB)) assert.ok(job.inputs.metadata.name.length <= 52, `${job.inputs.metadata.name} is too long`);
  });
});
