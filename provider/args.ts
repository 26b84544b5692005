/**
 * MastodonClusterArgs: the documented public contract (the package schema is inferred from
 * these interfaces), and its zod schema: the one home of defaults and validation rules.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { InvalidArgsError, deferrable, formatValue, parseOrThrow } from "./validation";
import {
  DEFAULT_IMAGE_REPOSITORY,
  DEFAULT_STREAMING_IMAGE_REPOSITORY,
  DEFAULT_VERSION,
  MINIMUM_VERSION,
  MastodonVersion,
  NEWEST_KNOWN_VERSION,
  atLeast,
  compareVersions,
  isSupported,
  parseVersion,
  sidekiqQueues,
  weightedSidekiqQueues,
} from "./versions";

// ---------------------------------------------------------------------------------------------
// The public interfaces. Every property documents its default.
// ---------------------------------------------------------------------------------------------

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

/** PostgreSQL: embedded in the cluster by default, or external. */
export interface Postgresql {
  /** Use this server instead of running PostgreSQL in the cluster. Defaults to none (embedded). */
  external?: ExternalPostgresql;
  /**
   * max_connections: configured on the embedded server, declared for an external one. The
   * connections of every Mastodon process, and of the extra pods a rollout starts, must fit in it
   * (leave some headroom: an old pod still draining while the next new one starts is not counted).
   * Defaults to 100.
   */
  maxConnections?: number;
  /**
   * Image of the embedded server (official postgres image, Debian variant), pinned by a version tag or a digest; a numbered
   * tag must meet Mastodon's minimum (PostgreSQL 14 from 4.6, 13 from 4.4). Defaults to "docker.io/library/postgres:17.6".
   */
  image?: string;
  /** Size of the embedded server's data volume; may grow later, never shrink. Defaults to "8Gi". */
  storageSize?: string;
  /** Storage class of the data volume. Defaults to the cluster's default class. */
  storageClassName?: string;
  /** Resources of the embedded server. Defaults to requests 100m/256Mi, limits 1 CPU/1Gi. */
  resources?: ContainerResources;
}

/** A Redis server this component does not run. */
export interface ExternalRedis {
  /** Host name or address (REDIS_HOST). Required. */
  host: pulumi.Input<string>;
  /** Port (REDIS_PORT). Defaults to 6379. */
  port?: number;
  /** Password (REDIS_PASSWORD), kept as a Pulumi secret. Defaults to none. */
  password?: pulumi.Input<string>;
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
   * one node, the volume's) or "ReadWriteMany" (needs a storage class that supports it). Defaults
   * to "ReadWriteOnce".
   */
  accessMode?: string;
}

/** The web process (puma, port 3000). */
export interface Web {
  /** Pods. Defaults to 1. */
  replicas?: number;
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
  /** Pods (one Node process each). Defaults to 1. */
  replicas?: number;
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
  /** Pods; exactly 1 for the group serving `scheduler`. Defaults to 1. */
  replicas?: number;
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
   * Password of the embedded PostgreSQL. PostgreSQL takes it only when it first creates its data; to change it
   * later, ALTER ROLE mastodon first, then change this. Defaults to 32 random characters, generated once.
   */
  postgresqlPassword?: pulumi.Input<string>;
  /** Password of the embedded Redis. Defaults to 32 random characters, generated once. */
  redisPassword?: pulumi.Input<string>;
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

/**
 * Federation with the public fediverse through an egress gateway: web and sidekiq send Mastodon's outgoing HTTP
 * (http_proxy) to a forward proxy that alone may reach public addresses, never private, loopback, link-local or
 * metadata ones. Either the instance runs its own (`enabled`) or uses a MastodonPlatform's (`proxyUrl` and
 * `namespace`). Such a stack passes the policy pack with the gateway listed in its `egressGateways`
 * (docs/networking.md).
 */
export interface EgressGateway {
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
   * embedded PostgreSQL; an external server is backed up by its own tooling (true is then refused).
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
   * are not fetched again). Defaults to weekly, Sunday at 04:30, with 180 days (tootctl's default).
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
   * The cluster's pod and service ranges (IPv4 and IPv6 CIDRs). Egress is allowed only to them,
   * and Mastodon may connect to them (ALLOWED_PRIVATE_ADDRESSES); web and streaming trust the
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
  /** Backups of the embedded PostgreSQL. Defaults to a daily dump kept 7 days on an 8Gi volume of its own (none with an external server). */
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
}

// ---------------------------------------------------------------------------------------------
// Defaults.
// ---------------------------------------------------------------------------------------------

export const DEFAULT_CLUSTER_CIDRS = ["10.42.0.0/16", "10.43.0.0/16"];
export const POSTGRES_IMAGE = "docker.io/library/postgres:17.6";
export const REDIS_IMAGE = "docker.io/library/redis:7.4.5";
/** Canonical's official Squid image (Ubuntu 24.04 LTS track, Squid 6.6), the egress gateway's. */
export const SQUID_IMAGE = "docker.io/ubuntu/squid:6.6-24.04_beta";
/** The egress gateway's proxy port (Squid's customary one). */
export const GATEWAY_PORT = 3128;
/** Connections PostgreSQL keeps for superusers (superuser_reserved_connections). */
export const RESERVED_CONNECTIONS = 3;
/** A migration Job's connections (its DB_POOL), beside the processes but never during a rollout. */
export const MIGRATION_CONNECTIONS = 2;
/** A migration Job's deadline: long enough for a data migration of a large instance. */
export const DEFAULT_MIGRATION_DEADLINE_SECONDS = 6 * 3600;
export const LETS_ENCRYPT_SERVER = "https://acme-v02.api.letsencrypt.org/directory";

export interface ResourceProfile {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** The small default profile, fit for a single-user lab (its totals are in the README). */
export const DEFAULT_RESOURCES = {
  web: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "1280Mi" } },
  streaming: { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "500m", memory: "384Mi" } },
  sidekiq: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  migrations: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  postgresql: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  // The request is what a small instance's Redis holds; the limit leaves room for growth and an AOF rewrite.
  redis: { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
  redisCache: { requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  egressGateway: { requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  /** pg_dump streams rows: little memory whatever the database's size. */
  backup: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
  /** tootctl loads Rails, as a migration does. */
  maintenance: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "1Gi" } },
} satisfies Record<string, ResourceProfile>;

/** Variables the component sets itself; `extraEnv` may not override them. */
export const MANAGED_ENV = [
  "LOCAL_DOMAIN", "WEB_DOMAIN", "RAILS_ENV", "NODE_ENV", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASS",
  "DB_SSLMODE", "DB_POOL", "DATABASE_URL", "PREPARED_STATEMENTS", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD",
  "REDIS_URL", "SECRET_KEY_BASE", "OTP_SECRET", "VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY",
  "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY", "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
  "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", "PORT", "BIND", "WEB_CONCURRENCY", "MAX_THREADS",
  "ALLOWED_PRIVATE_ADDRESSES", "UPDATE_CHECK_URL", "RAILS_SERVE_STATIC_FILES", "STREAMING_CLUSTER_NUM",
  "S3_ENABLED", "S3_BUCKET", "S3_ENDPOINT", "S3_REGION", "S3_PROTOCOL", "S3_HOSTNAME", "S3_ALIAS_HOST",
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
  "SMTP_SERVER", "SMTP_PORT", "SMTP_LOGIN", "SMTP_PASSWORD", "SMTP_FROM_ADDRESS", "SMTP_ENABLE_STARTTLS",
  "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
  "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "SMTP_CA_FILE", "PGSSLROOTCERT", "PERSISTENT_TIMEOUT", "SKIP_POST_DEPLOYMENT_MIGRATIONS",
  "MASTODON_PROMETHEUS_EXPORTER_ENABLED", "MASTODON_PROMETHEUS_EXPORTER_LOCAL", "MASTODON_PROMETHEUS_EXPORTER_HOST",
  "MASTODON_PROMETHEUS_EXPORTER_PORT", "MASTODON_PROMETHEUS_EXPORTER_WEB_DETAILED_METRICS", "MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS",
];

// ---------------------------------------------------------------------------------------------
// The schema.
// ---------------------------------------------------------------------------------------------

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** A DNS-1035 label: what Kubernetes accepts as a Service name. */
const K8S_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^([+]?[0-9.]+)([eE][-+]?[0-9]+|[mkMGTPE]|[KMGTPE]i)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const QUEUE_ENTRY = /^([a-z_]+)(,([1-9][0-9]*))?$/;
/** The longest suffix the component appends to its name ("-db-migrate-post-1234abcd"). */
const LONGEST_SUFFIX = 25;
export const MAX_NAME_LENGTH = 63 - LONGEST_SUFFIX;

/** An object that refuses unknown keys, naming the keys it knows. */
function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `expected only ${known}` : "an object"),
  });
}

/**
 * A map of strings whose keys are checked one by one: `keyProblem` returns what is expected of a
 * bad key (zod's own record check would report the map, not the key).
 */
function stringMap(what: string, keyProblem: (key: string) => string | undefined, valuePattern = /^/, valueExpected = "a string value") {
  return z.record(z.string(), z.string({ error: valueExpected }).regex(valuePattern, { error: valueExpected }), { error: what })
    .superRefine((map, ctx) => {
      for (const key of Object.keys(map)) {
        const expected = keyProblem(key);
        if (expected) ctx.addIssue({ code: "custom", path: [key], input: key, message: expected });
      }
    });
}

const positiveInt = (what: string) => z.number({ error: `${what}: a whole number ≥ 1` }).int({ error: `${what}: a whole number ≥ 1` }).min(1, { error: `${what}: a whole number ≥ 1` });
const port = z.number({ error: "a port number from 1 to 65535" }).int({ error: "a port number from 1 to 65535" }).min(1, { error: "a port number from 1 to 65535" }).max(65535, { error: "a port number from 1 to 65535" });
const nonEmpty = (what: string) => z.string({ error: what }).min(1, { error: what });
const quantity = (what: string) => z.string({ error: `a ${what} quantity such as ${what === "CPU" ? '"250m" or "1"' : '"512Mi" or "1Gi"'}` }).regex(QUANTITY, { error: `a ${what} quantity such as ${what === "CPU" ? '"250m" or "1"' : '"512Mi" or "1Gi"'}` });
const storageSize = quantity("memory").optional();
/** True for an IP address, or a name whose last label is all digits (no top-level domain is: RFC 3696). */
function looksLikeAddress(host: string): boolean {
  return ipaddr.isValid(host) || /(^|\.)\d+$/.test(host);
}
const dnsName = z.string({ error: "a lowercase DNS name such as social.example" })
  .regex(DNS_NAME, { error: "a lowercase DNS name such as social.example" })
  .refine((host) => !looksLikeAddress(host), { error: "a DNS name such as social.example, not an IP address: handles (user@domain) and TLS certificates need a name", abort: true });
const image = z.string({ error: "an image reference such as registry/repository:tag" }).regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, { error: "an image reference such as registry/repository:tag" });
const repository = z.string({ error: "an image repository without a tag, such as ghcr.io/mastodon/mastodon" }).regex(/^[a-z0-9][a-z0-9._\-/]*(:[0-9]+\/[a-z0-9._\-/]+)?$/, { error: "an image repository without a tag, such as ghcr.io/mastodon/mastodon" });
const k8sName = z.string({ error: "a Kubernetes name: lowercase letters, digits and '-', starting with a letter, at most 63 characters" }).max(63, { error: "a Kubernetes name of at most 63 characters" }).regex(K8S_LABEL, { error: "a Kubernetes name: lowercase letters, digits and '-', starting with a letter" });

function cidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return value.includes("/");
  } catch {
    return false;
  }
}

const resources = (d: ResourceProfile) =>
  strict({
    requests: strict({ cpu: quantity("CPU").optional(), memory: quantity("memory").optional() }).optional(),
    limits: strict({ cpu: quantity("CPU").optional(), memory: quantity("memory").optional() }).optional(),
  })
    .optional()
    .transform((r): ResourceProfile => ({
      requests: { cpu: r?.requests?.cpu ?? d.requests.cpu, memory: r?.requests?.memory ?? d.requests.memory },
      limits: { cpu: r?.limits?.cpu ?? d.limits.cpu, memory: r?.limits?.memory ?? d.limits.memory },
    }));

const domainList = z.array(z.string({ error: "a domain such as example.social" }).regex(DNS_NAME, { error: "a lowercase domain such as example.social" }), { error: "a list of domains" });

/** An egress gateway's own settings, with their defaults. */
const egressGatewayOptions = {
  replicas: z.number({ error: "a whole number ≥ 1" }).int({ error: "a whole number ≥ 1" }).min(1, { error: "a whole number ≥ 1" }).default(1),
  image: image.default(SQUID_IMAGE),
  resources: resources(DEFAULT_RESOURCES.egressGateway),
  blockedDomains: domainList.default([]),
  allowedDomains: domainList.default([]),
};

const clusterDns = strict({
  namespace: k8sName.default("kube-system"),
  podLabels: stringMap("a map of label keys to values", (key) => (LABEL_KEY.test(key) ? undefined : "a label key such as k8s-app"), LABEL_VALUE, "a label value (letters, digits, '-', '_', '.')")
    .refine((m) => Object.keys(m).length > 0, { error: "at least one label" })
    .default({ "k8s-app": "kube-dns" }),
  port: z.number({ error: "a port number from 1 to 65535" }).int({ error: "a port number from 1 to 65535" }).min(1, { error: "a port number from 1 to 65535" }).max(65535, { error: "a port number from 1 to 65535" }).default(53),
  cidrs: z.array(z.string({ error: "a CIDR such as 169.254.20.10/32" }).refine(cidr, { error: "a CIDR such as 169.254.20.10/32" }), { error: "a list of CIDRs" }).default([]),
}).prefault({});

const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9*,/?A-Za-z-]+(\s+[0-9*,/?A-Za-z-]+){4})$/;
const cronSchedule = z.string({ error: 'a cron schedule such as "30 3 * * *" or "@weekly"' }).trim().regex(CRON, { error: 'a cron schedule such as "30 3 * * *" or "@weekly"' });
/** Mastodon's username rule for local accounts (Account::USERNAME_RE, 30 characters at most). */
const MASTODON_USERNAME = /^[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?$/i;
const wholeNumber = (what: string, min: number, max: number) => {
  const error = `${what} from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
export const DEFAULT_BACKUP_DEADLINE_SECONDS = 3 * 3600;
export const DEFAULT_METRICS_NAMESPACE = "monitoring";

/** The operations fields (backups, maintenance, admin, metrics): each with its default and its own rule. */
function operationsFields() {
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
    }).prefault({}),
    maintenance: strict({
      mediaRemove: task("0 4 * * 0", 7, 1),
      // tootctl: cards newer than two weeks are not fetched again.
      previewCardsRemove: task("30 4 * * 0", 180, 14),
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
    }).prefault({}),
  };
}

/** The fields of MastodonClusterArgs, each with its default and its own rule. */
function argsObject(name: string) {
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
    maxConnections: z.number({ error: "a whole number from 20 to 10000" }).int({ error: "a whole number from 20 to 10000" }).min(20, { error: "a whole number from 20 to 10000" }).max(10000, { error: "a whole number from 20 to 10000" }).default(100),
    image: image.optional(),
    storageSize,
    storageClassName: k8sName.optional(),
    resources: resources(DEFAULT_RESOURCES.postgresql),
  }).prefault({});

  const redis = strict({
    external: strict({
      host: deferrable(component, "redis.external.host", nonEmpty("a host name or address")),
      port: port.default(6379),
      password: secret("redis.external.password"),
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

  const web = strict({
    replicas: positiveInt("replicas").default(1),
    processes: positiveInt("processes").default(2),
    threads: positiveInt("threads").default(5),
    dbPool: positiveInt("dbPool").optional(),
    resources: resources(DEFAULT_RESOURCES.web),
  }).prefault({});

  const streaming = strict({
    replicas: positiveInt("replicas").default(1),
    dbPool: positiveInt("dbPool").default(10),
    resources: resources(DEFAULT_RESOURCES.streaming),
  }).prefault({});

  const worker = strict({
    name: z.string({ error: "a worker name: lowercase letters, digits and '-', starting with a letter, at most 20 characters" }).max(20, { error: "a worker name of at most 20 characters" }).regex(K8S_LABEL, { error: "a worker name: lowercase letters, digits and '-', starting with a letter" }),
    queues: z.array(z.string({ error: "a queue name, optionally weighted, such as \"default\" or \"default,8\"" }).regex(QUEUE_ENTRY, { error: "a queue name, optionally weighted, such as \"default\" or \"default,8\"" }), { error: "a list of queue names" }).min(1, { error: "at least one queue" }),
    concurrency: positiveInt("concurrency").default(10),
    dbPool: positiveInt("dbPool").optional(),
    replicas: positiveInt("replicas").default(1),
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
    redisPassword: secret("secrets.redisPassword"),
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
    ...operationsFields(),
  });
}

/** The schema of MastodonClusterArgs for the component named `name`: fields, cross-field rules, resolution. */
export function mastodonClusterArgsSchema(name: string) {
  return argsObject(name)
    .superRefine((args, ctx) => {
      crossFieldRules(args, ctx);
      operationsRules(args, ctx);
    })
    .transform((args) => resolve(name, args));
}

type ParsedArgs = z.output<ReturnType<typeof argsObject>>;

// ---------------------------------------------------------------------------------------------
// Rules that involve several fields.
// ---------------------------------------------------------------------------------------------

function issue(ctx: z.RefinementCtx, path: PropertyKey[], input: unknown, message: string) {
  ctx.addIssue({ code: "custom", path: path as (string | number)[], input, message });
}

function queueName(entry: string): string {
  return entry.split(",")[0];
}

/** In-cluster: a Service name ("mailpit.mail", "x.svc.cluster.local", "mailpit") or an address in the CIDRs. */
export function isInCluster(host: string, cidrs: string[]): boolean {
  if (ipaddr.isValid(host)) {
    const addr = ipaddr.parse(host);
    return cidrs.some((c) => {
      const [net, bits] = ipaddr.parseCIDR(c);
      return addr.kind() === net.kind() && addr.match([net, bits]);
    });
  }
  const labels = host.split(".");
  return labels.length <= 2 || host.endsWith(".svc") || /\.svc\.cluster\.local\.?$/.test(host);
}

const ISOLATED_DATA_HOST = "an in-cluster Service or an address in clusterCidrs while egress is limited to the cluster " +
  "(add the server's range to clusterCidrs, or set allowPublicEgress)";

/** The hosts of external PostgreSQL and Redis servers, with their paths in args. */
function externalDataHosts(a: ParsedArgs): Array<[string[], pulumi.Input<string> | undefined]> {
  return [
    [["postgresql", "external", "host"], a.postgresql.external?.host],
    [["postgresql", "external", "directHost"], a.postgresql.external?.directHost],
    [["redis", "external", "host"], a.redis.external?.host],
  ];
}

/** An external server's host given as an Output, held to the isolation rule when it resolves. */
function isolatedHost(name: string, a: ParsedArgs, path: string[], host: pulumi.Input<string>): pulumi.Input<string>;
function isolatedHost(name: string, a: ParsedArgs, path: string[], host: pulumi.Input<string> | undefined): pulumi.Input<string> | undefined;
function isolatedHost(name: string, a: ParsedArgs, path: string[], host: pulumi.Input<string> | undefined) {
  if (a.allowPublicEgress || host === undefined || typeof host === "string") return host;
  return pulumi.output(host).apply((resolved) => {
    if (!isInCluster(resolved, a.clusterCidrs)) {
      throw new InvalidArgsError(`MastodonCluster "${name}"`, [`args.${path.join(".")}: got ${formatValue(path.join("."), resolved)}; expected ${ISOLATED_DATA_HOST}`]);
    }
    return resolved;
  });
}

/** The tag of an image reference (registry/repository:tag[@digest]), unless absent or `latest`. */
export function imageTag(image: string): string | undefined {
  const name = image.split("@")[0];
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const tag = colon > slash ? name.slice(colon + 1) : undefined;
  return tag === "latest" ? undefined : tag;
}

/**
 * The oldest PostgreSQL and Redis a Mastodon version supports: 4.2 needs PostgreSQL 12 (mastodon#27528); 4.4
 * PostgreSQL 13 and Redis 6.2 (its release notes, mastodon#34744, #30413); PostgreSQL 14 (mastodon#36540, merged
 * after 4.5's betas) and Redis 7 (Sidekiq 8) are taken as 4.6's floor, as the README states.
 */
export function dataServerMinimum(server: "postgresql" | "redis", v: MastodonVersion): { major: number; minor: number } {
  if (server === "postgresql") return atLeast(v, 4, 6) ? { major: 14, minor: 0 } : atLeast(v, 4, 4) ? { major: 13, minor: 0 } : { major: 12, minor: 0 };
  return atLeast(v, 4, 6) ? { major: 7, minor: 0 } : atLeast(v, 4, 4) ? { major: 6, minor: 2 } : { major: 6, minor: 0 };
}

function crossFieldRules(a: ParsedArgs, ctx: z.RefinementCtx) {
  const version = parseVersion(a.version);
  if (!version || !isSupported(version)) {
    issue(ctx, ["version"], a.version, `a Mastodon 4.x release tag such as ${DEFAULT_VERSION} (from ${MINIMUM_VERSION} on)`);
    return;
  }
  const queues = sidekiqQueues(version);
  const workers = a.sidekiqWorkers ?? [];

  // Queues: known to this version, once per worker, every one served, scheduler exactly once.
  const names = new Set<string>();
  workers.forEach((w, i) => {
    if (names.has(w.name)) issue(ctx, ["sidekiqWorkers", i, "name"], w.name, "a name no other worker group has");
    names.add(w.name);
    const seen = new Set<string>();
    w.queues.forEach((entry, j) => {
      const q = queueName(entry);
      if (!queues.includes(q)) {
        issue(ctx, ["sidekiqWorkers", i, "queues", j], entry, `one of ${queues.join(", ")} (the queues of Mastodon ${version.tag}), optionally weighted as "default,8"`);
      } else if (seen.has(q)) {
        issue(ctx, ["sidekiqWorkers", i, "queues", j], entry, "each queue listed once per worker group");
      }
      seen.add(q);
    });
    if (w.dbPool !== undefined && w.dbPool < w.concurrency) {
      issue(ctx, ["sidekiqWorkers", i, "dbPool"], w.dbPool, `at least the worker's concurrency (${w.concurrency}), one connection per thread`);
    }
  });
  if (workers.length > 0) {
    const served = new Set(workers.flatMap((w) => w.queues.map(queueName)));
    const missing = queues.filter((q) => !served.has(q));
    if (missing.length > 0) {
      issue(ctx, ["sidekiqWorkers"], [...served], `every queue served by some worker group; not served: ${missing.join(", ")}`);
    }
    const schedulers = workers.map((w, i) => ({ w, i })).filter(({ w }) => w.queues.some((e) => queueName(e) === "scheduler"));
    if (schedulers.length > 1) {
      issue(ctx, ["sidekiqWorkers"], schedulers.map(({ w }) => w.name), "the scheduler queue served by exactly one worker group (scheduled jobs would run twice)");
    }
    for (const { w, i } of schedulers) {
      if (w.replicas !== 1) issue(ctx, ["sidekiqWorkers", i, "replicas"], w.replicas, "1: the group serving the scheduler queue runs exactly one pod");
    }
  }
  if (a.web.dbPool !== undefined && a.web.dbPool < a.web.threads) {
    issue(ctx, ["web", "dbPool"], a.web.dbPool, `at least web.threads (${a.web.threads}), one connection per thread`);
  }

  // Data tier: external and embedded settings do not mix.
  const embeddedOnly = (section: "postgresql" | "redis", keys: string[]) => {
    if (!a[section].external) return;
    for (const k of keys) {
      const value = (a[section] as Record<string, unknown>)[k];
      if (value !== undefined) issue(ctx, [section, k], value, `nothing: ${section}.${k} configures the embedded server, and ${section}.external is set`);
    }
  };
  embeddedOnly("postgresql", ["image", "storageSize", "storageClassName"]);
  embeddedOnly("redis", ["image", "persistence", "storageSize", "storageClassName"]);
  // Embedded servers from another image: pinned, and recent enough for this Mastodon version.
  const servers = [
    { section: "postgresql", name: "PostgreSQL", image: a.postgresql.image, minimum: dataServerMinimum("postgresql", version), example: POSTGRES_IMAGE },
    { section: "redis", name: "Redis", image: a.redis.image, minimum: dataServerMinimum("redis", version), example: REDIS_IMAGE },
  ] as const;
  for (const { section, name, image, minimum, example } of servers) {
    if (image === undefined) continue;
    const tag = imageTag(image);
    // A tag that names no version (latest, bookworm, alpine) moves to new majors, which an old data directory refuses.
    if (!image.includes("@sha256:") && !(tag !== undefined && /^\d/.test(tag))) {
      issue(ctx, [section, "image"], image, `an image pinned by a version tag or a digest, such as ${example}`);
      continue;
    }
    const v = tag === undefined ? undefined : /^(\d+)(?:\.(\d+))?/.exec(tag);
    if (v && Number(v[1]) * 100 + Number(v[2] ?? 99) < minimum.major * 100 + minimum.minor) {
      issue(ctx, [section, "image"], image, `${name} ${minimum.major}${minimum.minor ? `.${minimum.minor}` : ""} or later (Mastodon ${a.version} requires it)`);
    }
  }
  if (a.media.s3) {
    for (const k of ["storageSize", "storageClassName", "accessMode"] as const) {
      if (a.media[k] !== undefined) issue(ctx, ["media", k], a.media[k], "nothing: it configures the media volume, and media.s3 is set");
    }
  }
  if ((a.acknowledge.postgresqlMajorFrom === undefined) !== (a.acknowledge.postgresqlUpgradeMethod === undefined)) {
    const given = a.acknowledge.postgresqlMajorFrom === undefined ? "postgresqlUpgradeMethod" : "postgresqlMajorFrom";
    issue(ctx, ["acknowledge", given], a.acknowledge[given], "acknowledge.postgresqlMajorFrom and acknowledge.postgresqlUpgradeMethod given together, or neither");
  }
  if (a.redis.cache.enabled) {
    for (const key of Object.keys(a.extraEnv).filter((k) => k.startsWith("CACHE_REDIS_"))) {
      issue(ctx, ["extraEnv", key], a.extraEnv[key], "nothing while redis.cache.enabled is true: the component points CACHE_REDIS_* at the cache Redis it runs");
    }
  }
  if ((a.secrets.vapidPrivateKey === undefined) !== (a.secrets.vapidPublicKey === undefined)) {
    const given = a.secrets.vapidPrivateKey === undefined ? "vapidPublicKey" : "vapidPrivateKey";
    issue(ctx, ["secrets", given], "[secret]", "vapidPrivateKey and vapidPublicKey given together (one key pair), or neither");
  }

  // TLS: one source of certificates.
  const sources = (["issuerName", "secretName", "acmeEmail"] as const).filter((k) => a.tls[k] !== undefined);
  if (sources.length > 1) {
    issue(ctx, ["tls", sources[1]], a.tls[sources[1]], `only one of tls.issuerName, tls.secretName and tls.acmeEmail (tls.${sources[0]} is set)`);
  }
  if (a.tls.issuerKind !== undefined && a.tls.issuerName === undefined) {
    issue(ctx, ["tls", "issuerKind"], a.tls.issuerKind, "nothing unless tls.issuerName is set");
  }
  if (a.tls.installCertManager === true && a.tls.secretName !== undefined) {
    issue(ctx, ["tls", "installCertManager"], true, "false or nothing: with tls.secretName no certificate is issued");
  }
  if (a.tls.acmeServer !== undefined && a.tls.acmeEmail === undefined) {
    issue(ctx, ["tls", "acmeServer"], a.tls.acmeServer, "nothing unless tls.acmeEmail is set");
  }

  // Egress gateway: one gateway, and not beside direct egress.
  const gateway = a.egressGateway;
  if (gateway) {
    if (gateway.enabled && gateway.proxyUrl !== undefined) {
      issue(ctx, ["egressGateway", "proxyUrl"], gateway.proxyUrl, "nothing while egressGateway.enabled is true (the instance runs its own gateway), or enabled false to use this one");
    }
    if (!gateway.enabled && gateway.proxyUrl === undefined) {
      issue(ctx, ["egressGateway", "enabled"], gateway.enabled, "true (run a gateway for this instance), or egressGateway.proxyUrl and egressGateway.namespace (use a MastodonPlatform's)");
    }
    if (gateway.proxyUrl !== undefined && gateway.namespace === undefined) {
      issue(ctx, ["egressGateway", "namespace"], gateway.namespace, "the namespace of the gateway's pods with egressGateway.proxyUrl (a MastodonPlatform's egressGatewayNamespace)");
    }
    if (a.allowPublicEgress) {
      issue(ctx, ["allowPublicEgress"], true, "false with egressGateway: the gateway is the audited way out; direct egress (allowPublicEgress) bypasses it and fails the policy pack");
    }
  }

  // Isolation: with egress limited to the cluster, outside services cannot be reached.
  if (!a.allowPublicEgress) {
    if (a.smtp && !isInCluster(a.smtp.server, a.clusterCidrs)) {
      issue(ctx, ["smtp", "server"], a.smtp.server, "an in-cluster Service or an address in clusterCidrs while egress is limited to the cluster (set allowPublicEgress to reach outside mail servers)");
    }
    if (a.media.s3 && !isInCluster(new URL(a.media.s3.endpoint).hostname, a.clusterCidrs)) {
      issue(ctx, ["media", "s3", "endpoint"], a.media.s3.endpoint, "an in-cluster endpoint while egress is limited to the cluster (set allowPublicEgress to reach outside object storage)");
    }
    // External data servers given as Outputs are checked when they resolve (see `resolve`).
    for (const [path, host] of externalDataHosts(a)) {
      if (typeof host === "string" && !isInCluster(host, a.clusterCidrs)) issue(ctx, path, host, ISOLATED_DATA_HOST);
    }
    if (a.tls.acmeEmail !== undefined) {
      issue(ctx, ["tls", "acmeEmail"], a.tls.acmeEmail, "nothing while egress is limited to the cluster: ACME certificates are for public instances (set allowPublicEgress)");
    }
  }

  // The connection budget: every process's pool must fit in max_connections.
  const budget = connectionBudget(a, workers.length > 0 ? workers : defaultWorkers(version));
  const available = a.postgresql.maxConnections - RESERVED_CONNECTIONS;
  if (budget.total > available) {
    issue(ctx, ["postgresql", "maxConnections"], a.postgresql.maxConnections,
      `room for every database connection: ${budget.describe} = ${budget.total}, plus ${RESERVED_CONNECTIONS} reserved; raise postgresql.maxConnections to at least ${budget.total + RESERVED_CONNECTIONS} or shrink the pools`);
  }
}

/** The operations fields against the rest: backups need the embedded server, the exporter Mastodon 4.4. */
function operationsRules(a: ParsedArgs, ctx: z.RefinementCtx) {
  if (a.postgresql.external && a.backups.enabled === true) {
    issue(ctx, ["backups", "enabled"], true, "false or nothing while postgresql.external is set: back up an external server with its own tooling");
  }
  const version = parseVersion(a.version);
  if (a.metrics.enabled && version && !atLeast(version, 4, 4)) {
    issue(ctx, ["metrics", "enabled"], true, `false with version ${a.version}: Mastodon's Prometheus exporter exists from v4.4.0 (before it only the streaming server serves /metrics)`);
  }
  for (const key of ["detailed", "serviceMonitor"] as const) {
    if (a.metrics[key] && !a.metrics.enabled) issue(ctx, ["metrics", key], true, "false or nothing unless metrics.enabled is true");
  }
}

export function defaultWorkers(version: MastodonVersion) {
  return [{ name: "default", queues: weightedSidekiqQueues(version), concurrency: 10, replicas: 1, dbPool: undefined, resources: DEFAULT_RESOURCES.sidekiq }];
}

interface BudgetInput {
  web: { replicas: number; processes: number; threads: number; dbPool?: number };
  streaming: { replicas: number; dbPool: number };
}

/** Database connections of every process at full load (Mastodon's pools are per process). */
export function connectionBudget(a: BudgetInput, workers: { name: string; concurrency: number; replicas: number; dbPool?: number }[]) {
  const web = a.web.replicas * a.web.processes * (a.web.dbPool ?? a.web.threads);
  const streaming = a.streaming.replicas * a.streaming.dbPool;
  const sidekiq = workers.map((w) => ({ name: w.name, n: w.replicas * (w.dbPool ?? w.concurrency) }));
  // On top of the steady processes, at most one of: a version change's surge pods (web and streaming roll out
  // one extra pod each; sidekiq is recreated) or a migration Job (the pre Job runs before the rollout, the post
  // Job after it).
  const surge = a.web.processes * (a.web.dbPool ?? a.web.threads) + a.streaming.dbPool;
  const transient = Math.max(surge, MIGRATION_CONNECTIONS);
  const total = web + streaming + sidekiq.reduce((s, w) => s + w.n, 0) + transient;
  const describe = [`web ${web}`, `streaming ${streaming}`, ...sidekiq.map((w) => `sidekiq ${w.name} ${w.n}`), `rollout surge or migration ${transient}`].join(" + ");
  return { web, streaming, sidekiq, total, describe };
}

// ---------------------------------------------------------------------------------------------
// Warnings: accepted args the user should hear about (the component logs them once).
// ---------------------------------------------------------------------------------------------

/** What is risky but allowed in `a`, one sentence per problem, each naming the field and the value. */
export function argsWarnings(a: Pick<ParsedArgs, "version" | "sidekiqWorkers">): string[] {
  const warnings: string[] = [];
  const version = parseVersion(a.version)!;
  const newest = parseVersion(NEWEST_KNOWN_VERSION)!;
  if (compareVersions(version, newest) > 0) {
    warnings.push(`args.version: ${JSON.stringify(a.version)} is newer than the newest release this component knows (${NEWEST_KNOWN_VERSION}); ` +
      "its images, sidekiq queues and PostgreSQL and Redis requirements are assumed to be those of the 4.x rules: check its release notes");
  }
  (a.sidekiqWorkers ?? []).forEach((w, i) => {
    const names = w.queues.map(queueName);
    const weighted = w.queues.some((e) => e.includes(","));
    if (!weighted && names.includes("scheduler") && names[0] !== "scheduler") {
      warnings.push(`args.sidekiqWorkers[${i}].queues: ${JSON.stringify(w.queues)} has no weights, which sidekiq reads as strict priority: ` +
        `"scheduler" waits whenever ${names.slice(0, names.indexOf("scheduler")).map((q) => JSON.stringify(q)).join(" or ")} has a backlog; ` +
        `weight them as Mastodon's chart does (${JSON.stringify(weightedSidekiqQueues(parseVersion(a.version)!).filter((e) => names.includes(queueName(e))))})`);
    }
  });
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// The resolved configuration every module builds from.
// ---------------------------------------------------------------------------------------------

function resolve(name: string, a: ParsedArgs) {
  const version = parseVersion(a.version)!;
  const embeddedPostgresql = a.postgresql.external === undefined;
  const embeddedRedis = a.redis.external === undefined;
  return {
    name,
    domain: a.domain as pulumi.Input<string>,
    webDomain: a.webDomain as pulumi.Input<string> | undefined,
    version,
    imageRepository: a.imageRepository,
    streamingImageRepository: a.streamingImageRepository,
    namespace: a.namespace,
    createNamespace: a.createNamespace,
    postgresql: {
      embedded: embeddedPostgresql,
      external: a.postgresql.external && {
        ...a.postgresql.external,
        host: isolatedHost(name, a, ["postgresql", "external", "host"], a.postgresql.external.host),
        directHost: isolatedHost(name, a, ["postgresql", "external", "directHost"], a.postgresql.external.directHost),
      },
      maxConnections: a.postgresql.maxConnections,
      image: a.postgresql.image ?? POSTGRES_IMAGE,
      storageSize: a.postgresql.storageSize ?? "8Gi",
      storageClassName: a.postgresql.storageClassName,
      resources: a.postgresql.resources,
    },
    redis: {
      embedded: embeddedRedis,
      external: a.redis.external && { ...a.redis.external, host: isolatedHost(name, a, ["redis", "external", "host"], a.redis.external.host) },
      image: a.redis.image ?? REDIS_IMAGE,
      persistence: a.redis.persistence ?? true,
      storageSize: a.redis.storageSize ?? "1Gi",
      storageClassName: a.redis.storageClassName,
      resources: a.redis.resources,
      cache: a.redis.cache,
    },
    media: {
      s3: a.media.s3,
      storageSize: a.media.storageSize ?? "10Gi",
      storageClassName: a.media.storageClassName,
      accessMode: a.media.accessMode ?? "ReadWriteOnce",
    },
    web: { ...a.web, dbPool: a.web.dbPool ?? a.web.threads },
    streaming: a.streaming,
    sidekiqWorkers: (a.sidekiqWorkers ?? defaultWorkers(version)).map((w) => ({ ...w, dbPool: w.dbPool ?? w.concurrency })),
    secrets: a.secrets,
    smtp: a.smtp,
    clusterCidrs: a.clusterCidrs,
    allowPublicEgress: a.allowPublicEgress,
    egressGateway: a.egressGateway && {
      own: a.egressGateway.enabled,
      // The instance's own gateway's Service is named after it (egressGateway.ts).
      proxyUrl: a.egressGateway.enabled ? `http://${name}-egress-gateway.${a.namespace}.svc.cluster.local:${GATEWAY_PORT}` : a.egressGateway.proxyUrl!,
      namespace: a.egressGateway.namespace,
      settings: pickGatewaySettings(a.egressGateway),
    },
    dns: a.dns,
    ingress: a.ingress,
    tls: { ...a.tls, issuerKind: a.tls.issuerKind ?? "ClusterIssuer", acmeServer: a.tls.acmeServer ?? LETS_ENCRYPT_SERVER },
    extraEnv: a.extraEnv,
    migrations: { ...a.migrations, resources: DEFAULT_RESOURCES.migrations },
    acknowledge: a.acknowledge,
    backups: { ...a.backups, enabled: a.backups.enabled ?? embeddedPostgresql, resources: DEFAULT_RESOURCES.backup },
    maintenance: { ...a.maintenance, resources: DEFAULT_RESOURCES.maintenance },
    admin: a.admin,
    metrics: a.metrics,
    /** Accepted but risky settings, logged by the component as warnings. */
    warnings: argsWarnings(a),
  };
}

/** What a gateway is built from (provider/egressGateway.ts). */
export type EgressGatewaySettings = Required<Pick<z.output<z.ZodObject<typeof egressGatewayOptions>>, keyof typeof egressGatewayOptions>>;

function pickGatewaySettings(g: EgressGatewaySettings): EgressGatewaySettings {
  return { replicas: g.replicas, image: g.image, resources: g.resources, blockedDomains: g.blockedDomains, allowedDomains: g.allowedDomains };
}

/** The resolved, validated configuration of one instance. */
export type MastodonConfig = ReturnType<typeof resolve>;
export type SidekiqWorkerConfig = MastodonConfig["sidekiqWorkers"][number];

/** Validates `args` for the component named `name`; throws one error naming every bad field. */
export function parseArgs(name: string, args: MastodonClusterArgs): MastodonConfig {
  const component = `MastodonCluster "${name}"`;
  if (!K8S_LABEL.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgsError(component, [
      `name: got ${JSON.stringify(name)}; expected lowercase letters, digits and '-', starting with a letter, at most ${MAX_NAME_LENGTH} characters (it prefixes Kubernetes names)`,
    ]);
  }
  return parseOrThrow(`MastodonCluster "${name}"`, mastodonClusterArgsSchema(name), args ?? {});
}

// ---------------------------------------------------------------------------------------------
// MastodonPlatform: the cluster-wide parts several instances share.
// ---------------------------------------------------------------------------------------------

export interface MastodonPlatformArgs {
  /** Install cert-manager (pinned chart, CRDs included). Set false when the cluster has it. Defaults to true. */
  installCertManager?: boolean;
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
   * its routes: its pods are egress-isolated like every other. Required with `installTraefik`. When
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
export interface PlatformEgressGateway {
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
  /** Run it. Defaults to false. */
  enabled?: boolean;
  /** Its namespace, created by the platform. Defaults to "egress-gateway". */
  namespace?: string;
}

function platformObject(name: string) {
  const component = `MastodonPlatform "${name}"`;
  const cidrs = z.array(z.string({ error: "a CIDR such as 10.42.0.0/16 or fd00:10:42::/56" }).refine(cidr, { error: "a CIDR such as 10.42.0.0/16 or fd00:10:42::/56" }), { error: "a list of CIDRs" });
  return {
    component,
    schema: strict({
      installCertManager: z.boolean({ error: "true or false" }).default(true),
      certManagerNamespace: k8sName.default("cert-manager"),
      installTraefik: z.boolean({ error: "true or false" }).default(false),
      traefikNamespace: k8sName.default("traefik"),
      apiServerCidrs: cidrs.optional(),
      clusterCidrs: cidrs.min(1, { error: "at least one CIDR" }).default(DEFAULT_CLUSTER_CIDRS),
      caCommonName: nonEmpty("a certificate common name").default("Mastodon lab CA"),
      acmeEmail: z.string({ error: "an email address" }).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { error: "an email address" }).optional(),
      acmeServer: z.url({ error: "an ACME directory URL" }).optional(),
      egressGateway: strict({
        enabled: z.boolean({ error: "true or false" }).default(false),
        namespace: k8sName.default("egress-gateway"),
        ...egressGatewayOptions,
      }).prefault({}),
      dns: clusterDns,
    }).superRefine((a, ctx) => {
      if (a.installTraefik && (a.apiServerCidrs === undefined || a.apiServerCidrs.length === 0)) {
        issue(ctx, ["apiServerCidrs"], a.apiServerCidrs, "the API server's addresses (e.g. the k3s server node's IP/32) when installTraefik is true: Traefik's egress-isolated pods must watch the API");
      }
      if (a.acmeServer !== undefined && a.acmeEmail === undefined) {
        issue(ctx, ["acmeServer"], a.acmeServer, "nothing unless acmeEmail is set");
      }
    }),
  };
}

export type MastodonPlatformConfig = z.output<ReturnType<typeof platformObject>["schema"]> & { acmeServer: string; name: string };

/** Validates the args of the MastodonPlatform named `name`; throws one error naming every bad field. */
export function parsePlatformArgs(name: string, args: MastodonPlatformArgs): MastodonPlatformConfig {
  const { component, schema } = platformObject(name);
  if (!K8S_LABEL.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgsError(component, [`name: got ${JSON.stringify(name)}; expected lowercase letters, digits and '-', starting with a letter, at most ${MAX_NAME_LENGTH} characters`]);
  }
  const parsed = parseOrThrow(component, schema, args ?? {});
  return { ...parsed, name, acmeServer: parsed.acmeServer ?? LETS_ENCRYPT_SERVER };
}
