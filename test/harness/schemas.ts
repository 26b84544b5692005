/**
 * Validation of every Kubernetes object against the official OpenAPI schemas, through the
 * kubernetes-models packages (core API, cert-manager, Traefik, KEDA, the Prometheus Operator). The
 * packages are ES modules only: they are loaded with a native import(), which TypeScript's CommonJS
 * output would otherwise turn into require(). Validation is strict: a property no schema declares is
 * an error (see "Strictness" below). Custom resources no models package covers (CloudNativePG's)
 * are validated against their CRDs' own schemas, copied under crds/ (see "CRDs" below).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RecordedResource } from "./mocks";

const nativeImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;

/** The package that holds the models of an API group. */
function modelPackage(group: string): string | undefined {
  if (group === "" || !group.includes(".") || group.endsWith(".k8s.io")) return "kubernetes-models";
  if (group === "cert-manager.io" || group === "acme.cert-manager.io") return "@kubernetes-models/cert-manager";
  if (group === "traefik.io") return "@kubernetes-models/traefik";
  if (group === "keda.sh") return "@kubernetes-models/keda";
  if (group === "monitoring.coreos.com") return "@kubernetes-models/prometheus-operator";
  return undefined;
}

/** "kubernetes:apps/v1:Deployment" → { apiVersion: "apps/v1", kind: "Deployment" }; "core/v1" is "v1". */
export function apiOf(type: string): { apiVersion: string; kind: string } | undefined {
  // A patch resource (ConfigMapPatch) holds part of an object of its base kind.
  const m = /^kubernetes:([^:]+):([A-Za-z]+?)(?:Patch)?$/.exec(type);
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

/**
 * Strictness. The models' validators are ajv code compiled from the OpenAPI schemas, and they
 * accept properties the schema does not declare: a misspelled field would pass here and be
 * silently pruned by the API server. The packages ship no JSON schema to recompile with
 * `additionalProperties: false`, so the validators are run on a tracing Proxy of the object
 * instead, and the trace tells which properties each object node declares:
 *
 * - a schema with `properties` reads every declared property (`void 0 !== data.name`), present
 *   or not, so a key of the object that was never read is unknown;
 * - a map (`additionalProperties`: labels, annotations, data, stringData...) is walked with
 *   `for (key in data)` and every key is read, so none is unknown;
 * - a free-form object (`x-kubernetes-preserve-unknown-fields`, `type: object` without
 *   properties, `{}`, the JSON type) reads nothing, and nothing below it is checked.
 *
 * Only reads (`get`) count: `Object.keys(data).length` (minProperties) lists keys without reading
 * them, so it does not turn an object into a map. An `enum`/`const` comparison of a whole
 * object reads every key, which at worst makes that one object lenient. The generator of the
 * models drops the `x-kubernetes-*` keywords, so a node that both declares properties and
 * preserves unknown fields would be checked strictly: none of the component's objects has one.
 * The validators come compiled with the packages and the models are cached by `modelOf`: the
 * tracing costs about 0.05 ms an object.
 */
interface Trace {
  /** The properties the validator read, per object node of the validated value. */
  read: WeakMap<object, Set<string>>;
  proxies: WeakMap<object, object>;
}

function traced<T>(value: T, trace: Trace): T {
  if (value === null || typeof value !== "object") return value;
  const target = value as unknown as object;
  let proxy = trace.proxies.get(target);
  if (!proxy) {
    const read = new Set<string>();
    trace.read.set(target, read);
    proxy = new Proxy(target, {
      get(t, key, receiver) {
        const v = Reflect.get(t, key, receiver);
        if (typeof key !== "string") return v;
        read.add(key);
        return Object.prototype.hasOwnProperty.call(t, key) ? traced(v, trace) : v;
      },
      has(t, key) {
        if (typeof key === "string") read.add(key);
        return Reflect.has(t, key);
      },
    });
    trace.proxies.set(target, proxy);
  }
  return proxy as T;
}

/** `.spec.template.spec.containers[0].bogus` from the segments of a path. */
function pathString(segments: (string | number)[]): string {
  return segments
    .map((s) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
    .join("")
    .replace(/^\./, "");
}

/** The paths of the properties of `value` that no schema read: unknown to the schemas. */
function unknownFields(value: unknown, trace: Trace, path: (string | number)[] = [], out: string[] = []): string[] {
  if (value === null || typeof value !== "object") return out;
  const read = trace.read.get(value);
  if (!read) return out; // never reached by the validator: below a free-form node
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, trace, [...path, i], out));
    return out;
  }
  if (read.size === 0) return out; // free-form: the schema declares no property
  for (const [key, child] of Object.entries(value)) {
    if (!read.has(key)) out.push(pathString([...path, key]));
    else unknownFields(child, trace, [...path, key], out);
  }
  return out;
}

/**
 * The violations of one Kubernetes object (with apiVersion and kind set), each prefixed with
 * "<Kind> <name>: ": schema errors as reported by the model, then one "unknown field <path>" per
 * property no schema declares. Empty when the object is valid.
 */
export async function objectErrors(object: any, name: string = object?.metadata?.name ?? "<unnamed>"): Promise<string[]> {
  const { apiVersion, kind } = object ?? {};
  const label = `${kind} ${name}`;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return [`${label}: apiVersion and kind must be set`];
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  if (CRD_FOLDERS[group] !== undefined) return crdObjectErrors(object, label);
  let Model: any;
  try {
    Model = await modelOf(apiVersion, kind);
  } catch (e: any) {
    return [`${label}: ${e.message}`];
  }
  return modelErrors(Model, object, label);
}

/** The violations of `object` against a kubernetes-models Model, schema errors then unknown fields. */
function modelErrors(Model: any, object: unknown, label: string, prefix = ""): string[] {
  const errors: string[] = [];
  // The model drops undefined values, as JSON does; the validator runs on a traced copy.
  const data = new Model(object).toJSON();
  const trace: Trace = { read: new WeakMap(), proxies: new WeakMap() };
  try {
    Model.prototype.validate.call(traced(data, trace));
  } catch (e: any) {
    errors.push(`${label}: ${prefix}${e.message}`);
  }
  for (const path of unknownFields(data, trace)) errors.push(`${label}: unknown field ${prefix}${path}`);
  return errors;
}

/**
 * CRDs. The custom resources of these API groups are validated against the `openAPIV3Schema` of their
 * CustomResourceDefinition, a copy of the upstream file under crds/<folder> (crds/cloudnative-pg/README.md), compiled
 * with ajv as the API server reads it: `x-kubernetes-int-or-string` is an integer or a string, every object schema
 * with `properties` refuses other keys unless it has `x-kubernetes-preserve-unknown-fields` (the API server would
 * prune them silently), formats int32, int64 and date-time are checked. The CRD's `metadata` is a bare object, so
 * metadata is checked against ObjectMeta's model, as the API server does. Not checked: the CEL rules
 * (`x-kubernetes-validations`) and the list-type and map-type uniqueness markers.
 */
const CRD_FOLDERS: Record<string, string> = { "postgresql.cnpg.io": "cloudnative-pg" };
const CRD_DIR = path.join(__dirname, "crds");
const crdValidators = new Map<string, any>();

/** A CRD schema node as JSON Schema for ajv (see "CRDs" above). */
export function kubernetesSchema(node: any): any {
  if (Array.isArray(node)) return node.map(kubernetesSchema);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-kubernetes-") || key === "description") continue;
    if (key === "properties") out.properties = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, kubernetesSchema(v)]));
    else if (["items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"].includes(key)) out[key] = typeof value === "object" ? kubernetesSchema(value) : value;
    else out[key] = value;
  }
  if (node["x-kubernetes-int-or-string"] && out.anyOf === undefined) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (out.properties !== undefined && out.additionalProperties === undefined && !node["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
  return out;
}

/** The CRDs of one folder, each a parsed CustomResourceDefinition. */
function crdsIn(folder: string): any[] {
  const yaml = require("js-yaml");
  const dir = path.join(CRD_DIR, folder);
  return fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), "utf8")))
    .filter((d: any) => d?.kind === "CustomResourceDefinition");
}

/** The compiled validator of a custom resource's apiVersion and kind, from its CRD. */
export function crdValidator(apiVersion: string, kind: string): any {
  const key = `${apiVersion}/${kind}`;
  if (!crdValidators.has(key)) {
    const [group, version] = apiVersion.split("/");
    const crd = crdsIn(CRD_FOLDERS[group]).find((c) => c.spec.group === group && c.spec.names.kind === kind);
    const served = crd?.spec.versions.find((v: any) => v.name === version && v.served);
    if (!served) throw new Error(`no CRD under test/harness/crds/${CRD_FOLDERS[group]} serves ${key}`);
    const Ajv = require("ajv").default;
    const addFormats = require("ajv-formats").default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv, ["int32", "int64", "date-time"]);
    crdValidators.set(key, ajv.compile(kubernetesSchema(served.schema.openAPIV3Schema)));
  }
  return crdValidators.get(key);
}

/** "/spec/bootstrap/initdb" → "spec.bootstrap.initdb"; array indexes as [0]. */
function pointerPath(pointer: string): string {
  return pathString(pointer.split("/").slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, "/").replace(/~0/g, "~"))));
}

async function crdObjectErrors(object: any, label: string): Promise<string[]> {
  let validate: any;
  try {
    validate = crdValidator(object.apiVersion, object.kind);
  } catch (e: any) {
    return [`${label}: ${e.message}`];
  }
  const data = JSON.parse(JSON.stringify(object));
  const errors: string[] = [];
  if (!validate(data)) {
    for (const e of validate.errors) {
      const at = pointerPath(e.instancePath);
      if (e.keyword === "additionalProperties") errors.push(`${label}: unknown field ${at ? `${at}.` : ""}${e.params.additionalProperty}`);
      // anyOf repeats its branches' errors: the summary is enough.
      else if (!e.schemaPath.includes("/anyOf/")) errors.push(`${label}: ${at || "object"} ${e.message}`);
    }
  }
  if (data.metadata !== undefined) {
    const ObjectMeta = (await nativeImport("@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta")).ObjectMeta;
    errors.push(...modelErrors(ObjectMeta, data.metadata, label, "metadata."));
  }
  return errors;
}

/** The schema violations of every Kubernetes object among `resources`: empty when all are valid. */
export async function schemaErrors(resources: RecordedResource[]): Promise<string[]> {
  const errors: string[] = [];
  for (const r of resources.filter(isKubernetesObject)) {
    const { apiVersion, kind } = apiOf(r.type)!;
    const object = { apiVersion, kind, ...r.state };
    if (object.apiVersion !== apiVersion || object.kind !== kind) {
      errors.push(`${r.name}: apiVersion/kind ${object.apiVersion}/${object.kind} does not match ${r.type}`);
      continue;
    }
    const metaName = r.state?.metadata?.name;
    errors.push(...(await objectErrors(object, metaName && metaName !== r.name ? `${r.name} (${metaName})` : r.name)));
  }
  return errors;
}
