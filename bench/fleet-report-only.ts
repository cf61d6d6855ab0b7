// Only section 6 of `npm run bench` (fleetReport; in-process stand-ins, no servers): a few seconds.
import { fleetReportSection, printSection } from './fleet-report';
import { progress } from './report';

fleetReportSection()
  .then(printSection)
  .catch((error: unknown) => {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  });
