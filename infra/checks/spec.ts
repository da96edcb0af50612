import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, SpecDatabase, TypeDefinition } from '@aws-cdk/service-spec-types';

/**
 * A small CloudFormation template check against AWS's resource specification (the database shipped in
 * `@aws-cdk/aws-service-spec`, loaded with its own `loadAwsServiceSpec`):
 * - every resource type exists, and every resource has only CloudFormation's resource attributes;
 * - every property (at any depth, and in each branch of an Fn::If) is one the type declares, required properties
 *   are present, and a value's shape (object, list, scalar) fits the property's type;
 * - every Ref, Fn::GetAtt and Fn::Sub reference names a resource, parameter or pseudo parameter (and GetAtt an
 *   attribute the type has); Condition, DependsOn, Fn::If and Fn::FindInMap name what exists;
 * - a conditional resource is referenced only where its condition is known to hold (from a resource with the same
 *   Condition, or in the true branch of an Fn::If on it), as CloudFormation requires.
 * It is no full linter (no value patterns or allowed values, no region availability): it catches misspelt and
 * missing properties and dangling references before a deployment does.
 */
export type Problem = { path: string; message: string };
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const TOP_LEVEL = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
  'Rules',
]);
const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
]);
const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);
const INTRINSICS = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::If',
  'Fn::Select',
  'Fn::Split',
  'Fn::GetAZs',
  'Fn::ImportValue',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::Cidr',
  'Fn::Equals',
  'Fn::And',
  'Fn::Or',
  'Fn::Not',
  'Fn::Length',
  'Fn::ToJsonString',
  'Condition',
]);

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `{ "Ref": ... }` or `{ "Fn::X": ... }`: a value CloudFormation computes. */
const intrinsicName = (v: Json | undefined): string | undefined => {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0] : undefined;
};

let cached: Promise<SpecDatabase> | undefined;
/** The specification database, loaded once per process (about half a second). */
export const loadSpec = (): Promise<SpecDatabase> => (cached ??= loadAwsServiceSpec());

/** Checks a template against the specification; an empty list means no problem found. */
export const checkTemplate = (template: unknown, db: SpecDatabase): Problem[] => {
  if (!isObject(template as Json)) return [{ path: '', message: 'the template is not an object' }];
  const checker = new TemplateChecker(template as JsonObject, db);
  checker.checkSections();
  checker.checkResources();
  checker.checkConditions();
  checker.checkOutputs();
  return checker.problems;
};

type PropertySpec = { type: PropertyType; previousTypes?: PropertyType[]; required?: boolean };
type Known = ReadonlySet<string>;

const TAG_PROPERTIES: Record<string, PropertySpec> = { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } };

/** Does a literal `value` have the shape `type` allows (intrinsics aside)? */
const fits = (type: PropertyType, value: Json): boolean => {
  switch (type.type) {
    case 'json':
      return true;
    case 'string':
    case 'date-time':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    case 'number':
    case 'integer':
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)));
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false';
    case 'null':
      return value === null;
    case 'tag':
    case 'ref':
    case 'map':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'union':
      return type.types.some((t) => fits(t, value));
    default:
      return false;
  }
};

const shapeOf = (value: Json): string => (Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value);

/** `[condition, then, else]` of an Fn::If, or undefined when malformed. */
const ifArguments = (arg: Json): [string, Json, Json] | undefined =>
  Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string' ? (arg as [string, Json, Json]) : undefined;

/**
 * One template's check: each section, resource, property and intrinsic function has its own small method; `known`
 * is the set of conditions known to hold where a value sits (a resource's Condition, the true branch of an Fn::If).
 */
class TemplateChecker {
  readonly problems: Problem[] = [];
  readonly #t: JsonObject;
  readonly #db: SpecDatabase;
  readonly #resources: JsonObject;
  readonly #parameters: JsonObject;
  readonly #conditions: JsonObject;
  readonly #mappings: JsonObject;
  readonly #specs = new Map<string, Resource | undefined>();

  constructor(template: JsonObject, db: SpecDatabase) {
    this.#t = template;
    this.#db = db;
    this.#resources = isObject(template.Resources) ? template.Resources : {};
    this.#parameters = isObject(template.Parameters) ? template.Parameters : {};
    this.#conditions = isObject(template.Conditions) ? template.Conditions : {};
    this.#mappings = isObject(template.Mappings) ? template.Mappings : {};
  }

  #report(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  #specOf(type: string): Resource | undefined {
    if (!this.#specs.has(type)) this.#specs.set(type, this.#db.lookup('resource', 'cloudFormationType', 'equals', type).at(0));
    return this.#specs.get(type);
  }

  #conditionOf(logicalId: string): string | undefined {
    const c = (this.#resources[logicalId] as JsonObject | undefined)?.Condition;
    return typeof c === 'string' ? c : undefined;
  }

  /** Known top-level sections, and at least one resource. */
  checkSections(): void {
    for (const key of Object.keys(this.#t)) if (!TOP_LEVEL.has(key)) this.#report(key, `unknown top-level section "${key}"`);
    if (!isObject(this.#t.Resources) || Object.keys(this.#resources).length === 0) this.#report('Resources', 'the template has no resources');
  }

  checkResources(): void {
    for (const [id, resource] of Object.entries(this.#resources)) this.#checkResource(`Resources.${id}`, resource);
  }

  /** Every condition's intrinsics, and the conditions a condition names. */
  checkConditions(): void {
    for (const [name, condition] of Object.entries(this.#conditions)) this.#walk(`Conditions.${name}`, condition, new Set());
    this.#conditionRefs('Conditions', this.#conditions);
  }

  checkOutputs(): void {
    for (const [name, output] of Object.entries(isObject(this.#t.Outputs) ? this.#t.Outputs : {})) this.#checkOutput(`Outputs.${name}`, output);
  }

  #checkResource(path: string, resource: Json): void {
    if (!isObject(resource)) return this.#report(path, 'a resource must be an object');
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.has(key)) this.#report(`${path}.${key}`, `unknown resource attribute ${key}`);
    const known = this.#resourceCondition(path, resource);
    this.#checkDependsOn(path, resource);
    const type = resource.Type;
    if (typeof type !== 'string') return this.#report(`${path}.Type`, 'missing Type');
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return this.#walk(`${path}.Properties`, resource.Properties, known);
    const spec = this.#specOf(type);
    if (!spec) return this.#report(`${path}.Type`, `unknown resource type ${type}`);
    const props = resource.Properties ?? {};
    if (!isObject(props)) return this.#report(`${path}.Properties`, 'Properties must be an object');
    this.#checkObject(`${path}.Properties`, props, spec.properties, known);
  }

  /** The conditions known to hold inside a resource: its own Condition, if it exists. */
  #resourceCondition(path: string, resource: JsonObject): Set<string> {
    const known = new Set<string>();
    if (resource.Condition === undefined) return known;
    if (typeof resource.Condition !== 'string' || !(resource.Condition in this.#conditions))
      this.#report(`${path}.Condition`, `no such condition ${String(resource.Condition)}`);
    else known.add(resource.Condition);
    return known;
  }

  #checkDependsOn(path: string, resource: JsonObject): void {
    for (const dep of [resource.DependsOn ?? []].flat()) {
      if (typeof dep !== 'string' || !(dep in this.#resources)) this.#report(`${path}.DependsOn`, `DependsOn ${String(dep)}: no such resource`);
    }
  }

  /** A condition may name another condition: { "Condition": "Other" } inside Fn::And/Or/Not. */
  #conditionRefs(path: string, v: Json | undefined): void {
    if (Array.isArray(v)) return v.forEach((x, i) => this.#conditionRefs(`${path}[${i}]`, x));
    if (!isObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Condition' && typeof x === 'string' && !(x in this.#conditions)) this.#report(`${path}.Condition`, `no such condition ${x}`);
      this.#conditionRefs(`${path}.${k}`, x);
    }
  }

  #checkOutput(path: string, output: Json): void {
    if (!isObject(output) || !('Value' in output)) return this.#report(path, 'an output needs a Value');
    const known = new Set<string>();
    if (typeof output.Condition === 'string') {
      if (!(output.Condition in this.#conditions)) this.#report(`${path}.Condition`, `no such condition ${output.Condition}`);
      known.add(output.Condition);
    }
    this.#walk(`${path}.Value`, output.Value, known);
    if (output.Export !== undefined) this.#walk(`${path}.Export`, output.Export, known);
  }

  /** A reference to a logical id from a place where `known` conditions hold; false if no such resource. */
  #checkTarget(path: string, id: string, known: Known, what: string): boolean {
    if (!(id in this.#resources)) return false;
    const needed = this.#conditionOf(id);
    if (needed !== undefined && !known.has(needed)) {
      this.#report(path, `${what} ${id}, which exists only when condition ${needed} holds, outside an Fn::If on ${needed}`);
    }
    return true;
  }

  #checkGetAtt(path: string, id: string, attribute: string, known: Known): void {
    if (!this.#checkTarget(path, id, known, 'Fn::GetAtt of')) return this.#report(path, `Fn::GetAtt of ${id}: no such resource`);
    const type = (this.#resources[id] as JsonObject).Type;
    const spec = typeof type === 'string' ? this.#specOf(type) : undefined;
    if (spec && !(attribute in spec.attributes)) {
      this.#report(path, `Fn::GetAtt ${id}.${attribute}: ${type} has no attribute ${attribute} (it has ${Object.keys(spec.attributes).join(', ') || 'none'})`);
    }
  }

  #checkRef(path: string, name: Json, known: Known): void {
    if (typeof name !== 'string') return this.#report(path, 'Ref takes a logical id');
    if (PSEUDO.has(name) || name in this.#parameters) return;
    if (!this.#checkTarget(path, name, known, 'Ref to')) this.#report(path, `Ref to ${name}: no such resource or parameter`);
  }

  #checkSub(path: string, value: Json, known: Known): void {
    const [text, variables] = Array.isArray(value) ? [value[0], value[1]] : [value, undefined];
    if (typeof text !== 'string') return this.#report(path, 'Fn::Sub takes a string (or a string and a map)');
    const local = isObject(variables) ? variables : {};
    if (variables !== undefined) this.#walk(`${path}[1]`, variables, known);
    for (const [, name] of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
      const ref = name!.trim();
      if (ref in local || PSEUDO.has(ref) || ref in this.#parameters) continue;
      const dot = ref.indexOf('.');
      if (dot > 0) this.#checkGetAtt(path, ref.slice(0, dot), ref.slice(dot + 1), known);
      else if (!this.#checkTarget(path, ref, known, 'Fn::Sub of')) this.#report(path, `Fn::Sub of \${${ref}}: no such resource, parameter or variable`);
    }
  }

  #checkGetAttArgument(path: string, arg: Json, known: Known): void {
    const [id, attribute] = Array.isArray(arg) ? arg : typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : [];
    if (typeof id !== 'string' || typeof attribute !== 'string' || id === '') return this.#report(path, 'Fn::GetAtt takes [logicalId, attribute]');
    this.#checkGetAtt(path, id, attribute, known);
  }

  /** Any value: checks the intrinsic functions in it, wherever they are. */
  #walk(path: string, value: Json | undefined, known: Known): void {
    if (Array.isArray(value)) return value.forEach((v, i) => this.#walk(`${path}[${i}]`, v, known));
    if (!isObject(value)) return;
    const fn = intrinsicName(value);
    if (fn === undefined) {
      for (const [k, v] of Object.entries(value)) this.#walk(`${path}.${k}`, v, known);
      return;
    }
    this.#checkIntrinsic(`${path}.${fn}`, fn, value[fn]!, known);
  }

  #checkIntrinsic(at: string, fn: string, arg: Json, known: Known): void {
    switch (fn) {
      case 'Ref':
        return this.#checkRef(at, arg, known);
      case 'Fn::GetAtt':
        return this.#checkGetAttArgument(at, arg, known);
      case 'Fn::Sub':
        return this.#checkSub(at, arg, known);
      case 'Fn::If': {
        const args = ifArguments(arg);
        if (!args) return this.#report(at, 'Fn::If takes [condition, then, else]');
        const [condition, then, otherwise] = args;
        if (!(condition in this.#conditions)) this.#report(at, `Fn::If on ${condition}: no such condition`);
        this.#walk(`${at}[1]`, then, new Set([...known, condition]));
        return this.#walk(`${at}[2]`, otherwise, known);
      }
      case 'Fn::FindInMap': {
        if (Array.isArray(arg) && typeof arg[0] === 'string' && !(arg[0] in this.#mappings)) this.#report(at, `Fn::FindInMap in ${arg[0]}: no such mapping`);
        return this.#walk(at, arg, known);
      }
      default:
        if (!INTRINSICS.has(fn)) this.#report(at, `unknown intrinsic function ${fn}`);
        return this.#walk(at, arg, known);
    }
  }

  /** Does `value` have a shape `types` allow? Reports what is wrong inside the best-fitting type. */
  #checkValue(path: string, value: Json, types: PropertyType[], known: Known): void {
    const fn = intrinsicName(value);
    if (fn === 'Fn::If') return this.#checkConditionalValue(path, value as JsonObject, types, known);
    if (fn !== undefined) return this.#walk(path, value, known);
    const flat = types.flatMap((t) => (t.type === 'union' ? t.types : [t]));
    const match = flat.find((t) => fits(t, value));
    if (!match) return this.#report(path, `expected ${flat.map(describe).join(' or ')}, found ${shapeOf(value)}`);
    switch (match.type) {
      case 'json':
        return this.#walk(path, value, known);
      case 'tag':
        return this.#checkObject(path, value as JsonObject, TAG_PROPERTIES, known);
      case 'ref': {
        const def = this.#db.get('typeDefinition', match.reference.$ref) as TypeDefinition;
        return this.#checkObject(path, value as JsonObject, def.properties, known);
      }
      case 'map':
        for (const [k, v] of Object.entries(value as JsonObject)) this.#checkValue(`${path}.${k}`, v, [match.element], known);
        return;
      case 'array':
        return (value as Json[]).forEach((v, i) => this.#checkValue(`${path}[${i}]`, v, [match.element], known));
      default:
        return;
    }
  }

  /** Either branch of an Fn::If becomes the property's value: each is checked as one (the true branch knowing its condition). */
  #checkConditionalValue(path: string, value: JsonObject, types: PropertyType[], known: Known): void {
    const args = ifArguments(value['Fn::If']!);
    if (!args) return this.#walk(path, value, known);
    const [condition, then, otherwise] = args;
    const at = `${path}.Fn::If`;
    if (!(condition in this.#conditions)) this.#report(at, `Fn::If on ${condition}: no such condition`);
    this.#checkValue(`${at}[1]`, then, types, new Set([...known, condition]));
    this.#checkValue(`${at}[2]`, otherwise, types, known);
  }

  #checkObject(path: string, value: JsonObject, properties: Record<string, PropertySpec>, known: Known): void {
    for (const [name, v] of Object.entries(value)) {
      const property = properties[name];
      if (property) {
        this.#checkValue(`${path}.${name}`, v, [property.type, ...(property.previousTypes ?? [])], known);
        continue;
      }
      const near = Object.keys(properties).find((p) => p.toLowerCase() === name.toLowerCase());
      this.#report(`${path}.${name}`, `unknown property ${name}${near ? ` (did you mean ${near}?)` : ''}`);
      this.#walk(`${path}.${name}`, v, known);
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) this.#report(path, `required property ${name} is missing`);
    }
  }
}

const describe = (type: PropertyType): string => {
  switch (type.type) {
    case 'ref':
      return 'an object';
    case 'tag':
      return 'a tag';
    case 'map':
      return 'a map';
    case 'array':
      return 'a list';
    case 'union':
      return type.types.map(describe).join(' or ');
    default:
      return type.type;
  }
};
