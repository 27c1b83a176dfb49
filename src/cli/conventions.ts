// Conventions every sub-command follows, applied once to the whole program: defaults written one way in
// help, `--data` as an alias of `--dataset`, one-line usage errors with a hint, and `--model <dir>` values
// that name a shipped model (resolved) or a preset (explained).
import { Help, Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { PRESETS } from '../models/presets.js';
import { resolveModelDir, shippedModelNames } from './package-info.js';

/** A default as help shows it: numbers and strings as written, lists joined by commas. */
export function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatDefault).join(',');
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** An option's help line: its text with hand-written defaults as `(default: x)`, then the default if any. */
function optionDescription(option: Option): string {
  const text = option.description.replace(/\(default (?!:)/g, '(default: ').replace(/; default (?!:)/g, '; default: ');
  const extra: string[] = [];
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(', ')}`);
  const showDefault = option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean');
  if (showDefault && option.defaultValue !== undefined && !(option.negate && option.defaultValue === true)) {
    extra.push(`default: ${option.defaultValueDescription ?? formatDefault(option.defaultValue)}`);
  }
  return extra.length > 0 ? `${text} (${extra.join(', ')})` : text;
}

/** The command's name as typed: 'zerograd experiment finetune'. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** Adds a hidden `--data` to commands with `--dataset` (and the reverse): both names work everywhere. */
function addDataAlias(command: Command): void {
  const has = (long: string): boolean => command.options.some((o) => o.long === long);
  if (!has('--dataset') || has('--data')) return;
  command.addOption(new Option('--data <spec>', 'alias of --dataset').hideHelp());
  command.hook('preAction', (cmd) => {
    const alias = cmd.getOptionValue('data') as string | undefined;
    if (alias === undefined) return;
    const explicit = cmd.getOptionValueSource('dataset') === 'cli' ? cmd.getOptionValue('dataset') as string : undefined;
    if (explicit !== undefined && explicit !== alias) throw new UsageError(`--data '${alias}' and --dataset '${explicit}' disagree; give one of them`);
    cmd.setOptionValueWithSource('dataset', alias, 'cli');
  });
}

/** `--model <dir>` / `--from <dir>`: a shipped model by name or clone path resolves; a preset name is explained. */
function resolveModelFolders(command: Command): void {
  const folderOptions = command.options.filter((o) => /^--(model|from) <dir>$/.test(o.flags));
  if (folderOptions.length === 0) return;
  command.hook('preAction', (cmd) => {
    for (const option of folderOptions) {
      const key = option.attributeName();
      const value = cmd.getOptionValue(key) as string | undefined;
      if (value === undefined) continue;
      const resolved = resolveModelDir(value);
      if (resolved !== null) {
        cmd.setOptionValueWithSource(key, resolved, cmd.getOptionValueSource(key) ?? 'cli');
      } else if (Object.hasOwn(PRESETS, value)) {
        throw new UsageError(`${option.long} ${value}: '${value}' is a preset, not a saved model folder; train one first `
          + `(zerograd train --model ${value} --out runs/${value}, then ${option.long} runs/${value})`
          + `${shippedModelNames().length > 0 ? ` or use a shipped model: ${shippedModelNames().join(', ')}` : ''}`);
      }
    }
  });
}

/** Applies the conventions to `program` and every sub-command (call after registering them). */
export function applyConventions(program: Command): void {
  for (const command of allCommands(program)) {
    const help = new Help();
    command.configureHelp({ optionDescription: (option) => optionDescription(option), sortOptions: help.sortOptions });
    command.showHelpAfterError(`(see '${commandPath(command)} --help')`);
    command.configureOutput({ outputError: (text, write) => write(`zerograd: ${text.replace(/^error: /, '')}`) });
    addDataAlias(command);
    resolveModelFolders(command);
  }
}
