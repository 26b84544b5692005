/**
 * Volumes that hold data: each a PersistentVolumeClaim of its own (never a StatefulSet template,
 * which cannot grow and would be replaced), free of every input a version, size or replica change
 * touches, `protect`ed (the engine refuses to replace or delete it: a change of namespace, name,
 * storage class or access mode fails at preview instead of starting the instance on an empty
 * claim) and `retainOnDelete` (should it be unprotected and deleted, the claim stays in the cluster).
 */
import * as k8s from "@pulumi/kubernetes";
import { BuildContext, childOpts } from "./context";
import { Component, componentLabels } from "./names";

export interface ClaimSpec {
  /** Suffix of the claim's name: `${name}-${id}`. */
  id: string;
  component: Component;
  size: string;
  storageClassName?: string;
  accessMode: string;
  /** The claim's name when a StatefulSet's claim template must find it: `${name}-${id}` otherwise. */
  claimName?: string;
}

export function persistentVolumeClaim(ctx: BuildContext, spec: ClaimSpec): k8s.core.v1.PersistentVolumeClaim {
  const name = `${ctx.name}-${spec.id}`;
  return new k8s.core.v1.PersistentVolumeClaim(
    name,
    {
      metadata: { name: spec.claimName ?? name, namespace: ctx.namespace, labels: componentLabels(ctx.name, spec.component) },
      spec: {
        accessModes: [spec.accessMode],
        storageClassName: spec.storageClassName,
        resources: { requests: { storage: spec.size } },
      },
    },
    // A claim on a WaitForFirstConsumer class (k3s local-path) is Pending until a pod mounts it;
    // @pulumi/kubernetes counts that as ready, so the pod that mounts it can be created.
    childOpts(ctx, { protect: true, retainOnDelete: true }),
  );
}

export const MEDIA_MOUNT_PATH = "/opt/mastodon/public/system";

/** The media volume (public/system), unless media go to object storage. */
export function mediaClaim(ctx: BuildContext): k8s.core.v1.PersistentVolumeClaim | undefined {
  const media = ctx.config.media;
  if (media.s3) return undefined;
  return persistentVolumeClaim(ctx, {
    id: "media",
    component: "web",
    size: media.storageSize,
    storageClassName: media.storageClassName,
    accessMode: media.accessMode,
  });
}
