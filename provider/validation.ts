/**
 * How invalid args are reported: one error per component, naming each field path, the value
 * given and what is expected. Values that arrive as Pulumi Outputs are checked when they
 * resolve, with the same message.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** Paths whose values are never printed: they hold secrets. */
const SECRET_PATH = /(^|\.)(secrets|password|secretAccessKey|privateKey)(\.|$|\[)/i;

export class InvalidArgsError extends Error {
  constructor(readonly component: string, readonly problems: string[]) {
    const message = `${component}: invalid args:\n  - ${problems.join("\n  - ")}`;
    super(message);
    this.name = "InvalidArgsError";
    // An Output-valued input is checked when it resolves, and every resource that uses it awaits the same error:
    // Pulumi's serializer prefixes that one error's message with `error serializing property "x": ` at every level
    // of every such resource, burying the problem under hundreds of prefixes. The message stays as raised.
    Object.defineProperty(this, "message", { get: () => message, set: () => undefined, enumerable: false, configurable: false });
  }
}

/** `sidekiqWorkers[1].queues[0]` from zod's ["sidekiqWorkers", 1, "queues", 0]. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, "");
}

export function formatValue(path: string, value: unknown): string {
  if (value !== undefined && SECRET_PATH.test(path)) return "[secret]";
  if (value === undefined) return "undefined";
  if (pulumi.Output.isInstance(value)) return "an Output";
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Turns zod issues into "args.path: got value; expected ..." lines. */
export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>, prefix: ReadonlyArray<PropertyKey> = []): string[] {
  return issues.map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    if (issue.code === "unrecognized_keys") {
      const where = path ? `args.${path}` : "args";
      return `${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; ${issue.message}`;
    }
    if (issue.code === "invalid_union" && issue.errors.length > 0 && issue.errors[0].length > 0) {
      return describeIssues(issue.errors[0], [...prefix, ...issue.path])[0];
    }
    return `args.${path}: got ${formatValue(path, issue.input)}; expected ${issue.message}`;
  });
}

export function isDeferred(value: unknown): value is pulumi.Output<unknown> | Promise<unknown> {
  return pulumi.Output.isInstance(value) || value instanceof Promise;
}

/**
 * A field typed `pulumi.Input<T>`: a plain value is checked now; an Output or Promise is
 * checked by the same schema when it resolves, failing the deployment with the same message.
 */
export function deferrable<T extends z.ZodType>(component: string, path: string, schema: T) {
  return z.any().transform((value, ctx): pulumi.Input<z.output<T>> => {
    if (isDeferred(value)) {
      return (pulumi.output(value) as pulumi.Output<unknown>).apply((resolved) => checkResolved(component, path, schema, resolved));
    }
    const result = schema.safeParse(value, { reportInput: true });
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.issues.push({ ...issue, path: [...issue.path], input: issue.input } as z.core.$ZodRawIssue);
      }
      return z.NEVER;
    }
    return result.data;
  });
}

/**
 * A list typed `pulumi.Input<pulumi.Input<T>[]>`: a plain list is checked now; a list that is an Output, or holds
 * one, is checked whole when it resolves.
 */
export function deferrableList<T extends z.ZodType>(component: string, path: string, schema: T) {
  return z.preprocess((value) => (Array.isArray(value) && value.some(isDeferred) ? pulumi.all(value) : value), deferrable(component, path, schema));
}

function checkResolved<T extends z.ZodType>(component: string, path: string, schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) {
    throw new InvalidArgsError(component, describeIssues(result.error.issues, path.split(".")));
  }
  return result.data;
}

/** Parses `args` with `schema`, or throws one InvalidArgsError listing every problem. */
export function parseOrThrow<T extends z.ZodType>(component: string, schema: T, args: unknown): z.output<T> {
  const result = schema.safeParse(args, { reportInput: true });
  if (!result.success) throw new InvalidArgsError(component, describeIssues(result.error.issues));
  return result.data;
}
