// The draw-a-digit page: a drawing pad, live predictions with a probability bar chart, a "this may not
// be a digit" cue and a saliency overlay after each stroke, and a panel that fine-tunes the model on the
// visitor's own drawings (teach.ts). Query flags: ?engine=auto|browser|api, ?threads=N (browser engine).
import './style.css';
import { preprocessDigit } from '../../src/data/preprocess.js';
import { saliencyOverlay } from '../../src/explain/overlay.js';
import type { Prediction } from '../../src/serve/classifier.js';
import { outOfDistribution } from '../../src/serve/ood.js';
import { apiEngine, browserEngine, fetchModelFiles, type Engine, type ModelFiles } from './engines.js';
import { DrawingPad } from './pad.js';
import { TeachPanel } from './teach.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = $<HTMLSpanElement>('status');
const predictionOutput = $<HTMLOutputElement>('prediction');
const confidence = $<HTMLSpanElement>('confidence');
const bars = $<HTMLOListElement>('bars');
const saliencyCanvas = $<HTMLCanvasElement>('saliency');
const ood = $<HTMLSpanElement>('ood');
const query = new URLSearchParams(location.search);
const base = new URL('./', location.href).href;

/** Runs the latest request only: while one runs, further calls just mark that another is due. */
function latestOnly(task: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    running = true;
    do {
      again = false;
      try {
        await task();
      } catch (err) {
        status.textContent = `error: ${(err as Error).message}`;
      }
    } while (again);
    running = false;
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}

const threads = Math.max(1, Number(query.get('threads') ?? 1) || 1);

/** The in-page engine on the shipped model (and its files, which fine-tuning starts from), else the API. */
async function startEngine(): Promise<{ engine: Engine; files: ModelFiles | null }> {
  const wanted = query.get('engine') ?? 'auto';
  if (wanted !== 'api') {
    try {
      const files = await fetchModelFiles(`${base}model/`);
      return { engine: await browserEngine(files, threads, `${base}model`), files };
    } catch (err) {
      if (wanted === 'browser') throw err;
      console.warn(`in-page engine unavailable, using the API: ${(err as Error).message}`);
    }
  }
  return { engine: await apiEngine(base), files: null };
}

function renderBars(classNames: readonly string[], prediction: Prediction | null): void {
  if (bars.children.length !== classNames.length) {
    bars.replaceChildren(...classNames.map((name) => {
      const li = document.createElement('li');
      li.innerHTML = `<span class="name"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>`;
      (li.querySelector('.name') as HTMLElement).textContent = name;
      return li;
    }));
  }
  classNames.forEach((_, c) => {
    const li = bars.children[c] as HTMLLIElement;
    const p = prediction ? prediction.probabilities[c] : 0;
    (li.querySelector('.fill') as HTMLElement).style.width = `${(p * 100).toFixed(1)}%`;
    (li.querySelector('.pct') as HTMLElement).textContent = prediction ? `${(p * 100).toFixed(1)}%` : '';
    li.classList.toggle('best', prediction !== null && prediction.label === c);
  });
  predictionOutput.textContent = prediction ? prediction.className : '–';
  confidence.textContent = prediction ? `${(prediction.probabilities[prediction.label] * 100).toFixed(1)}% sure` : '';
  const cue = prediction ? outOfDistribution(prediction.probabilities) : null;
  ood.hidden = !cue?.flagged;
  if (cue) document.body.dataset.entropy = cue.entropy.toFixed(3);
  else delete document.body.dataset.entropy;
}

function clearSaliency(): void {
  const c = saliencyCanvas.getContext('2d') as CanvasRenderingContext2D;
  c.fillStyle = '#fff';
  c.fillRect(0, 0, saliencyCanvas.width, saliencyCanvas.height);
  delete saliencyCanvas.dataset.label;
}

function drawSaliency(pixels: Float32Array, scores: Float32Array, label: number): void {
  const scale = saliencyCanvas.width / 28;
  const rgba = saliencyOverlay(pixels, scores, 28, 28, scale);
  (saliencyCanvas.getContext('2d') as CanvasRenderingContext2D).putImageData(new ImageData(rgba, 28 * scale, 28 * scale), 0, 0);
  saliencyCanvas.dataset.label = String(label);
}

async function main(): Promise<void> {
  let engine: Engine;
  let baseFiles: ModelFiles | null;
  try {
    ({ engine, files: baseFiles } = await startEngine());
  } catch (err) {
    document.body.dataset.engine = 'none';
    status.textContent = `no engine: ${(err as Error).message}`;
    return;
  }
  document.body.dataset.engine = engine.name;
  status.textContent = `model runs ${engine.description}`;
  renderBars(engine.classNames, null);
  clearSaliency();

  /** The pad's pixels, MNIST-style, or null while it is blank. */
  const pixelsOfPad = (): Float32Array | null => {
    if (!pad.dirty) return null;
    const image = pad.image();
    try {
      return preprocessDigit({ data: image.data, width: image.width, height: image.height, channels: 4 });
    } catch {
      return null; // no ink yet
    }
  };
  const predict = latestOnly(async () => {
    const pixels = pixelsOfPad();
    const started = performance.now();
    const prediction = pixels ? await engine.predict(pixels) : null;
    if (!pad.dirty) return; // cleared meanwhile
    renderBars(engine.classNames, prediction);
    document.body.dataset.latencyMs = (performance.now() - started).toFixed(2);
  });
  const explain = latestOnly(async () => {
    const pixels = pixelsOfPad();
    if (!pixels) return;
    const prediction = await engine.predict(pixels);
    const scores = await engine.explain(pixels, prediction.label);
    if (pad.dirty) drawSaliency(pixels, scores, prediction.label);
  });
  const pad = new DrawingPad($<HTMLCanvasElement>('pad'), { onChange: predict, onStroke: () => { predict(); explain(); } });
  const clearPad = (): void => {
    pad.clear();
    renderBars(engine.classNames, null);
    clearSaliency();
  };
  $<HTMLButtonElement>('clear').addEventListener('click', clearPad);

  const shipped = engine;
  const teach = baseFiles ? new TeachPanel({
    pixels: pixelsOfPad,
    clearPad,
    canFinetune: () => engine.name === 'browser',
    useModel: async (files, label) => {
      engine = files ? await browserEngine(files, threads, label) : shipped;
      status.textContent = `model runs ${engine.description}`;
      clearPad();
    },
  }, baseFiles, engine.classNames) : null;
  if (teach) await teach.restore();
  else document.getElementById('teach')?.setAttribute('hidden', '');
  document.body.dataset.ready = 'true';
}

void main();
