/**
 * The one environment builder: what every Mastodon process (web, streaming, sidekiq, the Jobs)
 * reads, split into a ConfigMap (plain settings) and a Secret (credentials), plus the few
 * variables that differ per process.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "../args";
import type { InstanceSecrets } from "../secrets";
import { postgresqlHost } from "../database";
import { REDIS_PORT, redisCacheHost, redisHost } from "../redis";
import { sentinelEndpoints, sentinelsVariable } from "../redisSentinel";

/** Where the CA bundle is mounted in Mastodon pods (see mastodonPod.ts). */
export const CA_DIR = "/etc/mastodon-ca";
/** The private CA alone, for Node (added to its own bundle). */
export const CA_FILE = `${CA_DIR}/ca.crt`;
/** The system bundle plus the private CA, built by an init container, for Ruby's OpenSSL. */
export const CA_BUNDLE_DIR = "/opt/mastodon/tmp/ca";
export const CA_BUNDLE_FILE = `${CA_BUNDLE_DIR}/ca-certificates.crt`;

export type EnvMap = Record<string, pulumi.Input<string>>;

export interface MastodonEnv {
  /** Plain settings, for a ConfigMap. */
  config: EnvMap;
  /** Credentials, for a Secret; every value is a Pulumi secret. */
  secret: Record<string, pulumi.Output<string>>;
}

/** The system bundle of Mastodon's images (Debian), which libpq does not read unless told. */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Where Mastodon listens (BIND): every IPv4 address, or every IPv6 one (and IPv4, dual-stack) on an IPv6-only cluster. */
export function bindAddress(clusterCidrs: string[]): "0.0.0.0" | "::" {
  return clusterCidrs.every((c) => c.includes(":")) ? "::" : "0.0.0.0";
}

/**
 * The proxies whose X-Forwarded-For Rails and the streaming server trust (TRUSTED_PROXY_IP): loopback and the
 * cluster's ranges, where the ingress controller's pods live (the NetworkPolicies let only those reach web and
 * streaming). Without it Rails trusts the private ranges only: on a cluster whose pods live elsewhere (e.g.
 * 100.64.0.0/10) every request would seem to come from the ingress controller, one address for all rate limits.
 */
export function trustedProxies(clusterCidrs: string[]): string {
  return ["127.0.0.0/8", "::1/128", ...clusterCidrs].join(",");
}

/** The environment shared by every Mastodon process. */
export function mastodonEnv(config: MastodonConfig, secrets: InstanceSecrets, trustsPrivateCa: boolean): MastodonEnv {
  const env: EnvMap = {
    LOCAL_DOMAIN: config.domain,
    RAILS_ENV: "production",
    NODE_ENV: "production",
    RAILS_LOG_LEVEL: "warn",
    // No nginx in front: puma serves assets and local media itself.
    RAILS_SERVE_STATIC_FILES: "true",
    BIND: bindAddress(config.clusterCidrs),
    TRUSTED_PROXY_IP: trustedProxies(config.clusterCidrs),
    DB_HOST: postgresqlHost(config),
    DB_PORT: String(config.postgresql.external?.port ?? 5432),
    DB_NAME: config.postgresql.external?.database ?? "mastodon_production",
    DB_USER: config.postgresql.external?.user ?? "mastodon",
    // Transaction pooling (a CloudNativePG Pooler) cannot keep a session's prepared statements.
    PREPARED_STATEMENTS: String(config.postgresql.external?.preparedStatements ?? config.postgresql.cloudNativePG?.pooler === undefined),
  };
  const sentinel = sentinelEndpoints(config);
  if (sentinel) {
    // The sentinels name the master at each connection (Mastodon 4.3+): no REDIS_HOST, and never REDIS_URL, which
    // would win over them. The sentinels' password falls back to REDIS_PASSWORD in Ruby and in streaming.
    env.REDIS_SENTINELS = sentinelsVariable(sentinel.sentinels);
    env.REDIS_SENTINEL_MASTER = sentinel.masterName;
  } else {
    env.REDIS_HOST = redisHost(config);
    env.REDIS_PORT = String(config.redis.external?.port ?? 6379);
  }
  const gateway = config.egressGateway;
  if (gateway) {
    // Mastodon's HTTP client (app/lib/request.rb) reads the lowercase http_proxy alone, for every request, with no
    // exception list, and skips its own private-address check for it: the gateway refuses private destinations
    // instead. https_proxy and no_proxy are for the libraries that read the usual variables (Net::HTTP, Faraday);
    // in-cluster names and ranges stay direct for them. SMTP and S3 never use a proxy.
    Object.assign(env, {
      http_proxy: gateway.proxyUrl,
      https_proxy: gateway.proxyUrl,
      no_proxy: noProxy(config),
    });
  } else if (config.ingress.controllerAddresses !== undefined) {
    // Mastodon's HTTP client (Request::Socket) refuses a private, loopback or link-local resolved address unless
    // listed here; nothing else it connects to is checked (SMTP, S3, PostgreSQL and Redis have clients of their
    // own). So only where the cluster's other instances resolve: the ingress controller's Service.
    const addresses = config.ingress.controllerAddresses;
    env.ALLOWED_PRIVATE_ADDRESSES = Array.isArray(addresses) ? addresses.join(",") : pulumi.output(addresses).apply((resolved) => resolved.join(","));
  }
  if (config.webDomain !== undefined) env.WEB_DOMAIN = config.webDomain;
  // Left unset for prefer and allow: Rails then negotiates as libpq does, while the streaming server
  // (node-postgres) would read any value but disable and no-verify as "TLS required, certificate verified".
  const sslMode = config.postgresql.external?.sslMode;
  if (sslMode !== undefined && sslMode !== "prefer" && sslMode !== "allow") env.DB_SSLMODE = sslMode;
  // libpq verifies the server against ~/.postgresql/root.crt only (SSL_CERT_FILE is OpenSSL's, not libpq's):
  // give it the bundle that holds the instance's CA, or the system one. The streaming server (Node) trusts
  // NODE_EXTRA_CA_CERTS.
  if (sslMode === "verify-ca" || sslMode === "verify-full") env.PGSSLROOTCERT = trustsPrivateCa ? CA_BUNDLE_FILE : SYSTEM_CA_BUNDLE;
  // The update check polls api.joinmastodon.org; with egress closed it can only fail.
  if (!config.allowPublicEgress && !gateway) env.UPDATE_CHECK_URL = "";

  const secret: Record<string, pulumi.Output<string>> = {
    SECRET_KEY_BASE: secrets.secretKeyBase,
    VAPID_PRIVATE_KEY: secrets.vapidPrivateKey,
    VAPID_PUBLIC_KEY: secrets.vapidPublicKey,
    ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY: secrets.activeRecordEncryptionPrimaryKey,
    ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY: secrets.activeRecordEncryptionDeterministicKey,
    ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT: secrets.activeRecordEncryptionKeyDerivationSalt,
    DB_PASS: secrets.postgresqlPassword,
    // Read by 4.3's post-deployment migration that moves 2FA secrets, which is still pending when
    // an instance jumps from before 4.3; unused otherwise from 4.4. Kept for every version, so
    // that crossing 4.4 neither breaks that migration nor replaces the Secret.
    OTP_SECRET: secrets.otpSecret,
  };
  if (secrets.redisPassword) secret.REDIS_PASSWORD = secrets.redisPassword;
  const cacheHost = redisCacheHost(config);
  if (cacheHost !== undefined && secrets.redisCachePassword) {
    Object.assign(env, { CACHE_REDIS_HOST: cacheHost, CACHE_REDIS_PORT: String(REDIS_PORT) });
    secret.CACHE_REDIS_PASSWORD = secrets.redisCachePassword;
  }

  const s3 = config.media.s3;
  if (s3) {
    Object.assign(env, {
      S3_ENABLED: "true",
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_PROTOCOL: s3PublicProtocol(s3.endpoint, s3.aliasHost, [config.domain, ...(config.webDomain === undefined ? [] : [config.webDomain])]),
      S3_HOSTNAME: new URL(s3.endpoint).host,
    });
    if (s3.aliasHost) env.S3_ALIAS_HOST = s3.aliasHost;
    secret.AWS_ACCESS_KEY_ID = pulumi.secret(s3.accessKeyId);
    secret.AWS_SECRET_ACCESS_KEY = pulumi.secret(s3.secretAccessKey);
  }

  const smtp = config.smtp;
  if (smtp) {
    Object.assign(env, {
      SMTP_SERVER: smtp.server,
      SMTP_PORT: String(smtp.port),
      SMTP_FROM_ADDRESS: smtp.fromAddress ?? pulumi.interpolate`notifications@${config.domain}`,
      SMTP_ENABLE_STARTTLS: smtp.starttls,
    });
    if (smtp.login !== undefined) env.SMTP_LOGIN = smtp.login;
    // Mastodon gives ActionMailer a CA file of its own (SMTP_CA_FILE, the system bundle by default), which
    // SSL_CERT_FILE does not change: STARTTLS to a server signed by the instance's CA needs the joined bundle.
    if (trustsPrivateCa) env.SMTP_CA_FILE = CA_BUNDLE_FILE;
    if (smtp.password !== undefined) secret.SMTP_PASSWORD = pulumi.secret(smtp.password);
  }

  if (trustsPrivateCa) {
    env.SSL_CERT_FILE = CA_BUNDLE_FILE;
    env.NODE_EXTRA_CA_CERTS = CA_FILE;
  }

  Object.assign(env, config.extraEnv);
  return { config: env, secret };
}

/**
 * The scheme of public media URLs (S3_PROTOCOL): Mastodon builds them from it and S3_ALIAS_HOST, and reaches the
 * bucket through S3_ENDPOINT whatever this says. Media served through an alias host (a proxy, a CDN, the
 * instance's own Traefik) are served over HTTPS like the site: an http:// in-cluster endpoint must not make them
 * http:// (mixed content, refused by browsers, apps and other servers). Without an alias, browsers fetch from the
 * endpoint itself, in its own scheme.
 */
export function s3PublicProtocol(endpoint: string, aliasHost: string | undefined, instanceHosts: pulumi.Input<string>[] = []): "http" | "https" {
  if (aliasHost !== undefined) return "https";
  const url = new URL(endpoint);
  // An endpoint on the instance's own host name is served through its HTTPS route.
  if (instanceHosts.includes(url.hostname)) return "https";
  return url.protocol === "http:" ? "http" : "https";
}

/** What the usual proxy variables' users reach directly: loopback, in-cluster names and ranges, mail and S3. */
export function noProxy(config: Pick<MastodonConfig, "clusterCidrs" | "smtp" | "media">): string {
  const hosts = ["localhost", "127.0.0.1", "::1", ".svc", ".svc.cluster.local", ...config.clusterCidrs];
  if (config.smtp) hosts.push(config.smtp.server);
  if (config.media.s3) hosts.push(new URL(config.media.s3.endpoint).hostname);
  return [...new Set(hosts)].join(",");
}

/** Per-process variables, as container `env` entries. */
export function processEnv(vars: Record<string, string | number | boolean>) {
  return Object.entries(vars).map(([name, value]) => ({ name, value: String(value) }));
}
