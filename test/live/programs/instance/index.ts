/**
 * The live suite's program: examples/basic's one instance, with the inputs the simulated cluster
 * needs instead of the defaults that load the random and tls providers, which the Go module proxy
 * does not serve (see test/live/README.md): every secret is supplied (`secrets`, from the stack's
 * secret config, as a user who keeps their own would), and TLS comes from an existing cert-manager
 * CA ClusterIssuer (`tls.issuerName`), as with a MastodonPlatform. Everything else is the default.
 * Optional config: version, imageRepository, allowPublicEgress, egressGateway (true: the instance's own gateway),
 * scaling, search, redisSentinel, postgresql (a JSON object: the CloudNativePG journey) (the scenarios that change
 * them); backups, maintenance, admin, metrics (JSON objects, as the inputs take them) and the secret
 * adminPassword (the operations journey).
 */
import * as pulumi from "@pulumi/pulumi";
import { MastodonCluster, MastodonClusterArgs } from "../../../../provider";

const config = new pulumi.Config();
const secret = (key: string) => config.requireSecret(key);

export function liveInstance(name: string, domain: string): MastodonCluster {
  return new MastodonCluster(name, {
    domain,
    version: config.get("version"),
    imageRepository: config.get("imageRepository"),
    allowPublicEgress: config.getBoolean("allowPublicEgress"),
    egressGateway: config.getBoolean("egressGateway") ? { enabled: true } : undefined,
    postgresql: config.getObject<MastodonClusterArgs["postgresql"]>("postgresql"),
    // The scaling journey's processes, media and database (a JSON object).
    ...config.getObject<Pick<MastodonClusterArgs, "web" | "streaming" | "sidekiqWorkers" | "media" | "postgresql">>("scaling"),
    search: config.getBoolean("search") ? { enabled: true } : undefined,
    redis: config.getBoolean("redisSentinel") ? { sentinel: { enabled: true } } : undefined,
    backups: config.getObject("backups"),
    maintenance: config.getObject("maintenance"),
    admin: config.getObject("admin"),
    metrics: config.getObject("metrics"),
    tls: {
      issuerName: config.require("issuerName"),
      issuerKind: "ClusterIssuer",
      caCertificate: config.require("caCertificate"),
    },
    secrets: {
      secretKeyBase: secret("secretKeyBase"),
      otpSecret: secret("otpSecret"),
      vapidPrivateKey: secret("vapidPrivateKey"),
      vapidPublicKey: secret("vapidPublicKey"),
      activeRecordEncryptionPrimaryKey: secret("arPrimaryKey"),
      activeRecordEncryptionDeterministicKey: secret("arDeterministicKey"),
      activeRecordEncryptionKeyDerivationSalt: secret("arKeyDerivationSalt"),
      postgresqlPassword: secret("postgresqlPassword"),
      // Only CloudNativePG has a superuser Secret (elsewhere the input is refused).
      postgresqlSuperuserPassword: config.getObject<MastodonClusterArgs["postgresql"]>("postgresql")?.cloudNativePG ? secret("postgresqlSuperuserPassword") : undefined,
      redisPassword: secret("redisPassword"),
      adminPassword: config.getSecret("adminPassword"),
    },
  });
}

const social = liveInstance(config.get("name") ?? "social", config.require("domain"));

export const url = social.url;
export const namespace = social.namespace;
export const version = social.version;
export const tlsSecretName = social.tlsSecretName;
export const caCertificate = social.caCertificate;
export const adminPassword = social.adminPassword;
