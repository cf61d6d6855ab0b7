// Jest transform mirroring esbuild's `text` loader: a template file imports as its text.
module.exports = {
  process(sourceText) {
    return { code: `module.exports = ${JSON.stringify(sourceText)};` };
  },
};
