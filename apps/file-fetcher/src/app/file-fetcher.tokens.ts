export const ALTINN_CLIENT = Symbol('ALTINN_CLIENT');
export const OUTCOME_STORE = Symbol('OUTCOME_STORE');
export const FILE_STORAGE = Symbol('FILE_STORAGE');
