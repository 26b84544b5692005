/**
 * Mastodon's secrets: generated once as resources in the stack's state (so a second run and every
 * upgrade keep them), or supplied by the user; always Pulumi secrets.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type { MastodonConfig } from "./args";

export interface InstanceSecrets {
  secretKeyBase: pulumi.Output<string>;
  otpSecret: pulumi.Output<string>;
  vapidPrivateKey: pulumi.Output<string>;
  vapidPublicKey: pulumi.Output<string>;
  activeRecordEncryptionPrimaryKey: pulumi.Output<string>;
  activeRecordEncryptionDeterministicKey: pulumi.Output<string>;
  activeRecordEncryptionKeyDerivationSalt: pulumi.Output<string>;
  /** Undefined for an external PostgreSQL (its password comes from the args). */
  postgresqlPassword: pulumi.Output<string>;
  /** CloudNativePG's superuser `postgres`: defined in that mode only. */
  postgresqlSuperuserPassword?: pulumi.Output<string>;
  /** Undefined when there is no password (external Redis without one). */
  redisPassword?: pulumi.Output<string>;
  /** The cache Redis's password, when the instance runs one. */
  redisCachePassword?: pulumi.Output<string>;
}

/** Url-safe base64 with padding, as Ruby's Base64.urlsafe_encode64 (the webpush gem) writes it. */
function urlsafeBase64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Mastodon's VAPID keys from an EC P-256 private key in PEM: the private key is the 32-byte
 * scalar, the public key the 65-byte uncompressed point 0x04‖x‖y, both url-safe base64, as
 * `rake mastodon:webpush:generate_vapid_key` prints them.
 */
export function vapidKeysFromPem(pem: string): { privateKey: string; publicKey: string } {
  const jwk = crypto.createPrivateKey(pem).export({ format: "jwk" });
  if (jwk.crv !== "P-256" || !jwk.d || !jwk.x || !jwk.y) {
    throw new Error(`VAPID key: expected an EC P-256 private key, got ${jwk.kty}/${jwk.crv ?? "?"}`);
  }
  const d = Buffer.from(jwk.d, "base64url");
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  return { privateKey: urlsafeBase64(d), publicKey: urlsafeBase64(point) };
}

/** Creates (or takes from the args) every secret an instance needs. */
export function mastodonSecrets(name: string, config: MastodonConfig, parent: pulumi.Resource): InstanceSecrets {
  const opts = { parent };
  const supplied = config.secrets;
  const given = (value: pulumi.Input<string> | undefined) => (value === undefined ? undefined : pulumi.secret(value));

  // Rails' `rake secret`: 64 random bytes as 128 hex characters.
  const hex64 = (id: string, value: pulumi.Input<string> | undefined) =>
    given(value) ?? pulumi.secret(new random.RandomBytes(`${name}-${id}`, { length: 64 }, opts).hex);
  // `SecureRandom.alphanumeric(32)`, as `bin/rails db:encryption:init` prints for the AR keys.
  const alnum32 = (id: string, value: pulumi.Input<string> | undefined) =>
    given(value) ?? pulumi.secret(new random.RandomPassword(`${name}-${id}`, { length: 32, special: false }, opts).result);

  let vapidPrivateKey = given(supplied.vapidPrivateKey);
  let vapidPublicKey = given(supplied.vapidPublicKey);
  if (!vapidPrivateKey || !vapidPublicKey) {
    const key = new tls.PrivateKey(`${name}-vapid`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts);
    const keys = key.privateKeyPem.apply(vapidKeysFromPem);
    vapidPrivateKey = pulumi.secret(keys.privateKey);
    vapidPublicKey = pulumi.secret(keys.publicKey);
  }

  const external = config.redis.external;
  return {
    secretKeyBase: hex64("secret-key-base", supplied.secretKeyBase),
    otpSecret: hex64("otp-secret", supplied.otpSecret),
    vapidPrivateKey,
    vapidPublicKey,
    activeRecordEncryptionPrimaryKey: alnum32("ar-primary-key", supplied.activeRecordEncryptionPrimaryKey),
    activeRecordEncryptionDeterministicKey: alnum32("ar-deterministic-key", supplied.activeRecordEncryptionDeterministicKey),
    activeRecordEncryptionKeyDerivationSalt: alnum32("ar-key-derivation-salt", supplied.activeRecordEncryptionKeyDerivationSalt),
    postgresqlPassword: config.postgresql.external
      ? pulumi.secret(config.postgresql.external.password)
      : alnum32("postgresql-password", supplied.postgresqlPassword),
    // In CloudNativePG mode whether or not the superuser may log in, so that the password outlives a switch.
    postgresqlSuperuserPassword: config.postgresql.cloudNativePG
      ? alnum32("postgresql-superuser-password", supplied.postgresqlSuperuserPassword)
      : undefined,
    redisPassword: external
      ? external.password === undefined ? undefined : pulumi.secret(external.password)
      : alnum32("redis-password", supplied.redisPassword),
    redisCachePassword: config.redis.cache.enabled ? alnum32("redis-cache-password", undefined) : undefined,
  };
}
