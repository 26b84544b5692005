/**
 * The public contract of the package: the documented interfaces of MastodonCluster's and
 * MastodonPlatform's args. The package schema (and every SDK, and docs/inputs.md) is inferred from
 * these; every property documents its default. Nothing here validates: that is the zod schema in
 * clusterSchema.ts and platformSchema.ts, which must accept exactly these shapes.
 */
import * as pulumi from "@pulumi/pulumi";

/** CPU and memory quantities in Kubernetes notation. */
export interface ResourceQuantities {
  /** CPU, e.g. "250m" or "1". Defaults to the process's profile (see README). */
  cpu?: string;
  /** Memory, e.g. "512Mi" or "1Gi". Defaults to the process's profile (see README). */
  memory?: string;
}

/** Requests and limits of one container; each value not given keeps the component's default profile. */
export interface ContainerResources {
  /** What the scheduler reserves. Defaults to the profile of the process (see README). */
  requests?: ResourceQuantities;
  /** The ceiling. Defaults to the profile of the process (see README). */
  limits?: ResourceQuantities;
}

/** A PostgreSQL server this component does not run. */
export interface ExternalPostgresql {
  /** Host name or address of the server (DB_HOST). Required. */
  host: pulumi.Input<string>;
  /** Port (DB_PORT). Defaults to 5432. */
  port?: number;
  /** Database name (DB_NAME). Defaults to "mastodon_production". */
  database?: string;
  /** User (DB_USER). Defaults to "mastodon". */
  user?: string;
  /** Password (DB_PASS), kept as a Pulumi secret. Required. */
  password: pulumi.Input<string>;
  /**
   * libpq sslmode (DB_SSLMODE): disable, allow, prefer, require, verify-ca or verify-full. Defaults to "prefer".
   * With prefer or allow DB_SSLMODE is left unset (Rails negotiates TLS; the streaming server connects without);
   * with require or verify-* the streaming server also verifies the server's certificate.
   */
  sslMode?: string;
  /**
   * Host that reaches PostgreSQL without a transaction-pooling PgBouncer, used by the migration
   * Jobs (migrations must bypass PgBouncer). Defaults to `host`.
   */
  directHost?: pulumi.Input<string>;
  /** False when `host` is a PgBouncer in transaction mode (PREPARED_STATEMENTS). Defaults to true. */
  preparedStatements?: boolean;
}

/**
 * PgBouncer in front of the primary, as a CloudNativePG `Pooler` in transaction mode: web, streaming, sidekiq and
 * the CronJobs connect through it (with PREPARED_STATEMENTS false), the migration Jobs to the primary directly.
 */
export interface CloudNativePgPooler {
  /** Run the pooler. Defaults to false. */
  enabled?: boolean;
  /** PgBouncer pods. Defaults to 2. */
  instances?: number;
  /** Resources of each PgBouncer pod. Defaults to requests 25m/32Mi, limits 500m/128Mi. */
  resources?: ContainerResources;
}

/**
 * Continuous backup through CloudNativePG's Barman Cloud (the WAL archived as it is written, plus scheduled base
 * backups) to S3-compatible object storage. It replaces the pg_dump CronJob of the embedded server.
 */
export interface CloudNativePgBackup {
  /** Where the backups go, an S3 URL such as "s3://backups/social" (barmanObjectStore.destinationPath). Required. */
  destinationPath: string;
  /**
   * Endpoint of the S3-compatible store, e.g. "http://minio.storage:9000". While egress is limited to the cluster it
   * must be an in-cluster endpoint. Defaults to AWS S3 (only with `allowPublicEgress`).
   */
  endpointUrl?: string;
  /** Access key id, kept in a Secret. Required. */
  accessKeyId: pulumi.Input<string>;
  /** Secret access key, kept as a Pulumi secret. Required. */
  secretAccessKey: pulumi.Input<string>;
  /** How long backups and WAL are kept, as CloudNativePG writes it ("30d", "4w", "6m"). Defaults to "30d". */
  retention?: string;
  /**
   * When to take a base backup, a six-field cron schedule whose first field is the seconds (CloudNativePG's
   * ScheduledBackup). Defaults to "0 30 3 * * *" (daily at 03:30:00).
   */
  schedule?: string;
}

/**
 * PostgreSQL run by the CloudNativePG operator, which must be installed in the cluster (a MastodonPlatform's
 * `installCloudNativePG`, or your own): a primary and streaming replicas with automatic failover
 * (docs/high-availability.md). The server settings of `postgresql` apply: `image` (a CloudNativePG operand image),
 * `storageSize`, `storageClassName`, `resources` (per instance) and `maxConnections`.
 */
export interface CloudNativePg {
  /** PostgreSQL instances: one primary, the others replicas, spread over nodes where possible. Defaults to 2. */
  instances?: number;
  /**
   * Addresses of the Kubernetes API server (CIDRs, the real endpoint: a node address on k3s), which CloudNativePG's
   * instance manager in every PostgreSQL and PgBouncer pod must reach. Add them to the policy pack's `clusterCidrs`
   * too. Required.
   */
  apiServerCidrs: string[];
  /** Namespace of the CloudNativePG operator, whose pods reach the instances (8000, 5432). Defaults to "cnpg-system". */
  operatorNamespace?: string;
  /**
   * Let the superuser `postgres` log in with a password: the Cluster names as its `superuserSecret` the Secret
   * `<name>-postgresql-superuser` (kubernetes.io/basic-auth, `postgres` and the stable
   * `secrets.postgresqlSuperuserPassword`), and CloudNativePG sets that password on the server. The Secret exists
   * either way (ignored while this is false), so the password stays the same across a switch off and on (off,
   * CloudNativePG sets it to NULL). The NetworkPolicies still admit only Mastodon's pods: connect through
   * `kubectl port-forward`. Defaults to false: the superuser has no password (CloudNativePG's default), administer
   * through `kubectl exec` on the primary.
   */
  superuserAccess?: boolean;
  /** PgBouncer in front of the primary. Defaults to none: every process connects to the primary. */
  pooler?: CloudNativePgPooler;
  /** Continuous backup to object storage. Defaults to none. */
  backup?: CloudNativePgBackup;
}

/** PostgreSQL: embedded in the cluster by default, external, or run by CloudNativePG. */
export interface Postgresql {
  /** Use this server instead of running PostgreSQL in the cluster. Defaults to none (embedded). */
  external?: ExternalPostgresql;
  /** Run PostgreSQL as a CloudNativePG `Cluster` instead of the embedded server. Not with `external`. Defaults to none (embedded). */
  cloudNativePG?: CloudNativePg;
  /**
   * max_connections: configured on the embedded server and on CloudNativePG's, declared for an external one. The
   * connections of every Mastodon process, and of the extra pods a rollout starts, must fit in it
   * (leave some headroom: an old pod still draining while the next new one starts is not counted).
   * Defaults to 100.
   */
  maxConnections?: number;
  /**
   * Image of the embedded server (official postgres image, Debian variant), pinned by a version tag or a digest; a numbered
   * tag must meet Mastodon's minimum (PostgreSQL 14 from 4.6, 13 from 4.4). With `cloudNativePG`, a CloudNativePG operand
   * image ("system" variant, which carries Barman Cloud for backups). Defaults to "docker.io/library/postgres:17.6", or
   * "ghcr.io/cloudnative-pg/postgresql:17.10-system-trixie" with `cloudNativePG`.
   */
  image?: string;
  /** Size of the server's data volume (each CloudNativePG instance's); may grow later, never shrink. Defaults to "8Gi". */
  storageSize?: string;
  /** Storage class of the data volume. Defaults to the cluster's default class. */
  storageClassName?: string;
  /** Resources of the server (of each CloudNativePG instance). Defaults to requests 100m/256Mi, limits 1 CPU/1Gi. */
  resources?: ContainerResources;
}

/** A Redis server this component does not run: one server (`host`), or a Sentinel set (`sentinels`). */
export interface ExternalRedis {
  /** Host name or address (REDIS_HOST). Defaults to none: required unless `sentinels` is given. */
  host?: pulumi.Input<string>;
  /** Port (REDIS_PORT); with `sentinels`, the port of the Redis servers they name. Defaults to 6379. */
  port?: number;
  /**
   * Password (REDIS_PASSWORD), kept as a Pulumi secret; with `sentinels`, the sentinels' own password too (Mastodon
   * sends the same one to both). Defaults to none.
   */
  password?: pulumi.Input<string>;
  /**
   * The sentinels of an existing Sentinel set, each "host" or "host:port" (port 26379 when left out), in place of
   * `host` (REDIS_SENTINELS); needs Mastodon v4.3.0 or later and `masterName`. Defaults to none.
   */
  sentinels?: string[];
  /** The name the sentinels monitor the master under (REDIS_SENTINEL_MASTER). Defaults to none: required with `sentinels`. */
  masterName?: string;
}

/**
 * Redis Sentinel run by this component: `replicas` pods of one StatefulSet, each with a Redis server and a Sentinel
 * (official redis image, `redis.image`), one master and replicas elsewhere; when the master's pod is lost the
 * sentinels promote a replica and Mastodon follows (REDIS_SENTINELS). Each Redis keeps the single server's memory
 * bounds (`redis.resources`) and its append-only file on a claim of its own; pods prefer distinct nodes, and a
 * PodDisruptionBudget lets one go at a time. The cache Redis (`redis.cache`), if any, stays a single server.
 */
export interface RedisSentinel {
  /** Run Redis as a Sentinel set instead of one server; needs Mastodon v4.3.0 or later. Defaults to false. */
  enabled?: boolean;
  /** Pods of the set: an odd number, at least 3 (a majority of sentinels must agree to fail over). Defaults to 3. */
  replicas?: number;
  /** Resources of each pod's Sentinel container (the Redis container has `redis.resources`). Defaults to requests 10m/16Mi, limits 100m/64Mi. */
  resources?: ContainerResources;
}

/** Redis: embedded in the cluster by default, or external. */
export interface Redis {
  /** Use this server instead of running Redis in the cluster. Defaults to none (embedded). */
  external?: ExternalRedis;
  /**
   * Image of the embedded server (official redis image), pinned by a version tag or a digest; a numbered tag must meet
   * Mastodon's minimum (Redis 7 from 4.6, 6.2 from 4.4). Defaults to "docker.io/library/redis:7.4.5".
   */
  image?: string;
  /** Keep the embedded server's data on a volume (append-only file). Defaults to true. */
  persistence?: boolean;
  /** Size of the data volume when `persistence` is on. Defaults to "1Gi". */
  storageSize?: string;
  /** Storage class of the data volume. Defaults to the cluster's default class. */
  storageClassName?: string;
  /**
   * Resources of the embedded server. Redis may fill half its memory limit with persistence (an append-only
   * file rewrite forks, and the copy counts against the limit), three quarters without (`maxmemory`, with the
   * `noeviction` policy: when full, writes fail instead of Redis being killed). Defaults to requests 50m/96Mi,
   * limits 500m/512Mi.
   */
  resources?: ContainerResources;
  /** A second, memory-only Redis for Mastodon's cache (CACHE_REDIS_*). Defaults to none: one Redis holds the cache too. */
  cache?: RedisCache;
  /** Run the embedded Redis as a highly available Sentinel set. Defaults to none: one server. */
  sentinel?: RedisSentinel;
}

/**
 * A separate Redis for Mastodon's cache, as Mastodon's scaling guide advises: the cache can then fill and evict
 * (`allkeys-lru`) without touching sidekiq's queues and the home feeds. Its data are disposable: no volume.
 */
export interface RedisCache {
  /** Run the cache Redis (same image as `redis.image`). Defaults to false. */
  enabled?: boolean;
  /** Its resources; it may fill three quarters of its memory limit. Defaults to requests 25m/64Mi, limits 250m/256Mi. */
  resources?: ContainerResources;
}

/** S3-compatible object storage for media. */
export interface S3Storage {
  /** Bucket (S3_BUCKET). Required. */
  bucket: string;
  /** Endpoint URL (S3_ENDPOINT), e.g. "http://minio.storage:9000". Required. */
  endpoint: string;
  /** Region (S3_REGION). Defaults to "us-east-1". */
  region?: string;
  /** Access key id (AWS_ACCESS_KEY_ID). Required. */
  accessKeyId: pulumi.Input<string>;
  /** Secret access key (AWS_SECRET_ACCESS_KEY), kept as a Pulumi secret. Required. */
  secretAccessKey: pulumi.Input<string>;
  /**
   * Host that serves the bucket's files to browsers (S3_ALIAS_HOST). Without it media links point at the
   * endpoint's host, which browsers must then reach: an in-cluster endpoint needs one. Defaults to none.
   */
  aliasHost?: string;
}

/** Where uploaded media (public/system) live. */
export interface MediaStorage {
  /** Object storage instead of a volume. Defaults to none (a volume). */
  s3?: S3Storage;
  /** Size of the media volume; may grow later, never shrink. Defaults to "10Gi". */
  storageSize?: string;
  /** Storage class of the media volume. Defaults to the cluster's default class. */
  storageClassName?: string;
  /**
   * Access mode of the media volume: "ReadWriteOnce" (web and sidekiq pods are then scheduled on
   * one node, the volume's, and cannot autoscale) or "ReadWriteMany" (needs a storage class that supports it).
   * Defaults to "ReadWriteOnce".
   */
  accessMode?: string;
}

/**
 * Bounds of an autoscaled process: a HorizontalPodAutoscaler (autoscaling/v2) on CPU then owns its pod count, and the
 * Deployment leaves `replicas` to it (docs/scaling.md). Not with `replicas`.
 */
export interface Autoscaling {
  /** Fewest pods. Defaults to 1. */
  minReplicas?: number;
  /** Most pods; the connection budget counts this many. Required. */
  maxReplicas: number;
  /** Average CPU use the autoscaler aims at, in percent of the pods' CPU request. Defaults to 75. */
  targetCPUUtilizationPercentage?: number;
}

/**
 * Bounds of an autoscaled sidekiq group (never the one serving `scheduler`, which runs exactly one pod): on CPU
 * through a HorizontalPodAutoscaler, or on its queues' backlog or latency through KEDA (docs/scaling.md). Not with
 * `replicas`.
 */
export interface SidekiqAutoscaling {
  /** Fewest pods. Defaults to 1. */
  minReplicas?: number;
  /** Most pods; the connection budget counts this many. Required. */
  maxReplicas: number;
  /**
   * What drives the count: "cpu" (a HorizontalPodAutoscaler) or "keda" (a KEDA ScaledObject with one `redis` trigger
   * per queue of the group, reading the length of sidekiq's list `queue:<name>`; KEDA must be installed in the
   * cluster, see `keda`). Defaults to "cpu".
   */
  scaler?: string;
  /** With "cpu": average CPU use aimed at, in percent of the pods' CPU request. Defaults to 75. */
  targetCPUUtilizationPercentage?: number;
  /** With "keda": jobs waiting in one queue per pod of the group (KEDA's `listLength`). Defaults to 100. */
  targetQueueLength?: number;
  /**
   * With "keda": scale on how long each queue's oldest job has waited instead of the backlog, keeping it near this
   * many seconds (Mastodon's exporter's `sidekiq_queue_latency_seconds`, read from the group's pods by KEDA's
   * `metrics-api` scaler; needs `metrics.enabled` and `metrics.detailed`, Mastodon 4.4+). Not with
   * `targetQueueLength`. Defaults to none (the backlog).
   */
  targetQueueLatencySeconds?: number;
}

/** KEDA, installed in the cluster by you (its operator and CRDs), for sidekiq groups autoscaled with scaler "keda". */
export interface Keda {
  /**
   * Namespace of KEDA's operator, whose pods the NetworkPolicies let reach the embedded Redis (backlog) or the sidekiq
   * pods' metrics port (latency). Defaults to "keda".
   */
  namespace?: string;
  /** Labels of KEDA's operator pods. Defaults to {"app": "keda-operator"} (KEDA's manifests and chart). */
  operatorPodLabels?: { [key: string]: string };
}

/** The web process (puma, port 3000). */
export interface Web {
  /** Pods. Defaults to 1 (or `autoscaling`'s count). */
  replicas?: number;
  /** Let a HorizontalPodAutoscaler set the pod count on CPU, within these bounds. Defaults to none (`replicas`). */
  autoscaling?: Autoscaling;
  /** Puma worker processes per pod (WEB_CONCURRENCY). Defaults to 2. */
  processes?: number;
  /** Threads per process (MAX_THREADS). Defaults to 5. */
  threads?: number;
  /** Database connections per process (DB_POOL); at least `threads`. Defaults to `threads`. */
  dbPool?: number;
  /** Resources. Defaults to requests 100m/512Mi, limits 1 CPU/1280Mi. */
  resources?: ContainerResources;
}

/** The streaming server (Node, port 4000). */
export interface Streaming {
  /** Pods (one Node process each). Defaults to 1 (or `autoscaling`'s count). */
  replicas?: number;
  /** Let a HorizontalPodAutoscaler set the pod count on CPU, within these bounds. Defaults to none (`replicas`). */
  autoscaling?: Autoscaling;
  /** Database connections per pod (DB_POOL). Defaults to 10. */
  dbPool?: number;
  /** Resources. Defaults to requests 50m/96Mi, limits 500m/384Mi. */
  resources?: ContainerResources;
}

/** One group of sidekiq pods serving some queues. */
export interface SidekiqWorker {
  /** Name of the group, used in object names (lowercase letters, digits, '-'). Required. */
  name: string;
  /**
   * Queues served, optionally weighted ("default,8"): default, push, ingress, mailers, pull,
   * scheduler, and fasp from 4.4. Required.
   */
  queues: string[];
  /** Threads per process (sidekiq -c). Defaults to 10. */
  concurrency?: number;
  /** Database connections per process (DB_POOL); at least `concurrency`. Defaults to `concurrency`. */
  dbPool?: number;
  /** Pods; exactly 1 for the group serving `scheduler`. Defaults to 1 (or `autoscaling`'s count). */
  replicas?: number;
  /** Let the pod count follow the load, within these bounds (not for the group serving `scheduler`). Defaults to none (`replicas`). */
  autoscaling?: SidekiqAutoscaling;
  /** Resources. Defaults to requests 100m/384Mi, limits 1 CPU/1Gi. */
  resources?: ContainerResources;
}

/** Secrets you supply instead of the generated ones. Each is kept as a Pulumi secret. */
export interface MastodonSecrets {
  /** SECRET_KEY_BASE. Defaults to 128 random hex characters, generated once. */
  secretKeyBase?: pulumi.Input<string>;
  /** OTP_SECRET (read by 4.3's 2FA migration; given to every version). Defaults to 128 random hex characters, generated once. */
  otpSecret?: pulumi.Input<string>;
  /** VAPID_PRIVATE_KEY (give with `vapidPublicKey`). Defaults to a generated P-256 key. */
  vapidPrivateKey?: pulumi.Input<string>;
  /** VAPID_PUBLIC_KEY (give with `vapidPrivateKey`). Defaults to the generated key's public half. */
  vapidPublicKey?: pulumi.Input<string>;
  /** ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY. Defaults to 32 random characters, generated once. */
  activeRecordEncryptionPrimaryKey?: pulumi.Input<string>;
  /** ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY. Defaults to 32 random characters, generated once. */
  activeRecordEncryptionDeterministicKey?: pulumi.Input<string>;
  /** ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT. Defaults to 32 random characters, generated once. */
  activeRecordEncryptionKeyDerivationSalt?: pulumi.Input<string>;
  /**
   * Password of the embedded PostgreSQL (with `postgresql.cloudNativePG`, of its database owner `mastodon`, in the
   * Cluster's `-app` Secret). PostgreSQL takes it only when it first creates its data; to change it later, ALTER ROLE
   * mastodon first, then change this. Defaults to 32 random characters, generated once.
   */
  postgresqlPassword?: pulumi.Input<string>;
  /**
   * Password of CloudNativePG's superuser `postgres`, in the Cluster's `-superuser` Secret; only with
   * `postgresql.cloudNativePG` (refused otherwise). CloudNativePG sets it on the server while
   * `postgresql.cloudNativePG.superuserAccess` is true (again when it changes), and ignores it otherwise. Defaults to
   * 32 random characters, generated once.
   */
  postgresqlSuperuserPassword?: pulumi.Input<string>;
  /** Password of the embedded Redis. Defaults to 32 random characters, generated once. */
  redisPassword?: pulumi.Input<string>;
  /**
   * Password of the `admin` account, 8 to 72 characters, set when the Job creates it (never changed afterwards).
   * Defaults to 32 random characters, generated once (the `adminPassword` output).
   */
  adminPassword?: pulumi.Input<string>;
}

/**
 * Statements that let the component make a change it otherwise refuses. The component records what an instance's
 * data were last deployed with (Mastodon's version, the embedded PostgreSQL's major version, the embedded Redis's
 * series) and refuses a change they cannot follow unless stated here. Each statement names the version the data
 * hold now, so a statement left in place never covers a later change.
 */
export interface Acknowledgements {
  /**
   * The version the instance runs now, when `version` skips a minor series or goes back, neither of which
   * Mastodon supports: you go ahead anyway. Defaults to none.
   */
  versionChangeFrom?: string;
  /**
   * The PostgreSQL major version the data volume holds now (e.g. "17"), when `postgresql.image` names another
   * major, whose server cannot start on that data directory: you have moved the data (docs/upgrades.md), by the
   * method given in `postgresqlUpgradeMethod`. Defaults to none.
   */
  postgresqlMajorFrom?: string;
  /** How the data moved to the new major: "dump-restore" or "pg_upgrade"; given with `postgresqlMajorFrom`. Defaults to none. */
  postgresqlUpgradeMethod?: string;
  /**
   * The Redis series the data volume holds now (e.g. "7.4"), when `redis.image` goes back to an older series,
   * whose server cannot read the newer data files: you have moved or emptied the data. Defaults to none.
   */
  redisSeriesFrom?: string;
}

/** The database migration Jobs (pre- and post-deployment). */
export interface Migrations {
  /**
   * How long one migration Job may run before Kubernetes stops it (the Job's activeDeadlineSeconds), in seconds,
   * from 600 to 604800 (a week); `pulumi up` waits as long, plus ten minutes. A data migration on a large
   * instance can take hours. Defaults to 21600 (6 hours).
   */
  activeDeadlineSeconds?: number;
}

/** Outgoing mail. */
export interface Smtp {
  /**
   * SMTP server (SMTP_SERVER). While egress is limited to the cluster it must be an in-cluster
   * Service ("mailpit.mail", "x.svc.cluster.local") or an address in `clusterCidrs`. Required.
   */
  server: string;
  /** Port (SMTP_PORT). Defaults to 587. */
  port?: number;
  /** Login (SMTP_LOGIN). Defaults to none. */
  login?: pulumi.Input<string>;
  /** Password (SMTP_PASSWORD), kept as a Pulumi secret. Defaults to none. */
  password?: pulumi.Input<string>;
  /** Sender address (SMTP_FROM_ADDRESS). Defaults to "notifications@<domain>". */
  fromAddress?: pulumi.Input<string>;
  /** STARTTLS policy (SMTP_ENABLE_STARTTLS): auto, always or never. Defaults to "auto". */
  starttls?: string;
}

/** How the instance is exposed through Traefik. */
export interface Ingress {
  /** Traefik entry point for HTTPS. Defaults to "websecure" (k3s and the Traefik chart's name). */
  httpsEntryPoint?: string;
  /** Traefik entry point for HTTP, redirected to HTTPS. Defaults to "web". */
  httpEntryPoint?: string;
  /**
   * Namespace of the Traefik pods, allowed through the NetworkPolicies (a MastodonPlatform's
   * `ingressControllerNamespace`). Defaults to "kube-system" (k3s).
   */
  controllerNamespace?: pulumi.Input<string>;
  /** Labels of the Traefik pods. Defaults to {"app.kubernetes.io/name": "traefik"}. */
  controllerPodLabels?: { [key: string]: string };
  /**
   * Where the names of the cluster's other instances resolve inside it: the ingress controller Service's
   * addresses (IPs or CIDRs), a MastodonPlatform's `ingressServiceAddresses`, or k3s's Traefik
   * (`k8s.core.v1.Service.get("traefik", "kube-system/traefik").spec.clusterIPs`). They are the only private
   * addresses Mastodon may send HTTP requests to (ALLOWED_PRIVATE_ADDRESSES): it refuses every other private,
   * loopback and link-local one, so a remote post whose link, media or WebFinger host resolves into the cluster
   * reaches nothing. Mail and object storage need no entry (Mastodon's check guards its HTTP client only).
   * Unused with an egress gateway, which refuses private addresses itself. Defaults to none: in-cluster
   * federation needs them.
   */
  controllerAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Largest request body Traefik accepts on POST, PUT and PATCH, in bytes; above Mastodon's largest upload (99 MB video). Defaults to 104857600 (100 MiB). */
  maxRequestBodyBytes?: number;
}

/** TLS for the instance's host names, from cert-manager. */
export interface Tls {
  /**
   * An existing cert-manager issuer that signs this instance's certificate (for example a
   * MastodonPlatform's `issuerName`). Defaults to none: the instance creates its own private CA
   * issuer in its namespace.
   */
  issuerName?: pulumi.Input<string>;
  /** Kind of `issuerName`: "ClusterIssuer" or "Issuer". Defaults to "ClusterIssuer". */
  issuerKind?: string;
  /** An existing kubernetes.io/tls Secret in the instance's namespace; no Certificate is then created. Defaults to none. */
  secretName?: string;
  /**
   * CA certificate (PEM) that every Mastodon pod trusts, so that instances signed by a private CA
   * federate over HTTPS; empty means none (what a MastodonPlatform using Let's Encrypt exports). Defaults to
   * the instance's own CA when it creates one, else none.
   */
  caCertificate?: pulumi.Input<string>;
  /** Let's Encrypt (ACME, HTTP-01 through Traefik) for a public instance: the contact email. Defaults to none. */
  acmeEmail?: string;
  /** ACME directory URL used with `acmeEmail`. Defaults to Let's Encrypt's production directory. */
  acmeServer?: string;
  /**
   * Install cert-manager (pinned chart, CRDs included) with this instance. Set false when the
   * cluster has cert-manager already. Defaults to true when the instance makes its own issuer (no
   * `issuerName`, no `secretName`), else false.
   */
  installCertManager?: boolean;
}

/** What an egress gateway runs, whoever runs it (an instance or a MastodonPlatform). */
export interface GatewaySettings {
  /** Gateway pods; above 1 a PodDisruptionBudget keeps one up. Defaults to 1. */
  replicas?: number;
  /** Squid image, pinned. Defaults to Canonical's "docker.io/ubuntu/squid:6.6-24.04_beta". */
  image?: string;
  /** Resources. Defaults to requests 25m/64Mi, limits 250m/256Mi. */
  resources?: ContainerResources;
  /** Domains refused with their subdomains (a network-level instance block). Defaults to none. */
  blockedDomains?: string[];
  /** When given, the only domains reachable, with their subdomains (a lab's allow-list). Defaults to none: every public one. */
  allowedDomains?: string[];
}

/**
 * Federation with the public fediverse through an egress gateway: web and sidekiq send Mastodon's outgoing HTTP
 * (http_proxy) to a forward proxy that alone may reach public addresses, never private, loopback, link-local or
 * metadata ones. Either the instance runs its own (`enabled`) or uses a MastodonPlatform's (`proxyUrl` and
 * `namespace`). Such a stack passes the policy pack with the gateway listed in its `egressGateways`
 * (docs/networking.md).
 */
export interface EgressGateway extends GatewaySettings {
  /** Run a gateway for this instance, in its namespace: Squid, refusing every non-public destination. Defaults to false. */
  enabled?: boolean;
  /** Use a gateway run elsewhere instead: its URL (a MastodonPlatform's `egressProxyUrl`). Defaults to none. */
  proxyUrl?: pulumi.Input<string>;
  /** Namespace of that gateway's pods (a MastodonPlatform's `egressGatewayNamespace`); required with `proxyUrl`. Defaults to none. */
  namespace?: pulumi.Input<string>;
}

/** The cluster DNS, which every pod may reach: the only egress besides the instance's own peers. */
export interface ClusterDns {
  /** Namespace of the DNS pods. Defaults to "kube-system" (k3s's CoreDNS). */
  namespace?: string;
  /** Labels of the DNS pods. Defaults to {"k8s-app": "kube-dns"}. */
  podLabels?: { [key: string]: string };
  /** Port, UDP and TCP. Defaults to 53. */
  port?: number;
  /** Addresses of a node-local DNS cache that pods query by address (NodeLocal DNSCache: ["169.254.20.10/32"]). Defaults to none. */
  cidrs?: string[];
}

/** Scheduled logical backups of the embedded PostgreSQL, and the restore Job (docs/operations.md). */
export interface Backups {
  /**
   * Run the backup CronJob (pg_dump, custom format, in the server's own image). Defaults to true with the
   * embedded PostgreSQL; an external server is backed up by its own tooling, CloudNativePG's by
   * `postgresql.cloudNativePG.backup` (true is then refused).
   */
  enabled?: boolean;
  /** When to back up, a Kubernetes cron schedule (the controller's time zone, UTC on most clusters). Defaults to "30 3 * * *" (daily at 03:30). */
  schedule?: string;
  /** How many dumps the backup volume keeps; the oldest beyond it are deleted after each successful backup. Defaults to 7. */
  retention?: number;
  /** Size of the backup volume (its own claim, protected like the data's); may grow later, never shrink. Defaults to "8Gi". */
  storageSize?: string;
  /** Storage class of the backup volume; best one whose volumes do not share the database's disk. Defaults to the cluster's default class. */
  storageClassName?: string;
  /** How long one backup (or restore) may run before Kubernetes stops it, in seconds, from 300 to 86400. Defaults to 10800 (3 hours). */
  activeDeadlineSeconds?: number;
  /**
   * A copy of every dump in S3-compatible object storage, off the cluster's disks: each backup uploads its dump
   * (and any retained dump the bucket lacks) after writing it to the volume, then keeps the newest
   * `s3.retention` there; the `${name}-restore-s3` template restores from the bucket. Defaults to none.
   */
  s3?: BackupS3;
}

/** S3-compatible storage for the backups (docs/operations.md), reached by the official AWS CLI image. */
export interface BackupS3 {
  /** Bucket, which must exist (3 to 63 lowercase letters, digits, '.' and '-'). Required. */
  bucket: string;
  /**
   * Endpoint URL, e.g. "http://minio.storage:9000" or "https://s3.eu-west-1.amazonaws.com"; in the cluster unless
   * `allowPublicEgress` is set. Required.
   */
  endpoint: string;
  /** Region (AWS_DEFAULT_REGION). Defaults to "us-east-1". */
  region?: string;
  /** Key prefix of the dumps in the bucket; instances sharing a bucket need different ones. Defaults to "<namespace>/<name>/". */
  prefix?: string;
  /** Access key id (AWS_ACCESS_KEY_ID), kept as a Pulumi secret. Required. */
  accessKeyId: pulumi.Input<string>;
  /** Secret access key (AWS_SECRET_ACCESS_KEY), kept as a Pulumi secret. Required. */
  secretAccessKey: pulumi.Input<string>;
  /** How many dumps the bucket keeps; the oldest beyond it are deleted after each upload. Defaults to `backups.retention`. */
  retention?: number;
  /**
   * Path-style requests (https://endpoint/bucket/key), which every S3-compatible server accepts; false for
   * virtual-hosted ones (https://bucket.endpoint/key). Defaults to true.
   */
  pathStyle?: boolean;
  /** The AWS CLI v2 image that uploads and downloads, pinned. Defaults to "docker.io/amazon/aws-cli:2.32.8". */
  image?: string;
}

/** One periodic cleanup task, a CronJob running tootctl in the instance's image. */
export interface MaintenanceTask {
  /** Run it. Defaults to true. */
  enabled?: boolean;
  /** When, a Kubernetes cron schedule. Defaults to the task's own (see `maintenance`). */
  schedule?: string;
  /** Age in days beyond which things are removed (tootctl's --days). Defaults to the task's own (see `maintenance`). */
  days?: number;
}

/** The periodic cleanups Mastodon's documentation recommends (admin/setup, "Running periodic cleanup tasks"). */
export interface Maintenance {
  /**
   * `tootctl media remove --days N`: deletes the local copies of remote media older than N days (fetched again if
   * viewed). Defaults to weekly, Sunday at 04:00, with 7 days (tootctl's default).
   */
  mediaRemove?: MaintenanceTask;
  /**
   * `tootctl preview_cards remove --days N`: deletes preview card images older than N days, at least 14 (newer cards
   * are not fetched again). Defaults to weekly, Wednesday at 04:30 (not the media cleanup's day: one cleanup at a
   * time), with 180 days (tootctl's default).
   */
  previewCardsRemove?: MaintenanceTask;
}

/** The instance's first account, created by a Job once the database is migrated. */
export interface Admin {
  /** Username of the Owner account (letters, digits and _, at most 30 characters). Required. */
  username: string;
  /** Email of the Owner account, marked confirmed. Required. */
  email: string;
}

/** Prometheus metrics (Mastodon's exporter, from 4.4). */
export interface Metrics {
  /**
   * Turn on Mastodon's Prometheus exporter in web and sidekiq (MASTODON_PROMETHEUS_EXPORTER_*, port 9394, from
   * Mastodon 4.4), add Services for them and for streaming's /metrics (port 4000), and let `monitoringNamespace`
   * scrape them. Defaults to false.
   */
  enabled?: boolean;
  /** Namespace of the Prometheus that scrapes, the only one the NetworkPolicy admits. Defaults to "monitoring". */
  monitoringNamespace?: string;
  /** Per-request web and per-job sidekiq metrics (the exporter's *_DETAILED_METRICS): more series, more overhead. Defaults to false. */
  detailed?: boolean;
  /** Create a ServiceMonitor (monitoring.coreos.com/v1: the Prometheus Operator's CRD must exist). Defaults to false. */
  serviceMonitor?: boolean;
  /**
   * Create a PrometheusRule (monitoring.coreos.com/v1: the Prometheus Operator's CRD must exist) alerting when the
   * backup or a maintenance CronJob's last run failed, when a scheduled run did not start, and when
   * kube-state-metrics reports nothing of the backup CronJob. The alerts read kube-state-metrics' CronJob series,
   * not Mastodon's exporter: they need kube-state-metrics 2.x scraped by that Prometheus, and not `enabled`.
   * Defaults to the value of `serviceMonitor`.
   */
  alerts?: boolean;
}

/** An OpenSearch or Elasticsearch server this component does not run (Mastodon's ES_* settings). */
export interface ExternalSearch {
  /** Host name or address of the server, without a scheme (ES_HOST). Required. */
  host: pulumi.Input<string>;
  /** Port (ES_PORT). Defaults to 9200. */
  port?: number;
  /**
   * "https" to reach the server over TLS (verified against the system bundle, plus the instance's private CA when it
   * trusts one), or "http". Defaults to "http".
   */
  scheme?: string;
  /** User (ES_USER), with `password`. Defaults to none (no authentication). */
  user?: string;
  /** Password (ES_PASS), kept as a Pulumi secret; given with `user`. Defaults to none. */
  password?: pulumi.Input<string>;
  /**
   * Prefix of the instance's index names (ES_PREFIX: lowercase letters, digits, '-' and '_'), so that several
   * instances can share one server. Defaults to the component's name.
   */
  indexPrefix?: string;
  /**
   * Shards and replicas of the indices (ES_PRESET): "single_node_cluster" (no replica), "small_cluster" (one
   * replica; fewer than 6 nodes) or "large_cluster" (6 nodes or more). Defaults to "single_node_cluster".
   */
  preset?: string;
}

/** The Job that creates and fills the search indices (`tootctl search deploy`). */
export interface SearchDeploy {
  /**
   * Worker threads (tootctl's --concurrency), each holding a database connection while it reads; the connection
   * budget counts them. Defaults to 5 (tootctl's default).
   */
  concurrency?: number;
  /** Records per batch sent to the server (tootctl's --batch-size), from 1 to 10000. Defaults to 100 (tootctl's default). */
  batchSize?: number;
  /** How long one run may take before Kubernetes stops it, in seconds, from 600 to 604800. Defaults to 21600 (6 hours). */
  activeDeadlineSeconds?: number;
}

/**
 * Full-text search (docs/operations.md): an OpenSearch server the instance runs, or an external OpenSearch or
 * Elasticsearch, and a Job that creates and fills the indices after every post-deployment migration.
 */
export interface Search {
  /** Turn on Mastodon's full-text search (ES_ENABLED). Defaults to false. */
  enabled?: boolean;
  /** Use this server instead of running OpenSearch in the cluster. Defaults to none (embedded). */
  external?: ExternalSearch;
  /**
   * Image of the embedded server: the official OpenSearch image, 2.x (the series Mastodon's CI tests), pinned by a
   * version tag or a digest. Defaults to "docker.io/opensearchproject/opensearch:2.19.4".
   */
  image?: string;
  /** Size of the embedded server's index volume; may grow later, never shrink. Defaults to "8Gi". */
  storageSize?: string;
  /** Storage class of the index volume. Defaults to the cluster's default class. */
  storageClassName?: string;
  /**
   * Resources of the embedded server; its JVM heap is half the memory request (so the request is at least 512Mi,
   * and the limit at least the request). Defaults to requests 100m/1Gi (a 512 MiB heap), limits 1 CPU/1536Mi.
   */
  resources?: ContainerResources;
  /** The index Job. Defaults to tootctl's concurrency and batch size, with a 6-hour deadline. */
  deploy?: SearchDeploy;
}

export interface MastodonClusterArgs {
  /**
   * The instance's domain (LOCAL_DOMAIN): the part after @ in its users' handles, and the host
   * name it is served on unless `webDomain` is set. It must never change once the instance has
   * started. Required.
   */
  domain: pulumi.Input<string>;
  /** Host name that serves the web interface and API when it differs from `domain` (WEB_DOMAIN). Defaults to `domain`. */
  webDomain?: pulumi.Input<string>;
  /** Mastodon release tag, from v4.2.0 on; every image derives from it. Defaults to "v4.6.6". */
  version?: string;
  /** Repository of the image that runs web, sidekiq and the Jobs. Defaults to "ghcr.io/mastodon/mastodon". */
  imageRepository?: string;
  /** Repository of the streaming image (from 4.3). Defaults to "ghcr.io/mastodon/mastodon-streaming". */
  streamingImageRepository?: string;
  /** Namespace of every object of the instance. Defaults to the component's name. */
  namespace?: string;
  /**
   * Create the namespace. It is protected and kept when the stack is destroyed (deleting it would
   * delete the data volumes); set false to use a namespace you manage. Defaults to true.
   */
  createNamespace?: boolean;
  /** PostgreSQL. Defaults to an embedded server (8Gi volume, max_connections 100). */
  postgresql?: Postgresql;
  /** Redis. Defaults to an embedded server with a 1Gi append-only volume, holding the cache too. */
  redis?: Redis;
  /** Media storage. Defaults to a 10Gi ReadWriteOnce volume. */
  media?: MediaStorage;
  /** The web process. Defaults to 1 replica × 2 processes × 5 threads. */
  web?: Web;
  /** The streaming server. Defaults to 1 replica. */
  streaming?: Streaming;
  /**
   * Sidekiq worker groups; together they must serve every queue, and `scheduler` exactly once. A group's list
   * without weights is strict priority (a backlog in the first queue starves the rest): a warning names such a
   * list when it can starve `scheduler`. Defaults to one group "default" serving every queue with concurrency 10,
   * weighted as Mastodon's chart does: ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "scheduler", "fasp"]
   * (fasp from 4.4).
   */
  sidekiqWorkers?: SidekiqWorker[];
  /** Secrets to use instead of generated ones. Defaults to all generated once and kept in the stack's state. */
  secrets?: MastodonSecrets;
  /** The database migration Jobs. Defaults to a 6-hour deadline per Job. */
  migrations?: Migrations;
  /** Statements that allow a version change the component otherwise refuses. Defaults to none. */
  acknowledge?: Acknowledgements;
  /** Outgoing mail. Defaults to none (Mastodon then cannot send mail). */
  smtp?: Smtp;
  /**
   * The cluster's pod and service ranges (IPv4 and IPv6 CIDRs). Egress is allowed only to them
   * (and Mastodon's HTTP client only to `ingress.controllerAddresses` among them); web and streaming trust the
   * X-Forwarded-For of proxies in them, where the ingress controller runs (TRUSTED_PROXY_IP, with
   * loopback; set it in `extraEnv` to trust a CDN too); when all are IPv6, Mastodon listens on IPv6
   * (BIND). Defaults to k3s's ["10.42.0.0/16", "10.43.0.0/16"].
   */
  clusterCidrs?: string[];
  /**
   * Let Mastodon pods reach the internet, to federate with the public fediverse: adds egress to
   * 0.0.0.0/0 and ::/0 and re-enables the update check. Such a stack fails the policy pack.
   * Defaults to false.
   */
  allowPublicEgress?: boolean;
  /**
   * Federate with the public fediverse through an egress gateway instead of direct egress; the stack then passes
   * the policy pack with the gateway in its config. Not with `allowPublicEgress`. Defaults to none (isolated).
   */
  egressGateway?: EgressGateway;
  /** The cluster DNS the pods may query. Defaults to k3s's CoreDNS (kube-system, k8s-app=kube-dns, port 53). */
  dns?: ClusterDns;
  /** Traefik routing. Defaults to k3s's Traefik and entry points. */
  ingress?: Ingress;
  /** TLS. Defaults to a private CA of the instance's own, through cert-manager. */
  tls?: Tls;
  /**
   * More Mastodon environment variables (e.g. {"SINGLE_USER_MODE": "true"}) for every Mastodon
   * process, kept in a plain ConfigMap (not for credentials). Variables the component manages (the database,
   * Redis, secrets, SMTP, S3, TLS trust and process settings) are refused. Defaults to none.
   */
  extraEnv?: { [key: string]: string };
  /**
   * Backups of the embedded PostgreSQL. Defaults to a daily dump kept 7 days on an 8Gi volume of its own (none with an
   * external server or CloudNativePG, whose backups are `postgresql.cloudNativePG.backup`).
   */
  backups?: Backups;
  /** Periodic cleanup CronJobs. Defaults to `tootctl media remove` and `tootctl preview_cards remove`, weekly. */
  maintenance?: Maintenance;
  /**
   * The first account, an approved Owner, created once after the post-deployment migration; its generated password
   * is the `adminPassword` output. Defaults to none (create it with the `adminCommand` output instead).
   */
  admin?: Admin;
  /** Prometheus metrics. Defaults to off. */
  metrics?: Metrics;
  /** KEDA, for sidekiq groups autoscaled with scaler "keda". Defaults to its operator in namespace "keda". */
  keda?: Keda;
  /**
   * Full-text search: an embedded OpenSearch (1Gi more of memory requests) or an external server, and the index Job
   * after every post-deployment migration. Defaults to off.
   */
  search?: Search;
}


export interface MastodonPlatformArgs {
  /** Install cert-manager (pinned chart, CRDs included). Set false when the cluster has it. Defaults to true. */
  installCertManager?: boolean;
  /**
   * Install the CloudNativePG operator (its official chart, pinned, CRDs included) for instances with
   * `postgresql.cloudNativePG`; needs `apiServerCidrs` (its pods are egress-isolated). Set false when the cluster has
   * it. Defaults to false.
   */
  installCloudNativePG?: boolean;
  /** Namespace of the installed CloudNativePG operator. Defaults to "cnpg-system". */
  cloudNativePGNamespace?: string;
  /** Namespace of cert-manager, where the shared CA's key is kept. Defaults to "cert-manager". */
  certManagerNamespace?: string;
  /**
   * Install Traefik from its official chart (pinned), with access logs on, as a helm.v4.Chart
   * whose every object policies can see. Leave false on k3s, which ships Traefik. Defaults to false.
   */
  installTraefik?: boolean;
  /** Namespace of the installed Traefik. Defaults to "traefik". */
  traefikNamespace?: string;
  /**
   * Addresses of the Kubernetes API server (CIDRs), which the installed Traefik must reach to watch
   * its routes: its pods are egress-isolated like every other. Required with `installTraefik` and
   * `installCloudNativePG`. When
   * given, the cert-manager the platform installs is egress-isolated too (DNS, the API server and the
   * cluster; the internet as well with `acmeEmail`). Defaults to none.
   */
  apiServerCidrs?: string[];
  /** The cluster's pod and service ranges, where the installed Traefik may send traffic. Defaults to ["10.42.0.0/16", "10.43.0.0/16"]. */
  clusterCidrs?: string[];
  /** Common name of the shared private CA. Defaults to "Mastodon lab CA". */
  caCommonName?: string;
  /** A Let's Encrypt (ACME) ClusterIssuer instead of the private CA: the contact email. Defaults to none. */
  acmeEmail?: string;
  /** ACME directory URL used with `acmeEmail`. Defaults to Let's Encrypt's production directory. */
  acmeServer?: string;
  /**
   * An egress gateway its instances share (their `egressGateway.proxyUrl` and `namespace` from this platform's
   * `egressProxyUrl` and `egressGatewayNamespace`). Defaults to none.
   */
  egressGateway?: PlatformEgressGateway;
  /** The cluster DNS the platform's pods may query. Defaults to k3s's CoreDNS. */
  dns?: ClusterDns;
}

/** A MastodonPlatform's shared egress gateway. */
export interface PlatformEgressGateway extends GatewaySettings {
  /** Run it. Defaults to false. */
  enabled?: boolean;
  /** Its namespace, created by the platform. Defaults to "egress-gateway". */
  namespace?: string;
}
