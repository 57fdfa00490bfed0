/** The gateway's DI tokens for what has no class of its own (GATEWAY_CONFIG lives with the config). */

/** The duplicate window (webhook/dedup.store.ts): in memory, or in Redis when REDIS_URL is set. */
export const DEDUP_STORE = Symbol('DEDUP_STORE');
