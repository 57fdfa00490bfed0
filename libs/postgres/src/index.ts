export * from './lib/pool';
