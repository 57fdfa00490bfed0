export * from './lib/migrations';
export * from './lib/pool';
export * from './lib/postgres.store';
export * from './lib/sqlite.store';
