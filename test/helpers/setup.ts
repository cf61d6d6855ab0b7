import 'aws-sdk-client-mock-jest';

// Handlers log as they do in Lambda; a test run prints none of it. A test that asserts on log
// lines turns them on (POWERTOOLS_LOG_LEVEL before it loads a handler, or logger.setLogLevel) and
// captures stdout.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
