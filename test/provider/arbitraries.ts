/** fast-check generators of valid MastodonClusterArgs, shared by the property specs and the benchmarks. */
import * as fc from "fast-check";
import type { MastodonClusterArgs } from "../../provider";
import { CLOUDNATIVEPG_CONNECTIONS, RESERVED_CONNECTIONS, connectionBudget, searchDeployConnections } from "../../provider/args";
import { parseVersion, sidekiqQueues } from "../../provider/versions";

export const VERSIONS = ["v4.2.17", "v4.3.0", "v4.4.3", "v4.5.2", "v4.6.6"];

const CIDR_SETS = [
  ["10.42.0.0/16", "10.43.0.0/16"],
  ["10.244.0.0/16", "10.96.0.0/12"],
  ["10.42.0.0/16", "10.43.0.0/16", "fd00:10:42::/56", "fd00:10:43::/112"],
];

/** Splits the version's queues into 1–3 worker groups; the one serving `scheduler` has one replica. */
function workers(version: string) {
  const queues = sidekiqQueues(parseVersion(version)!);
  return fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: queues.length, maxLength: queues.length }),
      fc.array(fc.record({ concurrency: fc.integer({ min: 1, max: 25 }), replicas: fc.integer({ min: 1, max: 3 }), weighted: fc.boolean() }), { minLength: 3, maxLength: 3 }),
    )
    .map(([assignment, settings]) => {
      const groups = [0, 1, 2]
        .map((g) => ({ g, queues: queues.filter((_, i) => assignment[i] === g) }))
        .filter(({ queues: q }) => q.length > 0);
      return groups.map(({ g, queues: q }) => {
        const s = settings[g];
        return {
          name: `group-${g}`,
          queues: q.map((name, i) => (s.weighted && name !== "scheduler" ? `${name},${i + 1}` : name)),
          concurrency: s.concurrency,
          replicas: q.includes("scheduler") ? 1 : s.replicas,
        };
      });
    });
}

export const validArgs: fc.Arbitrary<MastodonClusterArgs> = fc
  .record({
    version: fc.constantFrom(...VERSIONS),
    web: fc.record({ replicas: fc.integer({ min: 1, max: 3 }), processes: fc.integer({ min: 1, max: 3 }), threads: fc.integer({ min: 1, max: 8 }) }),
    streaming: fc.record({ replicas: fc.integer({ min: 1, max: 3 }), dbPool: fc.integer({ min: 1, max: 15 }) }),
    externalPostgresql: fc.boolean(),
    externalRedis: fc.boolean(),
    cloudNativePG: fc.constantFrom(undefined, "direct", "pooler"),
    redisPersistence: fc.boolean(),
    // Redis Sentinel (embedded, or external with externalRedis), from 4.3.
    redisSentinel: fc.boolean(),
    smtp: fc.boolean(),
    extraEnv: fc.boolean(),
    ownNamespace: fc.boolean(),
    suppliedSecrets: fc.boolean(),
    webResources: fc.boolean(),
    media: fc.constantFrom("ReadWriteOnce", "ReadWriteMany", "s3"),
    allowPublicEgress: fc.boolean(),
    clusterCidrs: fc.constantFrom(...CIDR_SETS),
    webDomain: fc.boolean(),
    tls: fc.constantFrom("own-ca", "issuer", "secret", "acme"),
    headroom: fc.integer({ min: 0, max: 40 }),
    search: fc.constantFrom("off", "embedded", "external"),
  })
  .chain((a) => workers(a.version).map((w) => ({ ...a, workers: w })))
  .map((a): MastodonClusterArgs => {
    const budget = connectionBudget({ web: a.web, streaming: a.streaming, searchDeploy: a.search === "off" ? undefined : searchDeployConnections() }, a.workers).total;
    const cnpg = a.externalPostgresql ? undefined : a.cloudNativePG;
    const maxConnections = Math.max(20, budget + RESERVED_CONNECTIONS + (cnpg ? CLOUDNATIVEPG_CONNECTIONS : 0) + a.headroom);
    const tls = a.tls === "issuer" ? { issuerName: "lab-ca", caCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }
      : a.tls === "secret" ? { secretName: "wildcard-tls" }
        : a.tls === "acme" && a.allowPublicEgress ? { acmeEmail: "admin@social.example" }
          : {};
    return {
      domain: "social.example",
      webDomain: a.webDomain ? "mastodon.social.example" : undefined,
      version: a.version,
      web: a.webResources ? { ...a.web, resources: { requests: { memory: "600Mi" }, limits: { cpu: "2", memory: "1536Mi" } } } : a.web,
      streaming: a.streaming,
      sidekiqWorkers: a.workers,
      postgresql: a.externalPostgresql
        ? { maxConnections, external: { host: "postgres.db.svc.cluster.local", password: "external-password" } }
        : cnpg
          // The API server's address inside the cluster's ranges, so that the pack's config is the stack's clusterCidrs.
          ? { maxConnections, cloudNativePG: { apiServerCidrs: [a.clusterCidrs[0]], pooler: { enabled: cnpg === "pooler" } } }
          : { maxConnections },
      redis: a.redisSentinel && a.version !== "v4.2.17"
        ? (a.externalRedis ? { external: { sentinels: ["sentinel.db.svc.cluster.local"], masterName: "mymaster", password: "redis-password" } } : { sentinel: { enabled: true } })
        : a.externalRedis ? { external: { host: "redis.db.svc.cluster.local", password: "redis-password" } } : { persistence: a.redisPersistence },
      ...(a.smtp ? { smtp: { server: "mailpit.mail", port: 1025, login: "mastodon", password: "smtp-password" } } : {}),
      ...(a.extraEnv ? { extraEnv: { SINGLE_USER_MODE: "true", DEFAULT_LOCALE: "de" } } : {}),
      ...(a.ownNamespace ? { namespace: "fediverse", createNamespace: false } : {}),
      ...(a.suppliedSecrets ? { secrets: { secretKeyBase: "b".repeat(128), postgresqlPassword: "supplied-postgresql-password" } } : {}),
      media: a.media === "s3"
        ? { s3: { bucket: "media", endpoint: "http://minio.storage:9000", accessKeyId: "key", secretAccessKey: "secret" } }
        : { accessMode: a.media },
      allowPublicEgress: a.allowPublicEgress,
      clusterCidrs: a.clusterCidrs,
      tls,
      ...(a.search === "embedded" ? { search: { enabled: true } } : {}),
      ...(a.search === "external" ? { search: { enabled: true, external: { host: "opensearch.search.svc.cluster.local", user: "mastodon", password: "search-password" } } } : {}),
    };
  });
