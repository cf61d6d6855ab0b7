import { batch } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { httpHandler, json } from '../lib/http';
import { jobIdParameter } from '../lib/jobs/http';
import { JobTracker } from '../lib/jobs/status';
import { Callers } from '../lib/ownership/callers';

const config = loadConfig(process.env, ['gateway']);
const callers = new Callers(config);

/** Lives as long as the container. */
export const tracker = new JobTracker(batch, config.jobQueue);

/** `GET /jobs/{jobId}` (SPEC §8); another owner's job is answered like an unknown one (§14). */
export const handler = httpHandler(async (event) =>
  json(200, await tracker.get(jobIdParameter(event), callers.fromEvent(event))),
);
