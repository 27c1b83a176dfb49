# Runs exported PyTorch models for test/export/pytorch.test.ts: for each job {folder, input, output,
# preprocess, train}, imports FOLDER/model.py, load_model(FOLDER) (strict state-dict load, eval mode), runs
# the .npy input (through preprocess() first when asked) and writes the logits as .npy. With `train` (a
# path) it runs one forward pass in training mode instead and also writes every batch-norm running_mean
# and running_var after it, concatenated in state-dict order, to that path. Needs only torch:
# the .npy files are read and written here (v1 headers, little-endian float32, C order).
import ast
import importlib.util
import json
import struct
import sys

import torch


def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", f"{path}: not a .npy file"
    if data[6] == 1:
        (size,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (size,), start = struct.unpack("<I", data[8:12]), 12
    header = ast.literal_eval(data[start:start + size].decode("latin1"))
    assert header["descr"] == "<f4" and not header["fortran_order"], f"{path}: expected little-endian float32, C order"
    return torch.frombuffer(bytearray(data[start + size:]), dtype=torch.float32).reshape(header["shape"])


def write_npy(path, tensor):
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple(tensor.shape)}, }}"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        values = tensor.flatten().tolist()
        f.write(struct.pack(f"<{len(values)}f", *values))


def main():
    report = []
    for i, job in enumerate(json.loads(sys.argv[1])):
        spec = importlib.util.spec_from_file_location(f"exported_{i}", f"{job['folder']}/model.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.load_model(job["folder"])
        x = read_npy(job["input"])
        if job.get("preprocess"):
            x = module.preprocess(x)
        evaluated = not any(m.training for m in model.modules())
        if job.get("train"):
            model.train()
        with torch.no_grad():
            logits = model(x)
        write_npy(job["output"], logits)
        if job.get("train"):
            stats = [t.flatten() for k, t in model.state_dict().items() if k.endswith(("running_mean", "running_var"))]
            write_npy(job["train"], torch.cat(stats))
        report.append({
            "folder": job["folder"],
            "class": type(model).__name__,
            "eval": evaluated,
            "keys": len(model.state_dict()),
        })
    print(json.dumps(report))


if __name__ == "__main__":
    main()
