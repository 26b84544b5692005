/**
 * What exists once per cluster. cert-manager is one: installed twice (two MastodonClusters on their defaults, or
 * an instance that installs it beside a MastodonPlatform that does) the second Helm release fails halfway through
 * `pulumi up`, on CRDs and webhooks the first one owns. Every component of a deployment that installs it claims
 * the cluster here first, so the second gets one clear error before it registers anything.
 *
 * "The cluster" is the Kubernetes provider the component's objects go through: the one in its options or its
 * parent's, else the program's default provider. "The deployment" is the engine connection, so separate programs
 * (and separate runs on Pulumi's mock runtime) never see each other's claims.
 */
import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError } from "./validation";

const DEFAULT_PROVIDER = "the default Kubernetes provider";
const claims = new WeakMap<object, Map<object | string, string>>();

/** The Kubernetes provider a component's children use, or undefined for the program's default one. */
export function kubernetesProviderOf(opts: pulumi.ComponentResourceOptions | undefined): pulumi.ProviderResource | undefined {
  const isKubernetes = (p: unknown): p is pulumi.ProviderResource =>
    p instanceof pulumi.ProviderResource && (p as unknown as { pkg?: string }).pkg === "kubernetes";
  const listed = opts?.providers === undefined ? [] : Array.isArray(opts.providers) ? opts.providers : Object.values(opts.providers);
  return [opts?.provider, ...listed].find(isKubernetes) ?? opts?.parent?.getProvider("kubernetes::Provider");
}

/**
 * Records that `component` installs cert-manager on its cluster, or throws an InvalidArgsError naming `path`
 * when another component of this deployment already does.
 */
export function claimCertManager(component: string, path: string, given: boolean | undefined, opts: pulumi.ComponentResourceOptions | undefined): void {
  const deployment = pulumi.runtime.getMonitor();
  if (deployment === undefined) return;
  let installed = claims.get(deployment);
  if (installed === undefined) claims.set(deployment, (installed = new Map()));
  const cluster = kubernetesProviderOf(opts) ?? DEFAULT_PROVIDER;
  const first = installed.get(cluster);
  if (first === undefined) {
    installed.set(cluster, component);
    return;
  }
  throw new InvalidArgsError(component, [
    `args.${path}: got ${given === undefined ? "true (the default)" : "true"}; expected false: ${first} already installs cert-manager ` +
      "on this cluster, and a cluster has one (share one MastodonPlatform between the instances, or set it false on all but one)",
  ]);
}
