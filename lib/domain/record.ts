import { principalKeyId, principalName, type Principal } from './auth.ts';
import type { DeploymentInput } from './deployment.ts';

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
  /** The API key's id, or `anonymous`: who recorded it, without the key. */
  keyId: string;
  region: string;
};

/** A record as the service builds it, before storage gives it an id. */
export type NewDeployment = Omit<DeploymentRecord, 'id'>;

/** The record to store for validated input: UserName defaults to the key's user (or Anonymous), Date to now. */
export const newDeployment = (
  input: DeploymentInput,
  received: { principal: Principal; receivedAt: string; region: string },
): NewDeployment => ({
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
  region: received.region,
});

/** The stored record as the API returns it: the seed's field names, plus the id and what the service added. */
export type DeploymentView = {
  Id: string;
  FeedName: string;
  GroupName?: string;
  PackageName: string;
  Version: string;
  Target: string;
  Application: string;
  Description: string;
  UserName: string;
  Url?: string;
  Date: string;
  ReceivedAt: string;
  Region: string;
};

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
  Region: record.region,
});
