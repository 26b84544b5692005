/** What every module needs to create an instance's objects. */
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";

export interface BuildContext {
  /** The component's name: the prefix of every object name. */
  name: string;
  /** The namespace, an Output when the component creates it (so objects wait for it). */
  namespace: pulumi.Input<string>;
  config: MastodonConfig;
  /** Options for every child: parented to the component. */
  opts: pulumi.CustomResourceOptions;
  /** Resolves once the version change is allowed (versionRecord.ts): the data servers' images wait for it. */
  versionsChecked?: pulumi.Output<void>;
}

/** `value` once the version change is allowed: an object holding it changes only after the check passed. */
export function afterVersionCheck<T>(ctx: BuildContext, value: T): pulumi.Input<T> {
  return ctx.versionsChecked ? ctx.versionsChecked.apply(() => value) as pulumi.Output<T> : value;
}

/** Options for a child, with extra dependencies. */
export function childOpts(ctx: BuildContext, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
  return { ...ctx.opts, ...extra };
}
