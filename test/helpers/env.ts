/** Sets environment variables; the returned function puts back what was there before (unset stays unset). */
export function setEnv(values: Readonly<Record<string, string>>): () => void {
  const before = Object.keys(values).map((key) => [key, process.env[key]] as const);
  for (const [key, value] of Object.entries(values)) process.env[key] = value;
  return () => {
    for (const [key, value] of before) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
