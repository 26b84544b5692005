/**
 * external-name-service (severity medium; mandatory unless configured otherwise).
 *
 * Forbids a Service of type ExternalName. Such a Service is a DNS alias to a name outside the cluster: pods that use
 * it connect to whatever that name resolves to, an address the cluster CIDRs do not cover and NetworkPolicy review
 * does not see.
 */
import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { clusterCidrsOf, configSchema } from "./config";
import { isObject, refOf } from "./kubernetes";

export const NAME = "external-name-service";

export const externalNameService: ResourceValidationPolicy = {
  name: NAME,
  description: "Services must not be of type ExternalName, which sends traffic to a name outside the cluster.",
  severity: "medium",
  enforcementLevel: "mandatory",
  configSchema,
  remediationSteps: "Use a ClusterIP Service in front of in-cluster pods, or reach the outside through an in-cluster proxy.",
  validateResource: validateResourceOfType(k8s.core.v1.Service, (service, args, reportViolation) => {
    const spec = isObject(service) ? service.spec : undefined;
    if (!isObject(spec) || spec.type !== "ExternalName") return;
    const ref = refOf("Service", service, args.name);
    const config = clusterCidrsOf(args);
    const allowed = config.ok ? config.value.text : `unknown (invalid policy config: ${config.error})`;
    reportViolation(
      `${ref}: spec.type is ExternalName (spec.externalName ${JSON.stringify(spec.externalName)}), an alias for a ` +
        `name outside the cluster; egress must stay inside the allowed ranges: ${allowed}`,
    );
  }),
};
