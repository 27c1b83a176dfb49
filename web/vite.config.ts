// Vite config of the draw-a-digit page: `npx vite build web` writes web/dist (static files, with the
// shipped model copied to dist/model/ beside replay.bin, the rehearsal set its fine-tuning mixes in);
// dev and preview servers send the cross-origin isolation headers that shared WebAssembly memory
// needs, and the dev server proxies /v1 to `zerograd serve`.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { REPLAY_FILE, replaySetFor } from '../src/serve/replay.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The model the static page ships with (override with ZEROGRAD_WEB_MODEL=DIR). */
const modelDir = resolve(process.env.ZEROGRAD_WEB_MODEL ?? join(here, '..', 'models', 'mnist-cnn'));
const MODEL_FILES = ['config.json', 'model.safetensors'];
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The rehearsal set for the page's fine-tuning, for the model's data (mnist, fashion), or null. */
function replaySet(): Uint8Array | null {
  const { data } = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { data?: string };
  return replaySetFor(data);
}

/** Serves the model files (and the replay set) at /model/ in dev and copies them into dist/model/ on build. */
function modelFiles(): Plugin {
  return {
    name: 'zerograd-model-files',
    configureServer(server) {
      server.middlewares.use('/model', (request, response, next) => {
        const name = (request.url ?? '').replace(/^\//, '').split('?')[0];
        const replay = name === REPLAY_FILE ? replaySet() : null;
        if (replay) {
          response.setHeader('content-type', 'application/octet-stream');
          return response.end(replay);
        }
        if (!MODEL_FILES.includes(name)) return next();
        response.setHeader('content-type', name.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        response.end(readFileSync(join(modelDir, name)));
      });
    },
    writeBundle(options) {
      const out = join(options.dir ?? join(here, 'dist'), 'model');
      mkdirSync(out, { recursive: true });
      for (const name of MODEL_FILES) {
        if (!existsSync(join(modelDir, name))) throw new Error(`web build: ${join(modelDir, name)} is missing (set ZEROGRAD_WEB_MODEL to a model folder)`);
        copyFileSync(join(modelDir, name), join(out, name));
      }
      const replay = replaySet();
      if (replay) writeFileSync(join(out, REPLAY_FILE), replay);
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [modelFiles()],
  build: { outDir: join(here, 'dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' }, // the fine-tuning worker imports the engine as ES modules
  server: { headers: isolation, fs: { allow: [join(here, '..')] }, proxy: { '/v1': 'http://127.0.0.1:8080' } },
  preview: { headers: isolation },
});
