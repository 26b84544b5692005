/**
 * One Mastodon instance whose release comes from stack config, to preview and apply upgrades:
 *
 *   pulumi config set version v4.6.6
 *   pulumi preview --diff      # new migration Jobs, updated Deployments, nothing stateful touched
 *   pulumi up                  # pre-migration → rollout → post-migration
 *
 * Stack config: `version` (a release tag; default: the component's), `domain` (default
 * social.example; never change it once the instance has started). plan.ts shows offline what a
 * version change does; README.md walks through it.
 */
import * as pulumi from "@pulumi/pulumi";
import { MastodonCluster } from "../../provider";

const config = new pulumi.Config();
const release = config.get("version");
const social = new MastodonCluster("social", {
  domain: config.get("domain") ?? "social.example",
  ...(release ? { version: release } : {}),
});

export const url = social.url;
export const version = social.version;
export const adminCommand = social.adminCommand;
