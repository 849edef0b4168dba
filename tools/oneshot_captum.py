"""The one-shot Python peer of `featurevis explain --method gradient --out X.npy` (bench/cold-start.ts): one process
that imports torch and Captum, builds the torchvision model and loads its weights from a file, reads and
preprocesses a photo, explains the top class with Captum's Saliency and writes the map as .npy.

Usage: python tools/oneshot_captum.py MODEL WEIGHTS.pt IMAGE OUT.npy THREADS
       python tools/oneshot_captum.py --export MODEL WEIGHTS.pt   (writes the seeded weights the ONNX file has)
"""
import sys


def export(name, weights):
    import torch

    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from bench_models import build

    torch.save(build(name).state_dict(), weights)


def main():
    if sys.argv[1] == "--export":
        export(sys.argv[2], sys.argv[3])
        return
    name, weights, image, out, threads = sys.argv[1:6]
    import numpy as np
    import torch
    import torchvision
    from captum.attr import Saliency
    from PIL import Image

    torch.set_num_threads(int(threads))
    model = getattr(torchvision.models, name)(weights=None)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model.eval()
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False  # Captum's gradient hooks need out-of-place ReLUs
    # FeatureVis's default preprocessing for a model without a sidecar: stretch to 224², ImageNet mean/std.
    img = Image.open(image).convert("RGB").resize((224, 224), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    x = ((x - mean) / std).unsqueeze(0)
    with torch.no_grad():
        target = model(x).argmax(1)
    attribution = Saliency(model).attribute(x, target=target, abs=False)
    np.save(out, attribution.detach().numpy())


if __name__ == "__main__":
    main()
