# train_ddp.py: trains a model exported by `zerograd export --format pytorch` on MNIST with PyTorch
# DistributedDataParallel, one process per GPU (or per CPU slot with --backend gloo), and saves the
# state dict (PyTorch names, as the export wrote them) from rank 0. See docs/scale-out.md.
#
#   zerograd export --format pytorch --model models/mnist-cnn-best --out runs/pt
#   torchrun --standalone --nproc_per_node=8 examples/pytorch/train_ddp.py --model runs/pt --data data --out runs/ddp
#
# Many nodes: the same command on each node with --nnodes=N --rdzv_backend=c10d --rdzv_endpoint=HOST:29500
# --rdzv_id=JOB instead of --standalone. Needs torch and torchvision; MNIST is read from --data in
# torchvision's layout (DATA/MNIST/raw/...), downloaded there by rank 0 with --download.
import argparse
import os
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms


def parse_args():
    parser = argparse.ArgumentParser(description="DDP training of a model exported by zerograd")
    parser.add_argument("--model", required=True, help="the folder zerograd export wrote (model.py, model.safetensors)")
    parser.add_argument("--data", default="data", help="torchvision's MNIST root")
    parser.add_argument("--download", action="store_true", help="let rank 0 download MNIST into --data first")
    parser.add_argument("--out", required=True, help="folder for model.pth")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128, help="per process; the global batch is this x world size")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N training images (a quick try)")
    parser.add_argument("--backend", default="nccl" if torch.cuda.is_available() else "gloo")
    return parser.parse_args()


def main():
    args = parse_args()
    dist.init_process_group(backend=args.backend)  # torchrun sets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank) if args.backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)

    sys.path.insert(0, args.model)
    from model import MEAN, STD, load_model  # the exported model.py

    model = load_model(args.model).to(device).train()  # load_model returns eval mode; training needs train()
    if device.type == "cuda":
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)  # batch statistics over the global batch
    model = DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)

    # The exported model takes (N, 1, 28, 28) normalized as zerograd trained it: ToTensor gives 0-1 pixels.
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    if rank == 0 and args.download:
        datasets.MNIST(args.data, train=True, download=True)
        datasets.MNIST(args.data, train=False, download=True)
    dist.barrier()
    train_set = datasets.MNIST(args.data, train=True, transform=transform)
    if args.limit:
        train_set = Subset(train_set, range(args.limit))
    sampler = DistributedSampler(train_set, shuffle=True)  # each process sees its own 1/world of every epoch
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, num_workers=2, pin_memory=device.type == "cuda")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same one in every process
        for step, (x, y) in enumerate(loader):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)  # the model outputs logits
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # DDP averages the gradients of all processes here
            optimizer.step()
            if rank == 0 and step % 50 == 0:
                print(f"epoch {epoch + 1} step {step}: loss {loss.item():.4f}", flush=True)

    if rank == 0:
        net = model.module  # unwrapped: keys without 'module.'; SyncBatchNorm keeps BatchNorm's key names
        os.makedirs(args.out, exist_ok=True)
        torch.save(net.state_dict(), os.path.join(args.out, "model.pth"))
        test_set = datasets.MNIST(args.data, train=False, transform=transform)
        net.eval()
        correct = 0
        with torch.no_grad():
            for x, y in DataLoader(test_set, batch_size=1000):
                correct += (net(x.to(device)).argmax(dim=1).cpu() == y).sum().item()
        print(f"saved {os.path.join(args.out, 'model.pth')}; test accuracy {correct / len(test_set):.4f} ({world} processes)")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
