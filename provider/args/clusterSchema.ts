/**
 * The zod schema of MastodonClusterArgs, field by field: each field's rule and default. Rules that
 * involve several fields are in rules.ts; the resolved configuration is built in resolve.ts.
 */
import { z } from "zod";
import { deferrable, deferrableList } from "../validation";
import { DEFAULT_IMAGE_REPOSITORY, DEFAULT_STREAMING_IMAGE_REPOSITORY, DEFAULT_VERSION, MINIMUM_VERSION } from "../versions";
import {
  AWS_CLI_IMAGE, DEFAULT_BACKUP_DEADLINE_SECONDS, DEFAULT_CLUSTER_CIDRS, DEFAULT_METRICS_NAMESPACE, DEFAULT_MIGRATION_DEADLINE_SECONDS,
  DEFAULT_RESOURCES, MANAGED_ENV, SEARCH_DEPLOY_DEFAULTS, SEARCH_PORT,
} from "./defaults";
import {
  ENV_NAME, K8S_LABEL, LABEL_KEY, LABEL_VALUE, MASTODON_USERNAME, QUEUE_ENTRY, S3_BUCKET, S3_BUCKET_EXPECTED, S3_PREFIX, S3_PREFIX_EXPECTED,
  addressList, cidr, clusterDns, cronSchedule, dnsName,
  egressGatewayOptions, image, k8sName, nonEmpty, port, positiveInt, quantity, repository, resourceOverrides, resources, storageSize, strict,
  stringMap, wholeNumber,
} from "./fields";

/** An index name prefix Elasticsearch and OpenSearch accept (lowercase, no leading '-' or '_'). */
export const INDEX_PREFIX = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Full-text search: each field with its default; what combines with what is in rules.ts (searchRules). */
function searchField(component: string) {
  return strict({
    enabled: z.boolean({ error: "true or false" }).default(false),
    external: strict({
      host: deferrable(component, "search.external.host", nonEmpty("a host name or address, without a scheme")
        .refine((h) => !h.includes("://"), { error: "a host name or address without a scheme (set search.external.scheme for https)" })),
      port: port.default(SEARCH_PORT),
      scheme: z.enum(["http", "https"], { error: "http or https" }).default("http"),
      user: nonEmpty("a user name").optional(),
      password: deferrable(component, "search.external.password", nonEmpty("a non-empty password")).optional(),
      indexPrefix: z.string({ error: "an index prefix: lowercase letters, digits, '-' and '_', at most 63 characters" })
        .regex(INDEX_PREFIX, { error: "an index prefix: lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters" }).optional(),
      preset: z.enum(["single_node_cluster", "small_cluster", "large_cluster"], { error: "single_node_cluster, small_cluster or large_cluster" }).default("single_node_cluster"),
    }).optional(),
    image: image.optional(),
    storageSize,
    storageClassName: k8sName.optional(),
    resources: resourceOverrides.optional(),
    deploy: strict({
      concurrency: wholeNumber("a whole number of threads", 1, 50).default(SEARCH_DEPLOY_DEFAULTS.concurrency),
      batchSize: wholeNumber("a whole number of records", 1, 10000).default(SEARCH_DEPLOY_DEFAULTS.batchSize),
      activeDeadlineSeconds: wholeNumber("a whole number of seconds", 600, 604800).default(SEARCH_DEPLOY_DEFAULTS.activeDeadlineSeconds),
    }).optional(),
  }).prefault({});
}

const SENTINEL_ADDRESS = "a sentinel address such as \"sentinel-0.redis.svc.cluster.local:26379\" (host, or host:port)";
const ODD_REPLICAS = "an odd whole number, at least 3 (a majority of the sentinels must agree to fail over)";

/** The operations fields (backups, maintenance, admin, metrics): each with its default and its own rule. */
function operationsFields(component: string) {
  const task = (schedule: string, days: number, minDays: number) => strict({
    enabled: z.boolean({ error: "true or false" }).default(true),
    schedule: cronSchedule.default(schedule),
    days: wholeNumber("a whole number of days", minDays, 36500).default(days),
  }).prefault({});
  return {
    backups: strict({
      enabled: z.boolean({ error: "true or false" }).optional(),
      schedule: cronSchedule.default("30 3 * * *"),
      retention: wholeNumber("a whole number of dumps", 1, 1000).default(7),
      storageSize: quantity("memory").default("8Gi"),
      storageClassName: k8sName.optional(),
      activeDeadlineSeconds: wholeNumber("a whole number of seconds", 300, 86400).default(DEFAULT_BACKUP_DEADLINE_SECONDS),
      s3: strict({
        bucket: z.string({ error: S3_BUCKET_EXPECTED }).regex(S3_BUCKET, { error: S3_BUCKET_EXPECTED }),
        endpoint: z.url({ protocol: /^https?$/, error: "an http or https endpoint URL such as http://minio.storage:9000" }),
        region: nonEmpty("a region name").default("us-east-1"),
        prefix: z.string({ error: S3_PREFIX_EXPECTED }).regex(S3_PREFIX, { error: S3_PREFIX_EXPECTED }).optional(),
        accessKeyId: deferrable(component, "backups.s3.accessKeyId", nonEmpty("an access key id")),
        secretAccessKey: deferrable(component, "backups.s3.secretAccessKey", nonEmpty("a secret access key")),
        retention: wholeNumber("a whole number of dumps", 1, 1000).optional(),
        pathStyle: z.boolean({ error: "true or false" }).default(true),
        image: image.default(AWS_CLI_IMAGE),
      }).optional(),
    }).prefault({}),
    maintenance: strict({
      mediaRemove: task("0 4 * * 0", 7, 1),
      // tootctl: cards newer than two weeks are not fetched again. Another day than the media cleanup's: two Rails
      // pods at once would take the default footprint past 2 GiB (BENCHMARKS.md, footprint).
      previewCardsRemove: task("30 4 * * 3", 180, 14),
    }).prefault({}),
    admin: strict({
      username: z.string({ error: "a Mastodon username: letters, digits and _ (inner . and - allowed), at most 30 characters" }).max(30, { error: "a Mastodon username of at most 30 characters" })
        .regex(MASTODON_USERNAME, { error: "a Mastodon username: letters, digits and _ (inner . and - allowed), at most 30 characters" }),
      email: z.string({ error: "an email address" }).regex(/^[^@\s]+@[^@\s]+$/, { error: "an email address" }),
    }).optional(),
    metrics: strict({
      enabled: z.boolean({ error: "true or false" }).default(false),
      monitoringNamespace: k8sName.default(DEFAULT_METRICS_NAMESPACE),
      detailed: z.boolean({ error: "true or false" }).default(false),
      serviceMonitor: z.boolean({ error: "true or false" }).default(false),
      alerts: z.boolean({ error: "true or false" }).optional(),
    }).prefault({}),
  };
}

/** The scaling fields: autoscaling bounds of web, streaming and sidekiq groups, and where KEDA runs. */
export function scalingFields() {
  const bounds = {
    minReplicas: positiveInt("minReplicas").default(1),
    maxReplicas: positiveInt("maxReplicas"),
  };
  const cpuTarget = wholeNumber("a whole percentage of the CPU request", 10, 500);
  return {
    autoscaling: strict({ ...bounds, targetCPUUtilizationPercentage: cpuTarget.default(75) }).optional(),
    sidekiqAutoscaling: strict({
      ...bounds,
      scaler: z.enum(["cpu", "keda"], { error: "cpu or keda" }).default("cpu"),
      targetCPUUtilizationPercentage: cpuTarget.optional(),
      targetQueueLength: wholeNumber("a whole number of waiting jobs per pod", 1, 1000000).optional(),
      targetQueueLatencySeconds: wholeNumber("a whole number of seconds", 1, 86400).optional(),
    }).optional(),
    keda: strict({
      namespace: k8sName.default("keda"),
      operatorPodLabels: stringMap("a map of label keys to values", (key) => (LABEL_KEY.test(key) ? undefined : "a label key such as app"), LABEL_VALUE, "a label value (letters, digits, '-', '_', '.')")
        .refine((m) => Object.keys(m).length > 0, { error: "at least one label" })
        .default({ app: "keda-operator" }),
    }).prefault({}),
  };
}

/** The fields of MastodonClusterArgs, each with its default and its own rule. */
export function argsObject(name: string) {
  const component = `MastodonCluster "${name}"`;
  const secret = (path: string) => deferrable(component, path, nonEmpty("a non-empty string")).optional();

  const postgresql = strict({
    external: strict({
      host: deferrable(component, "postgresql.external.host", nonEmpty("a host name or address")),
      port: port.default(5432),
      database: nonEmpty("a database name").default("mastodon_production"),
      user: nonEmpty("a user name").default("mastodon"),
      password: deferrable(component, "postgresql.external.password", nonEmpty("a non-empty password")),
      sslMode: z.enum(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"], { error: "one of disable, allow, prefer, require, verify-ca, verify-full" }).default("prefer"),
      directHost: deferrable(component, "postgresql.external.directHost", nonEmpty("a host name or address")).optional(),
      preparedStatements: z.boolean({ error: "true or false" }).default(true),
    }).optional(),
    cloudNativePG: strict({
      instances: wholeNumber("a whole number of instances", 1, 9).default(2),
      apiServerCidrs: z.array(z.string({ error: "a CIDR such as 192.168.1.10/32" }).refine(cidr, { error: "a CIDR such as 192.168.1.10/32" }), { error: "a list of CIDRs" })
        .min(1, { error: "the API server's addresses (e.g. the k3s server node's IP/32): CloudNativePG's pods must reach the API" }),
      operatorNamespace: k8sName.default("cnpg-system"),
      superuserAccess: z.boolean({ error: "true or false" }).default(false),
      pooler: strict({
        enabled: z.boolean({ error: "true or false" }).default(false),
        instances: wholeNumber("a whole number of PgBouncer pods", 1, 9).default(2),
        resources: resources(DEFAULT_RESOURCES.pgbouncer),
      }).prefault({}),
      backup: strict({
        destinationPath: z.string({ error: "an S3 URL such as s3://backups/social" }).regex(/^s3:\/\/[a-z0-9][a-z0-9.-]*[a-z0-9](\/.*)?$/, { error: "an S3 URL such as s3://backups/social" }),
        endpointUrl: z.url({ error: "an endpoint URL such as http://minio.storage:9000" }).optional(),
        accessKeyId: deferrable(component, "postgresql.cloudNativePG.backup.accessKeyId", nonEmpty("an access key id")),
        secretAccessKey: deferrable(component, "postgresql.cloudNativePG.backup.secretAccessKey", nonEmpty("a secret access key")),
        retention: z.string({ error: 'a retention such as "30d", "4w" or "6m"' }).regex(/^[1-9][0-9]*[dwm]$/, { error: 'a retention such as "30d", "4w" or "6m"' }).default("30d"),
        schedule: z.string({ error: 'a six-field cron schedule, seconds first, such as "0 30 3 * * *"' }).trim()
          .regex(/^\S+( \S+){5}$/, { error: 'a six-field cron schedule, seconds first, such as "0 30 3 * * *"' }).default("0 30 3 * * *"),
      }).optional(),
    }).optional(),
    maxConnections: z.number({ error: "a whole number from 20 to 10000" }).int({ error: "a whole number from 20 to 10000" }).min(20, { error: "a whole number from 20 to 10000" }).max(10000, { error: "a whole number from 20 to 10000" }).default(100),
    image: image.optional(),
    storageSize,
    storageClassName: k8sName.optional(),
    resources: resources(DEFAULT_RESOURCES.postgresql),
  }).prefault({});

  const redis = strict({
    external: strict({
      host: deferrable(component, "redis.external.host", nonEmpty("a host name or address")).optional(),
      port: port.default(6379),
      password: secret("redis.external.password"),
      sentinels: z.array(z.string({ error: SENTINEL_ADDRESS }).regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/, { error: SENTINEL_ADDRESS }), { error: "a list of sentinel addresses" })
        .min(1, { error: "at least one sentinel address" }).optional(),
      masterName: z.string({ error: "a Sentinel master name such as mymaster" }).regex(/^[A-Za-z0-9._-]+$/, { error: "a Sentinel master name such as mymaster" }).optional(),
    }).optional(),
    image: image.optional(),
    persistence: z.boolean({ error: "true or false" }).optional(),
    storageSize,
    storageClassName: k8sName.optional(),
    resources: resources(DEFAULT_RESOURCES.redis),
    cache: strict({
      enabled: z.boolean({ error: "true or false" }).default(false),
      resources: resources(DEFAULT_RESOURCES.redisCache),
    }).prefault({}),
    sentinel: strict({
      enabled: z.boolean({ error: "true or false" }).default(false),
      replicas: z.number({ error: ODD_REPLICAS }).int({ error: ODD_REPLICAS }).min(3, { error: ODD_REPLICAS })
        .refine((n) => n % 2 === 1, { error: ODD_REPLICAS }).default(3),
      resources: resources(DEFAULT_RESOURCES.redisSentinel),
    }).optional(),
  }).prefault({});

  const media = strict({
    s3: strict({
      bucket: nonEmpty("a bucket name"),
      endpoint: z.url({ error: "an endpoint URL such as http://minio.storage:9000" }),
      region: nonEmpty("a region name").default("us-east-1"),
      accessKeyId: deferrable(component, "media.s3.accessKeyId", nonEmpty("an access key id")),
      secretAccessKey: deferrable(component, "media.s3.secretAccessKey", nonEmpty("a secret access key")),
      aliasHost: dnsName.optional(),
    }).optional(),
    storageSize,
    storageClassName: k8sName.optional(),
    accessMode: z.enum(["ReadWriteOnce", "ReadWriteMany"], { error: "ReadWriteOnce or ReadWriteMany" }).optional(),
  }).prefault({});

  const scaling = scalingFields();
  const web = strict({
    replicas: positiveInt("replicas").optional(),
    autoscaling: scaling.autoscaling,
    processes: positiveInt("processes").default(2),
    threads: positiveInt("threads").default(5),
    dbPool: positiveInt("dbPool").optional(),
    resources: resources(DEFAULT_RESOURCES.web),
  }).prefault({});

  const streaming = strict({
    replicas: positiveInt("replicas").optional(),
    autoscaling: scaling.autoscaling,
    dbPool: positiveInt("dbPool").default(10),
    resources: resources(DEFAULT_RESOURCES.streaming),
  }).prefault({});

  const worker = strict({
    name: z.string({ error: "a worker name: lowercase letters, digits and '-', starting with a letter, at most 20 characters" }).max(20, { error: "a worker name of at most 20 characters" }).regex(K8S_LABEL, { error: "a worker name: lowercase letters, digits and '-', starting with a letter" }),
    queues: z.array(z.string({ error: "a queue name, optionally weighted, such as \"default\" or \"default,8\"" }).regex(QUEUE_ENTRY, { error: "a queue name, optionally weighted, such as \"default\" or \"default,8\"" }), { error: "a list of queue names" }).min(1, { error: "at least one queue" }),
    concurrency: positiveInt("concurrency").default(10),
    dbPool: positiveInt("dbPool").optional(),
    replicas: positiveInt("replicas").optional(),
    autoscaling: scaling.sidekiqAutoscaling,
    resources: resources(DEFAULT_RESOURCES.sidekiq),
  });

  const secrets = strict({
    secretKeyBase: secret("secrets.secretKeyBase"),
    otpSecret: secret("secrets.otpSecret"),
    vapidPrivateKey: secret("secrets.vapidPrivateKey"),
    vapidPublicKey: secret("secrets.vapidPublicKey"),
    activeRecordEncryptionPrimaryKey: secret("secrets.activeRecordEncryptionPrimaryKey"),
    activeRecordEncryptionDeterministicKey: secret("secrets.activeRecordEncryptionDeterministicKey"),
    activeRecordEncryptionKeyDerivationSalt: secret("secrets.activeRecordEncryptionKeyDerivationSalt"),
    postgresqlPassword: secret("secrets.postgresqlPassword"),
    postgresqlSuperuserPassword: secret("secrets.postgresqlSuperuserPassword"),
    redisPassword: secret("secrets.redisPassword"),
    adminPassword: deferrable(component, "secrets.adminPassword", z.string({ error: "a password of 8 to 72 characters (Mastodon's rule)" })
      .min(8, { error: "a password of 8 to 72 characters (Mastodon's rule)" }).max(72, { error: "a password of 8 to 72 characters (Mastodon's rule)" })).optional(),
  }).prefault({});

  const migrations = strict({
    activeDeadlineSeconds: z.number({ error: "a whole number of seconds from 600 to 604800" }).int({ error: "a whole number of seconds from 600 to 604800" })
      .min(600, { error: "a whole number of seconds from 600 to 604800" }).max(604800, { error: "a whole number of seconds from 600 to 604800" })
      .default(DEFAULT_MIGRATION_DEADLINE_SECONDS),
  }).prefault({});

  const acknowledge = strict({
    versionChangeFrom: z.string({ error: "a Mastodon release tag such as v4.5.2" }).regex(/^v\d+\.\d+\.\d+/, { error: "a Mastodon release tag such as v4.5.2" }).optional(),
    postgresqlMajorFrom: z.string({ error: "a PostgreSQL major version such as \"17\"" }).regex(/^\d+$/, { error: "a PostgreSQL major version such as \"17\"" }).optional(),
    postgresqlUpgradeMethod: z.enum(["dump-restore", "pg_upgrade"], { error: "dump-restore or pg_upgrade" }).optional(),
    redisSeriesFrom: z.string({ error: "a Redis series such as \"7.4\"" }).regex(/^\d+\.\d+$/, { error: "a Redis series such as \"7.4\"" }).optional(),
  }).prefault({});

  const smtp = strict({
    server: z.string({ error: "a host name or address" }).regex(/^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$/, { error: "a host name or address" }),
    port: port.default(587),
    login: deferrable(component, "smtp.login", nonEmpty("a login")).optional(),
    password: secret("smtp.password"),
    fromAddress: deferrable(component, "smtp.fromAddress", z.string({ error: "an email address" }).regex(/^[^@\s]+@[^@\s]+$/, { error: "an email address" })).optional(),
    starttls: z.enum(["auto", "always", "never"], { error: "auto, always or never" }).default("auto"),
  }).optional();

  const ingress = strict({
    httpsEntryPoint: nonEmpty("a Traefik entry point name").default("websecure"),
    httpEntryPoint: nonEmpty("a Traefik entry point name").default("web"),
    controllerNamespace: deferrable(component, "ingress.controllerNamespace", k8sName).default("kube-system"),
    controllerPodLabels: stringMap("a map of label keys to values", (key) => (LABEL_KEY.test(key) ? undefined : "a label key such as app.kubernetes.io/name"), LABEL_VALUE, "a label value (letters, digits, '-', '_', '.')")
      .refine((m) => Object.keys(m).length > 0, { error: "at least one label" })
      .default({ "app.kubernetes.io/name": "traefik" }),
    controllerAddresses: deferrableList(component, "ingress.controllerAddresses", addressList).optional(),
    maxRequestBodyBytes: z.number({ error: "a whole number of bytes, at least 104857600 (Mastodon's largest upload)" }).int({ error: "a whole number of bytes" }).min(104857600, { error: "a whole number of bytes, at least 104857600 (Mastodon's largest upload)" }).default(104857600),
  }).prefault({});

  const tls = strict({
    issuerName: deferrable(component, "tls.issuerName", k8sName).optional(),
    issuerKind: z.enum(["ClusterIssuer", "Issuer"], { error: "ClusterIssuer or Issuer" }).optional(),
    secretName: k8sName.optional(),
    // Empty: no private CA, as an ACME MastodonPlatform exports, so its `caCertificate` can be wired in unchanged.
    caCertificate: deferrable(component, "tls.caCertificate", z.string({ error: "a PEM certificate, or empty for none" }).regex(/^$|-----BEGIN CERTIFICATE-----/, { error: "a PEM certificate (-----BEGIN CERTIFICATE-----...), or empty for none" })).optional(),
    acmeEmail: z.string({ error: "an email address" }).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { error: "an email address" }).optional(),
    acmeServer: z.url({ error: "an ACME directory URL" }).optional(),
    installCertManager: z.boolean({ error: "true or false" }).optional(),
  }).prefault({});

  return strict({
    domain: deferrable(component, "domain", dnsName),
    webDomain: deferrable(component, "webDomain", dnsName).optional(),
    version: z.string({ error: `a Mastodon release tag such as ${DEFAULT_VERSION} (from ${MINIMUM_VERSION} on)` }).default(DEFAULT_VERSION),
    imageRepository: repository.default(DEFAULT_IMAGE_REPOSITORY),
    streamingImageRepository: repository.default(DEFAULT_STREAMING_IMAGE_REPOSITORY),
    namespace: k8sName.default(name),
    createNamespace: z.boolean({ error: "true or false" }).default(true),
    postgresql,
    redis,
    media,
    web,
    streaming,
    sidekiqWorkers: z.array(worker, { error: "a list of sidekiq worker groups" }).min(1, { error: "at least one worker group" }).optional(),
    secrets,
    migrations,
    acknowledge,
    smtp,
    clusterCidrs: z.array(z.string({ error: "a CIDR such as 10.42.0.0/16 or fd00:10:42::/56" }).refine(cidr, { error: "a CIDR such as 10.42.0.0/16 or fd00:10:42::/56" }), { error: "a list of CIDRs" }).min(1, { error: "at least one CIDR" }).default(DEFAULT_CLUSTER_CIDRS),
    allowPublicEgress: z.boolean({ error: "true or false" }).default(false),
    egressGateway: strict({
      enabled: z.boolean({ error: "true or false" }).default(false),
      proxyUrl: deferrable(component, "egressGateway.proxyUrl", z.url({ error: "a proxy URL such as http://lab-egress-gateway.egress-gateway.svc.cluster.local:3128", protocol: /^http$/ })).optional(),
      namespace: deferrable(component, "egressGateway.namespace", k8sName).optional(),
      ...egressGatewayOptions,
    }).optional(),
    dns: clusterDns,
    ingress,
    tls,
    extraEnv: stringMap("a map of environment variable names to values", (key) =>
      !ENV_NAME.test(key) ? "an environment variable name (letters, digits and _, not starting with a digit)"
        : MANAGED_ENV.includes(key) ? "a variable the component does not manage (set this one through its own input)"
          : undefined).default({}),
    ...operationsFields(component),
    keda: scaling.keda,
    search: searchField(component),
  });
}

/** What the field rules produce, before the cross-field rules and resolution. */
export type ParsedArgs = z.output<ReturnType<typeof argsObject>>;
