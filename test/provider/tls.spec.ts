import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { MastodonCluster } from "../../provider";
import { CA_BUNDLE_FILE, CA_FILE } from "../../provider/workloads/env";
import { RecordedResource } from "../harness/mocks";
import { KIND, Stack, deploy, valueOf } from "../harness/stack";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBlab\n-----END CERTIFICATE-----\n";
const mastodonPods = (stack: Stack) => stack.workloads().filter((w) => w.type !== KIND.StatefulSet);
const podSpec = (r: RecordedResource) => r.inputs.spec.template.spec;

describe("TLS: the default private CA", () => {
  let stack: Stack;
  let cluster: MastodonCluster;
  before(async () => {
    ({ stack, cluster } = await deploy({ domain: "social.example" }));
  });

  it("installs cert-manager (pinned) and signs the certificate with a CA issuer of the instance's own", () => {
    const manager = stack.get(KIND.CertManager, "social-cert-manager");
    assert.match(manager.inputs.helmOptions.version, /^v1\.\d+\.\d+$/);
    assert.equal(manager.inputs.installCRDs, true);
    const issuer = stack.get(KIND.Issuer, "social-ca");
    assert.equal(issuer.inputs.spec.ca.secretName, "social-ca");
    assert.ok(stack.dependsOn(issuer, manager));
    const cert = stack.get(KIND.Certificate, "social-tls").inputs;
    assert.deepEqual(cert.spec.issuerRef, { name: "social-ca", kind: "Issuer", group: "cert-manager.io" });
    assert.deepEqual(cert.spec.dnsNames, ["social.example"]);
    assert.equal(cert.spec.secretName, "social-tls");
  });

  it("makes `pulumi up` wait until the certificate is issued", () => {
    assert.equal(stack.get(KIND.Certificate, "social-tls").inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
  });

  it("creates no cluster-scoped object", () => {
    assert.equal(stack.ofType(KIND.ClusterIssuer).length, 0);
  });

  it("makes every Mastodon pod trust the CA: Ruby through SSL_CERT_FILE, Node through NODE_EXTRA_CA_CERTS", async () => {
    const env = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.equal(env.SSL_CERT_FILE, CA_BUNDLE_FILE);
    assert.equal(env.NODE_EXTRA_CA_CERTS, CA_FILE);
    const trust = stack.get(KIND.ConfigMap, "social-ca-trust");
    assert.equal(trust.inputs.data["ca.crt"], await valueOf(cluster.caCertificate));
    for (const w of mastodonPods(stack)) {
      const spec = podSpec(w);
      const ca = spec.volumes.find((v: any) => v.name === "ca");
      assert.equal(ca.configMap.name, trust.state.metadata.name, w.name);
      const mounts = spec.containers[0].volumeMounts.map((m: any) => m.mountPath);
      assert.ok(mounts.includes("/etc/mastodon-ca"), `${w.name} does not mount the CA`);
      const init = spec.initContainers.find((c: any) => c.name === "ca-bundle");
      assert.match(init.command.join(" "), /cat \/etc\/ssl\/certs\/ca-certificates\.crt \/etc\/mastodon-ca\/ca\.crt > /, w.name);
    }
  });

  it("returns the CA and the certificate's Secret", async () => {
    assert.match(await valueOf(cluster.caCertificate), /BEGIN CERTIFICATE/);
    assert.equal(await valueOf(cluster.tlsSecretName), "social-tls");
  });

  it("covers the web host and the account domain when they differ", async () => {
    const { stack: s } = await deploy({ domain: "social.example", webDomain: "mastodon.social.example" });
    assert.deepEqual(s.get(KIND.Certificate, "social-tls").inputs.spec.dnsNames, ["mastodon.social.example", "social.example"]);
  });
});

describe("TLS: the private CA beyond HTTPS", () => {
  const smtp = { server: "mail.lab", port: 587, starttls: "always" };
  const database = (sslMode: string) => ({ external: { host: "pg.db", password: "x", sslMode } });

  it("makes mail over STARTTLS trust the instance's CA (Mastodon's SMTP_CA_FILE)", async () => {
    const { stack } = await deploy({ domain: "social.example", smtp });
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.SMTP_CA_FILE, CA_BUNDLE_FILE);
  });

  it("makes libpq verify PostgreSQL against the instance's CA with verify-ca and verify-full", async () => {
    for (const sslMode of ["verify-ca", "verify-full"]) {
      const { stack } = await deploy({ domain: "social.example", postgresql: database(sslMode) });
      const env = stack.get(KIND.ConfigMap, "social-env").inputs.data;
      assert.equal(env.DB_SSLMODE, sslMode);
      assert.equal(env.PGSSLROOTCERT, CA_BUNDLE_FILE, sslMode);
    }
  });

  it("gives every process and Job that bundle, built before it starts", async () => {
    const { stack } = await deploy({ domain: "social.example", smtp, postgresql: database("verify-full") });
    for (const w of mastodonPods(stack)) {
      const spec = podSpec(w);
      assert.ok(spec.initContainers.some((c: any) => c.name === "ca-bundle"), w.name);
      assert.ok(spec.containers[0].volumeMounts.some((m: any) => CA_BUNDLE_FILE.startsWith(m.mountPath)), w.name);
    }
  });

  it("makes libpq verify against the system bundle when there is no private CA, and leaves mail on Mastodon's default", async () => {
    const { stack } = await deploy({ domain: "social.example", smtp, postgresql: database("verify-full"), tls: { secretName: "wildcard-tls" } });
    const env = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.equal(env.PGSSLROOTCERT, "/etc/ssl/certs/ca-certificates.crt");
    assert.equal(env.SMTP_CA_FILE, undefined);
  });

  it("sets no root certificate when libpq verifies nothing", async () => {
    for (const sslMode of ["require", "prefer", "disable"]) {
      const { stack } = await deploy({ domain: "social.example", postgresql: database(sslMode) });
      assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.PGSSLROOTCERT, undefined, sslMode);
    }
  });
});

describe("TLS: other sources", () => {
  it("uses a shared issuer without installing cert-manager again, and trusts the CA given", async () => {
    const { stack } = await deploy({ domain: "social.example", tls: { issuerName: pulumi.output("lab-ca"), caCertificate: CA } });
    assert.equal(stack.ofType(KIND.CertManager).length, 0);
    assert.equal(stack.ofType(KIND.Issuer).length, 0);
    assert.deepEqual(stack.get(KIND.Certificate, "social-tls").inputs.spec.issuerRef, { name: "lab-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
    assert.equal(stack.get(KIND.ConfigMap, "social-ca-trust").inputs.data["ca.crt"], CA);
  });

  it("uses an ACME issuer for a public instance, solving HTTP-01 through Traefik", async () => {
    const { stack } = await deploy({ domain: "social.example", allowPublicEgress: true, tls: { acmeEmail: "admin@social.example" } });
    const issuer = stack.get(KIND.Issuer, "social-acme").inputs.spec.acme;
    assert.equal(issuer.email, "admin@social.example");
    assert.equal(issuer.server, "https://acme-v02.api.letsencrypt.org/directory");
    assert.deepEqual(issuer.solvers, [{ http01: { ingress: { ingressClassName: "traefik" } } }]);
    assert.equal(stack.find(KIND.ConfigMap, "social-ca-trust"), undefined, "no private CA to trust");
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.SSL_CERT_FILE, undefined);
  });

  it("uses an existing TLS Secret with no Certificate at all", async () => {
    const { stack, cluster } = await deploy({ domain: "social.example", tls: { secretName: "wildcard-tls" } });
    assert.equal(stack.ofType(KIND.Certificate).length, 0);
    assert.equal(stack.ofType(KIND.CertManager).length, 0);
    assert.equal(stack.get(KIND.IngressRoute, "social-https").inputs.spec.tls.secretName, "wildcard-tls");
    assert.equal(await valueOf(cluster.caCertificate), "");
  });

  it("leaves cert-manager alone when told the cluster has it", async () => {
    const { stack } = await deploy({ domain: "social.example", tls: { installCertManager: false } });
    assert.equal(stack.ofType(KIND.CertManager).length, 0);
    assert.ok(stack.find(KIND.Issuer, "social-ca"));
  });
});
