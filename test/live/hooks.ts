/**
 * Mocha root hooks of the live suite: start the simulated cluster (unless LIVE_CLUSTER_DIR says one
 * is running: `eval "$(bash test/live/cluster.sh start)"`), give it the cert-manager CA
 * ClusterIssuer the scenarios' instances use, and stop the cluster at the end.
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import { kubectlJson, must, run } from "./harness";

const CLUSTER = path.join(__dirname, "cluster.sh");
export const CA_ISSUER = "live-ca";
let startedHere = false;

function applyEnv(script: string): void {
  for (const line of script.split("\n")) {
    const m = /^export ([A-Z_]+)="(.*)"$/.exec(line.trim());
    if (!m) continue;
    process.env[m[1]] = m[2].replace(/\$PATH/g, process.env.PATH ?? "");
  }
}

/** The PEM of the live CA, once cert-manager has issued it. */
export function caCertificate(): string {
  const secret = kubectlJson(["get", "secret", "-n", "cert-manager", `${CA_ISSUER}-root`]);
  return Buffer.from(secret.data["tls.crt"], "base64").toString();
}

/** Secrets in the formats Mastodon's own generators print (test data for `secrets`). */
export function instanceSecrets(): Record<string, string> {
  const hex = () => crypto.randomBytes(64).toString("hex");
  const alnum = () => crypto.randomBytes(48).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 32);
  const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  const b64 = (b: Buffer) => b.toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  return {
    secretKeyBase: hex(),
    otpSecret: hex(),
    vapidPrivateKey: b64(Buffer.from(jwk.d!, "base64url")),
    vapidPublicKey: b64(point),
    arPrimaryKey: alnum(),
    arDeterministicKey: alnum(),
    arKeyDerivationSalt: alnum(),
    postgresqlPassword: alnum(),
    postgresqlSuperuserPassword: alnum(),
    redisPassword: alnum(),
  };
}

/**
 * The simulated cluster, started here unless LIVE_CLUSTER_DIR names a running one, with the CA
 * ClusterIssuer every journey uses; this process's environment then points at it.
 */
export function ensureCluster(): void {
  if (!process.env.LIVE_CLUSTER_DIR) {
    const started = run("bash", [CLUSTER, "start"]);
    if (started.status !== 0) throw new Error(`the simulated cluster did not start:\n${started.stderr}`);
    startedHere = true;
    applyEnv(started.stdout);
  }
  // A self-signed root, and a CA ClusterIssuer of it, as cert-manager's docs bootstrap a private CA.
  must("the live CA issuer", "kubectl", ["apply", "-f", "-"], {
    input: `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: ${CA_ISSUER}-bootstrap}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: ${CA_ISSUER}-root, namespace: cert-manager}
spec:
  isCA: true
  commonName: live suite CA
  secretName: ${CA_ISSUER}-root
  privateKey: {algorithm: ECDSA, size: 256}
  issuerRef: {name: ${CA_ISSUER}-bootstrap, kind: ClusterIssuer, group: cert-manager.io}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: ${CA_ISSUER}}
spec: {ca: {secretName: ${CA_ISSUER}-root}}
`,
  });
  must("the live CA", "kubectl", ["wait", "--for=condition=Ready", "certificate", `${CA_ISSUER}-root`, "-n", "cert-manager", "--timeout=120s"]);
  must("the live CA issuer", "kubectl", ["wait", "--for=condition=Ready", "clusterissuer", CA_ISSUER, "--timeout=120s"]);
}

/** Stops the cluster if ensureCluster() started it. */
export function releaseCluster(): void {
  if (startedHere) run("bash", [CLUSTER, "stop"]);
  startedHere = false;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(10 * 60 * 1000);
    ensureCluster();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60 * 1000);
    releaseCluster();
  },
};
