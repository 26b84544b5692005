/**
 * Why a test is pending, for the reporter to print beside it. `this.skip("no ruby on PATH")` records its reason
 * (mocha itself takes none); a bare `this.skip()` records where it was called, so the output still points at the
 * condition that skipped it; a test written without a body, or with `it.skip`, is pending by its source.
 */
import * as Mocha from "mocha";
import * as fs from "node:fs";
import * as path from "node:path";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Mocha {
    interface Context {
      /** Skips the test (or, from a `before` hook, its suite), saying why: the reporter prints the reason. */
      skip(reason: string): never;
    }
  }
}

const ROOT = path.resolve(__dirname, "../..");
const REASON = Symbol("pending reason");

type Marked = { [REASON]?: string };

/** The first frame of `stack` outside this file and mocha: the spec line that called skip. */
function caller(stack: string): string | undefined {
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m || m[1] === __filename || m[1].includes(`${path.sep}node_modules${path.sep}`)) continue;
    const [file, lineNo] = [m[1], Number(m[2])];
    let source = "";
    try {
      source = fs.readFileSync(file, "utf8").split("\n")[lineNo - 1]?.trim() ?? "";
    } catch {
      // the location alone will do
    }
    return `${path.relative(ROOT, file)}:${lineNo}${source ? `: ${source}` : ""}`;
  }
  return undefined;
}

const skip = Mocha.Context.prototype.skip as (this: Mocha.Context) => never;
Mocha.Context.prototype.skip = function (this: Mocha.Context, reason?: string): never {
  const runnable = this.runnable();
  const why = reason ?? `no reason given; skipped at ${caller(new Error().stack ?? "") ?? "an unknown place"}`;
  // From a hook, every test of the hook's suite is pending: the suite carries the reason.
  const holder = (runnable instanceof Mocha.Hook ? runnable.parent : runnable) as unknown as Marked | undefined;
  if (holder) holder[REASON] = why;
  return skip.call(this);
} as Mocha.Context["skip"];

/** Why `test` is pending, as the reporter prints it. */
export function pendingReason(test: Mocha.Test): string {
  for (let node: (Mocha.Test | Mocha.Suite | undefined) = test; node; node = node.parent) {
    const reason = (node as unknown as Marked)[REASON];
    if (reason) return reason;
  }
  const skipped = [test, ...suitesOf(test)].find((node) => markedSkip(node, test.file));
  if (skipped) return `${skipped === test ? "marked it" : `its suite "${skipped.title}" is marked describe`}.skip in ${where(test)}`;
  return `written without a body: a specification still to implement (${where(test)})`;
}

function suitesOf(test: Mocha.Test): Mocha.Suite[] {
  const suites: Mocha.Suite[] = [];
  for (let suite = test.parent; suite && !suite.root; suite = suite.parent) suites.push(suite);
  return suites;
}

/** Whether the source of `file` writes `node` as `it.skip(...)` / `describe.skip(...)` (mocha marks both alike). */
function markedSkip(node: Mocha.Test | Mocha.Suite, file: string | undefined): boolean {
  if (!file) return false;
  const title = node.title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  try {
    return new RegExp(`\\.skip\\(\\s*["'\`]${title}["'\`]`).test(fs.readFileSync(file, "utf8"));
  } catch {
    return false;
  }
}

function where(test: Mocha.Test): string {
  return test.file ? path.relative(ROOT, test.file) : "its spec file";
}
