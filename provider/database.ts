/**
 * PostgreSQL: an embedded single-server StatefulSet (official image) whose data lives on a claim
 * of its own, or the address of an external server.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import { BuildContext, childOpts } from "./context";
import { componentLabels, selectorLabels } from "./names";
import { POSTGRES_UID, containerResources, containerSecurityContext, execProbe, podSecurityContext } from "./pod";
import { persistentVolumeClaim } from "./storage";

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

export interface EmbeddedPostgresql {
  statefulSet: k8s.apps.v1.StatefulSet;
  service: k8s.core.v1.Service;
  data: k8s.core.v1.PersistentVolumeClaim;
}

export function embeddedPostgresql(ctx: BuildContext, password: pulumi.Output<string>): EmbeddedPostgresql {
  const { name, namespace, config } = ctx;
  const pg = config.postgresql;
  const fullName = `${name}-postgresql`;
  const labels = componentLabels(name, "postgresql");
  const selector = selectorLabels(name, "postgresql");

  const secret = new k8s.core.v1.Secret(fullName, {
    metadata: { namespace, labels },
    type: "Opaque",
    stringData: { password },
  }, childOpts(ctx));

  const data = persistentVolumeClaim(ctx, {
    id: "postgresql-data",
    component: "postgresql",
    size: pg.storageSize,
    storageClassName: pg.storageClassName,
    accessMode: "ReadWriteOnce",
  });

  const service = new k8s.core.v1.Service(fullName, {
    metadata: { name: fullName, namespace, labels },
    spec: {
      selector,
      ports: [{ name: "postgresql", port: POSTGRES_PORT, targetPort: "postgresql", protocol: "TCP" }],
    },
  }, childOpts(ctx));

  const ready = ["pg_isready", "--host=127.0.0.1", `--port=${POSTGRES_PORT}`, "--username=mastodon"];
  const statefulSet = new k8s.apps.v1.StatefulSet(fullName, {
    metadata: { name: fullName, namespace, labels },
    spec: {
      replicas: 1,
      serviceName: fullName,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          securityContext: podSecurityContext(POSTGRES_UID),
          automountServiceAccountToken: false,
          // A clean shutdown (a checkpoint) needs more than the default 30 s on a busy server.
          terminationGracePeriodSeconds: 120,
          containers: [{
            name: "postgresql",
            image: pg.image,
            args: ["-c", `max_connections=${pg.maxConnections}`],
            env: [
              { name: "POSTGRES_USER", value: "mastodon" },
              { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "password" } } },
              // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
              { name: "PGDATA", value: `${DATA_DIR}/pgdata` },
            ],
            ports: [{ name: "postgresql", containerPort: POSTGRES_PORT, protocol: "TCP" }],
            readinessProbe: execProbe(ready, 5, 6, 5),
            livenessProbe: execProbe(ready, 10, 6, 30),
            resources: containerResources(pg.resources),
            securityContext: containerSecurityContext,
            volumeMounts: [
              { name: "data", mountPath: DATA_DIR },
              { name: "run", mountPath: "/var/run/postgresql" },
            ],
          }],
          volumes: [
            { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } },
            { name: "run", emptyDir: {} },
          ],
        },
      },
    },
  }, childOpts(ctx));

  return { statefulSet, service, data };
}
