export * from './accounting';
export * from './archive-rows';
export * from './load';
export * from './processes';
export * from './settlement';
export * from './soak';
export * from './system';
