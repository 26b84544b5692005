/**
 * The first admin, declared: with `admin: { username, email }`, a Job after the post-deployment migration creates
 * that account, an approved Owner with a confirmed email, unless it exists already (so every later run, and the
 * Job a version change brings, does nothing). Its password (`secrets.adminPassword`, or generated once in the
 * stack's state, random, as secrets.ts generates the others) reaches the Job through a Secret, and the user through
 * the `adminPassword` output (a Pulumi secret): it never appears in a command line, an object's plain fields or a log.
 *
 * The script does what `tootctl accounts create USERNAME --email EMAIL --confirmed --role Owner --approve` does,
 * with the password given instead of one generated and printed.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BuildContext, childOpts } from "./context";
import { componentLabels } from "./names";
import { processEnv } from "./workloads/env";
import { MastodonRuntime, mastodonPodTemplate } from "./workloads/mastodonPod";

/** The variables the script reads; the password's comes from the admin Secret. */
export const ADMIN_ENV = { username: "MASTODON_ADMIN_USERNAME", email: "MASTODON_ADMIN_EMAIL", password: "MASTODON_ADMIN_PASSWORD" } as const;

/** Run by `rails runner`: creates the Owner unless the username exists; prints nothing of the password. */
export const ADMIN_SCRIPT = [
  `username = ENV.fetch('${ADMIN_ENV.username}')`,
  `email = ENV.fetch('${ADMIN_ENV.email}')`,
  "if Account.find_local(username)",
  "  puts \"admin: the account #{username} exists: nothing to do\"",
  "  exit 0",
  "end",
  "role = UserRole.find_by(name: 'Owner')",
  "abort 'admin: this database has no Owner role' if role.nil?",
  `user = User.new(email: email, password: ENV.fetch('${ADMIN_ENV.password}'), agreement: true, role_id: role.id, bypass_invite_request_check: true)`,
  "user.account = Account.new(username: username)",
  "abort \"admin: could not create #{username}: #{user.errors.full_messages.join('; ')}\" unless user.save",
  "user.mark_email_as_confirmed!",
  "user.approve!",
  "puts \"admin: created #{username} <#{email}>, an approved Owner; the password is the stack's adminPassword output\"",
].join("\n");

export const ADMIN_COMMAND = ["bundle", "exec", "rails", "runner", ADMIN_SCRIPT];

/** The Job's longest run; the engine waits ten minutes more. */
export const ADMIN_DEADLINE_SECONDS = 15 * 60;

export interface AdminParts {
  job: k8s.batch.v1.Job;
  password: pulumi.Output<string>;
}

/** The first-admin Job, after `dependsOn` (the post-deployment migration); undefined without `admin`. */
export function adminJob(ctx: BuildContext, rt: MastodonRuntime, dependsOn: pulumi.Input<pulumi.Resource>[]): AdminParts | undefined {
  const { name, namespace, config } = ctx;
  const admin = config.admin;
  if (!admin) return undefined;
  const given = config.secrets.adminPassword;
  const password = pulumi.secret(given ?? new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent: ctx.opts.parent }).result);
  const secret = new k8s.core.v1.Secret(`${name}-admin`, {
    metadata: { namespace, labels: componentLabels(name, "admin") },
    type: "Opaque",
    stringData: { password },
  }, childOpts(ctx));
  const job = new k8s.batch.v1.Job(`${name}-admin`, {
    // No name: Pulumi names it anew when a new image or another account replaces it (see migrations.ts).
    metadata: {
      namespace,
      labels: componentLabels(name, "admin", config.version.tag),
      annotations: { "pulumi.com/replaceUnready": "true" },
    },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: ADMIN_DEADLINE_SECONDS,
      template: mastodonPodTemplate(ctx, rt, {
        component: "admin",
        version: config.version.tag,
        mountsMedia: false,
        restartPolicy: "Never",
        resources: config.maintenance.resources,
        container: {
          name: "admin",
          command: ADMIN_COMMAND,
          env: [
            ...processEnv({ [ADMIN_ENV.username]: admin.username, [ADMIN_ENV.email]: admin.email, DB_POOL: 2 }),
            { name: ADMIN_ENV.password, valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "password" } } },
          ],
        },
      }),
    },
  }, childOpts(ctx, { dependsOn, customTimeouts: { create: "25m", update: "25m" } }));
  return { job, password };
}
