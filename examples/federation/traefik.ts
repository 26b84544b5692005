/**
 * The lab's ingress controller is k3s's built-in Traefik (the default), or the Traefik a
 * MastodonPlatform installs (`installTraefik`, for clusters without one); the platform's outputs
 * say where it runs. Either way its access logs are on, so the lab shows every ActivityPub request
 * going by: the platform's Traefik has them on already, k3s's gets them here, with the read timeout uploads need
 * (the platform's Traefik has that too).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TRAEFIK_READ_TIMEOUT } from "../../provider/ingress";

/**
 * Values merged into k3s's packaged Traefik chart: access logs on, and the HTTPS entry point's read timeout
 * (Traefik v3 stops reading a request after 60 s, too short for a 99 MB video on a slow link).
 */
export const K3S_TRAEFIK_VALUES = [
  "logs:",
  "  access:",
  "    enabled: true",
  "ports:",
  "  websecure:",
  "    transport:",
  "      respondingTimeouts:",
  `        readTimeout: ${TRAEFIK_READ_TIMEOUT}`,
  "",
].join("\n");

/**
 * Turns on the access logs of k3s's Traefik. k3s installs Traefik with its helm-controller and
 * merges `valuesContent` of a HelmChartConfig of the same name and namespace into the chart's
 * values (the controller upgrades the release when it changes). The installed-by-platform Traefik
 * has access logs on already.
 */
export function k3sTraefikAccessLogs(opts: pulumi.CustomResourceOptions = {}): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource("k3s-traefik", {
    apiVersion: "helm.cattle.io/v1",
    kind: "HelmChartConfig",
    metadata: { name: "traefik", namespace: "kube-system" },
    spec: { valuesContent: K3S_TRAEFIK_VALUES },
  }, opts);
}

/**
 * The addresses of k3s's Traefik Service (kube-system/traefik), read from the cluster: where the lab's names
 * resolve, so the only private addresses the instances' Mastodon may request (`ingress.controllerAddresses`).
 * The platform's Traefik gives its own as `ingressServiceAddresses`.
 */
export function k3sTraefikAddresses(opts: pulumi.CustomResourceOptions = {}): pulumi.Output<string[]> {
  return k8s.core.v1.Service.get("k3s-traefik-service", "kube-system/traefik", opts).spec.clusterIPs;
}
