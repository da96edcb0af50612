import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { root } from '../../infra/paths.ts';

/**
 * The pipeline CLI (cli/) and the service (lib/) are read side by side (the CLI sends what lib/ receives): a function
 * exported under one name from both, such as a CLI command and a use case both called recordDeployment, makes a
 * reader or an editor's auto-import pick the wrong one. Each exported value name belongs to one side only.
 */

/** The value names a module exports (functions, classes, constants, `export { a as b }`), not its types. */
const exportedValues = (fileName: string, text: string): string[] => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const exported = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const names: string[] = [];
  for (const statement of source.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && exported(statement) && statement.name) {
      names.push(statement.name.text);
    } else if (ts.isVariableStatement(statement) && exported(statement)) {
      for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const e of statement.exportClause.elements) if (!e.isTypeOnly) names.push(e.name.text);
    }
  }
  return names;
};

const sources = (folder: string): Array<{ file: string; text: string }> =>
  (readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => ({ file: relative(root, join(root, folder, f)), text: readFileSync(join(root, folder, f), 'utf8') }));

/** Each name exported by both sides, with the files that export it. */
const collisions = (a: Array<{ file: string; text: string }>, b: Array<{ file: string; text: string }>): Record<string, string[]> => {
  const where = (side: typeof a) => {
    const map = new Map<string, string[]>();
    for (const { file, text } of side) for (const name of exportedValues(file, text)) map.set(name, [...(map.get(name) ?? []), file]);
    return map;
  };
  const left = where(a);
  const right = where(b);
  return Object.fromEntries([...left].filter(([name]) => right.has(name)).map(([name, files]) => [name, [...files, ...right.get(name)!]]));
};

describe('exported names of cli/ and lib/', () => {
  it('no value is exported under the same name from both', () => {
    const cli = sources('cli');
    const lib = sources('lib');
    expect(cli.length).toBeGreaterThan(5);
    expect(lib.length).toBeGreaterThan(30);
    expect(collisions(cli, lib)).toEqual({});
  });

  it('finds a planted collision of each kind of export, and ignores types', () => {
    const cli = [{ file: 'cli/planted.ts', text: 'export const recordDeployment = () => 1;\nexport function listFeeds() {}\nexport type Caller = string;\n' }];
    const lib = [
      {
        file: 'lib/app/planted.ts',
        text: 'const recordDeployment = () => 2;\nexport { recordDeployment };\nexport class listFeeds {}\nexport type Caller = number;\n',
      },
    ];
    expect(collisions(cli, lib)).toEqual({
      recordDeployment: ['cli/planted.ts', 'lib/app/planted.ts'],
      listFeeds: ['cli/planted.ts', 'lib/app/planted.ts'],
    });
  });
});
