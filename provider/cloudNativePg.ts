/**
 * PostgreSQL run by the CloudNativePG operator (postgresql.cnpg.io/v1), which the cluster must have (a
 * MastodonPlatform's `installCloudNativePG`, or the user's own):
 *
 *   - `${name}-postgresql`, a `Cluster`: `instances` PostgreSQL pods (one primary, streaming replicas, automatic
 *     failover; CloudNativePG makes their PodDisruptionBudgets), each on a claim of its own, max_connections from the
 *     connection budget, the database `mastodon_production` owned by `mastodon` whose password is the instance's
 *     stable `postgresqlPassword` (the `-app` Secret, kubernetes.io/basic-auth). The superuser `postgres` keeps no
 *     password (CloudNativePG's default: administer through `kubectl exec` on the primary) unless `superuserAccess`
 *     is set: then the Cluster names as its `superuserSecret` the `-superuser` Secret (kubernetes.io/basic-auth,
 *     `postgres` and the stable `postgresqlSuperuserPassword`), which exists either way so that the password
 *     outlives a switch of access off and on. The object is protected and
 *     retained, and nothing in it depends on Mastodon's version. The engine waits for its Ready condition, so the
 *     pre-deployment migration starts on a running primary.
 *   - `${name}-pgbouncer`, an optional `Pooler` (PgBouncer, transaction mode) in front of the primary, whose Service
 *     of the same name web, streaming, sidekiq and the CronJobs use; the migration Jobs go to `${name}-postgresql-rw`.
 *   - with `backup`: the WAL archived continuously and a `ScheduledBackup` of base backups to object storage, through
 *     the in-tree Barman Cloud support (barmanObjectStore). CloudNativePG deprecates it since 1.26 in favour of its
 *     Barman Cloud plugin, which however needs a second operator (and cert-manager) in cnpg-system; the in-tree
 *     support works through 1.30 and moves to the plugin without touching the data (docs/high-availability.md).
 *   - the NetworkPolicies of the PostgreSQL and PgBouncer pods (`cloudNativePgNetworkPolicySpecs`).
 *
 * Without CloudNativePG's CRDs the Kubernetes provider refuses the Cluster ("the apiVersion for this resource does
 * not exist. Verify that any required CRDs have been created"), before any Mastodon process is created.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import { BuildContext, afterVersionCheck, childOpts } from "./context";
import { containerResources } from "./containers";
import {
  POSTGRES_PORT, cloudNativePgClusterName, cloudNativePgInstancePods, cloudNativePgPoolerName, cloudNativePgPoolerPods,
} from "./database";
import { EMBEDDED_DATABASE, EMBEDDED_USER } from "./backups";
import { componentLabels, instanceLabels, MASTODON_COMPONENTS } from "./names";
import { addressedServerPeers, dnsEgress, endpointPort, selectComponents } from "./network";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

export const CNPG_API_VERSION = "postgresql.cnpg.io/v1";
/** The instance manager's status endpoint on every PostgreSQL pod, which the operator and the peers call. */
export const INSTANCE_MANAGER_PORT = 8000;
/** The labels of the operator's pods (its chart's and its release manifest's). */
export const CNPG_OPERATOR_POD_LABELS = { "app.kubernetes.io/name": "cloudnative-pg" };
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** Keys of the backup credentials Secret. */
const BACKUP_KEYS = { accessKeyId: "ACCESS_KEY_ID", secretAccessKey: "ACCESS_SECRET_KEY" };
/** PostgreSQL's superuser, which CloudNativePG's superuserSecret must name. */
const SUPERUSER = "postgres";

export interface CloudNativePgParts {
  cluster: k8s.apiextensions.CustomResource;
  pooler?: k8s.apiextensions.CustomResource;
  scheduledBackup?: k8s.apiextensions.CustomResource;
  appSecret: k8s.core.v1.Secret;
  superuserSecret: k8s.core.v1.Secret;
  policies: k8s.networking.v1.NetworkPolicy[];
}

/**
 * The Cluster's spec: pure, so tests read it directly. `secrets` names the Secrets: the owner's credentials, the
 * superuser's (named only with `superuserAccess`), the object store's.
 */
export function cloudNativePgClusterSpec(config: MastodonConfig, secrets: { app: pulumi.Input<string>; superuser: pulumi.Input<string>; backup?: pulumi.Input<string> }) {
  const pg = config.postgresql;
  const cnpg = pg.cloudNativePG!;
  const backup = cnpg.backup;
  const backupSecretName = secrets.backup;
  return {
    instances: cnpg.instances,
    imageName: pg.image,
    postgresql: { parameters: { max_connections: String(pg.maxConnections) } },
    bootstrap: { initdb: { database: EMBEDDED_DATABASE, owner: EMBEDDED_USER, secret: { name: secrets.app } } },
    // Off, CloudNativePG sets the superuser's password to NULL (and would ignore a superuserSecret).
    enableSuperuserAccess: cnpg.superuserAccess,
    ...(cnpg.superuserAccess ? { superuserSecret: { name: secrets.superuser } } : {}),
    storage: { size: pg.storageSize, ...(pg.storageClassName ? { storageClass: pg.storageClassName } : {}) },
    resources: containerResources(pg.resources),
    // Replicas on other nodes than the primary when the cluster has them.
    affinity: { enablePodAntiAffinity: true, topologyKey: "kubernetes.io/hostname", podAntiAffinityType: "preferred" },
    ...(backup && backupSecretName ? {
      backup: {
        retentionPolicy: backup.retention,
        barmanObjectStore: {
          destinationPath: backup.destinationPath,
          ...(backup.endpointUrl ? { endpointURL: backup.endpointUrl } : {}),
          s3Credentials: {
            accessKeyId: { name: backupSecretName, key: BACKUP_KEYS.accessKeyId },
            secretAccessKey: { name: backupSecretName, key: BACKUP_KEYS.secretAccessKey },
          },
          wal: { compression: "gzip" },
          data: { compression: "gzip" },
        },
      },
    } : {}),
  };
}

/** The Pooler's spec: transaction pooling, pools sized from max_connections (args/rules.ts, poolerSizing). */
export function cloudNativePgPoolerSpec(config: MastodonConfig) {
  const pooler = config.postgresql.cloudNativePG!.pooler!;
  return {
    cluster: { name: cloudNativePgClusterName(config.name) },
    instances: pooler.instances,
    type: "rw",
    pgbouncer: {
      poolMode: "transaction",
      parameters: {
        default_pool_size: String(pooler.defaultPoolSize),
        max_db_connections: String(pooler.defaultPoolSize),
        max_client_conn: String(pooler.maxClientConn),
      },
    },
    // Only the container's resources: CloudNativePG labels the pods (cnpg.io/poolerName) and fills in the rest.
    template: { spec: { containers: [{ name: "pgbouncer", resources: containerResources(pooler.resources) }] } },
  };
}

/** The NetworkPolicy specs of the PostgreSQL and PgBouncer pods, by name suffix. */
export function cloudNativePgNetworkPolicySpecs(config: MastodonConfig): Record<string, NetworkPolicySpec> {
  const name = config.name;
  const cnpg = config.postgresql.cloudNativePG!;
  const instances = { podSelector: cloudNativePgInstancePods(name) };
  const poolers = { podSelector: cloudNativePgPoolerPods(name) };
  const operator: Peer = {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: cnpg.operatorNamespace } },
    podSelector: { matchLabels: CNPG_OPERATOR_POD_LABELS },
  };
  const apiServer = { to: cnpg.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })) };
  const postgres = [{ protocol: "TCP", port: POSTGRES_PORT }];
  const instanceManager = [...postgres, { protocol: "TCP", port: INSTANCE_MANAGER_PORT }];
  // Behind a pooler only the migration Jobs connect directly.
  const clients = { podSelector: selectComponents(name, cnpg.pooler ? ["db-migrate"] : MASTODON_COMPONENTS) };
  const backupEgress = cnpg.backup?.endpointUrl
    ? [{ to: addressedServerPeers(new URL(cnpg.backup.endpointUrl).hostname.replace(/^\[|\]$/g, ""), config.namespace), ports: [{ protocol: "TCP", port: endpointPort(cnpg.backup.endpointUrl) }] }]
    : cnpg.backup ? [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }], ports: [{ protocol: "TCP", port: 443 }] }] : [];
  const specs: Record<string, NetworkPolicySpec> = {
    postgresql: {
      podSelector: cloudNativePgInstancePods(name),
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { from: [instances, operator], ports: instanceManager },
        { from: [clients, ...(cnpg.pooler ? [poolers] : [])], ports: postgres },
      ],
      egress: [dnsEgress(config.dns), { to: [instances], ports: instanceManager }, apiServer, ...backupEgress],
    },
  };
  if (cnpg.pooler) {
    specs.pgbouncer = {
      podSelector: cloudNativePgPoolerPods(name),
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: selectComponents(name, MASTODON_COMPONENTS) }], ports: postgres }],
      egress: [dnsEgress(config.dns), { to: [instances], ports: postgres }, apiServer],
    };
  }
  return specs;
}

/** The Cluster, its Secrets, the optional Pooler and ScheduledBackup, and their NetworkPolicies. */
export function cloudNativePgCluster(ctx: BuildContext, password: pulumi.Output<string>, superuserPassword: pulumi.Output<string>): CloudNativePgParts {
  const { name, namespace, config } = ctx;
  const cnpg = config.postgresql.cloudNativePG!;
  const clusterName = cloudNativePgClusterName(name);
  const labels = componentLabels(name, "postgresql");
  // Kept with the retained Cluster, which reads them again (a new replica, a password change).
  const kept = { retainOnDelete: true };

  const policies = Object.entries(cloudNativePgNetworkPolicySpecs(config)).map(([id, spec]) => new k8s.networking.v1.NetworkPolicy(`${name}-${id}`, {
    metadata: { name: `${name}-${id}`, namespace, labels: instanceLabels(name) },
    spec,
  }, childOpts(ctx)));

  // The owner's credentials, as CloudNativePG reads them: kubernetes.io/basic-auth, username = the owner.
  const appSecret = new k8s.core.v1.Secret(`${clusterName}-app`, {
    metadata: { name: `${clusterName}-app`, namespace, labels },
    type: "kubernetes.io/basic-auth",
    stringData: { username: EMBEDDED_USER, password: pulumi.secret(password) },
  }, childOpts(ctx, kept));
  // The superuser's, as CloudNativePG reads it: username `postgres`. It exists whatever `superuserAccess` says, and is
  // kept like the owner's: the Cluster names it only while access is on (CloudNativePG ignores it otherwise and sets
  // the superuser's password to NULL), so switching access on and off only changes the Cluster, the password stays
  // the same, and no copy left behind blocks a later creation (the provider refuses to create an object that exists;
  // CloudNativePG deletes only the superuser Secrets it made itself, which carry its owner reference).
  const superuserSecret = new k8s.core.v1.Secret(`${clusterName}-superuser`, {
    metadata: { name: `${clusterName}-superuser`, namespace, labels },
    type: "kubernetes.io/basic-auth",
    stringData: { username: SUPERUSER, password: pulumi.secret(superuserPassword) },
  }, childOpts(ctx, kept));
  const backupSecret = cnpg.backup ? new k8s.core.v1.Secret(`${clusterName}-backup`, {
    metadata: { name: `${clusterName}-backup`, namespace, labels },
    type: "Opaque",
    stringData: {
      [BACKUP_KEYS.accessKeyId]: pulumi.secret(cnpg.backup.accessKeyId),
      [BACKUP_KEYS.secretAccessKey]: pulumi.secret(cnpg.backup.secretAccessKey),
    },
  }, childOpts(ctx, kept)) : undefined;

  const spec = cloudNativePgClusterSpec(config, { app: appSecret.metadata.name, superuser: superuserSecret.metadata.name, backup: backupSecret?.metadata.name });
  const cluster = new k8s.apiextensions.CustomResource(clusterName, {
    apiVersion: CNPG_API_VERSION,
    kind: "Cluster",
    metadata: {
      name: clusterName,
      namespace,
      labels,
      // The engine waits until the primary accepts connections (`kubectl wait --for=condition=Ready cluster/...`).
      annotations: { "pulumi.com/waitFor": "condition=Ready" },
    },
    // Another image (a PostgreSQL update) only once the version record allows the change.
    spec: { ...spec, imageName: afterVersionCheck(ctx, spec.imageName) },
  }, childOpts(ctx, {
    dependsOn: [...policies, appSecret, superuserSecret, ...(backupSecret ? [backupSecret] : [])],
    // The data: never replaced nor deleted by the engine; kept in the cluster if the stack goes.
    protect: true,
    retainOnDelete: true,
    // initdb, then each replica cloned from the primary.
    customTimeouts: { create: "30m", update: "30m" },
  }));

  const pooler = cnpg.pooler ? new k8s.apiextensions.CustomResource(cloudNativePgPoolerName(name), {
    apiVersion: CNPG_API_VERSION,
    kind: "Pooler",
    metadata: { name: cloudNativePgPoolerName(name), namespace, labels: componentLabels(name, "pgbouncer") },
    spec: cloudNativePgPoolerSpec(config),
  }, childOpts(ctx, { dependsOn: [cluster, ...policies] })) : undefined;

  const scheduledBackup = cnpg.backup ? new k8s.apiextensions.CustomResource(clusterName, {
    apiVersion: CNPG_API_VERSION,
    kind: "ScheduledBackup",
    metadata: { name: clusterName, namespace, labels },
    spec: {
      schedule: cnpg.backup.schedule,
      cluster: { name: clusterName },
      method: "barmanObjectStore",
      // A base backup at once: the WAL archive is useless without one.
      immediate: true,
      backupOwnerReference: "self",
    },
  }, childOpts(ctx, { dependsOn: [cluster] })) : undefined;

  return { cluster, pooler, scheduledBackup, appSecret, superuserSecret, policies };
}
