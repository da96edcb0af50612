/**
 * Which targets run an affected version: a version range (`GET`, NuGet interval or npm range) or an OSV advisory
 * (`POST`, JSON body) against the current record of every target of the packages named. Reads only the packages'
 * current items (the `C#` partitions, one Query per page of targets), never their history: the cost is O(current items
 * of the named packages). Privilege: view on the feed, checked in ProGet's order like every read (lib/app/access.ts),
 * so a key scoped to another feed learns nothing of this one, not even a count.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { VIEW_PRIVILEGE } from '../domain/auth.ts';
import { optional, required } from '../domain/deployment.ts';
import { InvalidInput } from '../domain/errors.ts';
import { currentPartitionKey, foldName } from '../domain/keys.ts';
import { MAX_ADVISORY_BYTES, parseAdvisory, type Matching } from '../domain/osv.ts';
import { pageLimit, readParameters } from '../domain/queries.ts';
import { MAX_RANGE_LENGTH, matchVersion, parseRange, type Matcher } from '../domain/ranges.ts';
import { toCurrentView } from '../domain/record.ts';
import type { AffectedPackage, AffectedView } from '../domain/views.ts';
import { both, invalid, valid, type Checked } from '../domain/result.ts';
import * as z from '../domain/zod.ts';
import { badRequest, problem } from '../http/errors.ts';
import type { CurrentItem } from '../store/items.ts';
import { queryPage } from '../store/queries.ts';
import { checkFeedAccess, type Caller } from './access.ts';
import type { ReadDependencies } from './read.ts';

/** Targets read per page: a package's targets usually fit one page, so a pipeline's gate is one request. */
export const AFFECTED_DEFAULT_LIMIT = 1000;
export const AFFECTED_MAX_LIMIT = 1000;

const limit = pageLimit(AFFECTED_DEFAULT_LIMIT, AFFECTED_MAX_LIMIT);
const cursor = z.optional(z.string().check(z.maxLength(8192, 'is not a cursor this API returned')));

/** The `affected` route by `GET`: one package's targets whose current version is in `Range`. */
export const AffectedQuerySchema = z.object({
  FeedName: required('FeedName'),
  PackageName: required('PackageName'),
  GroupName: optional('GroupName'),
  Range: z.string().check(z.minLength(1, 'is required'), z.maxLength(MAX_RANGE_LENGTH, `must be at most ${MAX_RANGE_LENGTH} characters`)),
  Target: optional('Target'),
  Region: optional('Target'),
  limit,
  cursor,
});

/** The `affected` route by `POST`: the query string of an advisory's request (the advisory is the body). */
export const AdvisoryQuerySchema = z.object({
  FeedName: required('FeedName'),
  Target: optional('Target'),
  Region: optional('Target'),
  limit,
  cursor,
});

const RANGE_NAMES = Object.keys(AffectedQuerySchema.shape);
const ADVISORY_NAMES = Object.keys(AdvisoryQuerySchema.shape);

/** One package to check: where its targets may be stored (one or more group/name spellings) and its matcher. */
type Wanted = {
  groupName?: string | undefined;
  packageName: string;
  ecosystem?: string;
  matching: Matching;
  matcher: Matcher;
  stored: Array<{ group: string | undefined; name: string }>;
};

type Request = { feedName: string; target?: string | undefined; region?: string | undefined; limit: number; cursor?: string | undefined };

/**
 * Where a package of an advisory may be stored in a feed: as named; an npm scoped name `@scope/name` also as group
 * `@scope` or `scope` and name `name`, a Maven `group:artifact` as group and name (ProGet keeps both so).
 */
const storedNames = (ecosystem: string, name: string): Wanted['stored'] => {
  const out: Wanted['stored'] = [{ group: undefined, name }];
  const scoped = /^@([^/]+)\/(.+)$/.exec(name);
  if (ecosystem.toLowerCase() === 'npm' && scoped) out.push({ group: `@${scoped[1]}`, name: scoped[2]! }, { group: scoped[1], name: scoped[2]! });
  const maven = /^([^:]+):(.+)$/.exec(name);
  if (ecosystem.toLowerCase() === 'maven' && maven) out.push({ group: maven[1], name: maven[2]! });
  return out;
};

/** The body of a POST as text: at most MAX_ADVISORY_BYTES (413), JSON or unlabelled (415 otherwise), UTF-8 (400). */
const advisoryText = (request: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>): string => {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // curl --data sends application/x-www-form-urlencoded unless told otherwise; the body is read as JSON all the same.
  const accepted =
    type === '' ||
    type === 'application/json' ||
    /^application\/[a-z0-9.+-]+\+json$/.test(type) ||
    type === 'text/plain' ||
    type === 'application/x-www-form-urlencoded';
  if (!accepted) throw problem(415, `Content-Type ${type} is not read here; send the OSV advisory as application/json.`);
  const raw = request.body ?? '';
  // A base64 text is 4/3 of its bytes: refuse an oversized one before decoding it.
  if ((request.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw)) > MAX_ADVISORY_BYTES + 2) {
    throw problem(413, `The advisory is larger than ${MAX_ADVISORY_BYTES} bytes.`);
  }
  const bytes = request.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_ADVISORY_BYTES) throw problem(413, `The advisory is larger than ${MAX_ADVISORY_BYTES} bytes.`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw badRequest('The advisory is not UTF-8 text.', cause);
  }
};

/** The input of a range query: its parameters and the one package it names. */
const rangeInput = (caller: Caller): Checked<[Request, Wanted[], null]> => {
  const q = readParameters(AffectedQuerySchema, RANGE_NAMES, caller.query, caller.rawQuery);
  if (!q.ok) return q;
  const range = parseRange(q.value.Range);
  if (!range.ok) return invalid([{ field: 'Range', detail: range.detail }]);
  const { FeedName, PackageName, GroupName, Target, Region } = q.value;
  const wanted: Wanted = {
    groupName: GroupName,
    packageName: PackageName,
    matching: 'range',
    matcher: range.matcher,
    stored: [{ group: GroupName, name: PackageName }],
  };
  return valid([{ feedName: FeedName, target: Target, region: Region, limit: q.value.limit, cursor: q.value.cursor }, [wanted], null]);
};

/** The input of an advisory query: its parameters and the packages the advisory names. */
const advisoryInput = (caller: Caller, text: string): Checked<[Request, Wanted[], string | null]> => {
  const checked = both(readParameters(AdvisoryQuerySchema, ADVISORY_NAMES, caller.query, caller.rawQuery), parseAdvisory(text));
  if (!checked.ok) return checked;
  const [q, advisory] = checked.value;
  const wanted = advisory.packages.map((p): Wanted => ({
    packageName: p.name,
    ecosystem: p.ecosystem,
    matching: p.matching,
    matcher: p.matcher,
    stored: storedNames(p.ecosystem, p.name),
  }));
  return valid([{ feedName: q.FeedName, target: q.Target, region: q.Region, limit: q.limit, cursor: q.cursor }, wanted, advisory.id]);
};

/** A position across the packages' partitions: which partition (in order) and the page cursor within it. */
type Position = { partition: number; inner?: string | undefined };

const badCursor = (cause?: unknown) =>
  new InvalidInput(
    {
      detail: 'cursor is not a cursor this API returned for this query; start again without it.',
      errors: [{ field: 'cursor', detail: 'cursor is not valid.' }],
    },
    { cause },
  );

const encodePosition = (p: Position): string => Buffer.from(JSON.stringify([p.partition, p.inner ?? null])).toString('base64url');

const decodePosition = (cursor: string, partitions: number): Position => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw badCursor(cause);
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw badCursor();
  const [partition, inner] = decoded as unknown[];
  if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) >= partitions) throw badCursor();
  if (inner !== null && typeof inner !== 'string') throw badCursor();
  return { partition: partition as number, inner: inner ?? undefined };
};

const emptyEntry = (w: Wanted): AffectedPackage => ({
  ...(w.groupName !== undefined ? { GroupName: w.groupName } : {}),
  PackageName: w.packageName,
  ...(w.ecosystem !== undefined ? { Ecosystem: w.ecosystem } : {}),
  Matching: w.matching,
  Affected: [],
  Unaffected: 0,
  Unknown: [],
});

/**
 * The answer: every package named, each with this page's targets sorted into Affected (with the version that fixes
 * it, when the advisory says), a count of Unaffected, and Unknown (versions that cannot be ordered, never called safe).
 * A page reads at most `limit` current items across the packages; NextCursor continues where it stopped.
 */
const check = async (deps: ReadDependencies, req: Request, wanted: Wanted[], advisory: string | null): Promise<AffectedView> => {
  const partitions = wanted.flatMap((w, i) => w.stored.map((s) => ({ wanted: i, key: currentPartitionKey(req.feedName, s.group, s.name) })));
  // A package's spellings that fold to the same key are read once (two packages of one name, in two ecosystems, each).
  const unique = partitions.filter((p, i) => partitions.findIndex((q) => q.wanted === p.wanted && q.key === p.key) === i);
  const packages = wanted.map(emptyEntry);
  const named = new Set<number>();
  const same = (asked: string | undefined, value: string) => asked === undefined || foldName(asked) === foldName(value);
  let position: Position | undefined = req.cursor === undefined ? { partition: 0 } : decodePosition(req.cursor, unique.length);
  let budget = req.limit;
  let checked = 0;
  while (position !== undefined && position.partition < unique.length && budget > 0) {
    const { wanted: index, key } = unique[position.partition]!;
    const page = await queryPage(deps.client, deps.deploymentsTable, { partition: { value: key }, ascending: true, limit: budget, cursor: position.inner });
    const entry = packages[index]!;
    const w = wanted[index]!;
    for (const item of page.items as unknown as CurrentItem[]) {
      if (!named.has(index)) {
        // The names as the feed stores them.
        named.add(index);
        if (item.groupName !== undefined) entry.GroupName = item.groupName;
        else delete entry.GroupName;
        entry.PackageName = item.packageName;
      }
      if (!same(req.target, item.target) || !same(req.region, item.region)) continue;
      checked++;
      const match = matchVersion(w.matcher, item.version);
      if (match.kind === 'affected') entry.Affected.push({ ...toCurrentView(item), ...(match.fixedIn !== undefined ? { FixedIn: match.fixedIn } : {}) });
      else if (match.kind === 'unknown') entry.Unknown.push(toCurrentView(item));
      else entry.Unaffected++;
    }
    budget -= page.items.length;
    position = page.cursor !== undefined ? { partition: position.partition, inner: page.cursor } : { partition: position.partition + 1 };
  }
  const more = position !== undefined && position.partition < unique.length;
  return { Advisory: advisory, Packages: packages, Checked: checked, ...(more ? { NextCursor: encodePosition(position!) } : {}) };
};

/**
 * The `affected` route: `GET ?FeedName&PackageName&Range[&GroupName][&Target][&Region]`, and `POST ?FeedName` with an
 * OSV advisory as the body (see the file's opening comment).
 */
export const affectedDeployments = async (
  deps: ReadDependencies,
  caller: Caller,
  request: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'> & { method: string },
): Promise<AffectedView> => {
  const input = request.method === 'POST' ? advisoryInput(caller, advisoryText(request)) : rangeInput(caller);
  const { value } = await checkFeedAccess(deps.directory, caller, {
    input,
    feedName: ([req]) => req.feedName,
    privilege: VIEW_PRIVILEGE,
    now: deps.now(),
  });
  const [req, wanted, advisory] = value;
  return check(deps, req, wanted, advisory);
};
