/**
 * @broker-events/altinn-client: typed clients for Maskinporten, the Altinn token exchange, Altinn Events
 * (subscriptions, GET /events) and Altinn Broker (file transfer overview, list, download, confirm).
 * Local stand-ins for tests live in `@broker-events/altinn-client/testing`.
 */
export { AltinnApiError, isAltinnApiError, kindForStatus } from './lib/errors';
export type { AltinnErrorKind, ProblemDetails } from './lib/errors';
export { DEFAULT_TIMEOUT_MS, joinUrl } from './lib/http';
export type { FetchLike, HttpAnswer } from './lib/http';
export { createNodeFetch, nodeFetch } from './lib/node-fetch';
export { jwtExpiry, jwtPayload, loadPrivateKey, signGrant } from './lib/jwt';
export type { GrantClaims } from './lib/jwt';
export { AltinnTokenExchange, MaskinportenTokenProvider, StaticTokenProvider } from './lib/token-providers';
export type { AltinnExchangeOptions, MaskinportenGrantOptions, TokenProvider } from './lib/token-providers';
export { AuthorizedHttp } from './lib/authorized-http';
export type { AuthorizedHttpOptions } from './lib/authorized-http';
export { EventsClient, MAX_EVENTS_PAGE_SIZE, parseSubscription } from './lib/events-client';
export type { EventsPage, EventsQuery, Subscription } from './lib/events-client';
export {
  BrokerClient,
  FILE_TRANSFER_STATUSES,
  RECIPIENT_STATUSES,
  brokerPartyOrganisation,
  contentDispositionFileName,
  parseOverview,
} from './lib/broker-client';
export type {
  Download,
  DownloadOptions,
  FileTransferOverview,
  FileTransferQuery,
  FileTransferStatus,
  RecipientFileTransferStatus,
  RecipientStatus,
} from './lib/broker-client';
export {
  altinnConfigProblems,
  altinnConfigSchema,
  altinnEndpoints,
  createAltinnClient,
} from './lib/altinn-client';
export type { AltinnClient, AltinnClientOptions, AltinnConfig, AltinnEndpoints } from './lib/altinn-client';
export { altinnSettingsProblems, resourceIdsOf, resourceUrnsOf } from './lib/resources';
export { CatchUpSchedule } from './lib/catch-up-schedule';
