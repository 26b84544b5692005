/**
 * What the package schema is inferred from, read from provider/'s TypeScript sources without the
 * type checker: the exported interfaces and the component classes. The sdk specs compare the
 * schema with them, field by field.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PROVIDER_DIR = path.join(ROOT, "provider");

export interface InterfaceProperty {
  name: string;
  optional: boolean;
  type: ts.TypeNode | undefined;
  /** The text of its /** *\/ comment, if it has one. */
  doc: string | undefined;
}

export interface SourceInterface {
  name: string;
  file: string;
  properties: InterfaceProperty[];
  /** Index signatures and methods: the analyzer has no place for them in an object type. */
  otherMembers: string[];
  /** The interfaces it extends: the analyzer adds their properties to its own (see withInherited). */
  bases: string[];
}

export interface ComponentClass {
  name: string;
  file: string;
  /** The type name of the constructor's `args` parameter (its text). */
  argsType: string | undefined;
  fields: { name: string; publicReadonly: boolean; doc: string | undefined; type: string }[];
}

export interface ProviderSources {
  interfaces: Map<string, SourceInterface>;
  components: Map<string, ComponentClass>;
  /** Every type alias declared in provider/ (the analyzer refuses them in args). */
  typeAliases: Set<string>;
}

function docOf(node: ts.Node): string | undefined {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc;
  if (!docs || docs.length === 0) return undefined;
  return docs.map((d) => (typeof d.comment === "string" ? d.comment : ts.getTextOfJSDocComment(d.comment) ?? "")).join("\n");
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [full] : [];
  });
}

function extendsComponentResource(node: ts.ClassDeclaration): boolean {
  return (node.heritageClauses ?? []).some((h) => h.token === ts.SyntaxKind.ExtendsKeyword && h.types.some((t) => /(^|\.)ComponentResource$/.test(t.expression.getText())));
}

/** Reads every .ts file of provider/. */
export function readProviderSources(dir: string = PROVIDER_DIR): ProviderSources {
  const interfaces = new Map<string, SourceInterface>();
  const components = new Map<string, ComponentClass>();
  const typeAliases = new Set<string>();
  for (const file of tsFiles(dir)) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const relative = path.relative(ROOT, file);
    for (const node of source.statements) {
      if (ts.isTypeAliasDeclaration(node)) typeAliases.add(node.name.text);
      if (ts.isInterfaceDeclaration(node) && hasModifier(node, ts.SyntaxKind.ExportKeyword)) {
        const properties: InterfaceProperty[] = [];
        const otherMembers: string[] = [];
        for (const m of node.members) {
          if (ts.isPropertySignature(m)) {
            properties.push({ name: m.name.getText(), optional: m.questionToken !== undefined, type: m.type, doc: docOf(m) });
          } else {
            otherMembers.push(m.getText());
          }
        }
        const bases = (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText()));
        interfaces.set(node.name.text, { name: node.name.text, file: relative, properties, otherMembers, bases });
      }
      if (ts.isClassDeclaration(node) && node.name && extendsComponentResource(node)) {
        const ctor = node.members.find(ts.isConstructorDeclaration);
        const argsParam = ctor?.parameters.find((p) => p.name.getText() === "args");
        const fields = node.members.filter(ts.isPropertyDeclaration).map((p) => ({
          name: p.name.getText(),
          publicReadonly: hasModifier(p, ts.SyntaxKind.PublicKeyword) && hasModifier(p, ts.SyntaxKind.ReadonlyKeyword),
          doc: docOf(p),
          type: p.type?.getText() ?? "",
        }));
        components.set(node.name.text, { name: node.name.text, file: relative, argsType: argsParam?.type?.getText(), fields });
      }
    }
  }
  for (const [name, found] of interfaces) interfaces.set(name, withInherited(interfaces, found));
  return { interfaces, components, typeAliases };
}

/** `found` with the properties of the interfaces it extends (its own first, as the type checker lists them). */
function withInherited(interfaces: Map<string, SourceInterface>, found: SourceInterface): SourceInterface {
  const properties = [...found.properties];
  for (const base of found.bases) {
    const inherited = interfaces.get(base);
    if (!inherited) throw new Error(`${found.name} (${found.file}) extends ${base}, which is not an interface of provider/`);
    for (const p of withInherited(interfaces, inherited).properties) {
      if (!properties.some((own) => own.name === p.name)) properties.push(p);
    }
  }
  return { ...found, properties };
}

/** The names of the interfaces a type refers to (through pulumi.Input<>, arrays and maps). */
export function referencedNames(type: ts.TypeNode | undefined): string[] {
  if (!type) return [];
  const names: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isTypeReferenceNode(n)) names.push(n.typeName.getText());
    n.forEachChild(visit);
  };
  visit(type);
  return names;
}

/** Every interface reachable from `root` through property types, `root` included. */
export function reachableInterfaces(sources: ProviderSources, root: string): SourceInterface[] {
  const seen = new Map<string, SourceInterface>();
  const queue = [root];
  while (queue.length > 0) {
    const name = queue.shift()!;
    const found = sources.interfaces.get(name);
    if (!found || seen.has(name)) continue;
    seen.set(name, found);
    for (const p of found.properties) queue.push(...referencedNames(p.type));
  }
  return [...seen.values()];
}

/** The names of every interface @pulumi/kubernetes declares for inputs, with their property names. */
export function kubernetesInputTypes(): Map<string, Set<string>[]> {
  const file = require.resolve("@pulumi/kubernetes/types/input.d.ts", { paths: [ROOT] });
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false);
  const types = new Map<string, Set<string>[]>();
  const visit = (n: ts.Node) => {
    if (ts.isInterfaceDeclaration(n)) {
      const props = new Set(n.members.filter(ts.isPropertySignature).map((m) => m.name.getText(source)));
      types.set(n.name.text, [...(types.get(n.name.text) ?? []), props]);
    }
    n.forEachChild(visit);
  };
  visit(source);
  return types;
}
