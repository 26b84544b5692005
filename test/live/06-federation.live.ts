/**
 * Journey 6, two instances sharing a private CA (the federation lab's TLS, with cert-manager's CA
 * ClusterIssuer in the place of a MastodonPlatform's, whose CA comes from the tls provider: see
 * README.md): both instances' Certificates become Ready, signed by the CA, and every Mastodon pod
 * of both trusts it.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { kubectlItems, kubectlJson, tail } from "./harness";
import { FIRST, mastodonDeployments } from "./01-first-deploy.live";
import { caCertificate } from "./hooks";
import { markFailed, newInstanceStack, stackOf, upWithPack } from "./stacks";

const SECOND = { stack: "second", instance: "two", domain: "two.live.test" };

describe("live 6: two instances trust one private CA", function () {
  this.timeout(20 * 60 * 1000);

  before(() => {
    const stack = newInstanceStack(SECOND.stack, SECOND.instance, SECOND.domain);
    const up = upWithPack(stack);
    if (up.status !== 0) {
      markFailed(SECOND.stack, "pulumi up failed");
      throw new Error(`pulumi up of the second instance failed:\n${tail(up, 80)}`);
    }
  });

  for (const which of [FIRST, SECOND]) {
    it(`issues ${which.domain}'s certificate from the shared CA`, () => {
      const namespace = stackOf(which.stack).outputs().namespace;
      const certificates = kubectlItems("certificates.cert-manager.io", namespace);
      assert.ok(certificates.length >= 1, `no Certificate in ${namespace}`);
      const ca = new crypto.X509Certificate(caCertificate());
      for (const c of certificates) {
        const ready = (c.status?.conditions ?? []).find((x: any) => x.type === "Ready");
        assert.equal(ready?.status, "True", `Certificate ${namespace}/${c.metadata.name} is not Ready: ${JSON.stringify(c.status)}`);
        const secret = kubectlJson(["get", "secret", "-n", namespace, c.spec.secretName]);
        const leaf = new crypto.X509Certificate(Buffer.from(secret.data["tls.crt"], "base64"));
        assert.ok(leaf.verify(ca.publicKey), `${c.spec.secretName}'s certificate is not signed by the shared CA`);
        assert.ok(leaf.checkHost(which.domain), `${c.spec.secretName}'s certificate does not name ${which.domain}`);
      }
    });

    it(`makes every Mastodon pod of ${which.domain} trust the shared CA`, () => {
      const namespace = stackOf(which.stack).outputs().namespace;
      const pem = caCertificate().trim();
      for (const d of mastodonDeployments(namespace, which.instance)) {
        const volume = (d.spec.template.spec.volumes ?? []).find((v: any) => v.name === "ca");
        assert.ok(volume?.configMap?.name, `Deployment ${d.metadata.name} mounts no CA`);
        const configMap = kubectlJson(["get", "configmap", "-n", namespace, volume.configMap.name]);
        assert.equal(String(configMap.data["ca.crt"]).trim(), pem, `ConfigMap ${volume.configMap.name} does not hold the shared CA`);
      }
    });
  }
});
