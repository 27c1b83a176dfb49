"""Random-weight torchvision ResNets and their logits, for zerograd's import golden tests (test/cli/import.test.ts).

Usage: /usr/bin/python3 scripts/make-torchvision-goldens.py OUT_DIR ARCH [--size N] [--batch N] [--seed N]

ARCH is resnet18, resnet34, resnet50 or vit_b_16 (torchvision.models, random weights: nothing is downloaded), or
tiny-basic / tiny-bottleneck: torchvision's own ResNet code (_make_layer, BasicBlock, Bottleneck, forward) with a few
channels, or tiny-vit: torchvision's VisionTransformer at width 16 (vit_b_16-2: at vit_b_16's width, 2 layers), so the key layout is torchvision's and the files
are small enough to commit. Batch norm weights, biases and running statistics are randomized (running stats of a fresh
model are 0 and 1, which would hide a mix-up); fc is torchvision's non-zero default init. For ViTs, which torchvision
starts with a zero class token, zero head and unit layer norms, those and every bias are randomized too. Writes OUT_DIR/state.pth (torch.save of the state dict), state.safetensors (the same tensors),
x.npy (float32 input, N x 3 x size x size, standard normal) and logits.npy (float64: the model in eval mode, run in
float64 so the reference carries no float32 rounding).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

import safetensors_py  # beside this script


class SmallResNet(ResNet):
    """torchvision's ResNet with chosen stage widths (torchvision fixes them at 64, 128, 256, 512)."""

    def __init__(self, block, layers, widths, num_classes):
        torch.nn.Module.__init__(self)
        self._norm_layer = torch.nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = widths[0], 1, 1, 64
        self.conv1 = torch.nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(widths[0])
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = torch.nn.Linear(widths[3] * block.expansion, num_classes)


def build(arch):
    if arch == 'vit_b_16-2':  # vit_b_16's width, heads, MLP and patches, 2 of its 12 layers: test-time sized
        return torchvision.models.VisionTransformer(image_size=224, patch_size=16, num_layers=2, num_heads=12, hidden_dim=768, mlp_dim=3072)
    if arch == 'tiny-vit':
        return torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=40, num_classes=5)
    if arch == 'tiny-basic':
        return SmallResNet(BasicBlock, [1, 2, 1, 1], [4, 8, 8, 16], 5)
    if arch == 'tiny-bottleneck':
        return SmallResNet(Bottleneck, [2, 1, 1, 1], [2, 4, 4, 8], 6)
    return getattr(torchvision.models, arch)(weights=None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out')
    parser.add_argument('arch')
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    model = build(args.arch)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(100)
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
        if isinstance(model, torchvision.models.VisionTransformer):
            for name, p in model.named_parameters():
                if name.endswith('bias') and 'ln' not in name:
                    p.uniform_(-0.1, 0.1)
            model.class_token.normal_(0, 0.5)
            model.encoder.pos_embedding.normal_(0, 0.5)
            model.heads.head.weight.normal_(0, 0.05)
    model.eval()
    state = model.state_dict()
    torch.save(state, os.path.join(args.out, 'state.pth'))
    safetensors_py.save(state, os.path.join(args.out, 'state.safetensors'))
    x = torch.randn(args.batch, 3, args.size, args.size)
    with torch.no_grad():
        logits = model.double()(x.double())
    np.save(os.path.join(args.out, 'x.npy'), x.numpy().astype('<f4'))
    np.save(os.path.join(args.out, 'logits.npy'), logits.numpy().astype('<f8'))
    print(f'wrote {args.out}: {args.arch}, {len(state)} tensors, logits {tuple(logits.shape)}')


if __name__ == '__main__':
    sys.exit(main())
