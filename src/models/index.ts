// Model presets and specs: architecture + training recipe, from a name or a JSON file.
export * from './recipe.js';
export * from './presets.js';
export * from './build.js';
