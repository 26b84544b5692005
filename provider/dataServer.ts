/**
 * The shape the embedded data servers share: a password Secret (when the server has one), an optional claim of
 * their own, a Service, and a one-replica StatefulSet running the official image as its non-root user.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResourceProfile } from "./args";
import { BuildContext, afterVersionCheck, childOpts } from "./context";
import { componentLabels, selectorLabels } from "./names";
import { containerResources, containerSecurityContext, podSecurityContext } from "./containers";
import { persistentVolumeClaim } from "./storage";

type Container = k8s.types.input.core.v1.Container;
type EnvVarSource = k8s.types.input.core.v1.EnvVarSource;

export interface DataServerSpec {
  component: "postgresql" | "redis" | "redis-cache" | "search";
  image: string;
  port: number;
  /** The image's own non-root user. */
  uid: number;
  /** The server's password, kept in a Secret of its own; none for a server without one. */
  password?: pulumi.Output<string>;
  resources: ResourceProfile;
  /** Where the data lives in the container. */
  dataPath: string;
  /** A claim of its own for the data, or an emptyDir when undefined. */
  storage?: { size: string; storageClassName?: string };
  /** The container's command, env and probes, given a reference to the password (undefined without one). */
  container: (password: EnvVarSource | undefined) => Omit<Container, "name" | "image" | "ports" | "resources" | "securityContext" | "volumeMounts">;
  extraMounts?: { name: string; mountPath: string }[];
  terminationGracePeriodSeconds?: number;
}

export interface DataServer {
  statefulSet: k8s.apps.v1.StatefulSet;
  service: k8s.core.v1.Service;
  data?: k8s.core.v1.PersistentVolumeClaim;
}

export function dataServer(ctx: BuildContext, spec: DataServerSpec): DataServer {
  const { name, namespace } = ctx;
  const fullName = `${name}-${spec.component}`;
  const labels = componentLabels(name, spec.component);
  const selector = selectorLabels(name, spec.component);

  const secret = spec.password && new k8s.core.v1.Secret(fullName, {
    metadata: { namespace, labels },
    type: "Opaque",
    stringData: { password: spec.password },
  }, childOpts(ctx));

  const data = spec.storage
    ? persistentVolumeClaim(ctx, { id: `${spec.component}-data`, component: spec.component, accessMode: "ReadWriteOnce", ...spec.storage })
    : undefined;

  const service = new k8s.core.v1.Service(fullName, {
    metadata: { name: fullName, namespace, labels },
    spec: { selector, ports: [{ name: spec.component, port: spec.port, targetPort: spec.component, protocol: "TCP" }] },
  }, childOpts(ctx));

  const extraMounts = spec.extraMounts ?? [];
  const statefulSet = new k8s.apps.v1.StatefulSet(fullName, {
    metadata: { name: fullName, namespace, labels },
    spec: {
      replicas: 1,
      serviceName: fullName,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          securityContext: podSecurityContext(spec.uid),
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
          containers: [{
            name: spec.component,
            // A new image (another major version) only once the record allows it.
            image: afterVersionCheck(ctx, spec.image),
            ...spec.container(secret && { secretKeyRef: { name: secret.metadata.name, key: "password" } }),
            ports: [{ name: spec.component, containerPort: spec.port, protocol: "TCP" }],
            resources: containerResources(spec.resources),
            securityContext: containerSecurityContext,
            volumeMounts: [{ name: "data", mountPath: spec.dataPath }, ...extraMounts],
          }],
          volumes: [
            data ? { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } } : { name: "data", emptyDir: {} },
            ...extraMounts.map((m) => ({ name: m.name, emptyDir: {} })),
          ],
        },
      },
    },
  }, childOpts(ctx));

  return { statefulSet, service, data };
}
