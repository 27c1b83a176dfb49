#!/usr/bin/env python3
"""Golden reference numbers from PyTorch for zerograd's engine tests.

What it produces
----------------
``test/golden/engine.json``: forward values, gradients and short training
traces computed by PyTorch in float64, for
  * small models trained for 10 steps on one fixed batch
    (MLP with SGD+momentum / Adam / AdamW, two small CNNs), and
  * single ops (GELU erf + tanh, log_softmax, layer_norm, batch_norm in
    training mode, cross-entropy with probability targets, MSE loss and a
    hand-written multi-head self-attention).

Nothing depends on a random number generator: every input, weight, target and
upstream gradient is generated from ``fill(shape, scale, c)``
(``v[i] = scale * sin(0.7*i + 0.11*i*i + c)`` over the row-major flat index
``i``) and is ALSO stored explicitly in the JSON, so a test can rebuild the
whole computation from the JSON alone. Floats are written with Python's
shortest round-trip repr (full float64 precision); the stored inputs are
exactly the values PyTorch used.

Tensor encoding: ``{"shape": [...], "data": [flat row-major numbers]}``
(a scalar has ``shape: []`` and one datum). Parameter layouts follow PyTorch:
Linear weight (out, in), bias (out,); Conv2d weight (O, C, KH, KW), bias (O,);
activations NCHW.

How to run
----------
Debian's PyTorch (``apt-get install python3-torch``) is installed for the
system interpreter, not the pyenv python on PATH::

    /usr/bin/python3 scripts/golden.py            # writes test/golden/engine.json
    /usr/bin/python3 scripts/golden.py out.json   # or another path

(If libopenblas0-openmp is installed and torch picks the wrong BLAS, prefix
``LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp``.)
Output is deterministic: rerunning gives the same file up to float64
last-bit noise from the BLAS.
"""

import json
import math
import os
import re
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.use_deterministic_algorithms(True)

STEPS = 10
FORMULA = "v[i] = scale * sin(0.7*i + 0.11*i*i + c), i = row-major flat index"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def fill(shape, scale, c):
    n = 1
    for s in shape:
        n *= s
    vals = [scale * math.sin(0.7 * i + 0.11 * i * i + c) for i in range(n)]
    return torch.tensor(vals, dtype=torch.float64).reshape(shape)


def enc(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def enc_params(named):
    return {name: enc(p) for name, p in named}


def make_optimizer(params, spec):
    kind = spec["type"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=spec["lr"], momentum=spec.get("momentum", 0.0))
    if kind == "adam":
        return torch.optim.Adam(params, lr=spec["lr"], betas=tuple(spec["betas"]),
                                eps=spec["eps"], weight_decay=spec.get("weight_decay", 0.0))
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=spec["lr"], betas=tuple(spec["betas"]),
                                 eps=spec["eps"], weight_decay=spec["weight_decay"])
    raise ValueError(kind)


def train_case(model, x, targets, opt_spec, layers_desc):
    """10 optimiser steps on one fixed batch.

    losses[k] is the loss of the forward pass at the parameters after k
    updates (i.e. computed before update k+1). grads0 are the gradients of
    step 0's loss at the initial parameters, logits0 the step-0 model output.
    """
    named = list(model.named_parameters())
    init = enc_params(named)
    opt = make_optimizer([p for _, p in named], opt_spec)
    y = torch.tensor(targets, dtype=torch.long)
    losses, logits0, grads0 = [], None, None
    for step in range(STEPS):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        if step == 0:
            logits0 = enc(logits)
            grads0 = {name: enc(p.grad) for name, p in named}
        losses.append(float(loss.item()))
        opt.step()
    return {
        "layers": layers_desc,
        "param_order": [name for name, _ in named],
        "optimizer": opt_spec,
        "loss": "mean softmax cross-entropy, F.cross_entropy(logits, targets)",
        "steps": STEPS,
        "input": enc(x),
        "targets": list(targets),
        "params": init,
        "logits0": logits0,
        "grads0": grads0,
        "losses": losses,
        "final_params": enc_params(model.named_parameters()),
    }


def set_params(model, values):
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(values[name])


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------

class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(12, 16)
        self.fc2 = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


MLP_LAYERS = [
    {"op": "linear", "name": "fc1", "in": 12, "out": 16},
    {"op": "relu"},
    {"op": "linear", "name": "fc2", "in": 16, "out": 4},
]


def mlp_init():
    return {
        "fc1.weight": fill((16, 12), 0.3, 0.1),
        "fc1.bias": fill((16,), 0.1, 0.2),
        "fc2.weight": fill((4, 16), 0.3, 0.3),
        "fc2.bias": fill((4,), 0.1, 0.4),
    }


def mlp_data():
    x = fill((8, 12), 1.0, 0.5)
    y = [i % 4 for i in range(8)]
    return x, y


def mlp_case(opt_spec):
    m = MLP()
    set_params(m, mlp_init())
    x, y = mlp_data()
    return train_case(m, x, y, opt_spec, MLP_LAYERS)


class CNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 3, 3, stride=1, padding=1)
        self.conv2 = torch.nn.Conv2d(3, 4, 3, stride=1, padding=0)
        self.fc = torch.nn.Linear(16, 3)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)   # (N,3,4,4)
        h = F.relu(self.conv2(h))                    # (N,4,2,2)
        return self.fc(h.flatten(1))                 # NCHW flatten -> 16


CNN_LAYERS = [
    {"op": "conv2d", "name": "conv1", "in_channels": 1, "out_channels": 3, "kernel": 3, "stride": 1, "padding": 1},
    {"op": "relu"},
    {"op": "maxpool2d", "kernel": 2, "stride": 2},
    {"op": "conv2d", "name": "conv2", "in_channels": 3, "out_channels": 4, "kernel": 3, "stride": 1, "padding": 0},
    {"op": "relu"},
    {"op": "flatten", "order": "NCHW (c, h, w) per sample", "features": 16},
    {"op": "linear", "name": "fc", "in": 16, "out": 3},
]


def cnn_case():
    m = CNN()
    set_params(m, {
        "conv1.weight": fill((3, 1, 3, 3), 0.4, 1.1),
        "conv1.bias": fill((3,), 0.1, 1.2),
        "conv2.weight": fill((4, 3, 3, 3), 0.3, 1.3),
        "conv2.bias": fill((4,), 0.1, 1.4),
        "fc.weight": fill((3, 16), 0.3, 1.5),
        "fc.bias": fill((3,), 0.1, 1.6),
    })
    x = fill((4, 1, 8, 8), 1.0, 1.7)
    y = [i % 3 for i in range(4)]
    return train_case(m, x, y, {"type": "adam", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
                                "weight_decay": 0.0}, CNN_LAYERS)


class CNN2(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(12, 2)

    def forward(self, x):
        h = torch.tanh(self.conv(x))                 # (N,3,4,4)
        h = F.avg_pool2d(h, 2)                       # (N,3,2,2), floor mode
        return self.fc(h.flatten(1))


CNN2_LAYERS = [
    {"op": "conv2d", "name": "conv", "in_channels": 2, "out_channels": 3, "kernel": 3, "stride": 2, "padding": 1},
    {"op": "tanh"},
    {"op": "avgpool2d", "kernel": 2, "stride": 2, "ceil_mode": False},
    {"op": "flatten", "order": "NCHW (c, h, w) per sample", "features": 12},
    {"op": "linear", "name": "fc", "in": 12, "out": 2},
]


def cnn2_case():
    m = CNN2()
    set_params(m, {
        "conv.weight": fill((3, 2, 3, 3), 0.4, 2.1),
        "conv.bias": fill((3,), 0.1, 2.2),
        "fc.weight": fill((2, 12), 0.4, 2.3),
        "fc.bias": fill((2,), 0.1, 2.4),
    })
    x = fill((2, 2, 7, 7), 1.0, 2.5)
    y = [i % 2 for i in range(2)]
    return train_case(m, x, y, {"type": "sgd", "lr": 0.05, "momentum": 0.0}, CNN2_LAYERS)


# --------------------------------------------------------------------------
# single ops: out = f(inputs); grads = d sum(out * g) / d input
# --------------------------------------------------------------------------

def op_case(fn, inputs, g_scale, g_c, params=None, grad_of=None, extra=None):
    """inputs: ordered dict name -> tensor. grad_of: names to differentiate."""
    grad_of = list(inputs) if grad_of is None else grad_of
    leaves = {k: v.clone().requires_grad_(k in grad_of) for k, v in inputs.items()}
    out = fn(**leaves)
    if out.dim() == 0:
        g = torch.tensor(1.0)
    else:
        g = fill(tuple(out.shape), g_scale, g_c)
    (out * g).sum().backward()
    case = {
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "params": params or {},
        "g": enc(g),
        "output": enc(out),
        "grads": {k: enc(leaves[k].grad) for k in grad_of},
    }
    if extra:
        case.update(extra)
    return case


def mha_manual(x, wq, bq, wk, bk, wv, bv, wo, bo, heads=2, keep=None):
    B, T, E = x.shape
    dh = E // heads

    def split(t):  # (B,T,E) -> (B,H,T,dh); head h = columns h*dh:(h+1)*dh
        return t.reshape(B, T, heads, dh).transpose(1, 2)

    q = split(F.linear(x, wq, bq))
    k = split(F.linear(x, wk, bk))
    v = split(F.linear(x, wv, bv))
    att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)  # (B,H,T,T)
    ctx = (att @ v).transpose(1, 2).reshape(B, T, E)                     # concat heads
    if keep is not None:
        keep["attn"] = att.detach()
    return F.linear(ctx, wo, bo)


def ops_cases():
    ops = {}

    x = fill((3, 5), 3.0, 3.1)
    ops["gelu_erf"] = op_case(lambda x: F.gelu(x), {"x": x}, 1.0, 3.2,
                              params={"approximate": "none",
                                      "formula": "0.5*x*(1+erf(x/sqrt(2)))"})
    ops["gelu_tanh"] = op_case(lambda x: F.gelu(x, approximate="tanh"), {"x": x}, 1.0, 3.2,
                               params={"approximate": "tanh",
                                       "formula": "0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))"})

    ops["log_softmax"] = op_case(lambda x: F.log_softmax(x, dim=-1),
                                 {"x": fill((3, 5), 2.0, 3.3)}, 1.0, 3.4, params={"dim": -1})

    ops["layer_norm"] = op_case(
        lambda x, weight, bias: F.layer_norm(x, (6,), weight, bias, eps=1e-5),
        {"x": fill((3, 6), 2.0, 3.5), "weight": 1.0 + fill((6,), 0.3, 3.6), "bias": fill((6,), 0.2, 3.7)},
        1.0, 3.8, params={"normalized_shape": [6], "eps": 1e-5, "variance": "biased"})

    rm0 = fill((3,), 0.1, 4.0)
    rv0 = 1.0 + fill((3,), 0.2, 4.1)
    rm, rv = rm0.clone(), rv0.clone()
    ops["batch_norm"] = op_case(
        lambda x, weight, bias: F.batch_norm(x, rm, rv, weight, bias, training=True,
                                             momentum=0.1, eps=1e-5),
        {"x": fill((4, 3, 2, 2), 2.0, 3.9), "weight": 1.0 + fill((3,), 0.3, 4.2),
         "bias": fill((3,), 0.2, 4.3)},
        1.0, 4.4,
        params={"training": True, "momentum": 0.1, "eps": 1e-5,
                "normalize_with": "biased batch variance over (N,H,W) per channel",
                "running_update": "r = (1-momentum)*r + momentum*stat; running_var uses UNBIASED batch variance (n/(n-1))",
                "running_mean_in": enc(rm0), "running_var_in": enc(rv0)},
        extra={})
    ops["batch_norm"]["running_mean_out"] = enc(rm)
    ops["batch_norm"]["running_var_out"] = enc(rv)

    probs = torch.softmax(fill((4, 5), 1.5, 4.6), dim=-1)
    ops["cross_entropy_probs"] = op_case(
        lambda logits, target: F.cross_entropy(logits, target),
        {"logits": fill((4, 5), 2.0, 4.5), "target": probs}, 1.0, 0.0, grad_of=["logits"],
        params={"reduction": "mean over batch",
                "formula": "mean_n( -sum_c target[n,c] * log_softmax(logits)[n,c] )"})

    ops["mse_loss"] = op_case(
        lambda input, target: F.mse_loss(input, target),
        {"input": fill((3, 4), 1.0, 4.7), "target": fill((3, 4), 1.0, 4.8)}, 1.0, 0.0,
        params={"reduction": "mean over all elements"})

    mha_in = {
        "x": fill((2, 5, 8), 1.0, 5.0),
        "wq": fill((8, 8), 0.35, 5.1), "bq": fill((8,), 0.1, 5.2),
        "wk": fill((8, 8), 0.35, 5.3), "bk": fill((8,), 0.1, 5.4),
        "wv": fill((8, 8), 0.35, 5.5), "bv": fill((8,), 0.1, 5.6),
        "wo": fill((8, 8), 0.35, 5.7), "bo": fill((8,), 0.1, 5.8),
    }
    keep = {}
    ops["mha"] = op_case(lambda **kw: mha_manual(**kw, keep=keep), mha_in, 1.0, 5.9,
                         params={"heads": 2, "embed": 8, "head_dim": 4, "mask": None,
                                 "formula": ("Q=x@wq^T+bq (same K,V); split heads: (B,T,E)->(B,T,H,dh)->(B,H,T,dh), "
                                             "head h = feature columns h*dh:(h+1)*dh; "
                                             "A=softmax(Q K^T/sqrt(dh), dim=-1); ctx=(A V) -> (B,T,H*dh) concat; "
                                             "out=ctx@wo^T+bo")})
    ops["mha"]["attn"] = enc(keep["attn"])

    # sanity check: the manual MHA matches torch.nn.MultiheadAttention
    ref = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([mha_in["wq"], mha_in["wk"], mha_in["wv"]]))
        ref.in_proj_bias.copy_(torch.cat([mha_in["bq"], mha_in["bk"], mha_in["bv"]]))
        ref.out_proj.weight.copy_(mha_in["wo"])
        ref.out_proj.bias.copy_(mha_in["bo"])
        xx = mha_in["x"]
        ref_out, _ = ref(xx, xx, xx, need_weights=False)
        mine = mha_manual(**mha_in)
    assert torch.allclose(ref_out, mine, rtol=1e-12, atol=1e-12), "manual MHA != nn.MultiheadAttention"
    return ops


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "test", "golden", "engine.json")
    adam = {"type": "adam", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}
    doc = {
        "meta": {
            "generator": "scripts/golden.py",
            "torch_version": torch.__version__,
            "dtype": "float64",
            "fill_formula": FORMULA,
            "tensor_encoding": "{shape: int[], data: number[] (row-major)}",
            "layouts": "PyTorch: Linear weight (out,in), bias (out,); Conv2d weight (O,C,KH,KW); NCHW",
            "training": ("losses[k] = loss at the parameters after k updates (before update k+1); "
                         "grads0/logits0 from step 0 at the initial params; final_params after all steps"),
            "optimizers": {
                "sgd": "v = momentum*v + g (v starts at 0, so v1 = g); p -= lr*v",
                "adam": "m=b1*m+(1-b1)g; v=b2*v+(1-b2)g^2; p -= lr*(m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)",
                "adamw": "p *= (1 - lr*weight_decay) first, then the Adam update",
            },
            "ops": "output = f(inputs); grads[k] = d sum(output * g)/d inputs[k]; for scalar outputs g = 1",
        },
        "mlp_sgd": mlp_case({"type": "sgd", "lr": 0.1, "momentum": 0.9}),
        "mlp_adam": mlp_case(adam),
        "mlp_adamw": mlp_case({"type": "adamw", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
                               "weight_decay": 0.1}),
        "cnn_adam": cnn_case(),
        "cnn2_sgd": cnn2_case(),
        "ops": ops_cases(),
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    text = json.dumps(doc, indent=1)
    # keep each flat number list on one line (readable diffs, small file)
    text = re.sub(r"\[\s*(-?[0-9][^\[\]{}\"]*?)\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    with open(out_path, "w") as f:
        f.write(text + "\n")
    print(f"wrote {out_path} (torch {torch.__version__})")
    for k in ("mlp_sgd", "mlp_adam", "mlp_adamw", "cnn_adam", "cnn2_sgd"):
        print(f"  {k}: loss {doc[k]['losses'][0]:.6f} -> {doc[k]['losses'][-1]:.6f}")


if __name__ == "__main__":
    main()
