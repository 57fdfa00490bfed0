/** The poller's DI tokens for what has no class of its own (POLLER_CONFIG lives with the config). */

/** Where each resource's position in Altinn's event log is kept (cursor/cursor-store.ts). */
export const CURSOR_STORE = Symbol('CURSOR_STORE');
/** The Altinn client (libs/altinn-client) with the poller's scopes. */
export const ALTINN_CLIENT = Symbol('ALTINN_CLIENT');
