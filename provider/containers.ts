/**
 * Container building blocks every pod of an instance shares, Mastodon's and the data servers':
 * the images' users, Pod Security Standards "restricted" contexts, resource requirements from a
 * profile, and exec probes. The Mastodon pod template itself is workloads/mastodonPod.ts.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ResourceProfile } from "./args";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

/** Mastodon's images run as uid/gid 991; the official postgres and redis images as 999. */
export const MASTODON_UID = 991;
export const POSTGRES_UID = 999;
export const REDIS_UID = 999;

/** The pod-level half of the "restricted" profile, running as `uid`. */
export function podSecurityContext(uid: number): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** The container-level half of the "restricted" profile. */
export const containerSecurityContext: SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

export function containerResources(profile: ResourceProfile): k8s.types.input.core.v1.ResourceRequirements {
  return {
    requests: { cpu: profile.requests.cpu, memory: profile.requests.memory },
    limits: { cpu: profile.limits.cpu, memory: profile.limits.memory },
  };
}

const QUANTITY_SUFFIX: Record<string, number> = {
  "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** A memory quantity ("512Mi", "1G", "1e9", "268435456") in bytes. */
export function memoryBytes(quantity: string): number {
  const m = /^([+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(quantity.trim());
  if (!m) throw new Error(`not a memory quantity: ${JSON.stringify(quantity)}`);
  return Number(m[1]) * QUANTITY_SUFFIX[m[2] ?? ""];
}

/** A readiness/liveness probe that runs `command` in the container. */
export function execProbe(command: string[], periodSeconds: number, failureThreshold: number, initialDelaySeconds = 0) {
  return { exec: { command }, periodSeconds, failureThreshold, initialDelaySeconds, timeoutSeconds: 5 };
}
