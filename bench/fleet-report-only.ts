// Only section 6 of `npm run bench` (fleetReport; in-process stand-ins, no servers): a few seconds.
import { fleetReportSection } from './fleet-report';
import { printSection, runBench } from './report';

runBench(async () => printSection(await fleetReportSection()));
