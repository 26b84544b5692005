/**
 * The pod template every Mastodon process (web, streaming, sidekiq, the Jobs) shares: its environment, the private CA it trusts,
 * the media volume and the affinity that keeps a ReadWriteOnce volume's users on one node, or else the spread of replicated pods.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResourceProfile } from "../args";
import type { BuildContext } from "../context";
import { Component, MEDIA_VOLUME_LABEL, componentLabels, instanceLabels, selectorLabels } from "../names";
import { MASTODON_UID, containerResources, containerSecurityContext, podSecurityContext } from "../containers";
import { MEDIA_MOUNT_PATH } from "../storage";
import { CA_BUNDLE_DIR, CA_BUNDLE_FILE, CA_DIR, CA_FILE } from "./env";
import { topologySpread } from "./scaling";

type Container = k8s.types.input.core.v1.Container;
type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;

/** What every Mastodon pod refers to. */
export interface MastodonRuntime {
  /** Image of web, sidekiq and the Jobs. */
  image: string;
  configMapName: pulumi.Input<string>;
  secretName: pulumi.Input<string>;
  /** Changes whenever the environment or the secrets change, so pods restart. */
  configHash: pulumi.Input<string>;
  /** ConfigMap holding `ca.crt`, the private CA to trust; undefined when none. */
  caConfigMapName?: pulumi.Input<string>;
  /** The media claim; undefined when media go to object storage. */
  mediaClaimName?: pulumi.Input<string>;
  /** True when the media volume is ReadWriteOnce: its users must share a node. */
  mediaOnOneNode: boolean;
}

export const CONFIG_HASH_ANNOTATION = "mastodon.pulumi.com/config-hash";

export interface MastodonPodSpec {
  component: Component;
  /** Extra pod labels (e.g. the sidekiq worker). */
  labels?: Record<string, string>;
  /** Spread the pods over nodes and zones (a workload that may run several), selecting them by these labels. */
  spreadBy?: Record<string, string>;
  container: Omit<Container, "envFrom" | "securityContext" | "resources" | "volumeMounts"> & { name: string };
  resources: ResourceProfile;
  mountsMedia: boolean;
  restartPolicy?: "Always" | "Never";
  version: string;
}

export function mastodonPodTemplate(ctx: BuildContext, rt: MastodonRuntime, spec: MastodonPodSpec): PodTemplateSpec {
  const volumes: k8s.types.input.core.v1.Volume[] = [];
  const volumeMounts: k8s.types.input.core.v1.VolumeMount[] = [];
  const initContainers: Container[] = [];
  const labels: Record<string, string> = {
    ...componentLabels(ctx.name, spec.component, spec.version),
    ...selectorLabels(ctx.name, spec.component),
    ...spec.labels,
  };
  let affinity: k8s.types.input.core.v1.Affinity | undefined;

  if (spec.mountsMedia && rt.mediaClaimName) {
    volumes.push({ name: "media", persistentVolumeClaim: { claimName: rt.mediaClaimName } });
    volumeMounts.push({ name: "media", mountPath: MEDIA_MOUNT_PATH });
    if (rt.mediaOnOneNode) {
      // A ReadWriteOnce volume attaches to one node: every pod that mounts it goes there. The first
      // such pod matches its own term, which Kubernetes accepts when no other pod exists yet.
      labels[MEDIA_VOLUME_LABEL] = "true";
      affinity = {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{
            labelSelector: { matchLabels: { ...instanceLabelsForSelector(ctx.name), [MEDIA_VOLUME_LABEL]: "true" } },
            topologyKey: "kubernetes.io/hostname",
          }],
        },
      };
    }
  }

  if (rt.caConfigMapName) {
    // Ruby reads one bundle (SSL_CERT_FILE): the image's system bundle plus the private CA, joined
    // by an init container. Node adds NODE_EXTRA_CA_CERTS (the CA alone) to its own.
    volumes.push({ name: "ca", configMap: { name: rt.caConfigMapName } }, { name: "ca-bundle", emptyDir: {} });
    volumeMounts.push({ name: "ca", mountPath: CA_DIR, readOnly: true }, { name: "ca-bundle", mountPath: CA_BUNDLE_DIR, readOnly: true });
    initContainers.push({
      name: "ca-bundle",
      image: spec.container.image ?? rt.image,
      command: ["sh", "-c", `cat /etc/ssl/certs/ca-certificates.crt ${CA_FILE} > ${CA_BUNDLE_FILE}`],
      securityContext: containerSecurityContext,
      resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
      volumeMounts: [{ name: "ca", mountPath: CA_DIR, readOnly: true }, { name: "ca-bundle", mountPath: CA_BUNDLE_DIR }],
    });
  }

  // Pods held on the media volume's node have nothing to spread over.
  const spread = spec.spreadBy && !affinity ? topologySpread(spec.spreadBy) : undefined;
  return {
    metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: rt.configHash } },
    spec: {
      securityContext: podSecurityContext(MASTODON_UID),
      automountServiceAccountToken: false,
      restartPolicy: spec.restartPolicy,
      affinity,
      topologySpreadConstraints: spread,
      initContainers: initContainers.length > 0 ? initContainers : undefined,
      containers: [{
        image: rt.image,
        ...spec.container,
        envFrom: [{ configMapRef: { name: rt.configMapName } }, { secretRef: { name: rt.secretName } }],
        resources: containerResources(spec.resources),
        securityContext: containerSecurityContext,
        volumeMounts: volumeMounts.length > 0 ? volumeMounts : undefined,
      }],
      volumes: volumes.length > 0 ? volumes : undefined,
    },
  };
}

function instanceLabelsForSelector(name: string) {
  const { "app.kubernetes.io/name": app, "app.kubernetes.io/instance": instance } = instanceLabels(name);
  return { "app.kubernetes.io/name": app, "app.kubernetes.io/instance": instance };
}
