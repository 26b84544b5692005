/**
 * The pack as the Pulumi CLI runs it: policy/index.ts in a child process (never imported here: the PolicyPack
 * constructor starts a gRPC server), driven over gRPC with the engine's own messages. Shows that runPolicies and
 * runRemediations report what the real analyzer reports.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { CheckedResource, runPolicies, runRemediations, UNKNOWN, urnOf } from "../../policy/check";
import { policies } from "../../policy/policies";
import { deployment, egressPolicy, service } from "./fixtures";

const POLICY_DIR = path.join(__dirname, "..", "..", "policy");
const LEVELS = ["advisory", "mandatory", "disabled", "remediate"];

function unary<Req, Res>(client: AnalyzerClient, method: string, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    (client as any)[method](request, (error: grpc.ServiceError | null, response: Res) => (error ? reject(error) : resolve(response)));
  });
}

function analyzeRequest(resource: CheckedResource): pb.AnalyzeRequest {
  const request = new pb.AnalyzeRequest();
  request.setType(resource.type);
  request.setName(resource.name);
  request.setUrn(urnOf(resource));
  request.setOptions(new pb.AnalyzerResourceOptions());
  request.setProperties(Struct.fromJavaScript(resource.props));
  return request;
}

function stackResource(resource: CheckedResource): pb.AnalyzerResource {
  const r = new pb.AnalyzerResource();
  r.setType(resource.type);
  r.setName(resource.name);
  r.setUrn(urnOf(resource));
  r.setOptions(new pb.AnalyzerResourceOptions());
  r.setProperties(Struct.fromJavaScript(resource.props));
  return r;
}

/** The engine's diagnostics in runPolicies' terms: the CLI's message is the description, a newline, then ours. */
function asFindings(response: pb.AnalyzeResponse, resourceUrn: string) {
  return response.getDiagnosticsList().map((d) => {
    const level = LEVELS[d.getEnforcementlevel()];
    const prefix = `${d.getDescription()}\n`;
    const message = level !== "advisory" && d.getMessage().startsWith(prefix) ? d.getMessage().slice(prefix.length) : d.getMessage();
    return { policy: d.getPolicyname(), resource: d.getUrn() || resourceUrn, message, enforcementLevel: level };
  });
}

describe("policy/index.ts served by @pulumi/policy over gRPC", function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let client: AnalyzerClient;

  before(async () => {
    const started = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], {
      cwd: POLICY_DIR,
      env: { ...process.env, TS_NODE_PROJECT: path.join(POLICY_DIR, "tsconfig.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    const port = await new Promise<string>((resolve, reject) => {
      let stdout = "";
      let stderr = "";
      started.stdout.on("data", (chunk) => {
        stdout += chunk;
        const match = stdout.match(/^(\d+)\s/);
        if (match) resolve(match[1]);
      });
      started.stderr.on("data", (chunk) => (stderr += chunk));
      started.on("exit", (code) => reject(new Error(`the pack exited with ${code}: ${stderr}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  it("announces the four policies at the mandatory level with the clusterCidrs schema", async () => {
    const info = await unary<Empty, pb.AnalyzerInfo>(client, "getAnalyzerInfo", new Empty());
    assert.equal(info.getName(), "mastodon-egress");
    assert.deepEqual(
      info.getPoliciesList().map((p) => [p.getName(), LEVELS[p.getEnforcementlevel()]]),
      policies.map((p) => [p.name, "mandatory"]),
    );
    for (const p of info.getPoliciesList()) {
      const schema = p.getConfigschema()?.getProperties()?.toJavaScript() as any;
      assert.deepEqual(schema.clusterCidrs.default, ["10.42.0.0/16", "10.43.0.0/16"], p.getName());
    }
  });

  it("reports on each resource what runPolicies reports, advisories of unknown values included", async () => {
    const resources = [
      egressPolicy([{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }, {}, { to: [{ ipBlock: { cidr: UNKNOWN } }] }]),
      deployment("web", { hostNetwork: true }),
      service("s3", { type: "ExternalName", externalName: "s3.example.com" }),
    ];
    const expected = runPolicies(resources).filter((f) => f.policy !== "workload-without-egress-policy");
    assert.equal(expected.length, 5);
    const reported = [];
    for (const resource of resources) {
      const response = await unary<pb.AnalyzeRequest, pb.AnalyzeResponse>(client, "analyze", analyzeRequest(resource));
      reported.push(...asFindings(response, urnOf(resource)));
    }
    assert.deepEqual(reported, expected);
  });

  it("reports on the stack what runPolicies reports", async () => {
    const resources = [egressPolicy([], "deny", "a"), deployment("web", { namespace: "a" }), deployment("web", { namespace: "b" })];
    const request = new pb.AnalyzeStackRequest();
    request.setResourcesList(resources.map(stackResource));
    const response = await unary<pb.AnalyzeStackRequest, pb.AnalyzeResponse>(client, "analyzeStack", request);
    const expected = runPolicies(resources);
    assert.equal(expected.length, 1);
    assert.deepEqual(asFindings(response, ""), expected);
  });

  it("remediates under the remediate level as runRemediations does", async () => {
    const configure = new pb.ConfigureAnalyzerRequest();
    const config = new pb.PolicyConfig();
    config.setEnforcementlevel(pb.EnforcementLevel.REMEDIATE);
    config.setProperties(Struct.fromJavaScript({ clusterCidrs: ["10.42.0.0/16", "10.44.0.0/16"] }));
    configure.getPolicyconfigMap().set("networkpolicy-egress-outside-cluster", config);
    await unary(client, "configure", configure);

    const policy = egressPolicy([{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.42.7.0/24"] } }] }, { ports: [{ port: 53 }] }]);
    const response = await unary<pb.AnalyzeRequest, pb.RemediateResponse>(client, "remediate", analyzeRequest(policy));
    const [remediation, ...rest] = response.getRemediationsList();
    assert.equal(rest.length, 0);
    assert.equal(remediation.getPolicyname(), "networkpolicy-egress-outside-cluster");
    const expected = runRemediations(policy, { clusterCidrs: ["10.42.0.0/16", "10.44.0.0/16"] });
    assert.deepEqual(remediation.getProperties()?.toJavaScript(), expected.props);
    assert.deepEqual(expected.props.spec.egress, [
      { to: [{ ipBlock: { cidr: "10.42.0.0/16", except: ["10.42.7.0/24"] } }, { ipBlock: { cidr: "10.44.0.0/16" } }] },
      { ports: [{ port: 53 }], to: [{ ipBlock: { cidr: "10.42.0.0/16" } }, { ipBlock: { cidr: "10.44.0.0/16" } }] },
    ]);
  });
});
