// The Python source of the torch.nn.Module classes that zerograd's composite layers export to, one
// constant per class, each a line-for-line translation of the layer's forward() in src/nn/layers/.
// The exporter writes only the classes a model uses; their attribute names are the state-dict keys.

/** A generated class: its Python source and the classes it uses. */
export interface PythonClass {
  source: string;
  uses: readonly string[];
}

const attention = `
class Attention(nn.Module):
    """Multi-head self-attention (zerograd MultiHeadSelfAttention): (N, T, D) -> (N, T, D).

    Separate q, k, v and output projections; q is scaled by 1/sqrt(D / heads) before q @ k^T.
    """

    def __init__(self, dim, heads, dropout=0.0, qkv_bias=True):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(dim // heads)
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.k = nn.Linear(dim, dim, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(dropout)

    def forward(self, x):
        n, t, d = x.shape

        def split(y):  # (N, T, D) -> (N, heads, T, D / heads)
            return y.reshape(n, t, self.heads, d // self.heads).permute(0, 2, 1, 3)

        q = split(self.q(x) * self.scale)
        k = split(self.k(x))
        v = split(self.v(x))
        weights = self.attn_drop(torch.softmax(q @ k.transpose(-2, -1), dim=-1))  # (N, heads, T, T)
        context = (weights @ v).permute(0, 2, 1, 3).reshape(n, t, d)  # (N, T, D)
        return self.proj(context)
`;

const feedForward = `
class FeedForward(nn.Module):
    """The transformer MLP (zerograd FeedForward): Linear -> GELU (exact, erf) -> dropout -> Linear."""

    def __init__(self, dim, hidden, dropout=0.0):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.drop(F.gelu(self.fc1(x))))
`;

const transformerBlock = `
class TransformerBlock(nn.Module):
    """Pre-norm transformer block (zerograd TransformerBlock): x + attn(norm1(x)), then + mlp(norm2(x))."""

    def __init__(self, dim, heads, hidden, dropout=0.0, eps=1e-6, qkv_bias=True):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, dropout, qkv_bias)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = FeedForward(dim, hidden, dropout)

    def forward(self, x):  # (N, T, D) -> (N, T, D)
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))
`;

const patchEmbedding = `
class PatchEmbedding(nn.Module):
    """Square patches, each projected to dim (zerograd PatchEmbedding): (N, C, H, W) -> (N, patches, dim).

    zerograd flattens each patch as (C, p, p) and applies a Linear layer; a Conv2d with kernel = stride = p
    is the same map, with the patches in row-major order.
    """

    def __init__(self, channels, patch_size, dim):
        super().__init__()
        self.proj = nn.Conv2d(channels, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)
`;

const visionTransformer = `
class VisionTransformer(nn.Module):
    """zerograd's VisionTransformer: patch embedding + learned position embeddings (patch tokens only; the
    class token gets none), pre-norm blocks, a final LayerNorm (eps 1e-6 unless told), class-token or mean
    pooling (the mean is over every token the blocks see) and a linear head, with an activation after it where
    head_activation says (e.g. "tanh": a Hugging Face ViTModel's pooler): (N, C, H, W) -> (N, num_classes).
    """

    HEAD_ACTIVATIONS = {
        "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": F.gelu,
        "leakyRelu": lambda x: F.leaky_relu(x, 0.01), "softmax": lambda x: torch.softmax(x, dim=-1),
    }

    def __init__(self, image_size, channels, patch_size, dim, depth, heads, mlp_ratio, pool, num_classes, dropout=0.0,
                 eps=1e-6, qkv_bias=True, head_activation=None):
        super().__init__()
        patches = (image_size // patch_size) ** 2
        self.pool = pool
        self.patch_embed = PatchEmbedding(channels, patch_size, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, patches, dim))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim)) if pool == "cls" else None
        hidden = round(mlp_ratio * dim)
        self.blocks = nn.Sequential(*[TransformerBlock(dim, heads, hidden, dropout, eps, qkv_bias) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=eps)
        self.head = nn.Linear(dim, num_classes)
        self.head_activation = self.HEAD_ACTIVATIONS[head_activation] if head_activation else None

    def features(self, x):  # (N, C, H, W) -> (N, dim)
        tokens = self.patch_embed(x) + self.pos_embed  # (N, patches, dim)
        if self.cls_token is not None:
            tokens = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), tokens], dim=1)  # (N, 1 + patches, dim)
        encoded = self.norm(self.blocks(tokens))
        return encoded[:, 0] if self.pool == "cls" else encoded.mean(dim=1)

    def forward(self, x):
        out = self.head(self.features(x))
        return self.head_activation(out) if self.head_activation else out
`;

const basicBlock = `
class BasicBlock(nn.Module):
    """zerograd ResidualBlock, as torchvision's BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)),
    the shortcut a 1x1 conv + batch norm (downsample) when the stride or the width changes.
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.out_channels = out_channels
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)
`;

const bottleneck = `
class Bottleneck(nn.Module):
    """zerograd BottleneckBlock, as torchvision's Bottleneck (the stride on the 3x3 conv, "ResNet v1.5"):
    relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)) with 1x1, 3x3, 1x1 convs, out 4 * width;
    the shortcut a 1x1 conv + batch norm (downsample) when the stride or the width changes.
    """

    expansion = 4

    def __init__(self, in_channels, width, stride=1):
        super().__init__()
        self.out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, self.out_channels, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(self.out_channels)
        self.downsample = None
        if stride != 1 or in_channels != self.out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, self.out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.out_channels),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)
`;

const resnet = `
class ResNet(nn.Module):
    """zerograd's ResNet, named as torchvision's: a stem conv1, bn1, relu (stem "cifar": 3x3, stride 1;
    "imagenet": 7x7, stride 2, then maxpool 3x3, stride 2, padding 1), stages layer1, layer2, ... of BasicBlocks
    or Bottlenecks (every stage after the first starts with stride 2; blocks_per_stage one count or one per
    stage), global average pooling and a linear head fc: (N, C, H, W) -> (N, num_classes) logits. With
    stem="imagenet" the state dict is torchvision's resnet18/34/50's key for key.
    """

    def __init__(self, channels, widths, blocks_per_stage, num_classes, stem="cifar", block="basic"):
        super().__init__()
        imagenet = stem == "imagenet"
        if imagenet:
            self.conv1 = nn.Conv2d(channels, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = nn.Conv2d(channels, widths[0], kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if imagenet else None
        depths = list(blocks_per_stage) if isinstance(blocks_per_stage, (list, tuple)) else [blocks_per_stage] * len(widths)
        make_block = Bottleneck if block == "bottleneck" else BasicBlock
        in_channels = widths[0]
        self.stages = []
        for i, (width, depth) in enumerate(zip(widths, depths)):
            blocks = []
            for j in range(depth):
                blocks.append(make_block(in_channels, width, stride=2 if i > 0 and j == 0 else 1))
                in_channels = blocks[-1].out_channels
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
            self.stages.append(f"layer{i + 1}")
        self.fc = nn.Linear(in_channels, num_classes)

    def features(self, x):  # (N, C, H, W) -> (N, features)
        x = F.relu(self.bn1(self.conv1(x)))  # imagenet: (N, widths[0], H/2, W/2)
        if self.maxpool is not None:
            x = self.maxpool(x)  # (N, widths[0], H/4, W/4)
        for name in self.stages:
            x = getattr(self, name)(x)
        return x.mean(dim=(2, 3))

    def forward(self, x):
        return self.fc(self.features(x))
`;

const channelNormalize = `
class ChannelNormalize(nn.Module):
    """zerograd ChannelNormalize: (x - mean[c]) / std[c] per channel, fixed statistics (buffers kept out of the state dict)."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1), persistent=False)

    def forward(self, x):  # (N, C, H, W) -> (N, C, H, W)
        return (x - self.mean) / self.std
`;

/** The classes by name. */
export const PYTHON_CLASSES: Readonly<Record<string, PythonClass>> = Object.freeze({
  Attention: { source: attention, uses: [] },
  FeedForward: { source: feedForward, uses: [] },
  TransformerBlock: { source: transformerBlock, uses: ['Attention', 'FeedForward'] },
  PatchEmbedding: { source: patchEmbedding, uses: [] },
  VisionTransformer: { source: visionTransformer, uses: ['PatchEmbedding', 'TransformerBlock'] },
  BasicBlock: { source: basicBlock, uses: [] },
  Bottleneck: { source: bottleneck, uses: [] },
  // The block class a ResNet uses depends on its options: CompositeSpec.uses names it.
  ResNet: { source: resnet, uses: [] },
  ChannelNormalize: { source: channelNormalize, uses: [] },
});

/** `names` and every class they use, each once, dependencies first. */
export function classClosure(names: Iterable<string>): string[] {
  const out: string[] = [];
  const visit = (name: string): void => {
    if (out.includes(name)) return;
    for (const used of PYTHON_CLASSES[name].uses) visit(used);
    out.push(name);
  };
  for (const name of names) visit(name);
  return out;
}
