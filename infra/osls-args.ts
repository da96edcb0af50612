import { parseArgs } from 'node:util';

/**
 * The osls options that `npm run package` and `npm run deploy` read themselves, from the arguments they pass on to
 * osls unchanged: node:util's parseArgs, not strict (every other osls option passes through unread). A repeated
 * option is the last one given, as osls takes it; `--param` may repeat, each `name=value`.
 */
export const oslsOptions = (args: string[]): { stage?: string; region?: string; package?: string; params: string[] } => {
  const { values } = parseArgs({
    args,
    strict: false,
    allowPositionals: true,
    options: {
      stage: { type: 'string', short: 's' },
      region: { type: 'string', short: 'r' },
      package: { type: 'string', short: 'p' },
      param: { type: 'string', multiple: true },
    },
  });
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const params = Array.isArray(values.param) ? values.param.filter((p): p is string => typeof p === 'string') : [];
  return {
    ...(text(values.stage) !== undefined ? { stage: text(values.stage) } : {}),
    ...(text(values.region) !== undefined ? { region: text(values.region) } : {}),
    ...(text(values.package) !== undefined ? { package: text(values.package) } : {}),
    params,
  };
};
