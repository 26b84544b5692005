/**
 * Runs the pack's policies on plain resources, without the Pulumi engine, the way @pulumi/policy's analyzer server
 * does (server.js: makeAnalyzeRpcFun, makeAnalyzeStackRpcFun, makeRemediateRpcFun): every resource policy on each
 * resource, then every stack policy on all of them, props wrapped in `unknownCheckingProxy`, config from
 * `getConfig`, `notApplicable` honoured, and a read of an unknown value turned into an advisory instead of a pass.
 *
 * For tests and benchmarks of this pack and of programs that must satisfy it. Never imports index.ts.
 */
import {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  unknownCheckingProxy,
  UnknownValueError,
} from "@pulumi/policy";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { version } from "./package.json";
import { PACK_NAME, policies as packPolicies } from "./policies";

/** The sentinel the engine puts in place of a value not known until the update (an output during preview). */
export const UNKNOWN: string = unknownValue;

/** A resource as a Pulumi program registers it: its type token, name and inputs (the Kubernetes object). */
export interface CheckedResource {
  type: string;
  name: string;
  urn?: string;
  props: Record<string, any>;
}

/** The pack's config, as in `--policy-pack-config` (applied to every policy). */
export interface CheckConfig {
  clusterCidrs?: string[];
  /** Read by networkpolicy-egress-outside-cluster only (the others ignore it, as under the engine). */
  egressGateways?: Array<{ namespace: string; podSelector: Record<string, any> }>;
}

/** One diagnostic, as the engine would report it. */
export interface Finding {
  policy: string;
  /** The URN of the offending resource; "" for a stack-wide violation. */
  resource: string;
  /** What the policy passed to `reportViolation` (the CLI prints the policy's description above it). */
  message: string;
  /** The policy's level ("remediate" reports as "mandatory"); "advisory" for a check that could not run in preview. */
  enforcementLevel: EnforcementLevel;
}

/** The level every policy gets unless it names its own: the pack's. */
const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

/** The URN the resource is given, or one made from its type and name. */
export function urnOf(resource: CheckedResource): string {
  return resource.urn ?? `urn:pulumi:stack::project::${resource.type}::${resource.name}`;
}

/** Runs every policy of the pack on the resources and returns what the engine would report, in order. */
export function runPolicies(resources: CheckedResource[], config?: CheckConfig, policies: Policies = packPolicies): Finding[] {
  const findings: Finding[] = [];
  for (const resource of resources) {
    for (const policy of policies) {
      if (isResourcePolicy(policy)) validateResource(policy, resource, config, findings);
    }
  }
  for (const policy of policies) {
    if (isStackPolicy(policy)) validateStack(policy, resources, config, findings);
  }
  return findings;
}

/**
 * Runs every remediation of the pack on one resource, as the engine does for policies whose level is "remediate",
 * each seeing the previous one's result. Returns the final props (plain objects), the policies that changed them, and
 * the engine's diagnostic for each remediation that met an unknown value.
 */
export function runRemediations(
  resource: CheckedResource,
  config?: CheckConfig,
  policies: Policies = packPolicies,
): { props: Record<string, any>; remediatedBy: string[]; diagnostics: string[] } {
  let props: Record<string, any> = unknownCheckingProxy(structuredClone(resource.props));
  const remediatedBy: string[] = [];
  const diagnostics: string[] = [];
  for (const policy of policies) {
    if (!isResourcePolicy(policy) || !policy.remediateResource) continue;
    const pulumiType = pulumiTypeOf(policy.remediateResource);
    if (pulumiType && pulumiType !== resource.type) continue;
    const args = resourceValidationArgs(resource, props, config);
    const result = guard(policy.name, "remediating", () => policy.remediateResource!(args));
    if (result === NOT_APPLICABLE) continue;
    if (result instanceof UnknownValueError) {
      diagnostics.push(`can't run remediation '${policy.name}' from policy pack '${PACK_NAME}@v${version}' during preview: ${result.message}`);
    } else if (result) {
      props = result as Record<string, any>;
      remediatedBy.push(policy.name);
    }
  }
  return { props: unproxy(props), remediatedBy, diagnostics };
}

/** The args a resource policy receives, with `props` as given (wrap them in unknownCheckingProxy first). */
export function resourceValidationArgs(
  resource: CheckedResource,
  props: Record<string, any>,
  config?: CheckConfig,
): ResourceValidationArgs {
  return new ResourceArgs(resource, props, config);
}

/** A resource as policies see it, with its methods on the prototype: built once per resource and policy. */
abstract class ResourceView {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  readonly opts = DEFAULT_OPTIONS;

  constructor(resource: CheckedResource, readonly props: Record<string, any>) {
    this.type = resource.type;
    this.urn = urnOf(resource);
    this.name = resource.name;
  }

  isType(resourceClass: unknown): boolean {
    return isTypeOf(this.type, resourceClass);
  }

  asType(resourceClass: unknown): any {
    return isTypeOf(this.type, resourceClass) ? this.props : undefined;
  }
}

/** The args of a resource policy. */
class ResourceArgs extends ResourceView implements ResourceValidationArgs {
  readonly stackTags: ReadonlyMap<string, string> = NO_TAGS;

  constructor(resource: CheckedResource, props: Record<string, any>, private readonly config: CheckConfig | undefined) {
    super(resource, props);
  }

  getConfig<T extends object>(): T {
    return configFor(this.config);
  }

  notApplicable(reason?: string): never {
    return throwNotApplicable(reason);
  }
}

function validateResource(
  policy: ResourceValidationPolicy,
  resource: CheckedResource,
  config: CheckConfig | undefined,
  findings: Finding[],
): void {
  const level = effectiveLevel(policy);
  if (level === "disabled" || !policy.validateResource) return;
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  if (validations.length === 1) {
    const pulumiType = pulumiTypeOf(validations[0]);
    if (pulumiType && pulumiType !== resource.type) return;
  }
  const urn = urnOf(resource);
  const report = reporter(policy.name, urn, level, findings);
  for (const validation of validations) {
    const args = resourceValidationArgs(resource, unknownCheckingProxy(resource.props), config);
    const outcome = guard(policy.name, "validating", () => validation(args, report));
    if (outcome instanceof UnknownValueError) findings.push(advisory(policy.name, urn, outcome));
  }
}

function validateStack(
  policy: StackValidationPolicy,
  resources: CheckedResource[],
  config: CheckConfig | undefined,
  findings: Finding[],
): void {
  const level = effectiveLevel(policy);
  if (level === "disabled") return;
  const pulumiType = pulumiTypeOf(policy.validateStack);
  if (pulumiType && !resources.some((r) => r.type === pulumiType)) return;
  const args: StackValidationArgs = {
    resources: resources.map((r) => new StackResource(r)),
    stackTags: NO_TAGS,
    getConfig: <T extends object>() => configFor<T>(config),
    notApplicable: throwNotApplicable,
  };
  const outcome = guard(policy.name, "validating", () => policy.validateStack(args, reporter(policy.name, "", level, findings)));
  if (outcome instanceof UnknownValueError) findings.push(advisory(policy.name, "", outcome));
}

/** A resource as a stack policy sees it (a stack may hold tens of thousands). */
class StackResource extends ResourceView implements PolicyResource {
  readonly dependencies: PolicyResource[] = [];
  readonly propertyDependencies: Record<string, PolicyResource[]> = {};

  constructor(resource: CheckedResource) {
    super(resource, unknownCheckingProxy(resource.props));
  }
}

/** As in the engine: the policy's own level, else the pack's; "remediate" reports as "mandatory". */
function effectiveLevel(policy: ResourceValidationPolicy | StackValidationPolicy): EnforcementLevel {
  const level = policy.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL;
  return level === "remediate" ? "mandatory" : level;
}

function reporter(policy: string, defaultUrn: string, level: EnforcementLevel, findings: Finding[]): ReportViolation {
  return (message: string, urn?: string) => {
    findings.push({ policy, resource: urn ?? defaultUrn, message, enforcementLevel: level });
  };
}

/** The advisory the engine reports when a policy reads a value that is unknown during preview. */
function advisory(policy: string, resource: string, error: UnknownValueError): Finding {
  const from = `policy '${policy}' from policy pack '${PACK_NAME}@v${version}'`;
  return { policy, resource, message: `can't run ${from} during preview: ${error.message}`, enforcementLevel: "advisory" };
}

const NOT_APPLICABLE = Symbol("not applicable");

/** Thrown by `notApplicable`; not an Error, so that skipping a resource does not capture a stack trace. */
class NotApplicable {
  constructor(readonly reason: string) {}
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicable(reason ?? "Policy does not apply");
}

/**
 * Runs one policy callback. Unknown reads come back as the error (the caller reports an advisory), notApplicable as
 * NOT_APPLICABLE; anything else fails the whole run, as it fails the engine's RPC.
 */
function guard<T>(policy: string, doing: string, run: () => T): T | UnknownValueError | typeof NOT_APPLICABLE {
  try {
    const result = run();
    if (result instanceof Promise) {
      throw new Error("returned a promise; runPolicies runs synchronous policies only");
    }
    return result;
  } catch (e) {
    if (e instanceof UnknownValueError) return e;
    if (e instanceof NotApplicable) return NOT_APPLICABLE;
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`Error ${doing} resource with policy '${policy}' from policy pack '${PACK_NAME}@v${version}': ${reason}`, {
      cause: e,
    });
  }
}

/** As the engine's getConfig: the policy's config without enforcementLevel, {} when none is given. */
function configFor<T extends object>(config: CheckConfig | undefined): T {
  return (config ? { ...config } : {}) as T;
}

const NO_TAGS: ReadonlyMap<string, string> = new Map();

/** The options of a resource registered without any; shared, as no policy may change them. */
const DEFAULT_OPTIONS: PolicyResourceOptions = Object.freeze({
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
});

function isResourcePolicy(policy: unknown): policy is ResourceValidationPolicy {
  const p = policy as ResourceValidationPolicy;
  return typeof p.validateResource === "function" || Array.isArray(p.validateResource) || typeof p.remediateResource === "function";
}

function isStackPolicy(policy: unknown): policy is StackValidationPolicy {
  return typeof (policy as StackValidationPolicy).validateStack === "function";
}

/** The type token validateResourceOfType and friends attach to the functions they return. */
function pulumiTypeOf(fn: unknown): string | undefined {
  const type = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof type === "string" && type.length > 0 ? type : undefined;
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = pulumiTypeOf(resourceClass);
  if (pulumiType) return type === pulumiType;
  const isInstance = (resourceClass as { isInstance?: unknown }).isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/** Plain objects again: what the engine's serializer does to a remediation's result (proxies are unwrapped). */
function unproxy(value: any): any {
  if (typeof value !== "object" || value === null) return value;
  const target = value.__isSpecialProxy === true ? value.__getSpecialProxyTarget : value;
  if (Array.isArray(target)) return target.map(unproxy);
  const out: Record<string, any> = {};
  for (const key of Object.keys(target)) out[key] = unproxy(target[key]);
  return out;
}
