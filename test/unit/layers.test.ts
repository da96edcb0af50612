import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { root } from '../../infra/paths.ts';

/** The layer rule of eslint.config.js, tried on planted imports: each wrong direction fails lint, naming the layers. */
const lint = async (filePath: string, code: string): Promise<string[]> => {
  const [result] = await new ESLint({ cwd: root }).lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
};

describe('the layers of lib/', () => {
  it.each([
    ['lib/domain/planted.ts', "import { documentClient } from '../store/client.ts';", /lib\/domain \(the domain\) may not import lib\/store/],
    ['lib/domain/planted.ts', "import { json } from '../http/responses.ts';", /lib\/domain \(the domain\) may not import lib\/http/],
    ['lib/domain/planted.ts', "import { recordDeployment } from '../app/record.ts';", /may not import lib\/app/],
    ['lib/domain/planted.ts', "import { QueryCommand } from '@aws-sdk/lib-dynamodb';", /may not import the AWS SDK/],
    ['lib/domain/planted.ts', "import middy from '@middy/core';", /may not import Lambda\/HTTP packages/],
    ['lib/store/planted.ts', "import { json } from '../http/responses.ts';", /lib\/store \(storage\) may not import lib\/http/],
    ['lib/store/planted.ts', "import { readHandler } from '../app/read.ts';", /lib\/store \(storage\) may not import lib\/app/],
    ['lib/http/planted.ts', "import { documentClient } from '../store/client.ts';", /lib\/http \(HTTP\) may not import lib\/store/],
    ['lib/http/planted.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", /lib\/http \(HTTP\) may not import the AWS SDK/],
    ['functions/planted/handler.ts', "import { documentClient } from '../../lib/store/client.ts';", /functions\/ \(composition roots\) may not import/],
  ])('%s: %s fails lint', async (file, code, message) => {
    const messages = await lint(file, `${code}\nexport {};\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(message);
  });

  it.each([
    ['lib/store/planted.ts', "import { foldName } from '../domain/keys.ts';"],
    ['lib/http/planted.ts', "import { InvalidInput } from '../domain/errors.ts';"],
    ['lib/app/planted.ts', "import { documentClient } from '../store/client.ts';\nimport { json } from '../http/responses.ts';"],
    ['functions/planted/handler.ts', "import { readHandler } from '../../lib/app/read.ts';"],
  ])('%s: the allowed direction passes', async (file, code) => {
    expect(await lint(file, `${code}\nexport {};\n`)).toEqual([]);
  });
});
