import type { Common } from './args.ts';
import { UsageError, type Io } from './output.ts';

/**
 * The API key, read from the environment only (PACKAGE_DEPLOYMENT_API_KEY, or the variable --key-env names). The
 * value goes into the X-ApiKey header and nowhere else: no log line, no error message names it.
 */
export const apiKeyHeaders = (c: Common, io: Io, log: (line: string) => void): Record<string, string> => {
  const value = io.env[c.keyEnv]?.trim();
  if (!value) {
    if (c.keyEnvExplicit) throw new UsageError(`--key-env ${c.keyEnv}: that environment variable is not set (or is empty)`);
    log(`no API key in ${c.keyEnv}: calling anonymously`);
    return {};
  }
  if (/[\r\n]/.test(value) || !/^[\x20-\x7e]+$/.test(value)) throw new UsageError(`the API key in ${c.keyEnv} holds characters an HTTP header cannot carry`);
  log(`API key: from ${c.keyEnv}`);
  return { 'X-ApiKey': value };
};

export const USER_AGENT = 'package-deployment-cli/1';
