/** The console's DI tokens. */
export const AUDIT_STORE = Symbol('AUDIT_STORE');
export const KAFKA = Symbol('KAFKA');
export const POLLER_CLIENT = Symbol('POLLER_CLIENT');
