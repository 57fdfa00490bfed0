import type { ConsumerDescription } from './asyncapi';

/** The consumers this repository ships; group ids follow NestJS's `-server` suffix convention. */
export const BUILT_IN_CONSUMERS: readonly ConsumerDescription[] = [
  { name: 'archive', groupId: 'archive-server', description: 'keeps every event for audit and lookup' },
  { name: 'email', groupId: 'email-server', description: 'tells people by email' },
  { name: 'slack', groupId: 'slack-server', description: 'posts to Slack' },
];
