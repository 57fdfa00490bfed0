/** @broker-events/nx-plugin: workspace generators (see generators.json). */
export { default as consumerGenerator } from './generators/consumer/generator';
export type { ConsumerGeneratorSchema } from './generators/consumer/generator';
