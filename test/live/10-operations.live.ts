/**
 * Journey 10, operations: an instance with backups (on by default, copied to a bucket that does not exist here:
 * no container runs), both maintenance CronJobs on schedules of its own, the first admin and metrics deploys with
 * the policy pack. Its CronJobs exist with `concurrencyPolicy: Forbid` and the schedules given; each is started
 * once as an operator would (`kubectl create job --from=cronjob/`) and its Job completes on the simulated cluster,
 * its pod admitted under the restricted level and mounting the right claim (the backup volume; the media volume for
 * the cleanups, on the node of web and sidekiq, as the volume is ReadWriteOnce); the admin Job was created only
 * after the post-deployment migration completed (API server timestamps, one-second resolution); the metrics
 * Services exist. kwok marks pods Succeeded without running them: that pg_dump, the upload and tootctl work is
 * shown by test/provider/backups.spec.ts and test/e2e.
 */
import * as assert from "node:assert/strict";
import { at, kubectlItems, kubectlJson, must, run, tail } from "./harness";
import { mastodonDeployments, migrationJobs } from "./01-first-deploy.live";
import { deployWithPack, newInstanceStack, stackOf } from "./stacks";

const OPS = { stack: "operations", instance: "ops", domain: "ops.live.test" };
const SCHEDULES = { backup: "15 2 * * *", "media-remove": "0 5 * * 1", "preview-cards": "30 5 * * 1" };

/** Starts a Job from CronJob `cronJob` as an operator would, and waits for it to complete; returns it and its pod. */
function runOnce(namespace: string, cronJob: string): { job: any; pod: any } {
  const name = `${cronJob}-now`;
  must(`a Job from cronjob/${cronJob}`, "kubectl", ["-n", namespace, "create", "job", `--from=cronjob/${cronJob}`, name]);
  const waited = run("kubectl", ["-n", namespace, "wait", "--for=condition=complete", `job/${name}`, "--timeout=180s"]);
  const job = kubectlJson(["-n", namespace, "get", "job", name]);
  const pods = kubectlItems("pods", namespace, `job-name=${name}`);
  const events = kubectlItems("events", namespace).filter((e) => e.involvedObject?.name?.startsWith(name)).map((e) => `${e.reason}: ${e.message}`);
  assert.equal(waited.status, 0, `Job ${name} did not complete: ${tail(waited, 5)}\nstatus ${JSON.stringify(job.status)}\nevents:\n${events.join("\n")}`);
  assert.equal(pods.length, 1, `Job ${name}'s pods: ${pods.map((p) => p.metadata.name)}`);
  return { job, pod: pods[0] };
}

const claimsOf = (pod: any): string[] => (pod.spec.volumes ?? []).filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.persistentVolumeClaim.claimName).sort();

describe("live 10: operations (backups, maintenance, the first admin, metrics) on the simulated cluster", function () {
  this.timeout(25 * 60 * 1000);
  let namespace: string;

  before(() => {
    const stack = newInstanceStack(OPS.stack, OPS.instance, OPS.domain, {
      // A bucket that does not exist here: kwok never runs the upload, the API server still admits its pod.
      backups: JSON.stringify({ schedule: SCHEDULES.backup, retention: 3, s3: { bucket: "ops-backups", endpoint: "http://minio.storage:9000", accessKeyId: "live", secretAccessKey: "live-secret-key" } }),
      maintenance: JSON.stringify({ mediaRemove: { schedule: SCHEDULES["media-remove"], days: 14 }, previewCardsRemove: { schedule: SCHEDULES["preview-cards"] } }),
      admin: JSON.stringify({ username: "owner", email: `owner@${OPS.domain}` }),
      metrics: JSON.stringify({ enabled: true }),
    });
    stack.setConfig({}, { adminPassword: "a-live-Passw0rd" });
    namespace = deployWithPack(stack, OPS.stack);
  });

  it("creates the backup and maintenance CronJobs with the schedules given, never two runs at once, and the restore template suspended", () => {
    for (const [id, schedule] of Object.entries(SCHEDULES)) {
      const cronJob = kubectlJson(["-n", namespace, "get", "cronjob", `${OPS.instance}-${id}`]);
      assert.equal(cronJob.spec.schedule, schedule, `${id}'s schedule`);
      assert.equal(cronJob.spec.concurrencyPolicy, "Forbid", `${id}'s concurrencyPolicy`);
      assert.notEqual(cronJob.spec.suspend, true, `${id} is suspended`);
    }
    for (const id of ["restore", "restore-s3"]) {
      const restore = kubectlJson(["-n", namespace, "get", "cronjob", `${OPS.instance}-${id}`]);
      assert.equal(restore.spec.suspend, true, `${id} is not suspended`);
    }
  });

  it("runs a backup Job to completion (the dump, then the upload), its pod admitted under the restricted level with the backup volume mounted", () => {
    const { pod } = runOnce(namespace, `${OPS.instance}-backup`);
    assert.equal(pod.status.phase, "Succeeded");
    assert.deepEqual(pod.spec.initContainers.map((c: any) => c.name), ["backup"]);
    assert.deepEqual(pod.spec.containers.map((c: any) => c.name), ["upload"]);
    assert.match(pod.spec.containers[0].image, /amazon\/aws-cli:/);
    assert.deepEqual(claimsOf(pod), [`${OPS.instance}-backups`]);
    const claim = kubectlJson(["-n", namespace, "get", "pvc", `${OPS.instance}-backups`]);
    assert.equal(claim.status.phase, "Bound");
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
  });

  it("runs each cleanup Job to completion on the node of web and sidekiq, with the media volume mounted", () => {
    const nodes = new Set(kubectlItems("pods", namespace, `app.kubernetes.io/instance=${OPS.instance}`)
      .filter((p) => ["web", "sidekiq"].includes(p.metadata.labels["app.kubernetes.io/component"]) && p.status.phase === "Running")
      .map((p) => p.spec.nodeName));
    assert.equal(nodes.size, 1, `web and sidekiq on one node: ${[...nodes]}`);
    for (const id of ["media-remove", "preview-cards"]) {
      const { pod } = runOnce(namespace, `${OPS.instance}-${id}`);
      assert.equal(pod.status.phase, "Succeeded", id);
      assert.deepEqual(claimsOf(pod), [`${OPS.instance}-media`], `${id}'s claims`);
      assert.ok(nodes.has(pod.spec.nodeName), `${id} ran on ${pod.spec.nodeName}, not the media volume's node`);
      // The scheduler placed it by the required co-location rule, not by chance (the simulated cluster has one node).
      const terms = pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
      assert.ok(terms.some((t: any) => t.topologyKey === "kubernetes.io/hostname" && t.labelSelector.matchLabels["mastodon.pulumi.com/media-volume"] === "true"), `${id}'s affinity: ${JSON.stringify(terms)}`);
      const web = mastodonDeployments(namespace, OPS.instance).find((d) => d.metadata.labels["app.kubernetes.io/component"] === "web");
      assert.equal(pod.spec.containers[0].image, web.spec.template.spec.containers[0].image, `${id} runs the instance's image`);
    }
  });

  it("admits restore Jobs made from both templates, the volume's and the bucket's (each runs on the backup volume)", () => {
    for (const id of ["restore", "restore-s3"]) {
      const { pod } = runOnce(namespace, `${OPS.instance}-${id}`);
      assert.deepEqual(claimsOf(pod), [`${OPS.instance}-backups`], id);
    }
  });

  it("creates the admin Job only after the post-deployment migration completed, and it completes", () => {
    const [post] = migrationJobs(namespace, OPS.instance, "post");
    assert.ok(post?.status?.completionTime, "no completed post-deployment migration Job");
    const admins = kubectlItems("jobs", namespace, `app.kubernetes.io/instance=${OPS.instance},app.kubernetes.io/component=admin`);
    assert.equal(admins.length, 1, `admin Jobs: ${admins.map((j) => j.metadata.name)}`);
    const [admin] = admins;
    assert.ok(admin.status.succeeded >= 1, `Job ${admin.metadata.name} did not succeed: ${JSON.stringify(admin.status)}`);
    assert.ok(at(post.status.completionTime, "post-deployment completion") <= at(admin.metadata.creationTimestamp, "admin Job"),
      `Job ${admin.metadata.name} was created at ${admin.metadata.creationTimestamp}, before ${post.metadata.name} completed at ${post.status.completionTime}`);
    assert.equal(stackOf(OPS.stack).outputs().adminPassword, "a-live-Passw0rd");
  });

  it("serves metrics through the Services the exporter needs", () => {
    const services = kubectlItems("services", namespace, `app.kubernetes.io/instance=${OPS.instance}`).map((s) => s.metadata.name);
    for (const process of ["web", "sidekiq", "streaming"]) assert.ok(services.includes(`${OPS.instance}-${process}-metrics`), `${process}'s metrics Service: ${services}`);
  });
});
