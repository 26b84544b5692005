import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { vapidKeysFromPem } from "../../provider/secrets";
import { DEFAULT_VERSION } from "../../provider/versions";
import { RecordedResource } from "../harness/mocks";
import { KIND, Stack, deploy } from "../harness/stack";

const URLSAFE_B64 = /^[A-Za-z0-9_-]+={0,2}$/;

function get(value: any, path: string): any {
  return path.split(/\.|\[(\d+)\]/).filter(Boolean).reduce((v, k) => v?.[k], value);
}

/** True when `path` was sent as a secret, itself or inside a secret object (the engine marks a map holding secrets as a whole). */
function isSecret(r: RecordedResource, path: string): boolean {
  return r.secretInputPaths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

/** Every string sent as a secret anywhere in the stack. */
function secretValues(resources: RecordedResource[]): string[] {
  const strings = (v: any): string[] => (typeof v === "string" ? [v] : v && typeof v === "object" ? Object.values(v).flatMap(strings) : []);
  return resources.flatMap((r) => r.secretInputPaths.flatMap((p) => strings(get(r.inputs, p)))).filter((v) => v.length >= 16);
}

describe("VAPID keys", () => {
  it("are the P-256 scalar and uncompressed point, url-safe base64 as the webpush gem writes them", () => {
    const key = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const { privateKey, publicKey } = vapidKeysFromPem(key.export({ format: "pem", type: "sec1" }).toString());
    assert.match(privateKey, URLSAFE_B64);
    assert.match(publicKey, URLSAFE_B64);
    const d = Buffer.from(privateKey, "base64url");
    const point = Buffer.from(publicKey, "base64url");
    assert.equal(d.length, 32);
    assert.equal(point.length, 65);
    assert.equal(point[0], 0x04);
    // The public key is the private scalar's point: derive it independently.
    const ecdh = crypto.createECDH("prime256v1");
    ecdh.setPrivateKey(d);
    assert.deepEqual(ecdh.getPublicKey(), point);
    // Padded, as Ruby's Base64.urlsafe_encode64: 32 bytes → 44 characters, 65 → 88.
    assert.equal(privateKey.length, 44);
    assert.equal(publicKey.length, 88);
  });

  it("refuses a key of another curve", () => {
    const key = crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey;
    assert.throws(() => vapidKeysFromPem(key.export({ format: "pem", type: "sec1" }).toString()), /expected an EC P-256 private key/);
  });
});

describe("secrets", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example", version: "v4.3.5", smtp: { server: "mailpit.mail", password: "smtp-password-123456" } }));
  });
  const envSecret = () => stack.get(KIND.Secret, "social-env");

  it("puts every Mastodon secret in the environment Secret", () => {
    assert.deepEqual(Object.keys(envSecret().inputs.stringData).sort(), [
      "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
      "DB_PASS", "OTP_SECRET", "REDIS_PASSWORD", "SECRET_KEY_BASE", "SMTP_PASSWORD", "VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY",
    ]);
  });

  it("sends every secret value to Kubernetes as a Pulumi secret", () => {
    const data = envSecret();
    for (const key of Object.keys(data.inputs.stringData)) {
      assert.ok(isSecret(data, `stringData.${key}`), `${key} is not a Pulumi secret`);
    }
    for (const name of ["social-postgresql", "social-redis"]) assert.ok(isSecret(stack.get(KIND.Secret, name), "stringData.password"));
    assert.ok(isSecret(stack.get(KIND.Secret, "social-ca"), "stringData.tls.key"));
    assert.ok(!isSecret(stack.get(KIND.Secret, "social-env"), "metadata"), "the helper must not call everything secret");
  });

  it("never lets a secret value appear in a plain input anywhere in the stack", () => {
    const secrets = secretValues(stack.resources);
    assert.ok(secrets.length >= 10);
    for (const r of stack.resources) {
      // The inputs with every secret subtree blanked out must not contain any secret value.
      const plain = JSON.parse(JSON.stringify(r.inputs));
      for (const p of r.secretInputPaths) {
        const parts = p.split(/\.|\[(\d+)\]/).filter(Boolean);
        const last = parts.pop()!;
        const holder = parts.reduce((v: any, k) => v?.[k], plain);
        if (holder) holder[last] = "[secret]";
      }
      const text = JSON.stringify(plain);
      for (const s of secrets) assert.ok(!text.includes(s), `${r.type} ${r.name} carries a secret value in a plain input`);
    }
  });

  it("generates keys of the shapes Mastodon expects", () => {
    const d = envSecret().inputs.stringData;
    assert.match(d.SECRET_KEY_BASE, /^[0-9a-f]{128}$/);
    assert.match(d.OTP_SECRET, /^[0-9a-f]{128}$/);
    for (const k of ["ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY", "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT"]) {
      assert.match(d[k], /^[A-Za-z0-9]{32}$/, k);
    }
    assert.equal(Buffer.from(d.VAPID_PUBLIC_KEY, "base64url").length, 65);
    assert.notEqual(d.ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY, d.ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY);
  });

  it("generates each as a resource in the stack's state, so it is kept", () => {
    const generated = stack.resources.filter((r) => r.type.startsWith("random:") || r.type === "tls:index/privateKey:PrivateKey").map((r) => r.name).sort();
    assert.deepEqual(generated, [
      "social-ar-deterministic-key", "social-ar-key-derivation-salt", "social-ar-primary-key", "social-ca", "social-otp-secret",
      "social-postgresql-password", "social-redis-password", "social-secret-key-base", "social-vapid",
    ]);
  });

  it("gives OTP_SECRET to every version: a pending 4.3 post-deployment migration still reads it after 4.4", async () => {
    for (const version of ["v4.2.0", "v4.4.0", DEFAULT_VERSION]) {
      const { stack: s } = await deploy({ domain: "social.example", version });
      assert.match(s.get(KIND.Secret, "social-env").inputs.stringData.OTP_SECRET, /^[0-9a-f]{128}$/, version);
    }
  });

  it("uses supplied secrets instead of generating them, still as secrets", async () => {
    const { stack: s } = await deploy({
      domain: "social.example",
      secrets: { secretKeyBase: "a".repeat(128), vapidPrivateKey: "private-key-value", vapidPublicKey: pulumi.output("public-key-value") },
    });
    const data = s.get(KIND.Secret, "social-env");
    assert.equal(data.inputs.stringData.SECRET_KEY_BASE, "a".repeat(128));
    assert.equal(data.inputs.stringData.VAPID_PUBLIC_KEY, "public-key-value");
    assert.ok(isSecret(data, "stringData.VAPID_PUBLIC_KEY"));
    assert.equal(s.find("random:index/randomBytes:RandomBytes", "social-secret-key-base"), undefined);
    assert.equal(s.find("tls:index/privateKey:PrivateKey", "social-vapid"), undefined);
  });
});
