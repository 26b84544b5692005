import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EMPTY_DATABASE_STATUS, PRE_MIGRATION_SCRIPT } from "../../provider/migrations";
import { KIND, Stack, deploy } from "../harness/stack";

const env = (job: { inputs: any }) =>
  Object.fromEntries((job.inputs.spec.template.spec.containers[0].env ?? []).map((e: any) => [e.name, e.value]));

describe("migrations, in the order Mastodon requires", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({
      domain: "social.example",
      sidekiqWorkers: [
        { name: "default", queues: ["default", "ingress", "scheduler", "fasp"] },
        { name: "mail", queues: ["mailers", "pull", "push"] },
      ],
    }));
  });
  const pre = () => stack.get(KIND.Job, "social-db-migrate-pre");
  const post = () => stack.get(KIND.Job, "social-db-migrate-post");
  const deployments = () => stack.ofType(KIND.Deployment);

  it("runs the pre-deployment migration once PostgreSQL and Redis are ready", () => {
    assert.ok(stack.dependsOn(pre(), stack.get(KIND.StatefulSet, "social-postgresql")));
    assert.ok(stack.dependsOn(pre(), stack.get(KIND.StatefulSet, "social-redis")));
  });

  it("starts every Mastodon Deployment only after the pre-deployment migration", () => {
    assert.deepEqual(deployments().map((d) => d.name).sort(), ["social-sidekiq-default", "social-sidekiq-mail", "social-streaming", "social-web"]);
    for (const d of deployments()) assert.ok(stack.dependsOn(d, pre()), `${d.name} does not wait for the pre-deployment migration`);
  });

  it("runs the post-deployment migration after every Deployment is rolled out", () => {
    for (const d of deployments()) assert.ok(stack.dependsOn(post(), d), `post-deployment migration does not wait for ${d.name}`);
  });

  it("never makes the data tier wait for Mastodon", () => {
    for (const data of [stack.get(KIND.StatefulSet, "social-postgresql"), stack.get(KIND.StatefulSet, "social-redis")]) {
      for (const r of [pre(), post(), ...deployments(), stack.get(KIND.Certificate, "social-tls")]) {
        assert.ok(!stack.dependsOn(data, r), `${data.name} waits for ${r.type} ${r.name}`);
      }
    }
  });

  it("runs the pre step as a probe of the schema, then prepare or pre-deployment migrations", () => {
    const container = pre().inputs.spec.template.spec.containers[0];
    assert.deepEqual(container.command, ["/bin/sh", "-c", PRE_MIGRATION_SCRIPT]);
    // The variable is set by the script for an existing database only, never for the whole Job.
    assert.equal(env(pre()).SKIP_POST_DEPLOYMENT_MIGRATIONS, undefined);
  });

  describe("the pre step's script, run by sh with a stand-in for bundle", () => {
    /** Runs the Job's own command with `bundle` recording its arguments and SKIP_POST_DEPLOYMENT_MIGRATIONS. */
    function runPreStep(probeStatus: number) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pre-migration-"));
      const log = path.join(dir, "calls");
      fs.writeFileSync(path.join(dir, "bundle"), [
        "#!/bin/sh",
        `echo "$* skip=\${SKIP_POST_DEPLOYMENT_MIGRATIONS:-unset}" >> "${log}"`,
        `case "$3" in runner) exit ${probeStatus} ;; esac`,
        "exit 0",
      ].join("\n"), { mode: 0o755 });
      const command: string[] = pre().inputs.spec.template.spec.containers[0].command;
      const result = childProcess.spawnSync(command[0], command.slice(1), {
        env: { PATH: `${dir}:${process.env.PATH}` },
        encoding: "utf8",
      });
      const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
      fs.rmSync(dir, { recursive: true, force: true });
      return { status: result.status, calls: calls.map((c) => c.replace(/^exec rails runner .*( skip=)/s, "exec rails runner …$1")) };
    }

    it("loads the schema without SKIP_POST_DEPLOYMENT_MIGRATIONS on an empty database", () => {
      const { status, calls } = runPreStep(EMPTY_DATABASE_STATUS);
      assert.equal(status, 0);
      assert.deepEqual(calls, ["exec rails runner … skip=unset", "exec rails db:prepare skip=unset"]);
    });

    it("runs only the pre-deployment migrations on an existing database", () => {
      const { status, calls } = runPreStep(0);
      assert.equal(status, 0);
      assert.deepEqual(calls, ["exec rails runner … skip=unset", "exec rails db:migrate skip=true"]);
    });

    describe("the schema probe's Ruby, against a stand-in for ActiveRecord", () => {
      /** Runs the probe's Ruby after defining an ActiveRecord whose connection does `behaviour`; returns the exit status. */
      function probe(behaviour: string): number | null {
        const code = /rails runner '(.*?)' \|\|/s.exec(PRE_MIGRATION_SCRIPT)![1];
        const stub = [
          "module ActiveRecord",
          "  class NoDatabaseError < StandardError; end",
          "  class Conn; def initialize(b) @b = b end; def table_exists?(t) t == :schema_migrations && @b == :present end; end",
          "  class Pool",
          "    def with_connection",
          "      b = ENV.fetch('BEHAVIOUR').to_sym",
          "      if b == :missing_db || b == :too_many",
          "        pg = b == :missing_db ? 'FATAL:  database \"mastodon_production\" does not exist' : 'FATAL:  too many connections for role \"mastodon_production\"'",
          "        begin; raise StandardError, pg; rescue StandardError; raise NoDatabaseError, 'We could not find your database: mastodon_production'; end",
          "      end",
          "      yield Conn.new(b)",
          "    end",
          "  end",
          "  class Base; def self.connection_pool; Pool.new end; end",
          "end",
        ].join("\n");
        return childProcess.spawnSync("ruby", ["-e", `${stub}\n${code}`], { env: { ...process.env, BEHAVIOUR: behaviour } }).status;
      }

      before(function () {
        if (childProcess.spawnSync("ruby", ["--version"]).status !== 0) this.skip("no ruby on PATH: the Ruby schema probe cannot run");
      });

      it("reads an existing schema as 0, a missing one or a missing database as empty", () => {
        assert.deepEqual(["present", "absent", "missing_db"].map(probe), [0, EMPTY_DATABASE_STATUS, EMPTY_DATABASE_STATUS]);
      });

      it("reads any other connection error naming the database as a failure, never as an empty database", () => {
        assert.equal(probe("too_many"), 1);
      });
    });

    it("fails, migrating nothing, when the schema cannot be read", () => {
      const { status, calls } = runPreStep(1);
      assert.equal(status, 1);
      assert.deepEqual(calls, ["exec rails runner … skip=unset"]);
    });
  });

  it("runs every migration in the post step", () => {
    const container = post().inputs.spec.template.spec.containers[0];
    assert.deepEqual(container.command, ["bundle", "exec", "rails", "db:migrate"]);
    assert.equal(env(post()).SKIP_POST_DEPLOYMENT_MIGRATIONS, undefined);
  });

  it("runs the Jobs in the new image, with the environment of the processes", () => {
    const web = stack.get(KIND.Deployment, "social-web").inputs.spec.template.spec.containers[0];
    for (const job of [pre(), post()]) {
      const container = job.inputs.spec.template.spec.containers[0];
      assert.equal(container.image, web.image);
      assert.deepEqual(container.envFrom, web.envFrom);
    }
  });

  it("makes failed Jobs retryable by the next `pulumi up`, and never retries forever", () => {
    for (const job of [pre(), post()]) {
      assert.equal(job.inputs.metadata.annotations["pulumi.com/replaceUnready"], "true");
      assert.equal(job.inputs.spec.backoffLimit, 2);
      assert.equal(job.inputs.spec.template.spec.restartPolicy, "Never");
      assert.equal(job.inputs.spec.ttlSecondsAfterFinished, undefined, "a Job deleted by its TTL would be recreated by `pulumi refresh`");
    }
  });

  it("gives each Job a generous deadline by default (6 hours), and the engine's wait outlasts it", () => {
    for (const job of [pre(), post()]) {
      assert.equal(job.inputs.spec.activeDeadlineSeconds, 21600);
      assert.equal(job.customTimeouts?.create, "370m");
      assert.equal(job.customTimeouts?.update, "370m");
    }
  });
});

describe("the migration deadline", () => {
  it("is configurable for a long data migration, and the engine waits as long", async () => {
    const { stack } = await deploy({ domain: "social.example", migrations: { activeDeadlineSeconds: 12 * 3600 } });
    for (const step of ["pre", "post"]) {
      const job = stack.get(KIND.Job, `social-db-migrate-${step}`);
      assert.equal(job.inputs.spec.activeDeadlineSeconds, 43200);
      assert.equal(job.customTimeouts?.create, "730m");
    }
  });

  it("keeps the Jobs' pod templates when only the deadline changes (no migration runs again)", async () => {
    const { stack: a } = await deploy({ domain: "social.example" });
    const { stack: b } = await deploy({ domain: "social.example", migrations: { activeDeadlineSeconds: 7200 } });
    assert.deepEqual(a.get(KIND.Job, "social-db-migrate-pre").inputs.spec.template, b.get(KIND.Job, "social-db-migrate-pre").inputs.spec.template);
  });
});

describe("migrations and versions", () => {
  it("changes each Job's (immutable) pod template with the version, so a version change replaces and runs both steps again", async () => {
    const { stack: before } = await deploy({ domain: "social.example", version: "v4.5.2" });
    const { stack: after } = await deploy({ domain: "social.example", version: "v4.6.6" });
    for (const step of ["pre", "post"]) {
      const a = before.get(KIND.Job, `social-db-migrate-${step}`).inputs.spec.template;
      const b = after.get(KIND.Job, `social-db-migrate-${step}`).inputs.spec.template;
      assert.equal(a.spec.containers[0].image, "ghcr.io/mastodon/mastodon:v4.5.2");
      assert.equal(b.spec.containers[0].image, "ghcr.io/mastodon/mastodon:v4.6.6");
    }
  });

  it("lets Pulumi name the Jobs, so a replacement never meets an earlier Job of the same name (a rolled-back upgrade)", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    for (const step of ["pre", "post"]) {
      const job = stack.get(KIND.Job, `social-db-migrate-${step}`);
      assert.equal(job.inputs.metadata.name, undefined, `the ${step}-deployment Job has a name of its own`);
      assert.equal(job.name, `social-db-migrate-${step}`);
    }
  });

  it("keeps the Jobs' pod templates when nothing about the image changes", async () => {
    const { stack: a } = await deploy({ domain: "social.example" });
    const { stack: b } = await deploy({ domain: "social.example", web: { replicas: 2 } });
    assert.deepEqual(a.get(KIND.Job, "social-db-migrate-pre").inputs.spec.template, b.get(KIND.Job, "social-db-migrate-pre").inputs.spec.template);
  });

  it("migrates through the direct host, bypassing a transaction pooler", async () => {
    const { stack } = await deploy({
      domain: "social.example",
      postgresql: { external: { host: "pgbouncer.db", directHost: "postgres.db", password: "x", preparedStatements: false } },
    });
    for (const name of ["social-db-migrate-pre", "social-db-migrate-post"]) {
      assert.equal(env(stack.get(KIND.Job, name)).DB_HOST, "postgres.db");
    }
    const config = stack.ofType(KIND.ConfigMap).find((c) => c.name === "social-env")!;
    assert.equal(config.inputs.data.DB_HOST, "pgbouncer.db");
    assert.equal(config.inputs.data.PREPARED_STATEMENTS, "false");
  });

  it("waits for nothing stateful when the database is external", async () => {
    const { stack } = await deploy({ domain: "social.example", postgresql: { external: { host: "pg.db", password: "x" } } });
    assert.equal(stack.find(KIND.StatefulSet, "social-postgresql"), undefined);
    assert.ok(stack.dependsOn(stack.get(KIND.Job, "social-db-migrate-pre"), stack.get(KIND.StatefulSet, "social-redis")));
  });
});
