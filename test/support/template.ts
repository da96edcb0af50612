import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reading a packaged CloudFormation template in tests. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Resource = { Type: string; Condition?: string; Properties: Record<string, Json>; DependsOn?: string | string[] };
export type Template = { Resources: Record<string, Resource>; Conditions?: Record<string, Json>; Outputs?: Record<string, Json> };

export const resourcesOfType = (t: Template, type: string): Array<[string, Resource]> => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

export const SERVICE = 'package-deployment-api';

/** The function key (as in serverless.yml and lib/domain/routes.ts) of a Lambda resource, from its FunctionName. */
export const functionKey = (t: Template, logicalId: string, stage: string): string => {
  const name = t.Resources[logicalId]?.Properties.FunctionName;
  if (typeof name !== 'string' || !name.startsWith(`${SERVICE}-${stage}-`)) throw new Error(`${logicalId} has no function name of this stage`);
  return name.slice(`${SERVICE}-${stage}-`.length);
};

/** The logical id in `{ "Fn::GetAtt": [id, attr] }` or `{ "Ref": id }`. */
export const targetOf = (value: Json | undefined): string => {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
    if (typeof value.Ref === 'string') return value.Ref;
  }
  throw new Error(`not a Ref or GetAtt: ${JSON.stringify(value)}`);
};

/** The Lambda function a route reaches: RouteKey -> Target "integrations/<Ref integration>" -> IntegrationUri. */
export const routeTable = (t: Template, stage: string): Array<{ method: string; path: string; function: string }> =>
  resourcesOfType(t, 'AWS::ApiGatewayV2::Route').map(([, route]) => {
    const [method = '', path = ''] = String(route.Properties.RouteKey).split(' ');
    const join = (route.Properties.Target as { 'Fn::Join': [string, Json[]] })['Fn::Join'];
    const [literal, integrationRef] = join[1];
    if (join[0] !== '/' || literal !== 'integrations') throw new Error(`unexpected route target ${JSON.stringify(route.Properties.Target)}`);
    const integration = t.Resources[targetOf(integrationRef)]!;
    return { method, path, function: functionKey(t, targetOf(integration.Properties.IntegrationUri), stage) };
  });

export type Statement = { Effect: string; Action: string | string[]; Resource: Json };

/** A function's role's statements (every inline policy). */
export const roleStatements = (t: Template, functionLogicalId: string): Statement[] => {
  const role = t.Resources[targetOf(t.Resources[functionLogicalId]!.Properties.Role)]!;
  expectType(role, 'AWS::IAM::Role');
  const policies = (role.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((p) => p.PolicyDocument.Statement);
};

const expectType = (r: Resource, type: string) => {
  if (r.Type !== type) throw new Error(`expected ${type}, found ${r.Type}`);
};

/** Fn::Sub of pseudo parameters only, resolved for an account and region. */
export const resolveSub = (value: Json, pseudo: Record<string, string>): string => {
  const text = (value as { 'Fn::Sub': string })['Fn::Sub'];
  if (typeof text !== 'string') throw new Error(`not a simple Fn::Sub: ${JSON.stringify(value)}`);
  return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const v = pseudo[name];
    if (v === undefined) throw new Error(`unresolved \${${name}} in ${text}`);
    return v;
  });
};

/** IAM's wildcard matching of a resource ARN against a pattern (`*` any run, `?` one character). */
export const arnMatches = (pattern: string, arn: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(arn);

/**
 * A planter of faults: each call writes a mutated copy of a packaged template into `dir` (for the real checks to
 * read) and returns its path.
 */
export const planter = (dir: string) => {
  let copies = 0;
  return (base: Template, fault: (t: Template) => void): string => {
    const t = structuredClone(base);
    fault(t);
    const path = join(dir, `fault-${++copies}.json`);
    writeFileSync(path, JSON.stringify(t, null, 2));
    return path;
  };
};
