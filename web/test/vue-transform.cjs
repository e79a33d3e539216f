// Jest transform for Vue single-file components, offline and without Babel: @vue/compiler-sfc
// compiles the <script setup> with its template inlined, then swc strips the TypeScript and turns
// the module into CommonJS. Styles are left out (jsdom does not lay out anyway).
const crypto = require('node:crypto');
const { parse, compileScript, registerTS } = require('@vue/compiler-sfc');
const { transformSync } = require('@swc/core');

registerTS(() => require('typescript'));

module.exports = {
  process(src, filename) {
    const { descriptor, errors } = parse(src, { filename });
    if (errors.length) throw new Error(`${filename}: ${errors.map((e) => e.message).join('; ')}`);
    const id = crypto.createHash('sha256').update(filename).digest('hex').slice(0, 8);
    const script = compileScript(descriptor, { id, inlineTemplate: true, isProd: false });
    const out = transformSync(script.content, {
      filename: `${filename}.ts`,
      sourceMaps: 'inline',
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    return { code: out.code };
  },
  getCacheKey(src, filename) {
    return crypto.createHash('sha256').update(src).update(filename).update('v1').digest('hex');
  },
};
