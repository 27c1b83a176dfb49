"""Random-weight Hugging Face ViT and ResNet model folders and their outputs, for zerograd's import golden tests
(test/cli/import-hf.test.ts).

Usage: /usr/bin/python3 scripts/make-hf-goldens.py OUT_DIR PRESET [--batch N] [--seed N]

The `transformers` package is not installed here (and cannot be downloaded), so this is NOT transformers itself: it
re-implements the forward pass of transformers' models/vit/modeling_vit.py (ViTModel, ViTForImageClassification)
and models/resnet/modeling_resnet.py (ResNetModel, ResNetForImageClassification) in plain torch, module for module
with the same attribute names, so that state_dict() has exactly transformers' keys and shapes, and with the same
numerics: nn.LayerNorm(eps=config.layer_norm_eps) (transformers' default 1e-12), hidden_act "gelu" as
nn.functional.gelu (erf), attention scores q.k^T * head_size^-0.5 then softmax, query/key/value bias from
qkv_bias, the pooler dense + tanh on the first token, the classifier on the first token of the final layer norm,
ResNet's conv (padding kernel // 2, no bias) + BatchNorm2d (eps 1e-5) + ReLU layers, 1x1 conv + batch norm
shortcut where the width or stride changes, stride on the bottleneck's 3x3 conv, adaptive average pool, and
classifier = Sequential(Flatten(), Linear). transformers' eager attention takes the softmax in float32; here the
whole model runs in float64, so the reference carries no float32 rounding.

Writes OUT_DIR/config.json (transformers' field names, with the values the model was built from),
preprocessor_config.json, model.safetensors (the state dict, num_batches_tracked included, with transformers'
{"format": "pt"} metadata, by the hand-written writer beside this script), x.npy (float32 input N x C x S x S,
standard normal), logits.npy (float64: the classifier's logits, ViTModel's pooler_output, or ResNetModel's
pooler_output flattened) and, for ViTModel, cls.npy (the class token of last_hidden_state, what a ViTModel saved
without its pooler gives). Weights: torch's default init, then every batch norm's weight, bias and running
statistics and every layer norm's weight and bias randomized, the class token and position embeddings drawn from
N(0, 0.5) and all Linear biases from U(-0.1, 0.1), so no mix-up can hide behind a zero or a one.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn

import safetensors_py  # beside this script

# ---------------------------------------------------------------------------------------------------------------
# ViT, as transformers' modeling_vit.py


class ViTPatchEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.projection = nn.Conv2d(c['num_channels'], c['hidden_size'], kernel_size=c['patch_size'], stride=c['patch_size'])

    def forward(self, pixel_values):
        return self.projection(pixel_values).flatten(2).transpose(1, 2)


class ViTEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cls_token = nn.Parameter(torch.randn(1, 1, c['hidden_size']))
        self.patch_embeddings = ViTPatchEmbeddings(c)
        patches = (c['image_size'] // c['patch_size']) ** 2
        self.position_embeddings = nn.Parameter(torch.randn(1, patches + 1, c['hidden_size']))

    def forward(self, pixel_values):
        embeddings = self.patch_embeddings(pixel_values)
        cls_tokens = self.cls_token.expand(embeddings.shape[0], -1, -1)
        return torch.cat((cls_tokens, embeddings), dim=1) + self.position_embeddings


class ViTSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c['num_attention_heads']
        self.head_size = c['hidden_size'] // self.heads
        self.query = nn.Linear(c['hidden_size'], c['hidden_size'], bias=c['qkv_bias'])
        self.key = nn.Linear(c['hidden_size'], c['hidden_size'], bias=c['qkv_bias'])
        self.value = nn.Linear(c['hidden_size'], c['hidden_size'], bias=c['qkv_bias'])

    def split(self, x):
        return x.view(x.shape[:-1] + (self.heads, self.head_size)).permute(0, 2, 1, 3)

    def forward(self, hidden_states):
        q, k, v = self.split(self.query(hidden_states)), self.split(self.key(hidden_states)), self.split(self.value(hidden_states))
        weights = nn.functional.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.head_size ** -0.5, dim=-1)
        context = torch.matmul(weights, v).transpose(1, 2).contiguous()
        return context.view(context.shape[:-2] + (self.heads * self.head_size,))


class ViTSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['hidden_size'])

    def forward(self, hidden_states):
        return self.dense(hidden_states)


class ViTAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = ViTSelfAttention(c)
        self.output = ViTSelfOutput(c)

    def forward(self, hidden_states):
        return self.output(self.attention(hidden_states))


class ViTIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        assert c['hidden_act'] == 'gelu'  # transformers' ACT2FN['gelu']: GELUActivation, nn.functional.gelu (erf)
        self.dense = nn.Linear(c['hidden_size'], c['intermediate_size'])

    def forward(self, hidden_states):
        return nn.functional.gelu(self.dense(hidden_states))


class ViTOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['intermediate_size'], c['hidden_size'])

    def forward(self, hidden_states, input_tensor):
        return self.dense(hidden_states) + input_tensor


class ViTLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = ViTAttention(c)
        self.intermediate = ViTIntermediate(c)
        self.output = ViTOutput(c)
        self.layernorm_before = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.layernorm_after = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, hidden_states):
        hidden_states = self.attention(self.layernorm_before(hidden_states)) + hidden_states
        return self.output(self.intermediate(self.layernorm_after(hidden_states)), hidden_states)


class ViTEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([ViTLayer(c) for _ in range(c['num_hidden_layers'])])

    def forward(self, hidden_states):
        for layer in self.layer:
            hidden_states = layer(hidden_states)
        return hidden_states


class ViTPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        assert c.get('pooler_act', 'tanh') == 'tanh'
        self.dense = nn.Linear(c['hidden_size'], c.get('pooler_output_size', c['hidden_size']))

    def forward(self, hidden_states):
        return torch.tanh(self.dense(hidden_states[:, 0]))


class ViTModel(nn.Module):
    def __init__(self, c, add_pooling_layer=True):
        super().__init__()
        self.embeddings = ViTEmbeddings(c)
        self.encoder = ViTEncoder(c)
        self.layernorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.pooler = ViTPooler(c) if add_pooling_layer else None

    def forward(self, pixel_values):
        sequence_output = self.layernorm(self.encoder(self.embeddings(pixel_values)))
        return sequence_output, (self.pooler(sequence_output) if self.pooler is not None else None)


class ViTForImageClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.vit = ViTModel(c, add_pooling_layer=False)
        self.classifier = nn.Linear(c['hidden_size'], len(c['id2label']))

    def forward(self, pixel_values):
        return self.classifier(self.vit(pixel_values)[0][:, 0, :])


# ---------------------------------------------------------------------------------------------------------------
# ResNet, as transformers' modeling_resnet.py


class ResNetConvLayer(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, activation='relu'):
        super().__init__()
        self.convolution = nn.Conv2d(in_channels, out_channels, kernel_size=kernel_size, stride=stride, padding=kernel_size // 2, bias=False)
        self.normalization = nn.BatchNorm2d(out_channels)
        self.activation = nn.ReLU() if activation is not None else nn.Identity()

    def forward(self, x):
        return self.activation(self.normalization(self.convolution(x)))


class ResNetEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedder = ResNetConvLayer(c['num_channels'], c['embedding_size'], kernel_size=7, stride=2)
        self.pooler = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, pixel_values):
        return self.pooler(self.embedder(pixel_values))


class ResNetShortCut(nn.Module):
    def __init__(self, in_channels, out_channels, stride=2):
        super().__init__()
        self.convolution = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)
        self.normalization = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        return self.normalization(self.convolution(x))


class ResNetBasicLayer(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        apply = in_channels != out_channels or stride != 1
        self.shortcut = ResNetShortCut(in_channels, out_channels, stride=stride) if apply else nn.Identity()
        self.layer = nn.Sequential(ResNetConvLayer(in_channels, out_channels, stride=stride), ResNetConvLayer(out_channels, out_channels, activation=None))
        self.activation = nn.ReLU()

    def forward(self, x):
        return self.activation(self.layer(x) + self.shortcut(x))


class ResNetBottleNeckLayer(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1, reduction=4):
        super().__init__()
        apply = in_channels != out_channels or stride != 1
        reduces = out_channels // reduction
        self.shortcut = ResNetShortCut(in_channels, out_channels, stride=stride) if apply else nn.Identity()
        self.layer = nn.Sequential(  # downsample_in_bottleneck False: the stride on the 3x3 conv
            ResNetConvLayer(in_channels, reduces, kernel_size=1),
            ResNetConvLayer(reduces, reduces, stride=stride),
            ResNetConvLayer(reduces, out_channels, kernel_size=1, activation=None),
        )
        self.activation = nn.ReLU()

    def forward(self, x):
        return self.activation(self.layer(x) + self.shortcut(x))


class ResNetStage(nn.Module):
    def __init__(self, c, in_channels, out_channels, stride=2, depth=2):
        super().__init__()
        layer = ResNetBottleNeckLayer if c['layer_type'] == 'bottleneck' else ResNetBasicLayer
        self.layers = nn.Sequential(layer(in_channels, out_channels, stride=stride), *[layer(out_channels, out_channels) for _ in range(depth - 1)])

    def forward(self, x):
        return self.layers(x)


class ResNetEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        assert not c['downsample_in_first_stage']
        sizes, depths = c['hidden_sizes'], c['depths']
        self.stages = nn.ModuleList([ResNetStage(c, c['embedding_size'], sizes[0], stride=1, depth=depths[0])])
        for (i, o), depth in zip(zip(sizes, sizes[1:]), depths[1:]):
            self.stages.append(ResNetStage(c, i, o, depth=depth))

    def forward(self, x):
        for stage in self.stages:
            x = stage(x)
        return x


class ResNetModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedder = ResNetEmbeddings(c)
        self.encoder = ResNetEncoder(c)
        self.pooler = nn.AdaptiveAvgPool2d((1, 1))

    def forward(self, pixel_values):
        return self.pooler(self.encoder(self.embedder(pixel_values)))  # pooler_output (N, C, 1, 1)


class ResNetForImageClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.resnet = ResNetModel(c)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c['hidden_sizes'][-1], len(c['id2label'])))

    def forward(self, pixel_values):
        return self.classifier(self.resnet(pixel_values))


# ---------------------------------------------------------------------------------------------------------------
# Presets: transformers' config.json fields (ViTConfig / ResNetConfig names) and the input side


def labels(n, names=None):
    names = names or [f'LABEL_{i}' for i in range(n)]
    return {'id2label': {str(i): names[i] for i in range(n)}, 'label2id': {names[i]: i for i in range(n)}}


def vit(architecture, size, **fields):
    base = {'architectures': [architecture], 'model_type': 'vit', 'hidden_size': 768, 'num_hidden_layers': 12, 'num_attention_heads': 12,
            'intermediate_size': 3072, 'hidden_act': 'gelu', 'hidden_dropout_prob': 0.0, 'attention_probs_dropout_prob': 0.0,
            'initializer_range': 0.02, 'layer_norm_eps': 1e-12, 'image_size': 224, 'patch_size': 16, 'num_channels': 3,
            'qkv_bias': True, 'encoder_stride': 16, 'torch_dtype': 'float32'}
    return {**base, **fields}, size


def resnet(architecture, size, **fields):
    base = {'architectures': [architecture], 'model_type': 'resnet', 'num_channels': 3, 'embedding_size': 64,
            'hidden_sizes': [256, 512, 1024, 2048], 'depths': [3, 4, 6, 3], 'layer_type': 'bottleneck', 'hidden_act': 'relu',
            'downsample_in_first_stage': False, 'downsample_in_bottleneck': False, 'torch_dtype': 'float32'}
    return {**base, **fields}, size


PRESETS = {
    # committed (test/golden/hf): a few channels, transformers' key layout
    'tiny-vit-classifier': vit('ViTForImageClassification', 32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
                               image_size=32, patch_size=8, encoder_stride=8, **labels(5, ['tench', 'goldfish', 'shark', 'tiger shark', 'ray'])),
    # ViTModel with its pooler, no q/k/v bias and a layer norm eps large enough that a wrong eps shows in the outputs
    'tiny-vit-model': vit('ViTModel', 24, hidden_size=12, num_hidden_layers=2, num_attention_heads=3, intermediate_size=24,
                          image_size=24, patch_size=6, encoder_stride=6, qkv_bias=False, layer_norm_eps=0.05),
    'tiny-resnet-basic': resnet('ResNetForImageClassification', 40, embedding_size=4, hidden_sizes=[4, 8, 8, 16], depths=[1, 2, 1, 1],
                                layer_type='basic', **labels(5)),
    'tiny-resnet-bottleneck': resnet('ResNetForImageClassification', 40, embedding_size=2, hidden_sizes=[8, 16, 16, 32], depths=[2, 1, 1, 1], **labels(6)),
    'tiny-resnet-model': resnet('ResNetModel', 36, embedding_size=4, hidden_sizes=[4, 8, 8], depths=[1, 1, 2], layer_type='basic'),
    # made at test time where torch is installed (not committed: 60 and 100 MB)
    'vit-base-2': vit('ViTForImageClassification', 224, num_hidden_layers=2, **labels(1000)),
    'resnet-50': resnet('ResNetForImageClassification', 64, **labels(1000)),
}

CLASSES = {'ViTModel': ViTModel, 'ViTForImageClassification': ViTForImageClassification, 'ResNetModel': ResNetModel,
           'ResNetForImageClassification': ResNetForImageClassification}

PREPROCESSORS = {
    'vit': {'do_normalize': True, 'do_rescale': True, 'do_resize': True, 'image_mean': [0.5, 0.5, 0.5], 'image_processor_type': 'ViTImageProcessor',
            'image_std': [0.5, 0.5, 0.5], 'resample': 2, 'rescale_factor': 0.00392156862745098},
    'resnet': {'crop_pct': 0.875, 'do_normalize': True, 'do_rescale': True, 'do_resize': True, 'image_mean': [0.485, 0.456, 0.406],
               'image_processor_type': 'ConvNextImageProcessor', 'image_std': [0.229, 0.224, 0.225], 'resample': 3,
               'rescale_factor': 0.00392156862745098, 'size': {'shortest_edge': 224}},
}


def randomize(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(100)
            elif isinstance(m, nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
            elif isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, ViTEmbeddings):
                m.cls_token.normal_(0, 0.5)
                m.position_embeddings.normal_(0, 0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out')
    parser.add_argument('preset', choices=sorted(PRESETS))
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    config, size = PRESETS[args.preset]
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    model = CLASSES[config['architectures'][0]](config)
    randomize(model)
    model.eval()
    state = model.state_dict()
    safetensors_py.save(state, os.path.join(args.out, 'model.safetensors'), metadata={'format': 'pt'})
    with open(os.path.join(args.out, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
        f.write('\n')
    preprocessor = dict(PREPROCESSORS[config['model_type']])
    preprocessor['size'] = {'height': size, 'width': size} if config['model_type'] == 'vit' else {'shortest_edge': size}
    with open(os.path.join(args.out, 'preprocessor_config.json'), 'w') as f:
        json.dump(preprocessor, f, indent=2)
        f.write('\n')
    x = torch.randn(args.batch, config['num_channels'], size, size)
    with torch.no_grad():
        model = model.double()
        out = model(x.double())
        if isinstance(model, ViTModel):
            sequence, out = out
            np.save(os.path.join(args.out, 'cls.npy'), sequence[:, 0].numpy().astype('<f8'))
        out = out.flatten(1)
    np.save(os.path.join(args.out, 'x.npy'), x.numpy().astype('<f4'))
    np.save(os.path.join(args.out, 'logits.npy'), out.numpy().astype('<f8'))
    print(f'wrote {args.out}: {args.preset} ({config["architectures"][0]}), {len(state)} tensors, outputs {tuple(out.shape)}')


if __name__ == '__main__':
    sys.exit(main())
