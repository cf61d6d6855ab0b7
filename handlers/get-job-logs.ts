import { batch, logs } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { httpHandler, json } from '../lib/http';
import { jobIdParameter } from '../lib/jobs/http';
import { JobTracker } from '../lib/jobs/status';
import { JobLogReader } from '../lib/logs/reader';
import { parseJobLogsQuery } from '../lib/logs/schema';
import { Callers } from '../lib/ownership/callers';

const config = loadConfig(process.env, ['gateway']);
const callers = new Callers(config);

/** Lives as long as the container. */
export const tracker = new JobTracker(batch, config.jobQueue);

const reader = new JobLogReader(logs);

/**
 * `GET /jobs/{jobId}/logs` (SPEC §13): one page of the job's CloudWatch Logs events; 404 as GET,
 * also for another owner's job (§14).
 */
export const handler = httpHandler(async (event) => {
  const query = parseJobLogsQuery(event.queryStringParameters);
  const caller = callers.fromEvent(event);
  return json(200, await reader.read(query, () => tracker.find(jobIdParameter(event), caller)));
});
