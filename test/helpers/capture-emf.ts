/**
 * Runs `run` with stdout captured instead of printed, and returns the CloudWatch embedded metric
 * format documents written meanwhile: the JSON lines with an `_aws` key, as Powertools Metrics
 * writes them when it flushes. (test/helpers/setup.ts turns metrics off: a suite that reads them
 * sets POWERTOOLS_METRICS_DISABLED=false before it loads the handler.)
 */
export async function captureEmf(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
