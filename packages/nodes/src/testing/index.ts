/**
 * Test helpers for node types (`@tributary/nodes/testing`): run one node with a real context.
 * Node-only; shipped in dist because the runtime's tests use it too.
 */
export {
  runNode,
  parseConfig,
  messages,
  ConfigParseError,
  type MessageInput,
  type RecordedError,
  type RunNodeOptions,
  type RunNodeResult,
} from './run-node.js';
export {
  createTestContext,
  type LogRecord,
  type LogLevelName,
  type StatValue,
  type TestContext,
  type TestContextOptions,
} from './test-context.js';
export { PeerProcess, PYTHON, freePort, peerScript, waitFor } from './peers.js';
export { startTestHub } from '../endpoints/testing.js';
export { sourceHarness, type EmittedMessage } from './source-harness.js';
export {
  createTestQueue,
  peek,
  queueDepth,
  requireSqsServer,
  sendBodies,
  sqsTestConnection,
  testSqsClient,
  uniqueQueueName,
  SQS_ENDPOINT,
  type TestQueue,
} from '../connections/sqs-test-server.js';
export { OpenDxlFake, type FakeRecord, type OpenDxlFakeOptions } from '../connections/opendxl-test-server.js';
