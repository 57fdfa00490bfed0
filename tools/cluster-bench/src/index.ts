export * from './mail-sink';
export * from './report';
export * from './scenarios';
export * from './system';
