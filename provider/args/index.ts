/**
 * The args of the package's components, in one folder whose files say which is which:
 * - contract.ts: the documented interfaces, the one public contract (the package schema is inferred from them);
 * - defaults.ts: the defaults and fixed values;
 * - fields.ts: the validators of single values, with the sentences users read;
 * - clusterSchema.ts: MastodonClusterArgs's fields, each with its rule and default;
 * - rules.ts: the rules across fields, and the warnings;
 * - resolve.ts: parseArgs, and the resolved MastodonConfig every module builds from;
 * - platformSchema.ts: MastodonPlatformArgs's schema and parsePlatformArgs.
 */
export type * from "./contract";
export * from "./defaults";
export { mastodonClusterArgsSchema, parseArgs } from "./resolve";
export type { AutoscalingConfig, EgressGatewaySettings, MastodonConfig, SidekiqWorkerConfig } from "./resolve";
export { argsWarnings, connectionBudget, dataServerMinimum, imageTag, isInCluster, maxReplicas, poolerSizing, searchDeployConnections } from "./rules";
export { parsePlatformArgs } from "./platformSchema";
export type { MastodonPlatformConfig } from "./platformSchema";
