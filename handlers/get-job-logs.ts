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

const reader = new JobLogReader(logs);

/** `GET /jobs/{jobId}/logs` (SPEC §13): one page of the job's CloudWatch Logs events; 404 as GET. */
export const handler = httpHandler(async (event) => {
  const query = parseJobLogsQuery(event.queryStringParameters);
  return json(200, await reader.read(query, () => tracker.find(jobIdParameter(event))));
});
