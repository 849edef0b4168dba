#!/usr/bin/env python3
"""Copy a few public-domain / CC0 sample photos from scikit-image's bundled data into assets/samples/.

Usage: /opt/fv-py/bin/python tools/make_samples.py
Images whose longest side exceeds 400 px are downscaled (PIL LANCZOS) to 400 px; the format is kept
(PNG stays PNG, JPEG is re-encoded at quality 90). See assets/samples/README.md for sources and licences.
"""
import os

from PIL import Image
import skimage.data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "assets", "samples")
SRC = os.path.dirname(skimage.data.__file__)
FILES = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"]
MAX_SIDE = 400


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in FILES:
        im = Image.open(os.path.join(SRC, name)).convert("RGB")
        w, h = im.size
        s = MAX_SIDE / max(w, h)
        if s < 1:
            im = im.resize((round(w * s), round(h * s)), Image.LANCZOS)
        dst = os.path.join(OUT, name)
        if name.endswith(".jpg"):
            im.save(dst, quality=90)
        else:
            im.save(dst, optimize=True)
        print(name, im.size, os.path.getsize(dst), "bytes")


if __name__ == "__main__":
    main()
