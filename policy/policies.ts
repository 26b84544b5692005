/**
 * The policies of the mastodon-egress pack, in the order the engine runs them. Importing this module starts
 * nothing: tests and benchmarks use it; only index.ts builds the PolicyPack.
 */
import { Policies } from "@pulumi/policy";
import { externalNameService } from "./externalNameService";
import { hostNetworkPod } from "./hostNetworkPod";
import { networkPolicyEgressOutsideCluster } from "./networkPolicyEgressOutsideCluster";
import { workloadWithoutEgressPolicy } from "./workloadWithoutEgressPolicy";

export const PACK_NAME = "mastodon-egress";

export const policies: Policies = [
  networkPolicyEgressOutsideCluster,
  workloadWithoutEgressPolicy,
  hostNetworkPod,
  externalNameService,
];
