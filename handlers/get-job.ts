import { batch } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { httpHandler, json } from '../lib/http';
import { jobIdParameter } from '../lib/jobs/http';
import { JobTracker } from '../lib/jobs/status';

const config = loadConfig(process.env, ['gateway']);

/** Lives as long as the container. */
export const tracker = new JobTracker(batch, config.jobQueue);

/** `GET /jobs/{jobId}` (SPEC §8). */
export const handler = httpHandler(async (event) => json(200, await tracker.get(jobIdParameter(event))));
