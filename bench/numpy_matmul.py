# numpy float32 matmul GFLOP/s at the sizes given on the command line (best of several timed runs).
# Used by bench/kernels.ts so numpy is measured in the same run as the wasm kernels; prints one JSON object.
import json
import sys
import time

import numpy as np

result = {"numpy": np.__version__, "sizes": {}}
rng = np.random.default_rng(0)
for n in [int(s) for s in sys.argv[1:]]:
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    c = a @ b
    reps = max(1, int(2e9 / (2 * n ** 3)))
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        best = min(best, (time.perf_counter() - t0) / reps)
    result["sizes"][str(n)] = 2 * n ** 3 / best / 1e9
print(json.dumps(result))
