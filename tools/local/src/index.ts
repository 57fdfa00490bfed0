/** The local stack behind `npm start` and `npm run demo` (see the README's quick start). */
export { runDemo } from './demo';
export type { DemoResult, PostedSample } from './demo';
export { runStoryDemo } from './story';
export type { StoryResult, StoryStep } from './story';
export {
  DEFAULT_TIME_SCALE,
  LOCAL_ORGANISATION,
  LOCAL_RESOURCE_ID,
  LOCAL_SENDER_ORGANISATION,
  localAltinnEnv,
  localDelivery,
  startLocalAltinn,
} from './local-altinn';
export type { LocalAltinn, LocalAltinnClient, LocalAltinnInfo } from './local-altinn';
export {
  altinnEnvironmentOf,
  banner,
  devToken,
  readStackState,
  startLocalStack,
  DEV_MAIL_ADDRESS,
  LOCAL_APPS,
} from './stack';
export type { LocalApp, LocalStack, LocalStackOptions, StackState } from './stack';
export { LOCAL_USERS, consoleClient, startIdentityProviderProcess } from './identity-provider';
export type { IdentityProviderClient, IdentityProviderOptions, LocalUser } from './identity-provider';
