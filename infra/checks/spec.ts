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
  'AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs', 'Rules',
]);
const RESOURCE_KEYS = new Set([
  'Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy',
]);
const PSEUDO = new Set([
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
]);
const INTRINSICS = new Set([
  'Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join', 'Fn::If', 'Fn::Select', 'Fn::Split', 'Fn::GetAZs', 'Fn::ImportValue', 'Fn::FindInMap',
  'Fn::Base64', 'Fn::Cidr', 'Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not', 'Fn::Length', 'Fn::ToJsonString', 'Condition',
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

export const checkTemplate = (template: unknown, db: SpecDatabase): Problem[] => {
  const problems: Problem[] = [];
  const report = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  if (!isObject(template as Json)) return [{ path: '', message: 'the template is not an object' }];
  const t = template as JsonObject;

  for (const key of Object.keys(t)) if (!TOP_LEVEL.has(key)) report(key, `unknown top-level section "${key}"`);
  const resources = isObject(t.Resources) ? t.Resources : {};
  if (!isObject(t.Resources) || Object.keys(resources).length === 0) report('Resources', 'the template has no resources');
  const parameters = isObject(t.Parameters) ? t.Parameters : {};
  const conditions = isObject(t.Conditions) ? t.Conditions : {};
  const mappings = isObject(t.Mappings) ? t.Mappings : {};

  const specs = new Map<string, Resource | undefined>();
  const specOf = (type: string): Resource | undefined => {
    if (!specs.has(type)) specs.set(type, db.lookup('resource', 'cloudFormationType', 'equals', type).at(0));
    return specs.get(type);
  };
  const conditionOf = (logicalId: string): string | undefined => {
    const c = (resources[logicalId] as JsonObject | undefined)?.Condition;
    return typeof c === 'string' ? c : undefined;
  };

  /** A reference to a logical id from a place where `known` conditions hold. */
  const checkTarget = (path: string, id: string, known: ReadonlySet<string>, what: string): boolean => {
    if (id in resources) {
      const needed = conditionOf(id);
      if (needed !== undefined && !known.has(needed)) {
        report(path, `${what} ${id}, which exists only when condition ${needed} holds, outside an Fn::If on ${needed}`);
      }
      return true;
    }
    return false;
  };

  const checkGetAtt = (path: string, id: string, attribute: string, known: ReadonlySet<string>) => {
    if (!checkTarget(path, id, known, 'Fn::GetAtt of')) {
      report(path, `Fn::GetAtt of ${id}: no such resource`);
      return;
    }
    const type = (resources[id] as JsonObject).Type;
    const spec = typeof type === 'string' ? specOf(type) : undefined;
    if (spec && !(attribute in spec.attributes)) {
      report(path, `Fn::GetAtt ${id}.${attribute}: ${type} has no attribute ${attribute} (it has ${Object.keys(spec.attributes).join(', ') || 'none'})`);
    }
  };

  const checkRef = (path: string, name: Json, known: ReadonlySet<string>) => {
    if (typeof name !== 'string') return report(path, 'Ref takes a logical id');
    if (PSEUDO.has(name) || name in parameters) return;
    if (!checkTarget(path, name, known, 'Ref to')) report(path, `Ref to ${name}: no such resource or parameter`);
  };

  const checkSub = (path: string, value: Json, known: ReadonlySet<string>) => {
    const [text, variables] = Array.isArray(value) ? [value[0], value[1]] : [value, undefined];
    if (typeof text !== 'string') return report(path, 'Fn::Sub takes a string (or a string and a map)');
    const local = isObject(variables) ? variables : {};
    if (variables !== undefined) walk(`${path}[1]`, variables, known);
    for (const [, name] of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
      const ref = name!.trim();
      if (ref in local || PSEUDO.has(ref) || ref in parameters) continue;
      const dot = ref.indexOf('.');
      if (dot > 0) checkGetAtt(path, ref.slice(0, dot), ref.slice(dot + 1), known);
      else if (!checkTarget(path, ref, known, 'Fn::Sub of')) report(path, `Fn::Sub of \${${ref}}: no such resource, parameter or variable`);
    }
  };

  /** Any value: checks the intrinsic functions in it, wherever they are. */
  const walk = (path: string, value: Json | undefined, known: ReadonlySet<string>): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(`${path}[${i}]`, v, known));
    if (!isObject(value)) return;
    const fn = intrinsicName(value);
    if (fn === undefined) {
      for (const [k, v] of Object.entries(value)) walk(`${path}.${k}`, v, known);
      return;
    }
    const arg = value[fn]!;
    const at = `${path}.${fn}`;
    switch (fn) {
      case 'Ref':
        return checkRef(at, arg, known);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : [];
        if (typeof id !== 'string' || typeof attribute !== 'string' || id === '') return report(at, 'Fn::GetAtt takes [logicalId, attribute]');
        return checkGetAtt(at, id, attribute, known);
      }
      case 'Fn::Sub':
        return checkSub(at, arg, known);
      case 'Fn::If': {
        if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') return report(at, 'Fn::If takes [condition, then, else]');
        const condition = arg[0];
        if (!(condition in conditions)) report(at, `Fn::If on ${condition}: no such condition`);
        walk(`${at}[1]`, arg[1], new Set([...known, condition]));
        return walk(`${at}[2]`, arg[2], known);
      }
      case 'Fn::FindInMap': {
        if (Array.isArray(arg) && typeof arg[0] === 'string' && !(arg[0] in mappings)) report(at, `Fn::FindInMap in ${arg[0]}: no such mapping`);
        return walk(at, arg, known);
      }
      default:
        if (!INTRINSICS.has(fn)) report(at, `unknown intrinsic function ${fn}`);
        return walk(at, arg, known);
    }
  };

  const typesOf = (property: { type: PropertyType; previousTypes?: PropertyType[] }): PropertyType[] => [property.type, ...(property.previousTypes ?? [])];

  /** Does `value` have a shape `type` allows? Reports what is wrong inside the best-fitting type. */
  const checkValue = (path: string, value: Json, types: PropertyType[], known: ReadonlySet<string>): void => {
    const fn = intrinsicName(value);
    if (fn === 'Fn::If') {
      // Either branch becomes the property's value: each is checked as one (the true branch knowing its condition).
      const arg = (value as JsonObject)[fn]!;
      if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') return walk(path, value, known);
      const [condition, then, otherwise] = arg as [string, Json, Json];
      const at = `${path}.Fn::If`;
      if (!(condition in conditions)) report(at, `Fn::If on ${condition}: no such condition`);
      checkValue(`${at}[1]`, then, types, new Set([...known, condition]));
      return checkValue(`${at}[2]`, otherwise, types, known);
    }
    if (fn !== undefined) return walk(path, value, known);
    const fits = (type: PropertyType): boolean => {
      switch (type.type) {
        case 'json': return true;
        case 'string': case 'date-time': return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
        case 'number': case 'integer': return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)));
        case 'boolean': return typeof value === 'boolean' || value === 'true' || value === 'false';
        case 'null': return value === null;
        case 'tag': case 'ref': case 'map': return isObject(value);
        case 'array': return Array.isArray(value);
        case 'union': return type.types.some(fits);
        default: return false;
      }
    };
    const flat = types.flatMap((t) => (t.type === 'union' ? t.types : [t]));
    const match = flat.find(fits);
    if (!match) {
      report(path, `expected ${flat.map(describe).join(' or ')}, found ${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value}`);
      return;
    }
    switch (match.type) {
      case 'json':
        return walk(path, value, known);
      case 'tag':
        return checkObject(path, value as JsonObject, { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } }, known);
      case 'ref': {
        const def = db.get('typeDefinition', match.reference.$ref) as TypeDefinition;
        return checkObject(path, value as JsonObject, def.properties, known);
      }
      case 'map':
        for (const [k, v] of Object.entries(value as JsonObject)) checkValue(`${path}.${k}`, v, [match.element], known);
        return;
      case 'array':
        return (value as Json[]).forEach((v, i) => checkValue(`${path}[${i}]`, v, [match.element], known));
      default:
        return;
    }
  };

  const checkObject = (
    path: string,
    value: JsonObject,
    properties: Record<string, { type: PropertyType; previousTypes?: PropertyType[]; required?: boolean }>,
    known: ReadonlySet<string>,
  ) => {
    for (const [name, v] of Object.entries(value)) {
      const property = properties[name];
      if (!property) {
        const near = Object.keys(properties).find((p) => p.toLowerCase() === name.toLowerCase());
        report(`${path}.${name}`, `unknown property ${name}${near ? ` (did you mean ${near}?)` : ''}`);
        walk(`${path}.${name}`, v, known);
        continue;
      }
      checkValue(`${path}.${name}`, v, typesOf(property), known);
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) report(path, `required property ${name} is missing`);
    }
  };

  for (const [id, resource] of Object.entries(resources)) {
    const path = `Resources.${id}`;
    if (!isObject(resource)) {
      report(path, 'a resource must be an object');
      continue;
    }
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.has(key)) report(`${path}.${key}`, `unknown resource attribute ${key}`);
    const known = new Set<string>();
    if (resource.Condition !== undefined) {
      if (typeof resource.Condition !== 'string' || !(resource.Condition in conditions)) report(`${path}.Condition`, `no such condition ${String(resource.Condition)}`);
      else known.add(resource.Condition);
    }
    for (const dep of [resource.DependsOn ?? []].flat()) {
      if (typeof dep !== 'string' || !(dep in resources)) report(`${path}.DependsOn`, `DependsOn ${String(dep)}: no such resource`);
    }
    const type = resource.Type;
    if (typeof type !== 'string') {
      report(`${path}.Type`, 'missing Type');
      continue;
    }
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      walk(`${path}.Properties`, resource.Properties, known);
      continue;
    }
    const spec = specOf(type);
    if (!spec) {
      report(`${path}.Type`, `unknown resource type ${type}`);
      continue;
    }
    const props = resource.Properties ?? {};
    if (!isObject(props)) {
      report(`${path}.Properties`, 'Properties must be an object');
      continue;
    }
    checkObject(`${path}.Properties`, props, spec.properties, known);
  }

  for (const [name, condition] of Object.entries(conditions)) walk(`Conditions.${name}`, condition, new Set());
  // A condition may name another condition: { "Condition": "Other" } inside Fn::And/Or/Not.
  const conditionRefs = (path: string, v: Json | undefined): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => conditionRefs(`${path}[${i}]`, x));
    if (!isObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Condition' && typeof x === 'string' && !(x in conditions)) report(`${path}.Condition`, `no such condition ${x}`);
      conditionRefs(`${path}.${k}`, x);
    }
  };
  conditionRefs('Conditions', conditions);

  for (const [name, output] of Object.entries(isObject(t.Outputs) ? t.Outputs : {})) {
    const path = `Outputs.${name}`;
    if (!isObject(output) || !('Value' in output)) {
      report(path, 'an output needs a Value');
      continue;
    }
    const known = new Set<string>();
    if (typeof output.Condition === 'string') {
      if (!(output.Condition in conditions)) report(`${path}.Condition`, `no such condition ${output.Condition}`);
      known.add(output.Condition);
    }
    walk(`${path}.Value`, output.Value, known);
    if (output.Export !== undefined) walk(`${path}.Export`, output.Export, known);
  }
  return problems;
};

const describe = (type: PropertyType): string => {
  switch (type.type) {
    case 'ref': return 'an object';
    case 'tag': return 'a tag';
    case 'map': return 'a map';
    case 'array': return 'a list';
    case 'union': return type.types.map(describe).join(' or ');
    default: return type.type;
  }
};
