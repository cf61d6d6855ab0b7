import { batch } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { httpHandler, json } from '../lib/http';
import { callerArn, jobIdParameter } from '../lib/jobs/http';
import { JobTracker } from '../lib/jobs/status';

const config = loadConfig(process.env, ['gateway']);

/** Lives as long as the container. */
export const tracker = new JobTracker(batch, config.jobQueue);

/** `DELETE /jobs/{jobId}` (SPEC §8). */
export const handler = httpHandler(async (event) =>
  json(202, await tracker.cancel(jobIdParameter(event), callerArn(event))),
);
