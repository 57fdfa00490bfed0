/** The local stack behind `npm start` and `npm run demo` (see the README's quick start). */
export { runDemo } from './demo';
export type { DemoResult, PostedSample } from './demo';
export { banner, devToken, readStackState, startLocalStack, DEV_MAIL_ADDRESS, LOCAL_APPS } from './stack';
export type { LocalStack, LocalStackOptions, StackState } from './stack';
