import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

export const baseUrl = (): string => inject('baseUrl');
export const endpoint = (): string => `${baseUrl()}/api/package-deployment/`;

/** Runs the admin CLI as a user would (`npm run -s admin -- ...`), against the service's DynamoDB. */
export const admin = async (...args: string[]): Promise<string[]> => {
  const adminEndpoint = inject('adminEndpoint');
  const { stdout } = await exec(process.execPath, ['infra/admin.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...(adminEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: adminEndpoint } : {}) },
  });
  return stdout.trimEnd().split('\n');
};

export type CurlAnswer = { status: number; contentType: string; body: string; json: () => Record<string, unknown> };

/** Runs the real curl binary, as the README's examples do; returns status, content type and body. */
export const curl = async (...args: string[]): Promise<CurlAnswer> => {
  const { stdout } = await exec('curl', ['-sS', '-o', '-', '-w', '\n%{http_code} %{content_type}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  const [status = '0', contentType = ''] = stdout.slice(cut + 1).split(' ');
  const body = stdout.slice(0, cut);
  return { status: Number(status), contentType, body, json: () => JSON.parse(body) as Record<string, unknown> };
};
