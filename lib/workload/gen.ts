/** The generator toolkit as one namespace: `import { gen } from 'pakostii'`. */
export { each, limit, mix, phases, repeat, sequence, sleep, stagger, timeLimit, until } from './combinators.js';
export { PENDING, toGenerator, isGenerator } from './generator.js';
