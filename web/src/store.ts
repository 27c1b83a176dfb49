// The visitor's personal model and drawings, kept in this browser's IndexedDB (nothing leaves the
// tab): one record per key in one object store. Every call degrades to "nothing stored" where
// IndexedDB is unavailable (private windows of some browsers).

const DB = 'zerograd-page';
const STORE = 'personal';

export interface StoredExample {
  pixels: Float32Array;
  label: number;
}

/** A fine-tuned model: its folder's files (config.json, model.safetensors, metrics.json). */
export interface StoredModel {
  files: Record<string, Uint8Array | string>;
  savedAt: string;
  examples: number;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('this browser has no IndexedDB'));
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB would not open'));
  });
}

async function run<T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await open();
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = body(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export async function loadStored<T>(key: 'model' | 'examples'): Promise<T | null> {
  try {
    return ((await run<T>('readonly', (s) => s.get(key) as IDBRequest<T>)) ?? null) as T | null;
  } catch (err) {
    console.warn(`personal ${key} not read: ${(err as Error).message}`);
    return null;
  }
}

export async function saveStored(key: 'model' | 'examples', value: StoredModel | StoredExample[]): Promise<boolean> {
  try {
    await run('readwrite', (s) => { s.put(value, key); });
    return true;
  } catch (err) {
    console.warn(`personal ${key} not saved: ${(err as Error).message}`);
    return false;
  }
}

export async function clearStored(): Promise<void> {
  try {
    await run('readwrite', (s) => { s.clear(); });
  } catch (err) {
    console.warn(`personal data not cleared: ${(err as Error).message}`);
  }
}
