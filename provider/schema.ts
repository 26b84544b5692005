/**
 * The package schema as other languages receive it: the schema the analyzer infers from the
 * documented interfaces (args/contract.ts), with the secret inputs marked `secret`, which TypeScript
 * cannot express to the analyzer. sdk/schema.json is written from `MastodonProvider`, and
 * `servePlugin` makes the plugin Pulumi launches serve the same schema.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { MastodonCluster } from "./mastodonCluster";
import { MastodonPlatform } from "./platform";

export const MASTODON_CLUSTER_TOKEN = "mastodon:index:MastodonCluster";

/**
 * The inputs that hold secrets, per component, as paths through its args; "secrets.*" is every
 * property of `secrets`. Each is a `pulumi.Input`, never plain: SDKs that honour the mark send
 * the value as a secret Output. The component wraps each in pulumi.secret() whatever the schema
 * says; the mark lets generated SDKs and docs treat them as secrets too.
 */
export const SECRET_INPUTS: { readonly [resource: string]: readonly string[] } = {
  [MASTODON_CLUSTER_TOKEN]: [
    "secrets.*",
    "postgresql.external.password",
    "redis.external.password",
    "media.s3.secretAccessKey",
    "postgresql.cloudNativePG.backup.secretAccessKey",
    "backups.s3.accessKeyId",
    "backups.s3.secretAccessKey",
    "smtp.password",
    "search.external.password",
  ],
};

/** The parts of a Pulumi package schema this module and its tests read. */
export interface PropertySpec {
  type?: string;
  $ref?: string;
  items?: PropertySpec;
  additionalProperties?: PropertySpec;
  description?: string;
  optional?: boolean;
  plain?: boolean;
  secret?: boolean;
}

export interface ObjectTypeSpec {
  type: string;
  properties: { [name: string]: PropertySpec };
  required: string[];
  description?: string;
}

export interface ResourceSpec {
  isComponent?: boolean;
  description?: string;
  inputProperties: { [name: string]: PropertySpec };
  requiredInputs: string[];
  properties: { [name: string]: PropertySpec };
  required: string[];
}

export interface PackageSpec {
  name: string;
  version: string;
  description?: string;
  resources: { [token: string]: ResourceSpec };
  types: { [token: string]: ObjectTypeSpec };
  [key: string]: unknown;
}

/** The object type a property holds (directly or as array items), if it holds one. */
function objectTypeOf(schema: PackageSpec, prop: PropertySpec): ObjectTypeSpec | undefined {
  const ref = prop.$ref ?? prop.items?.$ref;
  return ref?.startsWith("#/types/") ? schema.types[ref.slice("#/types/".length)] : undefined;
}

/**
 * A copy of `schema` in which the input at each path of `secretInputs` is `secret: true`. A path
 * that names no input throws: a renamed field must not silently lose its mark.
 */
export function markSecrets(schema: PackageSpec, secretInputs: { readonly [resource: string]: readonly string[] }): PackageSpec {
  const marked: PackageSpec = JSON.parse(JSON.stringify(schema));
  for (const [resource, paths] of Object.entries(secretInputs)) markResourceSecrets(marked, resource, paths);
  return marked;
}

function markResourceSecrets(marked: PackageSpec, resource: string, paths: readonly string[]): void {
  const root = marked.resources[resource];
  if (!root) throw new Error(`markSecrets: the schema has no resource ${resource}`);
  for (const secretPath of paths) {
    const segments = secretPath.split(".");
    let properties = root.inputProperties;
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      if (last && segment === "*") {
        for (const prop of Object.values(properties)) prop.secret = true;
        break;
      }
      const prop = properties[segment];
      if (!prop) throw new Error(`markSecrets: ${resource} has no input ${segments.slice(0, i + 1).join(".")} (from "${secretPath}")`);
      if (last) {
        prop.secret = true;
        break;
      }
      const type = objectTypeOf(marked, prop);
      if (!type) throw new Error(`markSecrets: input ${segments.slice(0, i + 1).join(".")} of ${resource} is not an object (from "${secretPath}")`);
      properties = type.properties;
    }
  }
}

function providerPackageJson(): { name: string; version: string } {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8"));
}

/**
 * The package's components, taken from their own modules (index.ts imports this one, never the
 * reverse); test/sdk/schema.spec.ts checks that index.ts exports exactly these.
 */
export const COMPONENTS = { MastodonCluster, MastodonPlatform };

/**
 * The component provider of the `mastodon` package: its components, found as Pulumi's plugin
 * launcher finds them, and the schema with the secret inputs marked.
 */
export class MastodonProvider extends ComponentProvider {
  constructor() {
    super({ name: providerPackageJson().name, dirname: __dirname, components: getPulumiComponents(COMPONENTS) });
  }

  /** The schema as the CLI reads it (JSON text, as ComponentProvider returns it). */
  override async getSchema(): Promise<string> {
    const inferred: PackageSpec = JSON.parse(await super.getSchema());
    return JSON.stringify(markSecrets(inferred, SECRET_INPUTS));
  }
}

/** True when Pulumi's Node.js plugin launcher (@pulumi/pulumi/cmd/run-plugin) is loading this package. */
export function launchedAsPlugin(main: string | undefined = require.main?.filename): boolean {
  return /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run-plugin([\\/]|$)/.test(main ?? "");
}

/**
 * Serves MastodonProvider when Pulumi launches this folder as a plugin (`pulumi package add`, a
 * YAML program's `packages:`); does nothing when a program or a test imports the package. The
 * launcher then finds the exported component and starts its own plain ComponentProvider, whose
 * schema has no secret marks, but pulumi.provider.main serves once per process: ours is the one
 * the CLI talks to.
 */
export function servePlugin(): void {
  if (launchedAsPlugin()) void pulumi.provider.main(new MastodonProvider(), process.argv.slice(2));
}
