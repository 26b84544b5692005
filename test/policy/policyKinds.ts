/** Which kind a policy is, by the callbacks it carries (as @pulumi/policy decides internally). */
import { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

type Policy = Policies[number];

export function isStackPolicy(p: Policy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

export function isResourcePolicy(p: Policy): p is ResourceValidationPolicy {
  const r = p as ResourceValidationPolicy;
  return r.validateResource !== undefined || r.remediateResource !== undefined;
}
