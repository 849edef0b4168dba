"""The zoo's architectures: torchvision constructors (random seeded weights) and a few reduced configurations of
torchvision's own classes, so that transformers export and run in seconds. Used by tools/zoo.py.

Each entry: constructor, input shape (batch 1) for the default size, task ("classify" | "segment"), and whether
the LRP reference machinery of zoo.py can express the model's rules exactly (else a reason).
"""
import torch
import torch.nn as nn
from torchvision import models as tvm
from torchvision.models import convnext, maxvit, swin_transformer as swin, vision_transformer as vt
from torchvision.models import segmentation as seg, video


class OutOnly(nn.Module):
    """torchvision's segmentation nets return {'out': ...}; the zoo needs one tensor."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)["out"]


class AudioCNN(nn.Module):
    """A small 1-D CNN on raw waveforms (N, 1, L): strided/dilated/grouped Conv1d, BatchNorm1d, MaxPool1d."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, 16, 9, stride=2, padding=4), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(3, 2, 1),
            nn.Conv1d(16, 32, 5, padding=4, dilation=2), nn.BatchNorm1d(32), nn.ReLU(),
            nn.Conv1d(32, 32, 3, stride=2, padding=1, groups=4), nn.BatchNorm1d(32), nn.ReLU(),
            nn.AvgPool1d(2), nn.Conv1d(32, 48, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
        self.head = nn.Linear(48, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


# Every constructor takes keyword overrides (tools/zoo.py --kw).
def _tv(name, **kw):
    return lambda **k: getattr(tvm, name)(weights=None, **{**kw, **k})


def _seg(name):
    return lambda **k: OutOnly(getattr(seg, name)(**{"weights": None, "weights_backbone": None, "num_classes": 8,
                                                     "aux_loss": False, **k}))


def _video(name):
    return lambda **k: getattr(video, name)(**{"weights": None, "num_classes": 10, **k})


def _cls(cls, **kw):
    return lambda **k: cls(**{**kw, **k})


_CONVNEXT = [convnext.CNBlockConfig(16, 32, 1), convnext.CNBlockConfig(32, 64, 2), convnext.CNBlockConfig(64, None, 1)]
_SWIN = {"patch_size": [4, 4], "embed_dim": 16, "depths": [2, 2], "num_heads": [2, 4], "window_size": [4, 4],
         "stochastic_depth_prob": 0.0, "num_classes": 10}
_SWIN_V2 = {**_SWIN, "block": swin.SwinTransformerBlockV2, "downsample_layer": swin.PatchMergingV2}


# name: (constructor, input kind (image NCHW | video NCTHW | audio NCL), default size, task, LRP: True or why not)
LRP_NO_FORWARD_CODE = "residual adds, gates or attention inside torchvision's forward code (no modules the reference " \
                      "can give rules to) — not implemented"
LRP_NOT_2D = "the reference's BN folding and rule wrappers cover 2-D layers only — not implemented"
ARCHS = {
    "alexnet": (_tv("alexnet"), "image", 224, "classify", True),
    "vgg16": (_tv("vgg16"), "image", 224, "classify", True),
    "googlenet": (_tv("googlenet", aux_logits=False, init_weights=True), "image", 64, "classify", True),
    "resnet18": (_tv("resnet18"), "image", 64, "classify", True),
    "resnet50": (_tv("resnet50"), "image", 64, "classify", True),
    "resnet101": (_tv("resnet101"), "image", 64, "classify", True),
    "densenet121": (_tv("densenet121"), "image", 64, "classify", True),
    "mobilenet_v2": (_tv("mobilenet_v2"), "image", 64, "classify", True),
    "mobilenet_v3_small": (_tv("mobilenet_v3_small"), "image", 64, "classify",
                           "squeeze-excitation gates and Hardswish inside torchvision's forward code (not modules "
                           "the reference can give rules to) — not implemented"),
    "efficientnet_b0": (_tv("efficientnet_b0"), "image", 64, "classify",
                        "squeeze-excitation gates, in-place residual adds and StochasticDepth inside torchvision's "
                        "forward code — not implemented"),
    "squeezenet1_0": (_tv("squeezenet1_0"), "image", 64, "classify", True),
    "shufflenet_v2_x1_0": (_tv("shufflenet_v2_x1_0"), "image", 64, "classify",
                           "global pooling is a Tensor.mean call in torchvision's forward (no module to give the "
                           "pool rule to) — not implemented"),
    # modern families (issue 8)
    "vit_mini": (_cls(vt.VisionTransformer, image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                      mlp_dim=64, num_classes=10), "image", 32, "classify", LRP_NO_FORWARD_CODE),
    "swin_mini": (_cls(swin.SwinTransformer, **_SWIN), "image", 64, "classify", LRP_NO_FORWARD_CODE),
    "swin_v2_mini": (_cls(swin.SwinTransformer, **_SWIN_V2), "image", 64, "classify", LRP_NO_FORWARD_CODE),
    "maxvit_mini": (_cls(maxvit.MaxVit, input_size=(32, 32), stem_channels=16, partition_size=2,
                         block_channels=[16, 32], block_layers=[1, 1], head_dim=8, stochastic_depth_prob=0.0,
                         num_classes=10), "image", 32, "classify", LRP_NO_FORWARD_CODE),
    "convnext_mini": (_cls(convnext.ConvNeXt, block_setting=_CONVNEXT, stochastic_depth_prob=0.0, layer_scale=1.0,
                           num_classes=10), "image", 64, "classify", LRP_NO_FORWARD_CODE),
    "regnet_y_400mf": (_tv("regnet_y_400mf"), "image", 64, "classify", LRP_NO_FORWARD_CODE),
    "efficientnet_v2_s": (_tv("efficientnet_v2_s"), "image", 64, "classify", LRP_NO_FORWARD_CODE),
    "mnasnet0_5": (_tv("mnasnet0_5"), "image", 64, "classify", LRP_NO_FORWARD_CODE),
    "resnext50_32x4d": (_tv("resnext50_32x4d"), "image", 64, "classify", True),
    "wide_resnet50_2": (_tv("wide_resnet50_2"), "image", 64, "classify", True),
    "inception_v3": (_tv("inception_v3", aux_logits=False, init_weights=True), "image", 80, "classify",
                     LRP_NO_FORWARD_CODE),
    "mobilenet_v3_large": (_tv("mobilenet_v3_large"), "image", 64, "classify", LRP_NO_FORWARD_CODE),
    "fcn_resnet50": (_seg("fcn_resnet50"), "image", 64, "segment", LRP_NO_FORWARD_CODE),
    "deeplabv3_mobilenet_v3_large": (_seg("deeplabv3_mobilenet_v3_large"), "image", 64, "segment",
                                     LRP_NO_FORWARD_CODE),
    "lraspp_mobilenet_v3_large": (_seg("lraspp_mobilenet_v3_large"), "image", 64, "segment", LRP_NO_FORWARD_CODE),
    "r3d_18": (_video("r3d_18"), "video", 32, "classify", LRP_NOT_2D),
    "mc3_18": (_video("mc3_18"), "video", 32, "classify", LRP_NOT_2D),
    "r2plus1d_18": (_video("r2plus1d_18"), "video", 32, "classify", LRP_NOT_2D),
    "audio_cnn": (_cls(AudioCNN), "audio", 1024, "classify", LRP_NOT_2D),
}
VIDEO_FRAMES = 4


def input_shape(arch, size, batch=1):
    kind = ARCHS[arch][1]
    if kind == "image":
        return (batch, 3, size, size)
    if kind == "video":
        return (batch, 3, VIDEO_FRAMES, size, size)
    return (batch, 1, size)


def lrp_reason(arch):
    """None when zoo.py can compute exact LRP references for `arch`, else why not."""
    v = ARCHS[arch][4]
    return None if v is True else v


def construct(arch, seed, **kw):
    torch.manual_seed(seed)
    return ARCHS[arch][0](**kw)


_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def default_size(arch):
    return ARCHS[arch][2]


def build(arch, size, seed, batch=1, **kw):
    """The model in eval mode with random seeded weights, and a seeded N(0,1) input of `batch` items."""
    model = construct(arch, seed, **kw)
    g0 = torch.Generator().manual_seed(seed + 2)
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
        w = getattr(m, "weight", None)
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)) and not w.detach().any():
            # zero-initialised heads (torchvision's ViT) would make every gradient zero
            with torch.no_grad():
                w.copy_(torch.randn(w.shape, generator=g0) / (w[0].numel() ** 0.5))
    g = torch.Generator().manual_seed(seed + 1)
    bns = [m for m in model.modules() if isinstance(m, _BN)]
    with torch.no_grad():
        for bn in bns:
            c = bn.num_features
            bn.weight.copy_(torch.rand(c, generator=g) + 0.5)
            bn.bias.copy_(torch.randn(c, generator=g) * 0.1)
        for m in model.modules():  # ConvNeXt's layer scale: random positive instead of a constant
            if isinstance(m, convnext.CNBlock):
                m.layer_scale.copy_(torch.rand(m.layer_scale.shape, generator=g) + 0.5)
    if bns:
        # running statistics from random inputs (keeps activations well scaled through 100 layers), then
        # perturbed so that they are not exactly the batch statistics
        model.eval()
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average
            bn.train()
        with torch.no_grad():
            for _ in range(2):
                model(torch.randn(*input_shape(arch, size, 4), generator=g))
        model.eval()
        with torch.no_grad():
            for bn in bns:
                c = bn.num_features
                bn.running_mean.add_(torch.randn(c, generator=g) * 0.1 * bn.running_var.sqrt())
                bn.running_var.mul_(torch.rand(c, generator=g) * 0.5 + 0.75)
                bn.momentum = 0.1
    model.eval()
    x = torch.randn(*input_shape(arch, size, batch), generator=g)
    return model, x


def adaptive_pools_exportable(model, x):
    """The TorchScript ONNX exporter needs every AdaptiveAvgPool2d input size to be a multiple of its output."""
    ok = [True]
    hooks = []
    for m in model.modules():
        if isinstance(m, nn.AdaptiveAvgPool2d):
            def pre(mod, inp):
                out = mod.output_size if isinstance(mod.output_size, (tuple, list)) else (mod.output_size,) * 2
                for i, o in zip(inp[0].shape[2:], out):
                    if o is not None and i % o != 0:
                        ok[0] = False
            hooks.append(m.register_forward_pre_hook(pre))
    try:
        with torch.no_grad():
            model(x)
    except RuntimeError:
        ok[0] = False
    for h in hooks:
        h.remove()
    return ok[0]


def pick_size(arch, size, seed):
    """`size` if the architecture exports there, else 224 or the next multiple of 32 above (alexnet/vgg). The same
    size serves every exporter, so that all of an architecture's cases share one set of references."""
    if ARCHS[arch][1] != "image" or size == default_size(arch):
        return size
    m = construct(arch, seed).eval()
    for s in [size] + [c for c in range(224, 545, 32) if c > size]:
        if adaptive_pools_exportable(m, torch.zeros(input_shape(arch, s))):
            return s
    raise RuntimeError(f"{arch}: no exportable size found")
