export * from './message.js';
export * from './node-contract.js';
export * from './flow-document.js';
export * from './stats.js';
export * from './events.js';
