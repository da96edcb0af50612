import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The Lambda bundle's stand-in for `@aws-sdk/credential-provider-node` (infra/build.ts substitutes it): the SDK's
 * default chain also knows SSO, shared ini files, web identity, ECS and EC2 metadata, and brings STS, SSO and sign-in
 * clients of its own (about 100 KB and a slower cold start). Lambda always puts the function role's credentials in the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the bundle reads them there and nowhere
 * else. The admin CLI and local tools run from source and keep the full chain.
 */
export const defaultProvider = fromEnv;
