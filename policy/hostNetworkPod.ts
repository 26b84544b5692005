/**
 * host-network-pod (severity high; mandatory unless configured otherwise).
 *
 * Forbids a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) whose pods set
 * `hostNetwork: true`. Such pods use the node's network namespace, which NetworkPolicy does not govern, so their
 * egress cannot be held inside the cluster CIDRs whatever the NetworkPolicies say.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { clusterCidrsOf, configSchema } from "./config";
import { isObject, podTemplateOf, refOf, WORKLOAD_TYPES } from "./kubernetes";

export const NAME = "host-network-pod";

export const hostNetworkPod: ResourceValidationPolicy = {
  name: NAME,
  description: "Pods must not use the host network, which NetworkPolicy does not govern.",
  severity: "high",
  enforcementLevel: "mandatory",
  configSchema,
  remediationSteps: "Remove `hostNetwork: true` from the pod spec; expose the pod through a Service instead.",
  validateResource: (args, reportViolation) => {
    const shape = WORKLOAD_TYPES.get(args.type);
    if (!shape) return args.notApplicable("Policy only applies to workloads that run pods");
    const { template, path } = podTemplateOf(shape, args.props);
    const spec = isObject(template) ? template.spec : undefined;
    if (!isObject(spec) || spec.hostNetwork !== true) return;
    const ref = refOf(shape.kind, args.props, args.name);
    const config = clusterCidrsOf(args);
    const allowed = config.ok ? config.value.text : `unknown (invalid policy config: ${config.error})`;
    const field = path === "" ? "spec.hostNetwork" : `${path}.spec.hostNetwork`;
    reportViolation(
      `${ref}: ${field} is true; host-network pods bypass NetworkPolicy, so their egress cannot be held ` +
        `inside the allowed ranges: ${allowed}`,
    );
  },
};
