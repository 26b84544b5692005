/**
 * The mock runtime every spec shares (mocks are process-global): deterministic stand-ins for the
 * providers, Kubernetes auto-naming, and a recorder of every registration with its parent,
 * dependencies and options, read from the gRPC request as the engine would receive it.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** The key the engine uses to mark a secret value in serialized properties. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  remote: boolean;
  /** URNs this resource depends on (dependsOn plus every input's resources). */
  dependencies: string[];
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** Input paths whose changes the engine ignores on an existing resource. */
  ignoreChanges?: string[];
  customTimeouts?: { create: string; update: string; delete: string };
  /** Inputs as sent, secrets unwrapped. */
  inputs: any;
  /** Paths of inputs that were sent as secrets ("stringData.DB_PASS"). */
  secretInputPaths: string[];
  /** State as the mock returned it (auto-names filled in), secrets unwrapped. */
  state: any;
}

/** Unwraps secret markers, listing the paths that were secret. */
export function unwrapSecrets(value: any, path = "", paths: string[] = []): any {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, paths));
  if (value && typeof value === "object") {
    if (value[SIG_KEY] === SECRET_SIG) {
      paths.push(path);
      return unwrapSecrets(value.value, path, []);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, paths)]));
  }
  return value;
}

class Recorder {
  private items: RecordedResource[] = [];
  reset() { this.items = []; }
  snapshot(): RecordedResource[] { return [...this.items]; }
  record(req: any, urn: string, stateStruct: any) {
    const secretInputPaths: string[] = [];
    const inputs = unwrapSecrets(req.getObject()?.toJavaScript() ?? {}, "", secretInputPaths);
    const timeouts = req.getCustomtimeouts();
    this.items.push({
      urn,
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      custom: req.getCustom(),
      remote: req.getRemote(),
      dependencies: req.getDependenciesList(),
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      deleteBeforeReplace: req.getDeletebeforereplace() === true,
      ignoreChanges: req.getIgnorechangesList(),
      customTimeouts: timeouts ? { create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() } : undefined,
      inputs,
      secretInputPaths,
      state: unwrapSecrets(stateStruct?.toJavaScript() ?? {}),
    });
  }
}

export const recorder = new Recorder();

function digest(...parts: string[]): Buffer {
  return crypto.createHash("sha256").update(parts.join("\0")).digest();
}

/** The ClusterIP the mock cluster gives a Service it is asked to read: in k3s's 10.43.0.0/16, derived from its name. */
export function mockClusterIp(name: string): string {
  const [a, b] = digest("clusterIP", name);
  return `10.43.${a}.${Math.max(b, 1)}`;
}

/** `n` bytes derived from `seed`: the same run after run, so two runs can be compared. */
export function deterministicBytes(seed: string, n: number): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0; chunks.length * 32 < n; i++) chunks.push(digest(seed, String(i)));
  return Buffer.concat(chunks).subarray(0, n);
}

const ecKeys = new Map<string, crypto.KeyObject>();
/** A real P-256 key per resource name (generated once per process). */
function ecKey(name: string): crypto.KeyObject {
  let key = ecKeys.get(name);
  if (!key) {
    key = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    ecKeys.set(name, key);
  }
  return key;
}

/**
 * The state of objects that exist before the run, by "type::name": the engine's view of a later `pulumi up` (an
 * ignored field keeps its old value, a read returns the live object). Set through `withExistingState`.
 */
const existing = new Map<string, Record<string, any>>();

function merge(base: any, over: any): any {
  if (!over || typeof over !== "object" || Array.isArray(over)) return over;
  const out = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out;
}

/** Runs `run` with `states` ("type::name" → state) as the objects that exist already. */
export async function withExistingState<T>(states: Record<string, Record<string, any>>, run: () => Promise<T>): Promise<T> {
  for (const [key, state] of Object.entries(states)) existing.set(key, state);
  try {
    return await run();
  } finally {
    existing.clear();
  }
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function providerState(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
  const inputs = args.inputs;
  switch (args.type) {
    case "random:index/randomBytes:RandomBytes": {
      const bytes = deterministicBytes(args.name, inputs.length);
      return { ...inputs, hex: bytes.toString("hex"), base64: bytes.toString("base64") };
    }
    case "random:index/randomPassword:RandomPassword": {
      const bytes = deterministicBytes(args.name, inputs.length);
      const result = [...bytes].map((b) => ALNUM[b % ALNUM.length]).join("");
      return { ...inputs, result, bcryptHash: `$2a$10$${result}` };
    }
    case "tls:index/privateKey:PrivateKey": {
      const key = ecKey(args.name);
      return {
        ...inputs,
        privateKeyPem: key.export({ format: "pem", type: "sec1" }).toString(),
        publicKeyPem: crypto.createPublicKey(key).export({ format: "pem", type: "spki" }).toString(),
      };
    }
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert": {
      const body = deterministicBytes(args.name, 96).toString("base64");
      return { ...inputs, certPem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n` };
    }
    case "kubernetes-cert-manager:index:CertManager":
      return { ...inputs, status: { name: args.name, namespace: inputs.helmOptions?.namespace ?? "cert-manager", status: "deployed" } };
    default:
      break;
  }
  if (args.type.startsWith("kubernetes:")) {
    // The Kubernetes provider names an object `${name}-${random}` when metadata.name is not set.
    const metadata = { ...(inputs.metadata ?? {}) };
    if (!metadata.name) metadata.name = `${args.name}-${digest(args.type, args.name).toString("hex").slice(0, 8)}`;
    const before = existing.get(`${args.type}::${args.name}`);
    // A read Service (Service.get) has the address the cluster gave it: one of k3s's service range, by name.
    const read = args.id && args.type === "kubernetes:core/v1:Service" ? { spec: { clusterIP: mockClusterIp(args.name), clusterIPs: [mockClusterIp(args.name)] } } : {};
    return before ? merge({ ...inputs, ...read, metadata }, before) : { ...inputs, ...read, metadata };
  }
  return inputs;
}

export const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    return { id: `${args.name}-id`, state: providerState(args) };
  },
  call(args) {
    return args.inputs;
  },
};

/** Installs the mocks and the recorder; `preview` makes unknowns stay unknown, as in `pulumi preview`. */
export async function installMocks(preview = false): Promise<void> {
  await pulumi.runtime.setMocks(mocks, "mastodon-test", "test", preview);
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) =>
    register(req, (err: any, resp: any) => {
      if (!err) recorder.record(req, resp.getUrn(), resp.getObject());
      callback(err, resp);
    });
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

/** Runs `program` and waits until every registration it caused has been answered. */
export async function runProgram<T>(program: () => T): Promise<{ result: T; resources: RecordedResource[] }> {
  // Each run is a deployment of its own, as each `pulumi up` is: a fresh engine connection (the preview mode kept).
  await installMocks(pulumi.runtime.isDryRun());
  recorder.reset();
  const result = program();
  await waitForRPCs();
  return { result, resources: recorder.snapshot() };
}

/**
 * Runs the Pulumi program in `modulePath` afresh (as `pulumi up` would load it), with `config`
 * (keys without the project prefix) added to the stack config, and records what it registers.
 * Returns the program's exports as `result`.
 */
export async function runProgramModule<T = Record<string, pulumi.Output<unknown>>>(modulePath: string, config: Record<string, string> = {}) {
  const saved = pulumi.runtime.allConfig();
  const project = pulumi.getProject();
  return runProgram(() => {
    pulumi.runtime.setAllConfig({ ...saved, ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`${project}:${k}`, v])) });
    try {
      delete require.cache[modulePath];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(modulePath) as T;
    } finally {
      pulumi.runtime.setAllConfig(saved);
    }
  });
}
