import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { runPolicies, runRemediations, UNKNOWN } from "../../policy/check";
import { AddressSet, blockSet, Cidr, EMPTY, intersection, isSubset, parseCidr, setOf, union } from "../../policy/cidr";
import { networkPolicyEgressOutsideCluster } from "../../policy/networkPolicyEgressOutsideCluster";
import { IPV6_GLOBAL_UNICAST, NON_PUBLIC, NON_PUBLIC_IPV4, NON_PUBLIC_IPV6_GLOBAL } from "../../policy/publicAddresses";
import { DEFAULT_ALLOWED, egressPolicy, findings, ipBlockPolicy, messages, networkPolicy, service } from "./fixtures";

const POLICY = "networkpolicy-egress-outside-cluster";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, text);
  return parsed;
}

function strictlyInside(inner: string, outer: string): boolean {
  return cidr(inner).prefixLength > cidr(outer).prefixLength && isSubset(setOf([cidr(inner)]), setOf([cidr(outer)]));
}

describe("policy/networkPolicyEgressOutsideCluster", () => {
  it("is a mandatory, high-severity resource policy on NetworkPolicies with a remediation", () => {
    assert.equal(networkPolicyEgressOutsideCluster.name, POLICY);
    assert.equal(networkPolicyEgressOutsideCluster.enforcementLevel, "mandatory");
    assert.equal(networkPolicyEgressOutsideCluster.severity, "high");
    assert.equal(typeof networkPolicyEgressOutsideCluster.remediateResource, "function");
  });

  describe("allows", () => {
    const allowed: Array<[string, any, { clusterCidrs?: string[] }?]> = [
      ["the last address of 10.43.0.0/16", [{ to: [{ ipBlock: { cidr: "10.43.255.255/32" } }] }]],
      ["10.42.0.0/15, covered by the union of the two /16s", [{ to: [{ ipBlock: { cidr: "10.42.0.0/15" } }] }]],
      ["a block with host bits set inside the cluster", [{ to: [{ ipBlock: { cidr: "10.42.7.7/16" } }] }]],
      [
        "10.0.0.0/8 whose except entries cut it down to the cluster",
        [
          {
            to: [
              {
                ipBlock: {
                  cidr: "10.0.0.0/8",
                  except: ["10.0.0.0/11", "10.32.0.0/13", "10.40.0.0/15", "10.44.0.0/14", "10.48.0.0/12", "10.64.0.0/10", "10.128.0.0/9"],
                },
              },
            ],
          },
        ],
      ],
      ["a block inside with its own except", [{ to: [{ ipBlock: { cidr: "10.42.0.0/16", except: ["10.42.1.0/24"] } }] }]],
      ["pod and namespace selectors (pods of the cluster)", [{ to: [{ podSelector: { matchLabels: { app: "redis" } } }, { namespaceSelector: {} }] }]],
      ["egress: [] (deny all)", []],
      ["an IPv6 block inside IPv6 cluster CIDRs", [{ to: [{ ipBlock: { cidr: "fd00:42::/64" } }] }], { clusterCidrs: ["10.42.0.0/16", "fd00:42::/56"] }],
      ["an address inside a custom cluster CIDR", [{ to: [{ ipBlock: { cidr: "172.16.5.0/24" } }] }], { clusterCidrs: ["172.16.0.0/12"] }],
    ];
    for (const [what, egress, config] of allowed) {
      it(what, () => {
        assert.deepEqual(messages(POLICY, [egressPolicy(egress)], config), []);
      });
    }

    it("a NetworkPolicy without egress rules", () => {
      const ingressOnly = networkPolicy("ingress", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] });
      assert.deepEqual(messages(POLICY, [ingressOnly]), []);
    });

    it("other resource types, whatever they hold", () => {
      const notAPolicy = service("web", { egress: [{}] } as any);
      assert.deepEqual(messages(POLICY, [notAPolicy]), []);
    });
  });

  describe("rejects", () => {
    const rejected: Array<[string, any, string[], { clusterCidrs?: string[] }?]> = [
      [
        "10.44.0.0/32, just past the cluster",
        [{ to: [{ ipBlock: { cidr: "10.44.0.0/32" } }] }],
        ["spec.egress[0].to[0].ipBlock 10.44.0.0/32 reaches addresses outside the cluster CIDRs (10.44.0.0/32)"],
      ],
      [
        "0.0.0.0/0 except 10.0.0.0/8",
        [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }],
        ["ipBlock 0.0.0.0/0 except [10.0.0.0/8] reaches addresses outside the cluster CIDRs (0.0.0.0/5, 8.0.0.0/7, 11.0.0.0/8 and 5 more blocks)"],
      ],
      [
        "10.42.0.0/14, half outside",
        [{ to: [{ ipBlock: { cidr: "10.42.0.0/14" } }] }],
        ["ipBlock 10.42.0.0/14 reaches addresses outside the cluster CIDRs (10.40.0.0/15)"],
      ],
      [
        "10.42.0.0/15 when only 10.42.0.0/16 is allowed",
        [{ to: [{ ipBlock: { cidr: "10.42.0.0/15" } }] }],
        ["outside the cluster CIDRs (10.43.0.0/16); allowed ranges: 10.42.0.0/16"],
        { clusterCidrs: ["10.42.0.0/16"] },
      ],
      [
        "an IPv6 block when no IPv6 range is allowed",
        [{ to: [{ ipBlock: { cidr: "fd00:42::/64" } }] }],
        ["ipBlock fd00:42::/64 reaches addresses outside the cluster CIDRs (fd00:42::/64)"],
      ],
      [
        "::/0 except an IPv4 block",
        [{ to: [{ ipBlock: { cidr: "::/0", except: ["10.0.0.0/8"] } }] }],
        ["ipBlock ::/0 except [10.0.0.0/8] reaches addresses outside the cluster CIDRs (::/0)"],
      ],
      [
        "an IPv4-mapped IPv6 block of the cluster's addresses",
        [{ to: [{ ipBlock: { cidr: "::ffff:10.42.0.0/112" } }] }],
        ["outside the cluster CIDRs (::ffff:a2a:0/112)"],
      ],
      [
        "an IPv6 block only partly inside IPv6 cluster CIDRs",
        [{ to: [{ ipBlock: { cidr: "fd00:42::/55" } }] }],
        ["outside the cluster CIDRs (fd00:42:0:100::/56); allowed ranges: 10.42.0.0/16, fd00:42::/56"],
        { clusterCidrs: ["10.42.0.0/16", "fd00:42::/56"] },
      ],
      ["a rule with no to", [{ ports: [{ port: 53, protocol: "UDP" }] }], ['spec.egress[0] has no "to", so it allows egress to every destination']],
      ["a rule with an empty to", [{ to: [] }], ["spec.egress[0].to is empty, so it allows egress to every destination"]],
      [
        "a malformed cidr",
        [{ to: [{ ipBlock: { cidr: "10.42.0.0/33" } }] }],
        ['spec.egress[0].to[0].ipBlock.cidr: got "10.42.0.0/33"; expected an IPv4 or IPv6 CIDR such as 10.42.0.0/16'],
      ],
      [
        "a malformed except entry",
        [{ to: [{ ipBlock: { cidr: "10.42.0.0/16", except: ["10.42.1/24"] } }] }],
        ['spec.egress[0].to[0].ipBlock.except[0]: got "10.42.1/24"; expected an IPv4 or IPv6 CIDR'],
      ],
      [
        "a peer naming nothing",
        [{ to: [{}] }],
        ["spec.egress[0].to[0] names no ipBlock, podSelector or namespaceSelector"],
      ],
    ];
    for (const [what, egress, expected, config] of rejected) {
      it(what, () => {
        const found = messages(POLICY, [egressPolicy(egress)], config);
        assert.equal(found.length, 1, found.join("\n"));
        assert.ok(found[0].startsWith("NetworkPolicy/mastodon/egress: "), found[0]);
        assert.ok(found[0].endsWith(`allowed ranges: ${config?.clusterCidrs?.join(", ") ?? "10.42.0.0/16, 10.43.0.0/16"}`), found[0]);
        for (const part of expected) assert.ok(found[0].includes(part), `${found[0]}\nshould contain\n${part}`);
      });
    }

    it("every offending peer of every rule, each with its own path", () => {
      const egress = [
        { to: [{ podSelector: {} }, { ipBlock: { cidr: "10.42.0.0/16" } }] },
        { to: [{ namespaceSelector: {} }, { ipBlock: { cidr: "8.8.8.8/32" } }, { ipBlock: { cidr: "1.1.1.1/32" } }] },
        {},
      ];
      const found = messages(POLICY, [egressPolicy(egress)]);
      assert.deepEqual(
        found.map((m) => m.split(": ")[1].split(" ")[0]),
        ["spec.egress[1].to[1].ipBlock", "spec.egress[1].to[2].ipBlock", "spec.egress[2]"],
      );
    });

    it("egress rules even when policyTypes leaves Egress out", () => {
      const dormant = networkPolicy("dormant", { podSelector: {}, policyTypes: ["Ingress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] });
      const [message] = messages(POLICY, [dormant]);
      assert.match(message, /^NetworkPolicy\/mastodon\/dormant: spec\.egress\[0\]\.to\[0\]\.ipBlock 0\.0\.0\.0\/0 reaches/);
    });

    it("naming a policy without namespace as in default, and one without name by its Pulumi name", () => {
      const noNamespace = networkPolicy("np", { podSelector: {}, egress: [{}] }, null);
      const noName = egressPolicy([{}], "pulumi-name");
      delete noName.props.metadata.name;
      const found = messages(POLICY, [noNamespace, noName]);
      assert.ok(found[0].startsWith("NetworkPolicy/default/np: "), found[0]);
      assert.ok(found[1].startsWith("NetworkPolicy/mastodon/pulumi-name: "), found[1]);
    });

    it("reports against the NetworkPolicy's URN", () => {
      const policy = { ...ipBlockPolicy("8.8.8.8/32"), urn: "urn:pulumi:dev::mastodon::kubernetes:networking.k8s.io/v1:NetworkPolicy::egress" };
      const [finding] = findings(POLICY, [policy]);
      assert.equal(finding.resource, policy.urn);
      assert.ok(finding.message.includes(DEFAULT_ALLOWED));
    });
  });

  describe("during preview", () => {
    it("turns an unknown cidr into an advisory, never a pass, and still reports what it could read", () => {
      const egress = [
        { to: [{ ipBlock: { cidr: UNKNOWN } }] },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] },
      ];
      const found = findings(POLICY, [egressPolicy(egress)]);
      assert.equal(found.length, 2);
      assert.equal(found[0].enforcementLevel, "mandatory");
      assert.match(found[0].message, /spec\.egress\[1\]\.to\[0\]\.ipBlock 0\.0\.0\.0\/0 reaches/);
      assert.equal(found[1].enforcementLevel, "advisory");
      assert.equal(
        found[1].message,
        "can't run policy 'networkpolicy-egress-outside-cluster' from policy pack 'mastodon-egress@v0.1.0' during preview: " +
          "string value at .spec.egress.0.to.0.ipBlock.cidr can't be known during preview",
      );
    });

    it("turns an unknown egress list into an advisory", () => {
      const found = findings(POLICY, [egressPolicy(UNKNOWN)]);
      assert.deepEqual(found.map((f) => f.enforcementLevel), ["advisory"]);
      assert.match(found[0].message, /at \.spec\.egress can't be known during preview/);
    });

    it("does not need a known name to check the rules", () => {
      const policy = ipBlockPolicy("10.42.0.0/16");
      policy.props.metadata.name = UNKNOWN;
      assert.deepEqual(findings(POLICY, [policy]), []);
    });
  });

  describe("remediation", () => {
    function remediated(egress: any, config?: { clusterCidrs?: string[] }, extraSpec: Record<string, any> = {}) {
      const policy = networkPolicy("egress", { podSelector: {}, policyTypes: ["Egress"], egress, ...extraSpec });
      return runRemediations(policy, config);
    }

    it("narrows 0.0.0.0/0 to the cluster CIDRs as the fewest blocks", () => {
      const { props, remediatedBy } = remediated([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }]);
      assert.deepEqual(remediatedBy, [POLICY]);
      assert.deepEqual(props.spec.egress, [{ to: [{ ipBlock: { cidr: "10.42.0.0/15" } }] }]);
    });

    it("turns a block narrowed to several CIDRs into several peers", () => {
      const { props } = remediated([{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }], { clusterCidrs: ["10.42.0.0/16", "10.44.0.0/16"] });
      assert.deepEqual(props.spec.egress[0].to, [{ ipBlock: { cidr: "10.42.0.0/16" } }, { ipBlock: { cidr: "10.44.0.0/16" } }]);
    });

    it("keeps excepted parts excepted", () => {
      const { props } = remediated([{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.42.5.0/24"] } }] }]);
      assert.deepEqual(props.spec.egress[0].to, [{ ipBlock: { cidr: "10.42.0.0/15", except: ["10.42.5.0/24"] } }]);
    });

    it("writes what is left of an except-cut block as plain blocks when that is shorter", () => {
      const { props } = remediated([{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.42.0.0/16"] } }] }]);
      assert.deepEqual(props.spec.egress[0].to, [{ ipBlock: { cidr: "10.43.0.0/16" } }]);
    });

    it("gives a rule without to the cluster CIDRs and keeps its ports", () => {
      const { props } = remediated([{ ports: [{ port: 53, protocol: "UDP" }] }, { to: [] }]);
      assert.deepEqual(props.spec.egress, [
        { ports: [{ port: 53, protocol: "UDP" }], to: [{ ipBlock: { cidr: "10.42.0.0/15" } }] },
        { to: [{ ipBlock: { cidr: "10.42.0.0/15" } }] },
      ]);
    });

    it("drops a peer wholly outside and keeps the others untouched", () => {
      const { props } = remediated([{ to: [{ podSelector: { matchLabels: { app: "redis" } } }, { ipBlock: { cidr: "8.8.8.8/32" } }] }]);
      assert.deepEqual(props.spec.egress, [{ to: [{ podSelector: { matchLabels: { app: "redis" } } }] }]);
    });

    it("removes a rule left with no peer rather than emptying its to, and writes out the policy types it had", () => {
      const policy = networkPolicy("egress", { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "1.1.1.1/32" } }] }] });
      const { props } = runRemediations(policy);
      assert.deepEqual(props.spec.egress, []);
      assert.deepEqual(props.spec.policyTypes, ["Ingress", "Egress"]);
    });

    it("drops an IPv6 block when no IPv6 range is allowed", () => {
      const { props } = remediated([{ to: [{ ipBlock: { cidr: "::/0" } }, { ipBlock: { cidr: "10.43.0.0/16" } }] }]);
      assert.deepEqual(props.spec.egress[0].to, [{ ipBlock: { cidr: "10.43.0.0/16" } }]);
    });

    it("leaves a compliant NetworkPolicy, its metadata and its ingress alone", () => {
      const egress = [{ to: [{ ipBlock: { cidr: "10.42.0.0/16" } }] }];
      const { props, remediatedBy } = remediated(egress, undefined, { ingress: [{ from: [{ podSelector: {} }] }] });
      assert.deepEqual(remediatedBy, []);
      assert.deepEqual(props.spec.egress, egress);
      const changed = remediated([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }], undefined, { ingress: [{ from: [{ podSelector: {} }] }] });
      assert.deepEqual(changed.props.metadata, { name: "egress", namespace: "mastodon" });
      assert.deepEqual(changed.props.spec.ingress, [{ from: [{ podSelector: {} }] }]);
      assert.deepEqual(changed.props.spec.policyTypes, ["Egress"]);
    });

    it("does nothing under a malformed config, which the validation reports", () => {
      const { remediatedBy } = remediated([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }], { clusterCidrs: ["10.42.0.0/33"] });
      assert.deepEqual(remediatedBy, []);
    });

    it("leaves nothing for the validation to report, and keeps exactly the allowed part of each block", () => {
      // Blocks, excepts and cluster CIDRs all within 10.42.0.0/24, so sets can be compared address by address.
      const block = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 24, max: 32 })).map(([o, l]) => `10.42.0.${o}/${l}`);
      fc.assert(
        fc.property(
          fc.array(fc.record({ cidr: block, except: fc.array(block, { maxLength: 3 }) }), { minLength: 1, maxLength: 4 }),
          fc.array(block, { maxLength: 4 }),
          (generated, cluster) => {
            // Kubernetes accepts only except entries strictly inside the block, in the input as in the output.
            const blocks = generated.map((b) => ({ cidr: b.cidr, except: b.except.filter((e) => strictlyInside(e, b.cidr)) }));
            const egress = [{ to: blocks.map((b) => ({ ipBlock: b.except.length ? b : { cidr: b.cidr } })) }];
            const allowed = setOf(cluster.map(cidr));
            const { props } = remediated(egress, { clusterCidrs: cluster });
            assert.deepEqual(findings(POLICY, [networkPolicy("egress", props.spec)], { clusterCidrs: cluster }), []);
            const before = blocks.reduce<AddressSet>((acc, b) => union(acc, blockSet(cidr(b.cidr), b.except.map(cidr))), EMPTY);
            const peers: any[] = props.spec.egress.flatMap((rule: any) => rule.to);
            for (const { ipBlock } of peers) {
              for (const e of ipBlock.except ?? []) assert.ok(strictlyInside(e, ipBlock.cidr), `${e} inside ${ipBlock.cidr}`);
            }
            const after = peers.reduce<AddressSet>(
              (acc, p) => union(acc, blockSet(cidr(p.ipBlock.cidr), (p.ipBlock.except ?? []).map(cidr))),
              EMPTY,
            );
            assert.deepEqual(after, intersection(before, allowed));
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe("with egressGateways", () => {
    const GATEWAY_LABELS = { "app.kubernetes.io/component": "egress-gateway" };
    const CONFIG = { egressGateways: [{ namespace: "social", podSelector: { matchLabels: GATEWAY_LABELS } }] };
    /** Public egress as a gateway's NetworkPolicy writes it: every public address, DNS aside. */
    const publicPeers = () => [
      { ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_IPV4] } },
      { ipBlock: { cidr: IPV6_GLOBAL_UNICAST, except: [...NON_PUBLIC_IPV6_GLOBAL] } },
    ];
    const gatewayPolicy = (to: any[] = publicPeers(), podSelector: any = { matchLabels: { ...GATEWAY_LABELS, "app.kubernetes.io/instance": "social" } }, namespace = "social") =>
      networkPolicy("social-egress-gateway", { podSelector, policyTypes: ["Egress"], egress: [{ to, ports: [{ protocol: "TCP", port: 443 }] }] }, namespace);

    it("lets the gateway's own policy reach every public address", () => {
      assert.deepEqual(findings(POLICY, [gatewayPolicy()], CONFIG), []);
    });

    it("still refuses the same policy without the config, exactly as before", () => {
      const found = messages(POLICY, [gatewayPolicy()]);
      assert.equal(found.length, 2);
      assert.match(found[0], /spec\.egress\[0\]\.to\[0\]\.ipBlock 0\.0\.0\.0\/0 except \[0\.0\.0\.0\/8, .*\] reaches addresses outside the cluster CIDRs/);
    });

    const leaks: Array<[string, string, string]> = [
      ["private 10.0.0.0/8 outside the cluster CIDRs", "10.0.0.0/8", "(10.0.0.0/11, 10.32.0.0/13, 10.40.0.0/15 and 4 more blocks)"],
      ["link-local, where the cloud metadata address is", "169.254.0.0/16", "(169.254.0.0/16)"],
      ["loopback", "127.0.0.0/8", "(127.0.0.0/8)"],
      ["carrier-grade NAT", "100.64.0.0/10", "(100.64.0.0/10)"],
    ];
    for (const [what, range, outside] of leaks) {
      it(`refuses a gateway policy that reaches ${what}`, () => {
        const peers = publicPeers();
        peers[0].ipBlock.except = peers[0].ipBlock.except.filter((c) => c !== range);
        const [message, ...rest] = messages(POLICY, [gatewayPolicy(peers)], CONFIG);
        assert.equal(rest.length, 0);
        assert.equal(
          message,
          `NetworkPolicy/social/social-egress-gateway: spec.egress[0].to[0].ipBlock 0.0.0.0/0 except [${peers[0].ipBlock.except.join(", ")}] ` +
            `reaches non-public addresses outside the cluster CIDRs ${outside}, which egress gateway ` +
            `social/{"matchLabels":{"app.kubernetes.io/component":"egress-gateway"}} may not reach; ` +
            "allowed ranges: 10.42.0.0/16, 10.43.0.0/16 and public addresses",
        );
      });
    }

    it("refuses IPv6 unique local and link-local addresses and NAT64, which leads back to IPv4", () => {
      const found = messages(POLICY, [gatewayPolicy([{ ipBlock: { cidr: "fc00::/7" } }, { ipBlock: { cidr: "fe80::/10" } }, { ipBlock: { cidr: "64:ff9b::808:808/128" } }])], CONFIG);
      assert.deepEqual(found.map((m) => m.split(": ")[1].split(" ").slice(0, 2).join(" ")), [
        "spec.egress[0].to[0].ipBlock fc00::/7",
        "spec.egress[0].to[1].ipBlock fe80::/10",
        "spec.egress[0].to[2].ipBlock 64:ff9b::808:808/128",
      ]);
    });

    it("lets a gateway reach private cluster CIDRs, which the config allows to everyone", () => {
      assert.deepEqual(messages(POLICY, [gatewayPolicy([{ ipBlock: { cidr: "10.42.0.0/15" } }])], CONFIG), []);
    });

    it("refuses a gateway rule without to: it allows every destination", () => {
      const policy = networkPolicy("gw", { podSelector: { matchLabels: GATEWAY_LABELS }, policyTypes: ["Egress"], egress: [{}] }, "social");
      assert.match(messages(POLICY, [policy], CONFIG)[0], /spec\.egress\[0\] has no "to", so it allows egress to every destination/);
    });

    const notTheGateway: Array<[string, any]> = [
      ["a policy of another namespace with the gateway's selector", gatewayPolicy(undefined, { matchLabels: GATEWAY_LABELS }, "other")],
      ["a policy over every pod of the gateway's namespace", gatewayPolicy(undefined, {})],
      ["a policy over the gateway and web", gatewayPolicy(undefined, { matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["egress-gateway", "web"] }] })],
      ["a policy over web", gatewayPolicy(undefined, { matchLabels: { "app.kubernetes.io/component": "web" } })],
    ];
    for (const [what, policy] of notTheGateway) {
      it(`is exactly as strict as without the config for ${what}`, () => {
        const withConfig = messages(POLICY, [policy], CONFIG);
        assert.equal(withConfig.length, 2);
        assert.deepEqual(withConfig, messages(POLICY, [policy]));
      });
    }

    it("reports a malformed egressGateways on each NetworkPolicy, never a pass", () => {
      const [finding] = findings(POLICY, [ipBlockPolicy("10.42.0.0/16")], { egressGateways: [{ namespace: "social" }] as any });
      assert.equal(finding.enforcementLevel, "mandatory");
      assert.match(finding.message, /^NetworkPolicy\/mastodon\/egress: invalid policy config: egressGateways\[0\]\.podSelector: got undefined; expected a label selector/);
    });

    it("turns an unknown selector of a policy in a gateway's namespace into an advisory, and reads nothing without gateways", () => {
      const policy = gatewayPolicy(undefined, UNKNOWN);
      const found = findings(POLICY, [policy], CONFIG);
      assert.deepEqual(found.map((f) => f.enforcementLevel), ["advisory"]);
      assert.match(found[0].message, /at \.spec\.podSelector can't be known during preview/);
      assert.deepEqual(findings(POLICY, [policy]).map((f) => f.enforcementLevel), ["mandatory", "mandatory"]);
    });

    it("remediates a gateway's 0.0.0.0/0 to the cluster CIDRs and the public addresses, metadata left out", () => {
      const policy = gatewayPolicy([{ ipBlock: { cidr: "0.0.0.0/0" } }]);
      const { props, remediatedBy } = runRemediations(policy, CONFIG);
      assert.deepEqual(remediatedBy, [POLICY]);
      assert.deepEqual(findings(POLICY, [networkPolicy("gw", props.spec, "social")], CONFIG), []);
      const reached = props.spec.egress[0].to.reduce(
        (acc: AddressSet, p: any) => union(acc, blockSet(cidr(p.ipBlock.cidr), (p.ipBlock.except ?? []).map(cidr))),
        EMPTY,
      );
      assert.ok(!isSubset(setOf([cidr("169.254.169.254/32")]), reached));
      assert.ok(isSubset(setOf([cidr("8.8.8.8/32"), cidr("10.42.0.0/16")]), reached));
    });

    it("flags a gateway's block exactly when it reaches a non-public address outside the cluster CIDRs", () => {
      // Blocks around the interesting boundaries: 10/8, 169.254/16, 100.64/10, 172.16/12 and public neighbours.
      const base = fc.constantFrom("10.0.0.0", "10.42.0.0", "169.254.0.0", "100.64.0.0", "172.16.0.0", "9.0.0.0", "11.0.0.0", "0.0.0.0", "192.168.0.0");
      const block = fc.tuple(base, fc.integer({ min: 0, max: 24 })).map(([b, l]) => `${b}/${l}`);
      const clusterCidrs = ["10.42.0.0/16", "10.43.0.0/16"];
      const allowedSet = setOf(clusterCidrs.map(cidr));
      fc.assert(
        fc.property(block, fc.array(block, { maxLength: 3 }), (text, exceptRaw) => {
          const except = exceptRaw.filter((e) => strictlyInside(e, text));
          const set = blockSet(cidr(text), except.map(cidr));
          const outside = intersection(set, NON_PUBLIC);
          const leaks = !isSubset(outside, allowedSet);
          const found = messages(POLICY, [gatewayPolicy([{ ipBlock: except.length ? { cidr: text, except } : { cidr: text } }])], { ...CONFIG, clusterCidrs });
          assert.equal(found.length, leaks ? 1 : 0, `${text} except ${except.join(",")}: ${found.join("\n")}`);
        }),
        { numRuns: 1000 },
      );
    });
  });

  it("runs through runPolicies only on NetworkPolicies", () => {
    const found = runPolicies([service("s", { type: "ClusterIP" }), ipBlockPolicy("10.44.0.0/32")]).filter((f) => f.policy === POLICY);
    assert.equal(found.length, 1);
  });
});
