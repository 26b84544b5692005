import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ADMIN_COMMAND, ADMIN_ENV, ADMIN_SCRIPT } from "../../provider/admin";
import { parseArgs } from "../../provider/args";
import { KIND, Stack, deploy, valueOf } from "../harness/stack";
import { MastodonCluster } from "../../provider";

const admin = { username: "owner", email: "owner@social.example" };

describe("the declarative first admin", () => {
  let stack: Stack;
  let cluster: MastodonCluster;
  before(async () => {
    ({ stack, cluster } = await deploy({ domain: "social.example", admin }));
  });
  const job = () => stack.get(KIND.Job, "social-admin");
  const container = () => job().inputs.spec.template.spec.containers[0];

  it("runs after the post-deployment migration, and nothing waits for it", () => {
    assert.ok(stack.dependsOn(job(), stack.get(KIND.Job, "social-db-migrate-post")));
    for (const d of stack.ofType(KIND.Deployment)) assert.ok(stack.dependsOn(job(), d));
    for (const r of stack.resources.filter((r) => r !== job())) assert.ok(!r.dependencies.includes(job().urn), `${r.name} waits for the admin Job`);
  });

  it("creates the account with Rails in the instance's image and environment, as an approved, confirmed Owner", () => {
    const web = stack.get(KIND.Deployment, "social-web").inputs.spec.template.spec.containers[0];
    assert.equal(container().image, web.image);
    assert.deepEqual(container().envFrom, web.envFrom);
    assert.deepEqual(container().command, ADMIN_COMMAND);
    assert.deepEqual(ADMIN_COMMAND, ["bundle", "exec", "rails", "runner", ADMIN_SCRIPT]);
    assert.match(ADMIN_SCRIPT, /UserRole\.find_by\(name: 'Owner'\)/);
    assert.match(ADMIN_SCRIPT, /mark_email_as_confirmed!/);
    assert.match(ADMIN_SCRIPT, /approve!/);
    const env = Object.fromEntries(container().env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    assert.equal(env[ADMIN_ENV.username], "owner");
    assert.equal(env[ADMIN_ENV.email], "owner@social.example");
  });

  it("is idempotent: it exits successfully, creating nothing, when the account exists", () => {
    const lines = ADMIN_SCRIPT.split("\n");
    const exists = lines.findIndex((l) => l.startsWith("if Account.find_local(username)"));
    const create = lines.findIndex((l) => l.includes("user.save"));
    assert.ok(exists >= 0 && exists < create, "the existence check comes before any write");
    assert.deepEqual(lines.slice(exists + 1, exists + 4).map((l) => l.trim()), ['puts "admin: the account #{username} exists: nothing to do"', "exit 0", "end"]);
  });

  it("takes the password from a Secret, never from the command line, and never prints it", () => {
    const password = container().env.find((e: any) => e.name === ADMIN_ENV.password);
    assert.equal(password.value, undefined);
    const secret = stack.ofType(KIND.Secret).find((s) => s.state.metadata.name === password.valueFrom.secretKeyRef.name)!;
    assert.ok(secret, "the Secret the Job reads");
    assert.ok(secret.secretInputPaths.some((p) => "stringData.password".startsWith(p)), `the Secret's value is a Pulumi secret: ${JSON.stringify(secret.secretInputPaths)}`);
    const value: string = secret.inputs.stringData.password;
    assert.ok(value.length >= 32);
    assert.ok(!JSON.stringify(job().inputs).includes(value));
    // The script reads the password in one place, as User.new's argument, and prints only names.
    assert.deepEqual(ADMIN_SCRIPT.split("\n").filter((l) => l.includes(ADMIN_ENV.password)).length, 1);
    for (const line of ADMIN_SCRIPT.split("\n").filter((l) => /\b(puts|abort|print|p|pp|warn)\b/.test(l))) {
      assert.ok(!/#\{[^}]*(password|ENV)[^}]*\}/i.test(line), `prints something of the password: ${line}`);
    }
  });

  it("returns the password as a Pulumi secret output, the one the Secret holds", async () => {
    assert.ok(await pulumi.isSecret(cluster.adminPassword));
    const password = await valueOf(cluster.adminPassword);
    const ref = container().env.find((e: any) => e.name === ADMIN_ENV.password).valueFrom.secretKeyRef.name;
    assert.equal(stack.ofType(KIND.Secret).find((s) => s.state.metadata.name === ref)!.inputs.stringData.password, password);
  });

  it("keeps the password across runs and version changes, and runs again (finding the account) only for a new image or account", async () => {
    const again = await deploy({ domain: "social.example", admin });
    assert.equal(await valueOf(again.cluster.adminPassword), await valueOf(cluster.adminPassword));
    // A Job's pod template is immutable: an equal template keeps the Job, another one replaces (re-runs) it.
    assert.deepEqual(again.stack.get(KIND.Job, "social-admin").inputs.spec.template, job().inputs.spec.template);
    const upgraded = await deploy({ domain: "social.example", admin, version: "v4.5.2" });
    assert.equal(await valueOf(upgraded.cluster.adminPassword), await valueOf(cluster.adminPassword));
    assert.notDeepEqual(upgraded.stack.get(KIND.Job, "social-admin").inputs.spec.template, job().inputs.spec.template);
    // Pulumi names it, anew at each replacement.
    assert.equal(job().inputs.metadata.name, undefined);
  });

  it("runs in the restricted profile, retryable by the next `pulumi up`, within a deadline", () => {
    const pod = job().inputs.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.containers[0].securityContext.allowPrivilegeEscalation, false);
    assert.equal(pod.restartPolicy, "Never");
    assert.equal(job().inputs.metadata.annotations["pulumi.com/replaceUnready"], "true");
    assert.ok(job().inputs.spec.activeDeadlineSeconds > 0);
  });

  it("reaches the database and Redis through the instance's data policy", () => {
    const data = stack.get(KIND.NetworkPolicy, "social-mastodon-data").inputs.spec.podSelector;
    const components = data.matchExpressions.find((e: any) => e.key === "app.kubernetes.io/component").values;
    assert.ok(components.includes(job().inputs.spec.template.metadata.labels["app.kubernetes.io/component"]));
  });

  it("is absent by default, with an empty password output and the admin command kept", async () => {
    const { stack, cluster } = await deploy({ domain: "social.example" });
    assert.equal(stack.find(KIND.Job, "social-admin"), undefined);
    assert.equal(stack.resources.filter((r) => r.name === "social-admin-password").length, 0);
    assert.equal(await valueOf(cluster.adminPassword), "");
    assert.match(await valueOf(cluster.adminCommand), /tootctl accounts create/);
  });

  it("takes a password given in secrets.adminPassword, generating none, and refuses one without admin or too short", async () => {
    const { stack, cluster } = await deploy({ domain: "social.example", admin, secrets: { adminPassword: "a-Given-passw0rd" } });
    assert.equal(stack.resources.filter((r) => r.name === "social-admin-password").length, 0, "no RandomPassword");
    assert.equal(await valueOf(cluster.adminPassword), "a-Given-passw0rd");
    assert.ok(await pulumi.isSecret(cluster.adminPassword));
    const ref = stack.get(KIND.Job, "social-admin").inputs.spec.template.spec.containers[0].env.find((e: any) => e.name === ADMIN_ENV.password).valueFrom.secretKeyRef.name;
    const secret = stack.ofType(KIND.Secret).find((s) => s.state.metadata.name === ref)!;
    assert.equal(secret.inputs.stringData.password, "a-Given-passw0rd");
    assert.ok(secret.secretInputPaths.some((p) => p.startsWith("stringData")), "sent as a Pulumi secret");
    assert.throws(() => parseArgs("social", { domain: "social.example", secrets: { adminPassword: "a-Given-passw0rd" } }),
      /args\.secrets\.adminPassword: got \[secret\]; expected nothing unless admin is set/);
    assert.throws(() => parseArgs("social", { domain: "social.example", admin, secrets: { adminPassword: "short" } }),
      /args\.secrets\.adminPassword: .*expected a password of 8 to 72 characters/);
  });

  it("refuses usernames Mastodon refuses, and bad emails, naming the field", () => {
    const bad = (a: object) => () => parseArgs("social", { domain: "social.example", admin: a } as any);
    assert.throws(bad({ username: "no spaces", email: "a@b.c" }), /args\.admin\.username: got "no spaces"; expected a Mastodon username/);
    assert.throws(bad({ username: "x".repeat(31), email: "a@b.c" }), /args\.admin\.username: .*at most 30 characters/);
    assert.throws(bad({ username: "owner", email: "nobody" }), /args\.admin\.email: got "nobody"; expected an email address/);
    assert.throws(bad({ email: "a@b.c" }), /args\.admin\.username/);
  });
});
