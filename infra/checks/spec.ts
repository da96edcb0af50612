/**
 * What cfn-lint (infra/checks/cfn-lint.ts) does not check in a template: that every intrinsic function is one
 * CloudFormation has. cfn-lint reports an unknown `Fn::` only where a property's schema expects something else; in a
 * free-form value (a function's Environment.Variables, a resource's Metadata) it lets `{ "Fn::GetAttr": ... }` pass,
 * and CloudFormation rejects the template at deployment ("Encountered unsupported function"). Resource types,
 * properties, values, references and conditions are cfn-lint's to check.
 */
export type Problem = { path: string; message: string };

const INTRINSICS = new Set([
  'Fn::Base64',
  'Fn::Cidr',
  'Fn::FindInMap',
  'Fn::ForEach',
  'Fn::GetAtt',
  'Fn::GetAZs',
  'Fn::ImportValue',
  'Fn::Join',
  'Fn::Length',
  'Fn::Select',
  'Fn::Split',
  'Fn::Sub',
  'Fn::ToJsonString',
  'Fn::Transform',
  'Fn::And',
  'Fn::Equals',
  'Fn::If',
  'Fn::Not',
  'Fn::Or',
]);

/** Every `Fn::` key anywhere in the template that CloudFormation does not know; an empty list means none. */
export const checkTemplate = (template: unknown): Problem[] => {
  const problems: Problem[] = [];
  const walk = (path: string, value: unknown): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(`${path}[${i}]`, v));
    if (typeof value !== 'object' || value === null) return;
    for (const [key, v] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (key.startsWith('Fn::') && !INTRINSICS.has(key)) problems.push({ path: at, message: `unknown intrinsic function ${key}` });
      walk(at, v);
    }
  };
  walk('', template);
  return problems;
};
