import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { root } from '../../infra/paths.ts';

/** The layer rules of eslint.config.js, tried on planted code: each wrong direction fails lint, naming the layers. */
const LAYER_RULES = ['@typescript-eslint/no-restricted-imports', 'no-restricted-properties', 'no-restricted-syntax'];
const lint = async (filePath: string, code: string): Promise<string[]> => {
  const [result] = await new ESLint({ cwd: root }).lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && LAYER_RULES.includes(m.ruleId)).map((m) => m.message);
};

describe('the layers of lib/', () => {
  it.each([
    ['lib/domain/planted.ts', "import { documentClient } from '../store/client.ts';", /lib\/domain \(the domain\) may not import lib\/store/],
    ['lib/domain/planted.ts', "import { json } from '../http/responses.ts';", /lib\/domain \(the domain\) may not import lib\/http/],
    ['lib/domain/planted.ts', "import { recordDeployment } from '../app/record-deployment.ts';", /may not import lib\/app/],
    ['lib/domain/planted.ts', "import { QueryCommand } from '@aws-sdk/lib-dynamodb';", /may not import the AWS SDK/],
    ['lib/domain/planted.ts', "import middy from '@middy/core';", /may not import Lambda\/HTTP packages/],
    ['lib/store/planted.ts', "import { json } from '../http/responses.ts';", /lib\/store \(storage\) may not import lib\/http/],
    ['lib/store/planted.ts', "import { readHandler } from '../app/read.ts';", /lib\/store \(storage\) may not import lib\/app/],
    ['lib/http/planted.ts', "import { documentClient } from '../store/client.ts';", /lib\/http \(HTTP\) may not import lib\/store/],
    ['lib/http/planted.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", /lib\/http \(HTTP\) may not import the AWS SDK/],
    ['lib/app/planted.ts', "import { EventBridgeClient } from '@aws-sdk/client-eventbridge';", /lib\/app \(the use cases\) may not import the AWS SDK/],
    [
      'lib/app/planted.ts',
      "import { SQSClient } from '@aws-sdk/client-sqs';",
      /lib\/app \(the use cases\) may not import the AWS SDK: clients are built in lib\/store/,
    ],
    ['lib/app/planted.ts', "import { PutCommand } from '@aws-sdk/lib-dynamodb';", /lib\/app \(the use cases\) may not import the AWS SDK/],
    ['lib/app/planted.ts', "import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';", /lib\/app \(the use cases\) may not import the AWS SDK/],
    ['lib/app/admin/planted.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", /lib\/app \(the use cases\) may not import the AWS SDK/],
    [
      'lib/app/planted.ts',
      'export const table = process.env.FEEDS_TABLE;',
      /lib\/app \(the use cases\) may not read process\.env: configuration is read in lib\/store\/config\.ts/,
    ],
    ['lib/app/planted.ts', 'const { env } = process;\nexport const table = env.FEEDS_TABLE;', /lib\/app \(the use cases\) may not read process\.env/],
    ['lib/app/planted.ts', 'export const table = globalThis.process.env.FEEDS_TABLE;', /lib\/app \(the use cases\) may not read process\.env/],
    [
      'lib/app/planted.ts',
      "import { env } from 'node:process';\nexport const table = env.FEEDS_TABLE;",
      /lib\/app \(the use cases\) may not import node:process/,
    ],
    ['lib/app/site/planted.ts', "export const region = process.env['AWS_REGION'];", /lib\/app \(the use cases\) may not read process\.env/],
    ['lib/domain/planted.ts', 'export const region = process.env.AWS_REGION;', /lib\/domain \(the domain\) may not read process\.env/],
    ['lib/domain/planted.ts', "import * as proc from 'process';\nexport const running = proc;", /lib\/domain \(the domain\) may not import node:process/],
    [
      'functions/planted/handler.ts',
      "import { foldName } from '../../lib/domain/keys.ts';",
      /functions\/ \(composition roots\) may not import lib\/domain directly/,
    ],
    [
      'functions/planted/handler.ts',
      "import { SQSClient } from '@aws-sdk/client-sqs';",
      /functions\/ \(composition roots\) may not import the AWS SDK directly/,
    ],
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
    [
      'functions/planted/handler.ts',
      "import { documentClient } from '../../lib/store/client.ts';\nimport { eventBridgeBus } from '../../lib/store/event-bus.ts';",
    ],
    ['lib/store/planted.ts', "import { SQSClient } from '@aws-sdk/client-sqs';\nexport const queue = process.env.DEAD_LETTER_QUEUE;"],
    ['lib/app/planted.ts', "import type { DocumentClient } from '../store/client.ts';\nexport const env = (o: { env: string }) => o.env;"],
  ])('%s: the allowed direction passes', async (file, code) => {
    expect(await lint(file, `${code}\nexport {};\n`)).toEqual([]);
  });
});
