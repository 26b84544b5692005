import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { Policies, ResourceValidationArgs, StackValidationArgs, validateResourceOfType } from "@pulumi/policy";
import { runPolicies, runRemediations, UNKNOWN, urnOf } from "../../policy/check";
import { deployment, egressPolicy, ipBlockPolicy, networkPolicy, NETWORK_POLICY, service } from "./fixtures";

describe("policy/check", () => {
  describe("runPolicies", () => {
    it("finds nothing in a stack that keeps its traffic inside the cluster", () => {
      const stack = [
        egressPolicy([{ to: [{ podSelector: {} }, { ipBlock: { cidr: "10.43.0.10/32" } }] }], "default-deny-egress"),
        deployment("web"),
        deployment("streaming", { labels: { app: "streaming" } }),
        service("web", { type: "ClusterIP", selector: { app: "web" } }),
        { type: "kubernetes:core/v1:ConfigMap", name: "env", props: { metadata: { name: "env", namespace: "mastodon" }, data: {} } },
      ];
      assert.deepEqual(runPolicies(stack), []);
    });

    it("runs resource policies on each resource in order, then stack policies", () => {
      const found = runPolicies([deployment("web", { hostNetwork: true }), ipBlockPolicy("8.8.8.8/32")]);
      assert.deepEqual(
        found.map((f) => f.policy),
        ["host-network-pod", "networkpolicy-egress-outside-cluster"],
      );
      const unselected = runPolicies([deployment("web", { hostNetwork: true })]);
      assert.deepEqual(unselected.map((f) => f.policy), ["host-network-pod", "workload-without-egress-policy"]);
    });

    it("hands a resource policy the engine's args, props wrapped in unknownCheckingProxy", () => {
      const seen: ResourceValidationArgs[] = [];
      const probe: Policies = [{ name: "probe", description: "probe", validateResource: (args) => void seen.push(args) }];
      const np = ipBlockPolicy("10.42.0.0/16");
      runPolicies([np], { clusterCidrs: ["10.0.0.0/8"] }, probe);
      const [args] = seen;
      assert.equal(args.type, NETWORK_POLICY);
      assert.equal(args.name, "egress");
      assert.equal(args.urn, urnOf(np));
      assert.equal((args.props as any).__isSpecialProxy, true);
      assert.equal(args.props.spec.egress[0].to[0].ipBlock.cidr, "10.42.0.0/16");
      assert.equal(args.isType(k8s.networking.v1.NetworkPolicy), true);
      assert.equal(args.isType(k8s.core.v1.Service), false);
      assert.deepEqual(args.getConfig(), { clusterCidrs: ["10.0.0.0/8"] });
      assert.equal(args.opts.protect, false);
    });

    it("hands a stack policy every resource, proxied, and reports against the URN it names or the stack", () => {
      let seen: StackValidationArgs | undefined;
      const probe: Policies = [
        {
          name: "probe",
          description: "probe",
          validateStack: (args, report) => {
            seen = args;
            report("whole stack");
            report("one resource", args.resources[1].urn);
          },
        },
      ];
      const resources = [ipBlockPolicy("10.42.0.0/16"), { ...deployment("web"), urn: "urn:pulumi:dev::m::kubernetes:apps/v1:Deployment::web" }];
      const found = runPolicies(resources, undefined, probe);
      assert.deepEqual(seen!.resources.map((r) => r.name), ["egress", "web"]);
      assert.equal((seen!.resources[0].props as any).__isSpecialProxy, true);
      assert.deepEqual(seen!.getConfig(), {});
      assert.deepEqual(
        found.map((f) => [f.resource, f.message]),
        [
          ["", "whole stack"],
          ["urn:pulumi:dev::m::kubernetes:apps/v1:Deployment::web", "one resource"],
        ],
      );
    });

    it("skips a resource of another type before calling a validateResourceOfType policy", () => {
      let calls = 0;
      const probe: Policies = [
        { name: "probe", description: "probe", validateResource: validateResourceOfType(k8s.networking.v1.NetworkPolicy, () => void calls++) },
      ];
      runPolicies([service("s", {}), deployment("d"), ipBlockPolicy("10.42.0.0/16")], undefined, probe);
      assert.equal(calls, 1);
    });

    it("honours notApplicable, disabled policies, and reports remediate as mandatory", () => {
      const probe: Policies = [
        { name: "not-applicable", description: "", validateResource: (args) => args.notApplicable("no") },
        { name: "disabled", description: "", enforcementLevel: "disabled", validateResource: (_, report) => report("never") },
        { name: "remediate", description: "", enforcementLevel: "remediate", validateResource: (_, report) => report("still wrong") },
      ];
      assert.deepEqual(
        runPolicies([deployment("d")], undefined, probe).map((f) => [f.policy, f.enforcementLevel]),
        [["remediate", "mandatory"]],
      );
    });

    it("fails the run when a policy throws, as the engine's RPC fails", () => {
      const probe: Policies = [{ name: "broken", description: "", validateResource: () => { throw new Error("boom"); } }];
      assert.throws(() => runPolicies([deployment("d")], undefined, probe), /Error validating resource with policy 'broken' from policy pack 'mastodon-egress@v0.1.0': boom/);
    });

    it("refuses asynchronous policies instead of skipping their result", () => {
      const probe: Policies = [{ name: "async", description: "", validateResource: async () => undefined }];
      assert.throws(() => runPolicies([deployment("d")], undefined, probe), /returned a promise/);
    });

    it("makes an advisory of a value unknown during preview, as the engine does", () => {
      const probe: Policies = [{ name: "reads", description: "", validateResource: (args) => void args.props.spec.replicas }];
      const d = deployment("d");
      d.props.spec.replicas = UNKNOWN;
      const [finding] = runPolicies([d], undefined, probe);
      assert.equal(finding.enforcementLevel, "advisory");
      assert.equal(finding.message, "can't run policy 'reads' from policy pack 'mastodon-egress@v0.1.0' during preview: string value at .spec.replicas can't be known during preview");
    });
  });

  describe("runRemediations", () => {
    it("returns plain objects and leaves the input alone", () => {
      const np = egressPolicy([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }]);
      const before = structuredClone(np.props);
      const { props } = runRemediations(np);
      assert.deepEqual(np.props, before);
      assert.equal((props as any).__isSpecialProxy, undefined);
      assert.equal((props.metadata as any).__isSpecialProxy, undefined);
      assert.deepEqual(props.spec.egress[0].to, [{ ipBlock: { cidr: "10.42.0.0/15" } }]);
    });

    it("hands each remediation the previous one's result", () => {
      const probe: Policies = [
        { name: "first", description: "", remediateResource: (args) => ({ ...args.props, step: 1 }) },
        { name: "noop", description: "", remediateResource: () => undefined },
        { name: "second", description: "", remediateResource: (args) => ({ ...args.props, step: args.props.step + 1 }) },
      ];
      const { props, remediatedBy } = runRemediations(deployment("d"), undefined, probe);
      assert.equal(props.step, 2);
      assert.deepEqual(remediatedBy, ["first", "second"]);
    });

    it("reports a remediation that meets an unknown value and keeps the props", () => {
      const np = networkPolicy("np", { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: UNKNOWN } }] }] });
      const { props, remediatedBy, diagnostics } = runRemediations(np);
      assert.deepEqual(remediatedBy, []);
      assert.equal(props.spec.egress[0].to[0].ipBlock.cidr, UNKNOWN);
      assert.match(diagnostics[0], /can't run remediation 'networkpolicy-egress-outside-cluster'.*during preview/);
    });
  });
});
