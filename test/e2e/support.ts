import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { record, runAdmin } from './stage.ts';

const exec = promisify(execFile);

export const baseUrl = (): string => inject('baseUrl');
export const endpoint = (): string => `${baseUrl()}/api/package-deployment/`;

/** Runs the admin CLI as a user would (`npm run -s admin -- ...`), against the service's DynamoDB. */
export const admin = async (...args: string[]): Promise<string[]> => {
  const lines = await runAdmin(inject('adminEndpoint'), args);
  record(inject('ledger'), args, lines);
  return lines;
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
