# The torchvision round trip of test/export/torchvision.test.ts, on the PyTorch side: for each job {arch, state,
# folder, input, keys}, builds torchvision's model for ARCH (build() of scripts/make-torchvision-goldens.py, random
# weights replaced by STATE, the state dict file that `zerograd import` read), loads the exported FOLDER/model.py
# with load_model(), and compares the two on INPUT (.npy): logits in float32 and, both models cast to float64, in
# float64. With `keys` (ResNets) it also compares the state dicts: the same keys in the same order, every float
# tensor equal bit for bit, and torchvision's model loading the exported model.safetensors with strict=True; with
# `back` (a path) it torch.saves the exported model's state dict there, as a PyTorch user would, for the way back.
# Prints one JSON line: a report per job.
import importlib.util
import json
import os
import sys

import numpy as np
import torch

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")


def load_source(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def differences(actual, expected):
    """max |a - b|, max |a - b| / max(1, |b|), and max |a - b| / max |b|."""
    diff = (actual - expected).abs()
    return {
        "max_abs": diff.max().item(),
        "max_rel": (diff / expected.abs().clamp(min=1)).max().item(),
        "rel_to_largest": (diff.max() / expected.abs().max()).item(),
        "largest": expected.abs().max().item(),
    }


def main():
    sys.path.insert(0, SCRIPTS)  # make-torchvision-goldens.py imports safetensors_py beside it
    goldens = load_source("make_torchvision_goldens", os.path.join(SCRIPTS, "make-torchvision-goldens.py"))
    report = []
    for i, job in enumerate(json.loads(sys.argv[1])):
        exported = load_source(f"exported_{i}", os.path.join(job["folder"], "model.py"))
        if job["state"].endswith(".safetensors"):
            original = exported.read_safetensors(job["state"])
        else:
            original = torch.load(job["state"], map_location="cpu")
        reference = goldens.build(job["arch"])
        reference.load_state_dict(original)
        reference.eval()
        model = exported.load_model(job["folder"])
        if job.get("back"):
            torch.save(model.state_dict(), job["back"])
        x = torch.from_numpy(np.load(job["input"]).astype(np.float32))
        with torch.no_grad():
            float32 = differences(model(x), reference(x))
            float64 = differences(model.double()(x.double()), reference.double()(x.double()))
        entry = {"arch": job["arch"], "class": type(model).__name__, "float32": float32, "float64": float64}
        if job.get("keys"):
            mine = exported.read_safetensors(os.path.join(job["folder"], "model.safetensors"))
            entry["same_keys_in_order"] = list(mine) == list(original)
            entry["keys"] = len(mine)
            entry["unequal"] = [
                key for key, t in original.items()
                if not key.endswith("num_batches_tracked") and (key not in mine or mine[key].dtype != t.dtype or not torch.equal(mine[key], t))
            ]
            check = goldens.build(job["arch"])
            check.load_state_dict(mine, strict=True)  # raises on a missing or unexpected key
            entry["strict_load"] = True
        report.append(entry)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
