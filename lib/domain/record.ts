import { principalKeyId, principalName, type Principal } from './auth.ts';
import { FUTURE_DATE_SKEW_MS } from './dates.ts';
import type { DeploymentInput, Status } from './deployment.ts';
import { changeOf, compareVersions } from './versions.ts';
import type { CurrentView, DeploymentView, PackageOverview } from './views.ts';

/** A recorded deployment: the seed's fields, plus what the service adds (its id, when and where it was received). */
export type DeploymentRecord = {
  id: string;
  feedName: string;
  groupName?: string | undefined;
  packageName: string;
  version: string;
  target: string;
  application: string;
  description: string;
  userName: string;
  url?: string | undefined;
  date: string;
  receivedAt: string;
  /**
   * True when `date` lay more than FUTURE_DATE_SKEW_MS after `receivedAt`: the record is then ordered (in histories and
   * for the target's current version) by `receivedAt`, not by its date. Absent otherwise.
   */
  dateInFuture?: boolean | undefined;
  /** The API key's id, or `anonymous`: who recorded it, without the key. */
  keyId: string;
  /** The id of the trust policy whose identity token recorded it (absent for an API key or anonymous). */
  trustPolicy?: string | undefined;
  /** The id of the feed it was recorded in (absent on records stored before feeds had ids). */
  feedId?: string | undefined;
  region: string;
  /** As sent: absent when the caller sent none (a deployment then succeeded), so a ProGet caller's answers do not change. */
  status?: Status | undefined;
  /** The deployed change's commit id (lower-case hex) and when it was committed (ISO 8601, UTC; not after `date`). */
  commitSha?: string | undefined;
  commitTime?: string | undefined;
};

/** Whether a record is a failed deployment (one that never became its target's current version). */
export const isFailed = (record: Pick<DeploymentRecord, 'status'>): boolean => record.status === 'Failed';

/** A failed attempt newer than a target's current record, as a current item keeps it (see toCurrentView). */
export type LastAttempt = { Version: string; Status: Status; Date: string; Id: string };

/** A record as the service builds it, before storage gives it an id. */
export type NewDeployment = Omit<DeploymentRecord, 'id'>;

/** Whether a record dated `date` and received at `receivedAt` is dated in the future beyond the clock-skew allowance. */
export const isDateInFuture = (date: string, receivedAt: string): boolean => Date.parse(date) > Date.parse(receivedAt) + FUTURE_DATE_SKEW_MS;

/** The instant a record is ordered by: its Date, unless that lies in the future (then the time it was received). */
export const orderingInstant = (record: Pick<DeploymentRecord, 'date' | 'receivedAt' | 'dateInFuture'>): string =>
  record.dateInFuture === true ? record.receivedAt : record.date;

/**
 * The record to store for validated input: UserName defaults to the key's user, the identity token's actor (see
 * trust.ts) or Anonymous; Date to now. A Date
 * beyond the clock-skew allowance is kept as given but marked (see {@link orderingInstant}).
 */
export const newDeployment = (
  input: DeploymentInput,
  received: { principal: Principal; receivedAt: string; region: string; feedId: string },
): NewDeployment => ({
  ...(input.Date !== undefined && isDateInFuture(input.Date, received.receivedAt) ? { dateInFuture: true } : {}),
  feedId: received.feedId,
  feedName: input.FeedName,
  groupName: input.GroupName,
  packageName: input.PackageName,
  version: input.Version,
  target: input.Target,
  application: input.Application,
  description: input.Description,
  userName: input.UserName ?? principalName(received.principal),
  url: input.Url,
  date: input.Date ?? received.receivedAt,
  receivedAt: received.receivedAt,
  keyId: principalKeyId(received.principal),
  ...(received.principal.kind === 'trust' ? { trustPolicy: received.principal.policy.id } : {}),
  region: received.region,
  ...(input.Status !== undefined ? { status: input.Status } : {}),
  ...(input.CommitSha !== undefined ? { commitSha: input.CommitSha } : {}),
  ...(input.CommitTime !== undefined ? { commitTime: input.CommitTime } : {}),
});

/** The stored record as the API returns it (see DeploymentViewSchema). */
export const toView = (record: DeploymentRecord): DeploymentView => ({
  Id: record.id,
  FeedName: record.feedName,
  ...(record.groupName !== undefined ? { GroupName: record.groupName } : {}),
  PackageName: record.packageName,
  Version: record.version,
  Target: record.target,
  Application: record.application,
  Description: record.description,
  UserName: record.userName,
  ...(record.url !== undefined ? { Url: record.url } : {}),
  Date: record.date,
  ReceivedAt: record.receivedAt,
  ...(record.dateInFuture === true ? { DateInFuture: true as const } : {}),
  Region: record.region,
  ...(record.trustPolicy !== undefined ? { TrustPolicy: record.trustPolicy } : {}),
  ...(record.status !== undefined ? { Status: record.status } : {}),
  ...(record.commitSha !== undefined ? { CommitSha: record.commitSha } : {}),
  ...(record.commitTime !== undefined ? { CommitTime: record.commitTime } : {}),
});

/** A target's current record as the API returns it, with what the deployment did (see changeOf). */
export type CurrentRecord = DeploymentRecord & { previousVersion?: string | null | undefined; lastAttempt?: LastAttempt | undefined };

/**
 * A target's current record as the API returns it, with what the deployment did (see changeOf), and the failed
 * attempt made on the target since, if any (LastAttempt).
 */
export const toCurrentView = (record: CurrentRecord): CurrentView => {
  const previous = record.previousVersion ?? undefined;
  return {
    ...toView(record),
    ...(previous !== undefined ? { PreviousVersion: previous } : {}),
    Change: changeOf(record.version, previous),
    ...(record.lastAttempt !== undefined ? { LastAttempt: record.lastAttempt } : {}),
  };
};

/** Distinct versions, highest first (those that cannot be ordered last, in text order). */
export const distinctVersions = (versions: Iterable<string>): string[] => {
  const unique = [...new Set(versions)];
  const orderable = unique.filter((v) => compareVersions(v, v) !== undefined).sort((a, b) => compareVersions(b, a)! || (a < b ? -1 : a > b ? 1 : 0));
  const other = unique.filter((v) => compareVersions(v, v) === undefined).sort();
  return [...orderable, ...other];
};

/** A package's overview entry from its targets' current records (in target order). */
export const toPackageOverview = (targets: ReadonlyArray<CurrentRecord>): PackageOverview => {
  const first = targets[0]!;
  const versions = distinctVersions(targets.map((t) => t.version));
  return {
    ...(first.groupName !== undefined ? { GroupName: first.groupName } : {}),
    PackageName: first.packageName,
    Versions: versions,
    // Spellings of one version (1.0 and 1.0.0, a leading v, build metadata) are not drift, as they are not a Change.
    Drift: versions.some((v) => v !== versions[0] && compareVersions(v, versions[0]!) !== 0),
    Targets: targets.map(toCurrentView),
  };
};
