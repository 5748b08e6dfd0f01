/**
 * The containerd layer's entry point (internal, NOT part of the public API):
 * the client, and the types it takes and returns.
 */
export { ContainerdClient } from './client.js';
export type * from './types.js';
