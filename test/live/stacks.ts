/**
 * The stacks the live journeys share, created once, in the order the journeys run (mocha runs the
 * files by name: 01-first-deploy, 02-..., 08-destroy). A journey that needs an earlier one's stack
 * fails with the earlier failure named, not with a confusing second error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { caCertificate, CA_ISSUER, instanceSecrets } from "./hooks";
import { PROGRAMS, ROOT, Stack, kubectlItems, tail } from "./harness";

export const POLICY_PACK = path.join(ROOT, "policy");
export const INSTANCE = path.join(PROGRAMS, "instance");
/** The minor series before the default version, for the upgrade journey. */
export const PREVIOUS_VERSION = "v4.5.2";

const failures = new Map<string, string>();
const stacks = new Map<string, Stack>();

/** Records that a journey failed, so that journeys building on its stack say so. */
export function markFailed(stack: string, why: string): void {
  failures.set(stack, why);
}

/** The stack if its journey so far succeeded; throws naming the earlier failure otherwise. */
export function stackOf(name: string): Stack {
  const failed = failures.get(name);
  if (failed) throw new Error(`stack ${name} is not usable: an earlier journey failed (${failed})`);
  const stack = stacks.get(name);
  if (!stack) throw new Error(`stack ${name} was never created: its first journey did not run`);
  return stack;
}

/** A new stack of the instance program: one instance named NAME at DOMAIN, secrets and CA supplied. */
export function newInstanceStack(stackName: string, instance: string, domain: string, extra: Record<string, string> = {}): Stack {
  const stack = new Stack(INSTANCE, stackName);
  stack.init(
    { name: instance, domain, issuerName: CA_ISSUER, caCertificate: caCertificate(), ...extra },
    instanceSecrets(),
  );
  stacks.set(stackName, stack);
  return stack;
}

/**
 * The pack's config file: clusterCidrs of the simulated cluster (k3s's ranges) for every policy, and `extraCidrs`
 * (the API server's address, for a stack whose pods reach it).
 */
export function policyConfigFile(dir: string, extraCidrs: string[] = []): string {
  const cidrs = ["10.42.0.0/16", "10.43.0.0/16", ...extraCidrs];
  const file = path.join(dir, "policy-config.json");
  const config = Object.fromEntries(
    ["networkpolicy-egress-outside-cluster", "workload-without-egress-policy", "host-network-pod", "external-name-service"].map(
      (policy) => [policy, { clusterCidrs: cidrs }],
    ),
  );
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** `pulumi up` with the policy pack and its config, as README documents. */
export function upWithPack(stack: Stack, extra: string[] = []) {
  return stack.pulumi(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK, "--policy-pack-config", policyConfigFile(stack.dir), ...extra]);
}

/**
 * `upWithPack` that must succeed: on failure the stack is marked failed (the journeys after it skip it) and the
 * error ends with the CLI's output. Returns the stack's `namespace` output.
 */
export function deployWithPack(stack: Stack, name: string): string {
  const up = upWithPack(stack);
  if (up.status !== 0) {
    markFailed(name, "pulumi up failed");
    throw new Error(`pulumi up --policy-pack policy of stack ${name} failed:\n${tail(up, 80)}`);
  }
  return stack.outputs().namespace;
}

/** The UIDs of a namespace's objects of a kind, by name. */
export function uids(kind: string, namespace: string): Map<string, string> {
  return new Map(kubectlItems(kind, namespace).map((o) => [o.metadata.name, o.metadata.uid]));
}
