/**
 * PostgreSQL: an embedded single-server StatefulSet (official image) whose data lives on a claim
 * of its own, or the address of an external server.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import type { BuildContext } from "./context";
import { DataServer, dataServer } from "./dataServer";
import { POSTGRES_UID, execProbe } from "./containers";

export const POSTGRES_PORT = 5432;
const DATA_DIR = "/var/lib/postgresql/data";

export function postgresqlHost(config: MastodonConfig): pulumi.Input<string> {
  return config.postgresql.external?.host ?? `${config.name}-postgresql`;
}

/** Where the migration Jobs connect: PostgreSQL itself, never a transaction pooler. */
export function postgresqlDirectHost(config: MastodonConfig): pulumi.Input<string> {
  const external = config.postgresql.external;
  return external ? (external.directHost ?? external.host) : postgresqlHost(config);
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
