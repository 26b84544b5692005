/**
 * PostgreSQL: an embedded single-server StatefulSet (official image) whose data lives on a claim
 * of its own, the address of an external server, or a CloudNativePG Cluster (cloudNativePg.ts); and where
 * Mastodon's processes and its migration Jobs connect in each case.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import type { BuildContext } from "./context";
import { DataServer, dataServer } from "./dataServer";
import { POSTGRES_UID, execProbe } from "./containers";

export const POSTGRES_PORT = 5432;
const DATA_DIR = "/var/lib/postgresql/data";

/** Where Mastodon's processes connect: the external server, CloudNativePG's pooler or primary, or the embedded server. */
export function postgresqlHost(config: MastodonConfig): pulumi.Input<string> {
  const cnpg = config.postgresql.cloudNativePG;
  if (cnpg) return cnpg.pooler ? cloudNativePgPoolerName(config.name) : cloudNativePgPrimaryService(config.name);
  return config.postgresql.external?.host ?? `${config.name}-postgresql`;
}

/** Where the migration Jobs connect: PostgreSQL itself, never a transaction pooler. */
export function postgresqlDirectHost(config: MastodonConfig): pulumi.Input<string> {
  const external = config.postgresql.external;
  if (config.postgresql.cloudNativePG) return cloudNativePgPrimaryService(config.name);
  return external ? (external.directHost ?? external.host) : postgresqlHost(config);
}

/** The CloudNativePG `Cluster`'s name; its instances' claims and Services derive from it. */
export function cloudNativePgClusterName(instance: string): string {
  return `${instance}-postgresql`;
}

/** The Service CloudNativePG points at the primary (read-write), port 5432. */
export function cloudNativePgPrimaryService(instance: string): string {
  return `${cloudNativePgClusterName(instance)}-rw`;
}

/** The `Pooler`'s name, which its Service (port 5432) takes; it must differ from every Cluster's. */
export function cloudNativePgPoolerName(instance: string): string {
  return `${instance}-pgbouncer`;
}

export function embeddedPostgresql(ctx: BuildContext, password: pulumi.Output<string>): DataServer {
  const pg = ctx.config.postgresql;
  const ready = ["pg_isready", "--host=127.0.0.1", `--port=${POSTGRES_PORT}`, "--username=mastodon"];
  return dataServer(ctx, {
    component: "postgresql",
    image: pg.image,
    port: POSTGRES_PORT,
    uid: POSTGRES_UID,
    password,
    resources: pg.resources,
    dataPath: DATA_DIR,
    storage: { size: pg.storageSize, storageClassName: pg.storageClassName },
    extraMounts: [{ name: "run", mountPath: "/var/run/postgresql" }],
    // A clean shutdown (a checkpoint) needs more than the default 30 s on a busy server.
    terminationGracePeriodSeconds: 120,
    container: (passwordRef) => ({
      args: ["-c", `max_connections=${pg.maxConnections}`],
      env: [
        { name: "POSTGRES_USER", value: "mastodon" },
        { name: "POSTGRES_PASSWORD", valueFrom: passwordRef },
        // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
        { name: "PGDATA", value: `${DATA_DIR}/pgdata` },
      ],
      // Start-up (initdb, or crash recovery replaying WAL) may take long: up to 15 minutes.
      startupProbe: execProbe(ready, 10, 90),
      readinessProbe: execProbe(ready, 5, 6),
      // Alive while it answers at all: pg_isready exits 1 while the server rejects connections
      // (recovering, shutting down), which is no reason to kill it; 2 means no answer.
      livenessProbe: execProbe(["sh", "-c", `${ready.join(" ")} --timeout=5; [ $? -le 1 ]`], 10, 6),
    }),
  });
}

/** The labels CloudNativePG puts on its pods (its docs' labels_annotations.md). */
export const CNPG_LABELS = { cluster: "cnpg.io/cluster", podRole: "cnpg.io/podRole", poolerName: "cnpg.io/poolerName" };

/** The PostgreSQL pods of the Cluster (and its bootstrap Jobs' pods), not its PgBouncer pods. */
export function cloudNativePgInstancePods(instance: string) {
  return {
    matchLabels: { [CNPG_LABELS.cluster]: cloudNativePgClusterName(instance) },
    matchExpressions: [{ key: CNPG_LABELS.podRole, operator: "NotIn", values: ["pooler"] }],
  };
}

/** The PgBouncer pods of the instance's Pooler. */
export function cloudNativePgPoolerPods(instance: string) {
  return { matchLabels: { [CNPG_LABELS.poolerName]: cloudNativePgPoolerName(instance) } };
}
