// Rewrites the help blocks of docs/cli.md from the commands themselves: under each "## `zerograd X`" heading,
// the next ```text block becomes X's --help at 100 columns. `--check` only reports whether the file is current.
// Usage: node --import tsx scripts/cli-docs.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';

const DOC = join(import.meta.dirname, '..', 'docs', 'cli.md');

/** Every sub-command's help text by its name as typed ('experiment finetune'). */
export function helpTexts(): Map<string, string> {
  const texts = new Map<string, string>();
  const walk = (command: Command, path: string[]): void => {
    for (const sub of command.commands) {
      const name = [...path, sub.name()];
      sub.configureHelp({ ...sub.configureHelp(), helpWidth: 100 });
      texts.set(name.join(' '), sub.helpInformation().trimEnd());
      walk(sub, name);
    }
  };
  walk(buildProgram(), []);
  return texts;
}

/** docs/cli.md with every help block replaced by the current text. */
export function regenerate(markdown: string, texts: Map<string, string>): string {
  return markdown.replace(/^## `zerograd ([a-z -]+)`\n([\s\S]*?)```text\n[\s\S]*?\n```/gm, (whole, name: string, between: string) => {
    const text = texts.get(name);
    return text === undefined ? whole : `## \`zerograd ${name}\`\n${between}\`\`\`text\n${text}\n\`\`\``;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const current = readFileSync(DOC, 'utf8');
  const fresh = regenerate(current, helpTexts());
  if (process.argv.includes('--check')) {
    console.log(fresh === current ? 'docs/cli.md is current' : 'docs/cli.md is out of date: node --import tsx scripts/cli-docs.ts');
    process.exit(fresh === current ? 0 : 1);
  }
  writeFileSync(DOC, fresh);
  console.log(fresh === current ? 'docs/cli.md: no change' : 'docs/cli.md: help blocks rewritten');
}
