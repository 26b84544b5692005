/**
 * What exists once per cluster. cert-manager is one: installed twice (two MastodonClusters on their defaults, or
 * an instance that installs it beside a MastodonPlatform that does) the second Helm release fails halfway through
 * `pulumi up`, on CRDs and webhooks the first one owns. Every component of a deployment that installs it claims
 * the cluster here first, so the second gets one clear error before it registers anything.
 *
 * "The cluster" is the Kubernetes provider the component's objects go through: the one in its options or its
 * parent's, else the program's default provider. "The deployment" is the engine connection: the resource
 * monitor's address (every construct() call of a multi-language program makes a client of its own, to the same
 * address), or the monitor itself on Pulumi's mock runtime. Separate programs and separate mock runs never see
 * each other's claims. A provider handed over by reference from another language (a program's explicit
 * provider, reaching construct()) has no identity to compare, so such components are not checked.
 */
import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError } from "./validation";

const DEFAULT_PROVIDER = "the default Kubernetes provider";
const claims = new Map<unknown, Map<object | string, string>>();

/** The Kubernetes provider a component's children use, or undefined for the program's default one. */
export function kubernetesProviderOf(opts: pulumi.ComponentResourceOptions | undefined): pulumi.ProviderResource | undefined {
  // By package, not `instanceof`: a second copy of @pulumi/pulumi (provider/'s own node_modules) has other classes.
  const isKubernetes = (p: unknown): p is pulumi.ProviderResource =>
    typeof (p as { getPackage?: unknown } | undefined)?.getPackage === "function" && (p as { getPackage(): string }).getPackage() === "kubernetes";
  const listed = opts?.providers === undefined ? [] : Array.isArray(opts.providers) ? opts.providers : Object.values(opts.providers);
  return [opts?.provider, ...listed].find(isKubernetes) ?? opts?.parent?.getProvider("kubernetes::Provider");
}

/** The deployment a claim belongs to: the engine's resource monitor, by address when it has one. */
export function deploymentOf(monitor: unknown): unknown {
  const channel = (monitor as { getChannel?: () => { getTarget?: () => string } } | undefined)?.getChannel?.();
  return channel?.getTarget?.() ?? monitor;
}

/** A provider from another language, known only by reference (its URN and id arrive asynchronously). */
function isReference(provider: pulumi.ProviderResource): boolean {
  return provider.constructor.name === "DependencyProviderResource";
}

/**
 * Records that `component` installs cert-manager on its cluster, or throws an InvalidArgsError naming `path`
 * when another component of this deployment already does.
 */
export function claimCertManager(component: string, path: string, given: boolean | undefined, opts: pulumi.ComponentResourceOptions | undefined): void {
  const monitor = pulumi.runtime.getMonitor();
  if (monitor === undefined) return;
  const provider = kubernetesProviderOf(opts);
  if (provider !== undefined && isReference(provider)) return;
  const deployment = deploymentOf(monitor);
  // Only the latest deployment is kept: a process serves one at a time, and mock runs come one after another.
  if (!claims.has(deployment)) claims.clear();
  let installed = claims.get(deployment);
  if (installed === undefined) claims.set(deployment, (installed = new Map()));
  const cluster = provider ?? DEFAULT_PROVIDER;
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
