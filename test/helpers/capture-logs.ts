import { logger } from '../../lib/logger';

/**
 * Runs `run` with the handlers' log lines on (tests run with them off, see setup.ts) and returns
 * what was written to stdout and stderr meanwhile, instead of printing it.
 */
export async function captureLogs(run: () => Promise<void>): Promise<string> {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  try {
    await run();
  } finally {
    logger.setLogLevel(level);
    for (const spy of spies) spy.mockRestore();
  }
  return written.join('');
}
