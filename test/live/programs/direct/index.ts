/**
 * The baseline of the real-engine benchmark (bench/live.ts): every Kubernetes object a deployed
 * instance's stack holds, registered directly with the inputs the component sent (read from
 * `pulumi stack export`, in the file named by config `resources`) and the same dependencies, so
 * that the only difference from programs/instance is the component itself.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";

/** The signature Pulumi's state gives a secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A state value as an input: secrets (`--show-secrets` gives their plaintext) become secrets again. */
function revive(value: any): any {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === "object") {
    if (value[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") return pulumi.secret(revive(JSON.parse(value.plaintext)));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

/** A resource of any Kubernetes type, by its type token: what a generated class such as k8s.apps.v1.Deployment registers. */
class KubernetesObject extends pulumi.CustomResource {
  constructor(type: string, name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(type, name, inputs, opts);
  }
}

const config = new pulumi.Config();
const exported: any[] = JSON.parse(fs.readFileSync(config.require("resources"), "utf8"));
const byUrn = new Map<string, pulumi.CustomResource>();
for (const r of exported) {
  if (!r.custom || String(r.type).startsWith("pulumi:")) continue;
  const dependsOn = (r.dependencies ?? []).map((u: string) => byUrn.get(u)).filter((d: unknown): d is pulumi.CustomResource => !!d);
  const name = String(r.urn).split("::").pop()!;
  byUrn.set(r.urn, new KubernetesObject(r.type, name, revive(r.inputs), { dependsOn }));
}
