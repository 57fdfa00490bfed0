export * from './lib/consumer/dead-letter-admin';
