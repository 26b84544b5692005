/**
 * MastodonCluster: a complete Mastodon instance on Kubernetes. Validates its args, builds the data
 * tier, the secrets, TLS, the network boundary, then the processes in Mastodon's rollout order
 * (migrations.ts), and the Traefik routes.
 */
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MastodonClusterArgs, parseArgs } from "./args";
import { cloudNativePgCluster } from "./cloudNativePg";
import { claimCertManager } from "./clusterWide";
import { BuildContext, childOpts } from "./context";
import { embeddedPostgresql } from "./database";
import { hostNames, traefikRoutes } from "./ingress";
import { restoreCommand, secretsExport } from "./backups";
import { metricsEnv } from "./metrics";
import { operations, rollout } from "./migrations";
import { componentLabels, instanceLabels } from "./names";
import { instanceEgressGateway } from "./egressGateway";
import { networkPolicies } from "./network";
import { cacheRedis, embeddedRedis } from "./redis";
import { sentinelRedis } from "./redisSentinel";
import { embeddedSearch, searchEnv } from "./search";
import { mastodonSecrets } from "./secrets";
import { mediaClaim } from "./storage";
import { installsCertManager, instanceTls } from "./tls";
import { versionRecord } from "./versionRecord";
import { mastodonImages } from "./versions";
import { mastodonEnv } from "./workloads/env";
import { MastodonRuntime } from "./workloads/mastodonPod";

/**
 * A complete Mastodon instance on Kubernetes: PostgreSQL (embedded, external or CloudNativePG) and Redis, the web,
 * streaming and sidekiq processes, the database migrations in Mastodon's order, a Traefik route
 * with TLS from cert-manager, and NetworkPolicies that keep its pods inside the cluster.
 */
export class MastodonCluster extends pulumi.ComponentResource {
  /** The instance's public URL (https://<web host>/). */
  public readonly url!: pulumi.Output<string>;
  /** The namespace every object of the instance lives in. */
  public readonly namespace!: pulumi.Output<string>;
  /** Name of the web Service (port 3000). */
  public readonly webServiceName!: pulumi.Output<string>;
  /** Name of the streaming Service (port 4000). */
  public readonly streamingServiceName!: pulumi.Output<string>;
  /** Name of the Secret holding the instance's TLS certificate. */
  public readonly tlsSecretName!: pulumi.Output<string>;
  /** The private CA certificate (PEM) the instance's pods trust; empty when no private CA is used. */
  public readonly caCertificate!: pulumi.Output<string>;
  /** The Mastodon version deployed. */
  public readonly version!: pulumi.Output<string>;
  /** The command that creates the first account, an approved Owner (replace "owner" and the email). */
  public readonly adminCommand!: pulumi.Output<string>;
  /** The password of the `admin` account (a Pulumi secret); empty without `admin`. */
  public readonly adminPassword!: pulumi.Output<string>;
  /** The command that starts a restore Job from the newest backup (docs/operations.md); empty without backups. */
  public readonly restoreCommand!: pulumi.Output<string>;
  /** The secrets a restored database needs, as JSON for the `secrets` input (a Pulumi secret; docs/operations.md). */
  public readonly secretsExport!: pulumi.Output<string>;

  constructor(name: string, args: MastodonClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before anything is registered: bad input creates nothing.
    const config = parseArgs(name, args);
    if (installsCertManager(config.tls)) claimCertManager(`MastodonCluster "${name}"`, "tls.installCertManager", config.tls.installCertManager, opts);
    super("mastodon:index:MastodonCluster", name, {}, opts);
    for (const warning of config.warnings) void pulumi.log.warn(warning, this);

    // Deleting a namespace deletes its volumes: a namespace we create is kept on destroy.
    const namespace = config.createNamespace
      ? new k8s.core.v1.Namespace(name, {
        metadata: {
          name: config.namespace,
          labels: {
            ...instanceLabels(name),
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        },
      // Deleting a namespace deletes its volumes: protected and retained like them.
      }, { parent: this, protect: true, retainOnDelete: true }).metadata.name
      : pulumi.output(config.namespace);
    // What the data were last deployed with, read back; nothing of the data tier or the processes changes
    // before the requested versions pass its checks.
    const record = versionRecord({ name, namespace, config, opts: { parent: this } });
    const ctx: BuildContext = { name, namespace, config, opts: { parent: this }, versionsChecked: record.checked };

    // Data tier and secrets: nothing here depends on the version.
    const secrets = mastodonSecrets(name, config, this);
    const postgresql = config.postgresql.embedded ? embeddedPostgresql(ctx, secrets.postgresqlPassword) : undefined;
    const cloudNativePg = config.postgresql.cloudNativePG ? cloudNativePgCluster(ctx, secrets.postgresqlPassword, secrets.postgresqlSuperuserPassword!) : undefined;
    const redis = !config.redis.embedded ? undefined
      : config.redis.sentinel ? sentinelRedis(ctx, secrets.redisPassword!) : embeddedRedis(ctx, secrets.redisPassword!);
    const redisCache = secrets.redisCachePassword ? cacheRedis(ctx, secrets.redisCachePassword) : undefined;
    const media = mediaClaim(ctx);
    // The search server is not awaited by the rollout (Mastodon runs without it): only its index Job waits for it.
    const searchServer = config.search.embedded ? embeddedSearch(ctx) : undefined;

    // TLS, and the private CA the pods trust.
    const tls = instanceTls(ctx, hostNames(ctx));
    const caTrust = tls.caCertificate
      ? new k8s.core.v1.ConfigMap(`${name}-ca-trust`, {
        metadata: { namespace, labels: instanceLabels(name) },
        data: { "ca.crt": tls.caCertificate },
      }, childOpts(ctx))
      : undefined;

    // The environment: auto-named objects, so a change creates new ones before the old go.
    const env = mastodonEnv(config, secrets, caTrust !== undefined);
    Object.assign(env.config, metricsEnv(config));
    const search = searchEnv(config);
    Object.assign(env.config, search.config);
    Object.assign(env.secret, search.secret);
    const envConfig = new k8s.core.v1.ConfigMap(`${name}-env`, {
      metadata: { namespace, labels: componentLabels(name, "web") },
      data: env.config,
    }, childOpts(ctx));
    const envSecret = new k8s.core.v1.Secret(`${name}-env`, {
      metadata: { namespace, labels: componentLabels(name, "web") },
      type: "Opaque",
      stringData: env.secret,
    }, childOpts(ctx));

    const images = mastodonImages(config.version, config.imageRepository, config.streamingImageRepository);
    const runtime: MastodonRuntime = {
      image: images.mastodon,
      configMapName: envConfig.metadata.name,
      secretName: envSecret.metadata.name,
      configHash: pulumi.all([configHash(env.config, env.secret, tls.caCertificate), record.checked]).apply(([hash]) => hash),
      caConfigMapName: caTrust?.metadata.name,
      mediaClaimName: media?.metadata.name,
      mediaOnOneNode: config.media.accessMode === "ReadWriteOnce",
    };

    // The network boundary exists before any Mastodon pod starts.
    const policies = networkPolicies(ctx);
    const gateway = config.egressGateway?.own ? instanceEgressGateway(ctx) : undefined;

    // Mastodon's order: data ready → pre-migration → rollout → post-migration.
    const dataReady: pulumi.Resource[] = [
      ...(postgresql ? [postgresql.statefulSet, postgresql.service] : []),
      ...(cloudNativePg ? [cloudNativePg.cluster, ...(cloudNativePg.pooler ? [cloudNativePg.pooler] : []), ...cloudNativePg.policies] : []),
      ...(redis ? [redis.statefulSet, redis.service] : []),
      ...(redisCache ? [redisCache.statefulSet, redisCache.service] : []),
      ...policies,
      // Federation starts with a gateway that is up (and its boundary in place).
      ...(gateway ? [gateway.networkPolicy, gateway.deployment, gateway.service] : []),
    ];
    const processes = rollout(ctx, runtime, dataReady);
    record.write([processes.postMigrationJob, ...dataReady]);
    const ops = operations(ctx, runtime, postgresql ? [postgresql.statefulSet, postgresql.service] : undefined, processes,
      searchServer ? [searchServer.statefulSet, searchServer.service] : []);

    traefikRoutes(ctx, {
      webService: processes.web.service.metadata.name,
      streamingService: processes.streaming.service.metadata.name,
      tlsSecretName: tls.secretName,
    }, tls.certificate ? [tls.certificate] : []);

    const webHost = config.webDomain ?? config.domain;
    this.url = pulumi.interpolate`https://${webHost}/`;
    this.namespace = pulumi.output(namespace);
    this.webServiceName = processes.web.service.metadata.name;
    this.streamingServiceName = processes.streaming.service.metadata.name;
    this.tlsSecretName = pulumi.output(tls.secretName);
    this.caCertificate = tls.caCertificate ?? pulumi.output("");
    this.version = pulumi.output(config.version.tag);
    this.adminCommand = pulumi.interpolate`kubectl --namespace ${namespace} exec deployment/${processes.web.deployment.metadata.name} -- sh -c 'tootctl accounts create owner --email owner@${config.domain} --confirmed --role Owner && tootctl accounts approve owner'`;
    this.adminPassword = ops.admin ? ops.admin.password : pulumi.secret("");
    this.restoreCommand = ops.backups ? restoreCommand(name, namespace) : pulumi.output("");
    this.secretsExport = secretsExport(secrets, {
      postgresql: config.postgresql.external === undefined,
      postgresqlSuperuser: config.postgresql.cloudNativePG !== undefined,
      redis: config.redis.embedded,
    });
    this.registerOutputs({
      url: this.url,
      namespace: this.namespace,
      webServiceName: this.webServiceName,
      streamingServiceName: this.streamingServiceName,
      tlsSecretName: this.tlsSecretName,
      caCertificate: this.caCertificate,
      version: this.version,
      adminCommand: this.adminCommand,
      adminPassword: this.adminPassword,
      restoreCommand: this.restoreCommand,
      secretsExport: this.secretsExport,
    });
  }
}

/**
 * A digest of everything the processes read at start, so pods restart when any of it changes. It
 * is not kept secret: it always covers the 512-bit SECRET_KEY_BASE, so it reveals nothing of the
 * secrets, and `pulumi preview --diff` can show that it changed.
 */
function configHash(config: Record<string, pulumi.Input<string>>, secret: Record<string, pulumi.Output<string>>, ca?: pulumi.Output<string>) {
  return pulumi.unsecret(pulumi.all([config, secret, ca ?? ""]).apply(([c, s, a]) => {
    const sorted = (m: Record<string, string>) => Object.keys(m).sort().map((k) => `${k}=${m[k]}`).join("\n");
    return crypto.createHash("sha256").update(`${sorted(c)}\n--\n${sorted(s)}\n--\n${a}`).digest("hex");
  }));
}
