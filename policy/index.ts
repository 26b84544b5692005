/**
 * The mastodon-egress policy pack: forbids egress outside the cluster CIDRs on any stack.
 * Constructing the PolicyPack starts the analyzer's gRPC server, so nothing but the Pulumi CLI imports this file.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, { policies, enforcementLevel: "mandatory" });
