/**
 * Validation of every Kubernetes object against the official OpenAPI schemas, through the
 * kubernetes-models packages (core API, cert-manager, Traefik). The packages are ES modules
 * only: they are loaded with a native import(), which TypeScript's CommonJS output would
 * otherwise turn into require().
 */
import type { RecordedResource } from "./mocks";

const nativeImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;

/** The package that holds the models of an API group. */
function modelPackage(group: string): string | undefined {
  if (group === "" || !group.includes(".") || group.endsWith(".k8s.io")) return "kubernetes-models";
  if (group === "cert-manager.io" || group === "acme.cert-manager.io") return "@kubernetes-models/cert-manager";
  if (group === "traefik.io") return "@kubernetes-models/traefik";
  return undefined;
}

/** "kubernetes:apps/v1:Deployment" → { apiVersion: "apps/v1", kind: "Deployment" }; "core/v1" is "v1". */
export function apiOf(type: string): { apiVersion: string; kind: string } | undefined {
  const m = /^kubernetes:([^:]+):([A-Za-z]+)$/.exec(type);
  if (!m) return undefined;
  return { apiVersion: m[1] === "core/v1" ? "v1" : m[1], kind: m[2] };
}

export function isKubernetesObject(r: RecordedResource): boolean {
  // Helm releases and charts are not Kubernetes objects themselves (a chart's objects are its children).
  return r.custom && apiOf(r.type) !== undefined && !r.type.startsWith("kubernetes:helm.sh/") && !r.type.startsWith("kubernetes:yaml");
}

const models = new Map<string, any>();

async function modelOf(apiVersion: string, kind: string): Promise<any> {
  const key = `${apiVersion}/${kind}`;
  if (!models.has(key)) {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const pkg = modelPackage(group);
    if (!pkg) throw new Error(`no OpenAPI schema known for ${key}`);
    const path = group === "" ? `${pkg}/${version}/${kind}` : `${pkg}/${group}/${version}/${kind}`;
    const mod = await nativeImport(path);
    if (!mod[kind]) throw new Error(`no model ${kind} in ${path}`);
    models.set(key, mod[kind]);
  }
  return models.get(key);
}

/** Preloads the models the component uses, so the first spec is not slower than the rest. */
export async function loadSchemas(): Promise<void> {
  for (const [apiVersion, kind] of [["v1", "Namespace"], ["apps/v1", "Deployment"], ["cert-manager.io/v1", "Certificate"], ["traefik.io/v1alpha1", "IngressRoute"]]) {
    await modelOf(apiVersion, kind);
  }
}

/** The schema violations of every Kubernetes object among `resources`: empty when all are valid. */
export async function schemaErrors(resources: RecordedResource[]): Promise<string[]> {
  const errors: string[] = [];
  for (const r of resources.filter(isKubernetesObject)) {
    const { apiVersion, kind } = apiOf(r.type)!;
    const object = { ...r.state, apiVersion, kind };
    if (object.apiVersion !== apiVersion || object.kind !== kind) {
      errors.push(`${r.name}: apiVersion/kind ${object.apiVersion}/${object.kind} does not match ${r.type}`);
      continue;
    }
    try {
      const Model = await modelOf(apiVersion, kind);
      new Model(object).validate();
    } catch (e: any) {
      errors.push(`${kind} ${r.name}: ${e.message}`);
    }
  }
  return errors;
}
