/** The defaults and fixed values every part of the configuration shares. */
import { MastodonVersion, weightedSidekiqQueues } from "../versions";

export const DEFAULT_CLUSTER_CIDRS = ["10.42.0.0/16", "10.43.0.0/16"];
export const POSTGRES_IMAGE = "docker.io/library/postgres:17.6";
export const REDIS_IMAGE = "docker.io/library/redis:7.4.5";
/**
 * CloudNativePG's operand image ("system": it carries Barman Cloud, which the in-tree backups run), at the newest
 * PostgreSQL 17 that CloudNativePG's CI tests for the pinned operator (its .github/pg_versions.json).
 */
export const CLOUDNATIVEPG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:17.10-system-trixie";
/**
 * Canonical's official Squid image, the egress gateway's: the Ubuntu 24.04 LTS track (Squid 6 as noble ships it) at
 * its beta risk, the track's published one; Canonical's newer rock track (7.2-26.04, canonical/oci-factory) is
 * published at edge risk only, which Canonical does not mean for production.
 */
export const SQUID_IMAGE = "docker.io/ubuntu/squid:6.6-24.04_beta";
/**
 * The official OpenSearch image, 2.x: the series Mastodon's CI tests beside Elasticsearch 7 and 8 (Elasticsearch 7 is
 * past its end of life; OpenSearch 3 reports a wire version Mastodon's admin check refuses).
 */
export const OPENSEARCH_IMAGE = "docker.io/opensearchproject/opensearch:2.19.4";
/** OpenSearch's and Elasticsearch's HTTP port (ES_PORT's default). */
export const SEARCH_PORT = 9200;
/** The index Job's settings when not given: tootctl's own concurrency and batch size, a migration's deadline. */
export const SEARCH_DEPLOY_DEFAULTS = { concurrency: 5, batchSize: 100, activeDeadlineSeconds: 6 * 3600 };
/**
 * The official AWS CLI v2 image (Amazon Linux, with a shell and coreutils), which uploads dumps to S3-compatible
 * storage and downloads them back; its s3 commands are those of the awscli package the tests run.
 */
export const AWS_CLI_IMAGE = "docker.io/amazon/aws-cli:2.32.8";
/** The egress gateway's proxy port (Squid's customary one). */
export const GATEWAY_PORT = 3128;
/** Connections PostgreSQL keeps for superusers (superuser_reserved_connections). */
export const RESERVED_CONNECTIONS = 3;
/**
 * What CloudNativePG's instance manager and its metrics exporter hold on the primary: an allowance (the exact number
 * varies with the operator's work), counted out of max_connections.
 */
export const CLOUDNATIVEPG_CONNECTIONS = 3;
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
  // A Sentinel holds a few kilobytes of state: its process is most of it.
  redisSentinel: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
  egressGateway: { requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  /** PgBouncer holds little more than its connections. */
  pgbouncer: { requests: { cpu: "25m", memory: "32Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
  /** pg_dump streams rows: little memory whatever the database's size. */
  backup: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
  /** The AWS CLI (Python) with four 8 MiB parts in flight at most (backups.ts). */
  backupUpload: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
  /** tootctl loads Rails, as a migration does. */
  maintenance: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  /** The JVM heap is half the request (512 MiB); the rest, and the limit's headroom, hold direct buffers and metaspace. */
  search: { requests: { cpu: "100m", memory: "1Gi" }, limits: { cpu: "1", memory: "1536Mi" } },
  /** `tootctl search deploy` loads Rails, as a migration does. */
  searchDeploy: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "1Gi" } },
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
  "ES_ENABLED", "ES_HOST", "ES_PORT", "ES_USER", "ES_PASS", "ES_PREFIX", "ES_PRESET",
  // Redis Sentinel (redis.sentinel, redis.external.sentinels).
  "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_PORT",
];

/** The longest suffix the component appends to its name ("-db-migrate-post-1234abcd"). */
const LONGEST_SUFFIX = 25;
export const MAX_NAME_LENGTH = 63 - LONGEST_SUFFIX;
export const DEFAULT_BACKUP_DEADLINE_SECONDS = 3 * 3600;
export const DEFAULT_METRICS_NAMESPACE = "monitoring";

/** The one sidekiq worker group of an instance that names none: every queue, weighted as Mastodon's chart does. */
export function defaultWorkers(version: MastodonVersion) {
  return [{ name: "default", queues: weightedSidekiqQueues(version), concurrency: 10, replicas: 1, dbPool: undefined, resources: DEFAULT_RESOURCES.sidekiq }];
}
