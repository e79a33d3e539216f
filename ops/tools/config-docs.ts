import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_OPTIONS } from '../../services/core/src/config';

/**
 * `npm run config-docs` rewrites the configuration tables in README.md and docs/configuration.md
 * (between the `<!-- config:begin -->` / `<!-- config:end -->` markers) from CONFIG_OPTIONS.
 */
const ROOT = path.resolve(__dirname, '../..');
const cell = (s: string) => s.replace(/\|/g, '\\|');

const tables: Record<string, string> = {
  'README.md': [
    '| Variable | Default | Meaning |',
    '| --- | --- | --- |',
    ...CONFIG_OPTIONS.map(
      (o) => `| \`${o.env}\` | ${o.default ? `\`${o.default}\`` : '—'} | ${cell(o.description)} |`,
    ),
  ].join('\n'),
  'docs/configuration.md': [
    '| Variable | Flag | Default | Meaning |',
    '| --- | --- | --- | --- |',
    ...CONFIG_OPTIONS.map(
      (o) =>
        `| \`${o.env}\` | \`--${o.flag}\` | ${o.default ? `\`${o.default}\`` : '—'} | ${cell(o.description)} |`,
    ),
  ].join('\n'),
};

for (const [file, table] of Object.entries(tables)) {
  const p = path.join(ROOT, file);
  const text = fs.readFileSync(p, 'utf8');
  const re = /<!-- config:begin -->[\s\S]*<!-- config:end -->/;
  if (!re.test(text)) throw new Error(`${file}: no config markers`);
  fs.writeFileSync(p, text.replace(re, `<!-- config:begin -->\n${table}\n<!-- config:end -->`));
}
console.log('configuration tables updated');
