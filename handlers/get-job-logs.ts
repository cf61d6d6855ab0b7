import { batch, logs } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { httpHandler, json } from '../lib/http';
import { jobIdParameter } from '../lib/jobs/http';
import { JobTracker } from '../lib/jobs/status';
import { JobLogReader } from '../lib/logs/reader';
import { parseJobLogsQuery } from '../lib/logs/schema';

const config = loadConfig(process.env, ['gateway']);

/** Lives as long as the container. */
export const tracker = new JobTracker(batch, config.jobQueue);

const reader = new JobLogReader({ logs, findJob: (jobId) => tracker.find(jobId) });

/** `GET /jobs/{jobId}/logs` (SPEC §13): one page of the job's CloudWatch Logs events. */
export const handler = httpHandler(async (event) =>
  json(200, await reader.read(jobIdParameter(event), parseJobLogsQuery(event.queryStringParameters))),
);
