// "Teach it your handwriting": the visitor's labeled drawings, the fine-tuning run in a Web Worker
// with a progress bar and a live chart, the personal model kept in IndexedDB, reset and download.
import type { FewShotResult, FewShotStrategy } from '../../src/finetune/few-shot.js';
import { encodeZip } from '../../src/io/zip-write.js';
import { TrainingChart } from './chart.js';
import type { ModelFiles } from './engines.js';
import type { FinetuneMessage, FinetuneRequest } from './finetune-protocol.js';
import { clearStored, loadStored, saveStored, type StoredExample, type StoredModel } from './store.js';

/** What the teaching panel needs from the page. */
export interface TeachHost {
  /** The pad's pixels (MNIST-style), or null while it is blank. */
  pixels(): Float32Array | null;
  clearPad(): void;
  /** Whether the page runs the model itself (fine-tuning needs it). */
  canFinetune(): boolean;
  /** Switches the page to these model files (null: back to the shipped model). */
  useModel(files: ModelFiles | null, label: string): Promise<void>;
}

const STEPS = 120;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const percent = (x: number) => (Number.isNaN(x) ? '–' : `${Math.round(100 * x)}%`);

export class TeachPanel {
  private examples: StoredExample[] = [];
  private personal: StoredModel | null = null;
  private running = false;
  private readonly status = $<HTMLParagraphElement>('finetune-status');
  private readonly progress = $<HTMLProgressElement>('finetune-progress');
  private readonly counts = new Map<number, HTMLSpanElement>();
  private readonly chart = new TrainingChart($<HTMLCanvasElement>('chart'));

  constructor(private readonly host: TeachHost, private readonly baseFiles: ModelFiles, classNames: readonly string[]) {
    const labels = $<HTMLDivElement>('labels');
    labels.replaceChildren(...classNames.map((name, c) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.testid = `label-${c}`;
      button.title = `this drawing is a ${name}`;
      const count = document.createElement('span');
      count.className = 'count';
      this.counts.set(c, count);
      button.append(name, count);
      button.addEventListener('click', () => this.label(c));
      return button;
    }));
    $<HTMLButtonElement>('finetune').addEventListener('click', () => void this.finetune());
    $<HTMLButtonElement>('reset').addEventListener('click', () => void this.reset());
    $<HTMLButtonElement>('download').addEventListener('click', () => this.download());
  }

  /** Restores drawings and the personal model from IndexedDB. */
  async restore(): Promise<void> {
    this.examples = (await loadStored<StoredExample[]>('examples')) ?? [];
    this.personal = await loadStored<StoredModel>('model');
    if (this.personal) {
      await this.host.useModel(this.filesOf(this.personal), 'your personal model');
      this.say(`Using your personal model (taught on ${this.personal.examples} drawings, ${this.personal.savedAt.slice(0, 10)}). Reset goes back to the shipped one.`);
    } else {
      this.say(this.examples.length > 0 ? this.countLine() : 'Draw a digit, then press the digit it is. A few of each (3-10) teach the model your hand.');
    }
    this.refresh();
  }

  private filesOf(model: StoredModel): ModelFiles {
    return { config: model.files['config.json'] as string, weights: model.files['model.safetensors'] as Uint8Array };
  }

  private say(text: string, state = 'idle'): void {
    this.status.textContent = text;
    document.body.dataset.finetune = state;
  }

  private countLine(): string {
    const classes = new Set(this.examples.map((e) => e.label)).size;
    return `${this.examples.length} drawing${this.examples.length === 1 ? '' : 's'} of ${classes} digit${classes === 1 ? '' : 's'}. Fine-tune when you have 3 or more of each digit to teach; a quarter of each digit's drawings is held out to score it.`;
  }

  private refresh(): void {
    for (const [c, span] of this.counts) {
      const n = this.examples.filter((e) => e.label === c).length;
      span.textContent = n > 0 ? `×${n}` : '';
    }
    document.body.dataset.examples = String(this.examples.length);
    document.body.dataset.personal = this.personal ? 'true' : 'false';
    $<HTMLButtonElement>('finetune').disabled = this.running || this.examples.length < 2;
    $<HTMLButtonElement>('download').disabled = this.running || !this.personal;
    $<HTMLButtonElement>('reset').disabled = this.running;
  }

  private label(c: number): void {
    if (this.running) return;
    const pixels = this.host.pixels();
    if (!pixels) {
      this.say('Draw a digit on the pad first, then press the digit it is.');
      return;
    }
    this.examples.push({ pixels, label: c });
    void saveStored('examples', this.examples);
    this.host.clearPad();
    this.say(this.countLine());
    this.refresh();
  }

  private async finetune(): Promise<void> {
    if (this.running) return;
    if (!this.host.canFinetune()) {
      this.say('Fine-tuning runs in this page, and this page could not start its WebAssembly engine.', 'error');
      return;
    }
    this.running = true;
    this.refresh();
    const strategy = ($<HTMLSelectElement>('strategy').value || 'full') as FewShotStrategy;
    this.progress.value = 0;
    this.chart.clear(STEPS);
    this.say(`Fine-tuning (${strategy}) on ${this.examples.length} drawings…`, 'running');
    const started = performance.now();
    try {
      const { result, files } = await this.runWorker({
        config: this.baseFiles.config, weights: this.baseFiles.weights, replay: this.baseFiles.replay ?? null, examples: this.examples, strategy, steps: STEPS,
      });
      this.personal = { files, savedAt: new Date().toISOString(), examples: this.examples.length };
      await this.host.useModel(this.filesOf(this.personal), 'your personal model');
      const kept = await saveStored('model', this.personal);
      const seconds = (performance.now() - started) / 1000;
      Object.assign(document.body.dataset, {
        finetuneBefore: String(result.before.accuracy), finetuneAfter: String(result.after.accuracy), finetuneSeconds: seconds.toFixed(2),
      });
      const scored = result.heldOutCount > 0
        ? ` Held-out accuracy on ${result.heldOutCount} of your drawings: ${percent(result.before.accuracy)} before, ${percent(result.after.accuracy)} after.`
        : ' (No drawings held out: add more of each digit to see held-out accuracy.)';
      const rehearsed = result.replayCount > 0 ? ` (with ${result.replayCount} training images rehearsed, so it keeps reading other hands)` : '';
      this.say(`Fine-tuned (${strategy}) on ${result.trainCount} drawings${rehearsed} in ${seconds.toFixed(1)} s.${scored}${kept ? ' Saved in this browser.' : ''}`, 'done');
    } catch (err) {
      this.say(`Fine-tuning failed: ${(err as Error).message}`, 'error');
    } finally {
      this.running = false;
      this.refresh();
    }
  }

  private runWorker(request: FinetuneRequest): Promise<{ result: FewShotResult; files: Record<string, Uint8Array | string> }> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./finetune-worker.ts', import.meta.url), { type: 'module' });
      const finish = () => worker.terminate();
      worker.onmessage = (event: MessageEvent<FinetuneMessage>) => {
        const message = event.data;
        if (message.type === 'progress') {
          const { step, totalSteps, loss, accuracy } = message.progress;
          this.progress.max = totalSteps;
          this.progress.value = step;
          this.chart.add(loss, accuracy, totalSteps);
        } else if (message.type === 'done') {
          finish();
          resolve(message);
        } else {
          finish();
          reject(new Error(message.message));
        }
      };
      worker.onerror = (event) => {
        finish();
        reject(new Error(event.message || 'the fine-tuning worker failed to start'));
      };
      worker.postMessage(request);
    });
  }

  private async reset(): Promise<void> {
    if (this.running) return;
    await clearStored();
    this.examples = [];
    this.personal = null;
    this.chart.clear();
    this.progress.value = 0;
    await this.host.useModel(null, 'the shipped model');
    this.say('Reset: your drawings and personal model are deleted; back to the shipped model.', 'reset');
    this.refresh();
  }

  private download(): void {
    if (!this.personal) return;
    const config = JSON.parse(this.personal.files['config.json'] as string) as { name?: string };
    const name = (config.name ?? 'personal-model').replace(/[^A-Za-z0-9._-]/g, '_');
    const zip = encodeZip(Object.entries(this.personal.files).map(([file, data]) => ({ name: `${name}/${file}`, data })));
    const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}.zip`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
