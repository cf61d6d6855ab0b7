import 'aws-sdk-client-mock-jest';

// Handlers log as they do in Lambda; a test run prints none of it. A test that asserts on log
// lines turns them on (POWERTOOLS_LOG_LEVEL before it loads a handler, or logger.setLogLevel) and
// captures stdout.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

// Metrics (CloudWatch EMF lines on stdout) likewise: a test that reads them sets
// POWERTOOLS_METRICS_DISABLED=false before it creates them (reset before every test file).
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
