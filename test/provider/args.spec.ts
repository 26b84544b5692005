import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { MastodonClusterArgs } from "../../provider";
import { parseArgs } from "../../provider/args";
import { InvalidArgsError } from "../../provider/validation";
import { deploy } from "../harness/stack";

/** The error `parseArgs` throws for `args`, or a failure if it accepts them. */
function rejection(args: unknown, name = "social"): InvalidArgsError {
  try {
    parseArgs(name, args as MastodonClusterArgs);
  } catch (e) {
    assert.ok(e instanceof InvalidArgsError, `expected InvalidArgsError, got ${e}`);
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(args)}`);
}

const base = { domain: "social.example" };
const all = ["default", "push", "ingress", "mailers", "pull", "scheduler", "fasp"];

describe("args warnings", () => {
  it("warn about a version newer than the newest the component knows, naming it", () => {
    const { warnings } = parseArgs("social", { domain: "social.example", version: "v4.99.0" });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^args\.version: "v4\.99\.0" is newer than the newest release this component knows \(v4\.7\.2\)/);
  });

  it("warn about an unweighted queue list that can starve the scheduler, naming the worker and the weights to use", () => {
    const { warnings } = parseArgs("social", { domain: "social.example", sidekiqWorkers: [{ name: "all", queues: all }] });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^args\.sidekiqWorkers\[0\]\.queues: .* has no weights, which sidekiq reads as strict priority: "scheduler" waits whenever "default" or "push" or "ingress" or "mailers" or "pull" has a backlog/);
    assert.ok(warnings[0].includes('["default,8","push,6","ingress,4","mailers,2","pull","scheduler","fasp"]'), warnings[0]);
  });

  it("stay silent on weighted lists and on a scheduler listed first or alone", () => {
    for (const sidekiqWorkers of [
      [{ name: "all", queues: ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "scheduler", "fasp"] }],
      [{ name: "all", queues: ["scheduler", "default", "push", "ingress", "mailers", "pull", "fasp"] }],
      [{ name: "main", queues: ["default", "push", "ingress", "mailers", "pull", "fasp"] }, { name: "scheduler", queues: ["scheduler"] }],
    ]) {
      assert.deepEqual(parseArgs("social", { domain: "social.example", sidekiqWorkers }).warnings, [], JSON.stringify(sidekiqWorkers));
    }
  });

  it("warn an instance trusting a shared CA that, without ingress.controllerAddresses, it cannot federate in the cluster", () => {
    const { warnings } = parseArgs("social", { domain: "social.example", tls: { issuerName: "lab-ca", caCertificate: "-----BEGIN CERTIFICATE-----" } });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^args\.ingress\.controllerAddresses: not given, so Mastodon refuses every private address \(ALLOWED_PRIVATE_ADDRESSES is empty\)/);
    assert.match(warnings[0], /ingressServiceAddresses/);
    const given = parseArgs("social", { domain: "social.example", tls: { issuerName: "lab-ca", caCertificate: "-----BEGIN CERTIFICATE-----" }, ingress: { controllerAddresses: ["10.43.0.10"] } });
    assert.deepEqual(given.warnings, []);
  });

  it("warn that ingress.controllerAddresses is unused with an egress gateway", () => {
    const { warnings } = parseArgs("social", { domain: "social.example", egressGateway: { enabled: true }, ingress: { controllerAddresses: ["10.43.0.10"] } });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^args\.ingress\.controllerAddresses: \["10\.43\.0\.10"\] is unused with egressGateway: Mastodon then sends every request through the gateway/);
  });

  it("stay silent on the default and on known versions", () => {
    assert.deepEqual(parseArgs("social", { domain: "social.example" }).warnings, []);
    assert.deepEqual(parseArgs("social", { domain: "social.example", version: "v4.7.2" }).warnings, []);
  });

  it("are logged once by the component, as warnings on it", async () => {
    const logged: [string, unknown][] = [];
    const original = pulumi.log.warn;
    (pulumi.log as any).warn = (message: string, resource?: unknown) => { logged.push([message, resource]); return Promise.resolve(); };
    try {
      const { cluster } = await deploy({ domain: "social.example", version: "v4.99.0" });
      assert.equal(logged.length, 1);
      assert.match(logged[0][0], /v4\.99\.0.*v4\.7\.2/);
      assert.equal(logged[0][1], cluster);
    } finally {
      (pulumi.log as any).warn = original;
    }
  });
});

describe("args validation", () => {
  // [what, args, every fragment the one error must contain]
  const cases: [string, unknown, string[]][] = [
    ["a malformed domain", { domain: "Social_Example" }, ["args.domain", '"Social_Example"', "a lowercase DNS name"]],
    ["a missing domain", {}, ["args.domain", "got undefined", "a lowercase DNS name"]],
    ["a single-label domain", { domain: "localhost" }, ["args.domain", '"localhost"']],
    ["a malformed version", { ...base, version: "4.6.7" }, ["args.version", '"4.6.7"', "a Mastodon 4.x release tag such as v4.6.6"]],
    ["a version before 4.2", { ...base, version: "v4.1.9" }, ["args.version", '"v4.1.9"', "from v4.2.0 on"]],
    ["a version 5", { ...base, version: "v5.0.0" }, ["args.version", '"v5.0.0"']],
    ["an unknown top-level key", { ...base, replicas: 2 }, ["args: unknown key \"replicas\"", "expected only domain, webDomain, version"]],
    ["an unknown nested key", { ...base, web: { replica: 2 } }, ['args.web: unknown key "replica"', "expected only replicas, autoscaling, processes, threads, dbPool, resources"]],
    ["zero replicas", { ...base, web: { replicas: 0 } }, ["args.web.replicas", "got 0", "a whole number ≥ 1"]],
    ["negative replicas", { ...base, streaming: { replicas: -1 } }, ["args.streaming.replicas", "got -1", "a whole number ≥ 1"]],
    ["fractional threads", { ...base, web: { threads: 2.5 } }, ["args.web.threads", "got 2.5"]],
    ["an unknown queue", { ...base, sidekiqWorkers: [{ name: "all", queues: [...all, "mailer"] }] }, ["args.sidekiqWorkers[0].queues[7]", '"mailer"', "one of default, push, ingress, mailers, pull, scheduler, fasp"]],
    ["fasp before 4.4", { ...base, version: "v4.3.9", sidekiqWorkers: [{ name: "all", queues: all }] }, ["args.sidekiqWorkers[0].queues[6]", '"fasp"', "the queues of Mastodon v4.3.9"]],
    ["a queue left unserved", { ...base, sidekiqWorkers: [{ name: "all", queues: ["default", "push", "ingress", "mailers", "scheduler", "fasp"] }] }, ["args.sidekiqWorkers", "every queue served", "not served: pull"]],
    ["scheduler served twice", { ...base, sidekiqWorkers: [{ name: "a", queues: all }, { name: "b", queues: ["scheduler"] }] }, ["args.sidekiqWorkers", '["a","b"]', "the scheduler queue served by exactly one worker group"]],
    ["scheduler on two replicas", { ...base, sidekiqWorkers: [{ name: "a", queues: all, replicas: 2 }] }, ["args.sidekiqWorkers[0].replicas", "got 2", "exactly one pod"]],
    ["a queue listed twice", { ...base, sidekiqWorkers: [{ name: "a", queues: [...all, "push,2"] }] }, ["args.sidekiqWorkers[0].queues[7]", '"push,2"', "each queue listed once"]],
    ["a malformed queue weight", { ...base, sidekiqWorkers: [{ name: "a", queues: ["default,0", ...all.slice(1)] }] }, ["args.sidekiqWorkers[0].queues[0]", '"default,0"', "optionally weighted"]],
    ["two worker groups with one name", { ...base, sidekiqWorkers: [{ name: "a", queues: all }, { name: "a", queues: ["push"] }] }, ["args.sidekiqWorkers[1].name", '"a"', "a name no other worker group has"]],
    ["a worker name Kubernetes refuses", { ...base, sidekiqWorkers: [{ name: "Mail_ers", queues: all }] }, ["args.sidekiqWorkers[0].name", '"Mail_ers"', "lowercase letters"]],
    ["a web DB_POOL below the threads", { ...base, web: { threads: 8, dbPool: 5 } }, ["args.web.dbPool", "got 5", "at least web.threads (8)"]],
    ["a sidekiq DB_POOL below the concurrency", { ...base, sidekiqWorkers: [{ name: "a", queues: all, concurrency: 20, dbPool: 10 }] }, ["args.sidekiqWorkers[0].dbPool", "got 10", "at least the worker's concurrency (20)"]],
    ["a connection budget over max_connections", { ...base, web: { replicas: 4, processes: 4, threads: 5 } }, ["args.postgresql.maxConnections", "got 100", "web 80 + streaming 10 + sidekiq default 10 + rollout surge or migration 30 = 130", "at least 133"]],
    ["a budget over a declared external max_connections", { ...base, postgresql: { maxConnections: 30, external: { host: "pg.db", password: "x" } } }, ["args.postgresql.maxConnections", "got 30", "= 50", "at least 53"]],
    ["an external database without a host", { ...base, postgresql: { external: { password: "x" } } }, ["args.postgresql.external.host", "got undefined", "a host name or address"]],
    ["an external database without a password", { ...base, postgresql: { external: { host: "pg.db" } } }, ["args.postgresql.external.password", "got undefined"]],
    ["an unknown sslmode", { ...base, postgresql: { external: { host: "pg.db", password: "x", sslMode: "on" } } }, ["args.postgresql.external.sslMode", '"on"', "one of disable, allow, prefer"]],
    ["embedded settings beside an external database", { ...base, postgresql: { storageSize: "20Gi", external: { host: "pg.db", password: "x" } } }, ["args.postgresql.storageSize", '"20Gi"', "postgresql.external is set"]],
    ["a malformed storage size", { ...base, media: { storageSize: "ten gigs" } }, ["args.media.storageSize", '"ten gigs"', '"512Mi" or "1Gi"']],
    ["an unknown access mode", { ...base, media: { accessMode: "ReadOnlyMany" } }, ["args.media.accessMode", '"ReadOnlyMany"', "ReadWriteOnce or ReadWriteMany"]],
    ["a malformed CPU quantity", { ...base, web: { resources: { limits: { cpu: "two" } } } }, ["args.web.resources.limits.cpu", '"two"', '"250m" or "1"']],
    ["a host name among the ingress controller's addresses", { ...base, ingress: { controllerAddresses: ["traefik.kube-system"] } }, ["args.ingress.controllerAddresses[0]", '"traefik.kube-system"', "an IP address or CIDR such as 10.43.0.10"]],
    ["a short IPv4 form Mastodon's IPAddr refuses", { ...base, ingress: { controllerAddresses: ["10.43.0.10", "10.43"] } }, ["args.ingress.controllerAddresses[1]", '"10.43"', "an IP address or CIDR"]],
    ["a malformed CIDR among the ingress controller's addresses", { ...base, ingress: { controllerAddresses: ["10.43.0.0/33"] } }, ["args.ingress.controllerAddresses[0]", '"10.43.0.0/33"', "an IP address or CIDR"]],
    ["half a VAPID key pair", { ...base, secrets: { vapidPrivateKey: "abc" } }, ["args.secrets.vapidPrivateKey", "got [secret]", "given together"]],
    ["a malformed cluster CIDR", { ...base, clusterCidrs: ["10.42.0.0/33"] }, ["args.clusterCidrs[0]", '"10.42.0.0/33"', "a CIDR such as 10.42.0.0/16"]],
    ["an address where a CIDR is expected", { ...base, clusterCidrs: ["10.42.0.1"] }, ["args.clusterCidrs[0]", '"10.42.0.1"']],
    ["an outside mail server while isolated", { ...base, smtp: { server: "smtp.mail.example.com" } }, ["args.smtp.server", '"smtp.mail.example.com"', "an in-cluster Service or an address in clusterCidrs"]],
    ["outside object storage while isolated", { ...base, media: { s3: { bucket: "m", endpoint: "https://s3.amazonaws.com", accessKeyId: "a", secretAccessKey: "b" } } }, ["args.media.s3.endpoint", '"https://s3.amazonaws.com"', "an in-cluster endpoint"]],
    ["an outside database while isolated", { ...base, postgresql: { external: { host: "db.example.com", password: "x" } } }, ["args.postgresql.external.host", '"db.example.com"', "an in-cluster Service or an address in clusterCidrs"]],
    ["an outside direct database host while isolated", { ...base, postgresql: { external: { host: "pgbouncer.db", directHost: "192.168.1.20", password: "x" } } }, ["args.postgresql.external.directHost", '"192.168.1.20"', "add the server's range to clusterCidrs"]],
    ["an outside Redis while isolated", { ...base, redis: { external: { host: "cache.example.net" } } }, ["args.redis.external.host", '"cache.example.net"', "or set allowPublicEgress"]],
    ["a PostgreSQL too old for the version", { ...base, postgresql: { image: "postgres:13.16" } }, ["args.postgresql.image", '"postgres:13.16"', "PostgreSQL 14 or later (Mastodon v4.6.6 requires it)"]],
    ["a Redis too old for the version", { ...base, version: "v4.4.3", redis: { image: "redis:6.0.20" } }, ["args.redis.image", '"redis:6.0.20"', "Redis 6.2 or later (Mastodon v4.4.3 requires it)"]],
    ["a data server image that is not pinned", { ...base, postgresql: { image: "postgres:latest" } }, ["args.postgresql.image", '"postgres:latest"', "pinned by a version tag or a digest, such as docker.io/library/postgres:17.6"]],
    ["a data server image on a moving tag", { ...base, redis: { image: "redis:bookworm" } }, ["args.redis.image", '"redis:bookworm"', "pinned by a version tag or a digest, such as docker.io/library/redis:7.4.5"]],
    ["ACME while isolated", { ...base, tls: { acmeEmail: "admin@social.example" } }, ["args.tls.acmeEmail", "ACME certificates are for public instances"]],
    ["ACME without an email", { ...base, allowPublicEgress: true, tls: { acmeServer: "https://acme.example/directory" } }, ["args.tls.acmeServer", "nothing unless tls.acmeEmail is set"]],
    ["an issuer and a secret together", { ...base, tls: { issuerName: "lab-ca", secretName: "social-tls" } }, ["args.tls.secretName", '"social-tls"', "only one of tls.issuerName, tls.secretName and tls.acmeEmail"]],
    ["an unknown issuer kind", { ...base, tls: { issuerName: "lab-ca", issuerKind: "CertificateIssuer" } }, ["args.tls.issuerKind", '"CertificateIssuer"', "ClusterIssuer or Issuer"]],
    ["an issuer kind without an issuer", { ...base, tls: { issuerKind: "Issuer" } }, ["args.tls.issuerKind", "nothing unless tls.issuerName is set"]],
    ["a CA that is not PEM", { ...base, tls: { caCertificate: "MIIB..." } }, ["args.tls.caCertificate", "a PEM certificate"]],
    ["an environment variable the component manages", { ...base, extraEnv: { DB_HOST: "elsewhere" } }, ["args.extraEnv.DB_HOST", "a variable the component does not manage"]],
    ["an object-storage credential in the environment", { ...base, extraEnv: { AWS_SECRET_ACCESS_KEY: "k" } }, ["args.extraEnv.AWS_SECRET_ACCESS_KEY", "a variable the component does not manage"]],
    ["a mail setting in the environment", { ...base, extraEnv: { SMTP_PORT: "25" } }, ["args.extraEnv.SMTP_PORT", "a variable the component does not manage"]],
    ["a request body limit below Mastodon's uploads", { ...base, ingress: { maxRequestBodyBytes: 1000 } }, ["args.ingress.maxRequestBodyBytes", "got 1000", "at least 104857600"]],
    ["a namespace Kubernetes refuses", { ...base, namespace: "My Namespace" }, ["args.namespace", '"My Namespace"', "a Kubernetes name"]],
    ["an image repository with a tag", { ...base, imageRepository: "ghcr.io/mastodon/mastodon:v4.6.6" }, ["args.imageRepository", '"ghcr.io/mastodon/mastodon:v4.6.6"', "an image repository without a tag"]],
    ["a storage class Kubernetes refuses", { ...base, postgresql: { storageClassName: "Fast SSD" } }, ["args.postgresql.storageClassName", '"Fast SSD"', "a Kubernetes name"]],
    ["a migration deadline under ten minutes", { ...base, migrations: { activeDeadlineSeconds: 60 } }, ["args.migrations.activeDeadlineSeconds", "got 60", "a whole number of seconds from 600 to 604800"]],
    ["a domain that is an IPv4 address", { domain: "10.0.0.1" }, ["args.domain", '"10.0.0.1"', "not an IP address", "TLS certificates need a name"]],
    ["a domain that is an IPv6 address", { domain: "fd00::1" }, ["args.domain", '"fd00::1"', "not an IP address"]],
    ["a web domain that is an address", { ...base, webDomain: "192.168.1.20" }, ["args.webDomain", '"192.168.1.20"', "not an IP address"]],
    ["a domain under an all-digit top-level label", { domain: "social.123" }, ["args.domain", '"social.123"', "not an IP address"]],
    ["cache settings in the environment beside the cache Redis", { ...base, redis: { cache: { enabled: true } }, extraEnv: { CACHE_REDIS_HOST: "elsewhere" } }, ["args.extraEnv.CACHE_REDIS_HOST", '"elsewhere"', "nothing while redis.cache.enabled is true"]],
    ["max_connections out of range", { ...base, postgresql: { maxConnections: 5 } }, ["args.postgresql.maxConnections", "got 5", "a whole number from 20 to 10000"]],
    ["an unknown STARTTLS policy", { ...base, smtp: { server: "mailpit.mail", starttls: "sometimes" } }, ["args.smtp.starttls", '"sometimes"', "auto, always or never"]],
    ["a port out of range", { ...base, smtp: { server: "mailpit.mail", port: 70000 } }, ["args.smtp.port", "got 70000", "a port number from 1 to 65535"]],
    ["a malformed sender address", { ...base, smtp: { server: "mailpit.mail", fromAddress: "notifications" } }, ["args.smtp.fromAddress", '"notifications"', "an email address"]],
    ["an environment variable name the shell refuses", { ...base, extraEnv: { "1ST-VAR": "x" } }, ["args.extraEnv.1ST-VAR", "an environment variable name"]],
    ["a label key Kubernetes refuses", { ...base, ingress: { controllerPodLabels: { "bad key!": "traefik" } } }, ["args.ingress.controllerPodLabels.bad key!", "a label key such as app.kubernetes.io/name"]],
    ["no sidekiq worker group at all", { ...base, sidekiqWorkers: [] }, ["args.sidekiqWorkers", "got []", "at least one worker group"]],
    ["a worker group without queues", { ...base, sidekiqWorkers: [{ name: "a", queues: [] }] }, ["args.sidekiqWorkers[0].queues", "at least one queue"]],
    ["an empty cluster CIDR list", { ...base, clusterCidrs: [] }, ["args.clusterCidrs", "got []", "at least one CIDR"]],
    ["a cert-manager install with an existing secret", { ...base, tls: { secretName: "wild", installCertManager: true } }, ["args.tls.installCertManager", "with tls.secretName no certificate is issued"]],
    ["embedded Redis settings beside an external Redis", { ...base, redis: { persistence: false, external: { host: "redis.db" } } }, ["args.redis.persistence", "redis.external is set"]],
    ["volume settings beside object storage", { ...base, media: { storageSize: "5Gi", s3: { bucket: "m", endpoint: "http://minio.storage:9000", accessKeyId: "a", secretAccessKey: "b" } } }, ["args.media.storageSize", "media.s3 is set"]],
  ];

  for (const [what, args, fragments] of cases) {
    it(`refuses ${what}, naming the field, the value and what is expected`, () => {
      const error = rejection(args);
      assert.ok(error.message.startsWith('MastodonCluster "social": invalid args:'), error.message);
      for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${fragment}" not in:\n${error.message}`);
    });
  }

  it("refuses a component name Kubernetes cannot carry", () => {
    assert.match(rejection(base, "Social").message, /name: got "Social"; expected lowercase letters/);
    assert.match(rejection(base, "a".repeat(39)).message, /at most 38 characters/);
  });

  it("lists every bad field in one error", () => {
    const error = rejection({ domain: "x", web: { replicas: 0 }, media: { accessMode: "Any" } });
    assert.equal(error.problems.length, 3);
  });

  it("never prints a secret value", () => {
    const error = rejection({ ...base, postgresql: { external: { host: "pg.db", password: "" } } });
    assert.match(error.message, /args\.postgresql\.external\.password: got \[secret\]/);
  });

  it("accepts the documented examples", () => {
    for (const args of [
      base,
      { ...base, webDomain: "mastodon.social.example", version: "v4.4.3" },
      { ...base, sidekiqWorkers: [{ name: "default", queues: ["default,8", "ingress,4", "scheduler", "fasp"] }, { name: "mail", queues: ["mailers", "pull", "push"], replicas: 2 }] },
      { ...base, postgresql: { external: { host: "pg.db.svc.cluster.local", password: pulumi.secret("x"), preparedStatements: false, directHost: "pg-direct.db" } } },
      { ...base, smtp: { server: "mailpit.mail", port: 1025 }, clusterCidrs: ["10.42.0.0/16", "10.43.0.0/16", "fd00:42::/56"] },
      { ...base, allowPublicEgress: true, smtp: { server: "smtp.mail.example.com" }, tls: { acmeEmail: "admin@social.example" } },
      { ...base, postgresql: { image: "registry.lab:5000/postgres:16-bookworm" }, redis: { image: "registry.lab:5000/redis@sha256:0123abcd" } },
      { ...base, version: "v4.4.3", postgresql: { image: "postgres:13.16" }, redis: { image: "redis:6.2.14" } },
    ]) {
      parseArgs("social", args as MastodonClusterArgs);
    }
  });

  it("applies the documented defaults", () => {
    const config = parseArgs("social", base);
    assert.equal(config.version.tag, "v4.6.6");
    assert.equal(config.namespace, "social");
    assert.deepEqual(config.clusterCidrs, ["10.42.0.0/16", "10.43.0.0/16"]);
    assert.deepEqual({ replicas: config.web.replicas, processes: config.web.processes, threads: config.web.threads, dbPool: config.web.dbPool }, { replicas: 1, processes: 2, threads: 5, dbPool: 5 });
    assert.deepEqual(config.sidekiqWorkers.map((w) => [w.name, w.queues, w.concurrency, w.replicas, w.dbPool]), [["default", ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "scheduler", "fasp"], 10, 1, 10]]);
    assert.equal(config.postgresql.maxConnections, 100);
    assert.equal(config.postgresql.storageSize, "8Gi");
    assert.equal(config.redis.persistence, true);
    assert.equal(config.media.accessMode, "ReadWriteOnce");
    assert.equal(config.allowPublicEgress, false);
  });

  describe("values given as Outputs", () => {
    const rejected = (output: pulumi.Output<unknown>) => (output as any).promise().then(() => undefined, (e: Error) => e);

    it("checks them when they resolve, with the same message", async () => {
      const config = parseArgs("social", { domain: pulumi.output("Social_Example") });
      const error = await rejected(config.domain as pulumi.Output<string>);
      assert.ok(error instanceof InvalidArgsError);
      assert.equal(error.message, rejection({ domain: "Social_Example" }).message);
    });

    it("holds an external server's host to the isolation rule when it resolves, with the same message", async () => {
      const config = parseArgs("social", { domain: "social.example", postgresql: { external: { host: pulumi.output("db.example.com"), password: "x" } } });
      const error = await rejected(config.postgresql.external!.host as pulumi.Output<string>);
      assert.ok(error instanceof InvalidArgsError);
      assert.equal(error.message, rejection({ domain: "social.example", postgresql: { external: { host: "db.example.com", password: "x" } } }).message);
      const inside = parseArgs("social", { domain: "social.example", redis: { external: { host: pulumi.output("10.43.7.1") } } });
      assert.equal(await (inside.redis.external!.host as any).promise(), "10.43.7.1");
      const open = parseArgs("social", { domain: "social.example", allowPublicEgress: true, redis: { external: { host: pulumi.output("cache.example.net") } } });
      assert.equal(await (open.redis.external!.host as any).promise(), "cache.example.net");
    });

    it("checks a list of addresses that is, or holds, an Output when it resolves, naming the entry", async () => {
      for (const controllerAddresses of [pulumi.output(["10.43.0.10", "traefik.kube-system"]), ["10.43.0.10", pulumi.output("traefik.kube-system")]]) {
        const config = parseArgs("social", { domain: "social.example", ingress: { controllerAddresses } });
        const error = await rejected(config.ingress.controllerAddresses as pulumi.Output<string[]>);
        assert.ok(error instanceof InvalidArgsError);
        assert.equal(error.message, rejection({ domain: "social.example", ingress: { controllerAddresses: ["10.43.0.10", "traefik.kube-system"] } }).message);
      }
    });

    it("surface as one clear error, not buried under the serializer's `error serializing property` prefixes", async () => {
      const errors: unknown[] = [];
      const collect = (e: unknown) => errors.push(e);
      process.on("unhandledRejection", collect);
      try {
        await deploy({ domain: pulumi.output("10.0.0.1") });
        await new Promise((resolve) => setTimeout(resolve, 200));
      } finally {
        process.off("unhandledRejection", collect);
      }
      assert.ok(errors.length > 0, "the deployment reported no error");
      const expected = rejection({ domain: "10.0.0.1" }).message;
      assert.match(expected, /^MastodonCluster "social": invalid args:\n {2}- args\.domain: got "10\.0\.0\.1"; expected a DNS name/);
      for (const e of errors) assert.equal((e as Error).message, expected);
    });

    it("passes good values through unchanged", async () => {
      const config = parseArgs("social", { domain: pulumi.output("social.example") });
      assert.equal(await (config.domain as any).promise(), "social.example");
    });
  });
});
