#!/usr/bin/env python3
"""Reference values for the display pipeline (src/protocol/render.ts): Captum's own visualisation helpers.

Writes test/fixtures/display/captum.json: seeded maps (mixed signs, heavy tails, exact zeros, ties) with, per sign
and outlier percentage, Captum's `_normalize_attr` output and its threshold (`_cumulative_sum_threshold` of |attr|
after the sign), and numpy's percentile of |attr| for the percentile clipping. Captum's functions are called, not
re-implemented; float64 throughout, so the thresholds are exact.

Usage (from the repository root, in a venv with captum, e.g. ~/.cache/featurevis/venvs/torch after `pip install captum`):
    python tools/make_display_refs.py
"""
import json
import os

import numpy as np
from captum.attr._utils import visualization as viz

rng = np.random.default_rng(20261202)


def maps():
    yield 'gaussian', rng.standard_normal((9, 12))
    heavy = rng.standard_t(1.5, (10, 10))
    heavy[rng.random((10, 10)) < 0.3] = 0.0  # exact zeros, as after a ReLU-gated backward pass
    yield 'heavy-tailed with zeros', heavy
    ties = np.round(rng.standard_normal((7, 8)) * 2) / 2  # many equal values
    yield 'ties', ties
    yield 'one-signed', np.abs(rng.standard_normal((6, 11))) + 0.1


cases = []
for name, m in maps():
    m = m.astype(np.float32).astype(np.float64)  # the values the TypeScript side reads back from JSON exactly
    entry = {'name': name, 'height': m.shape[0], 'width': m.shape[1], 'data': m.ravel().tolist(), 'signs': []}
    for sign in ['all', 'positive', 'negative', 'absolute']:
        for perc in [0, 2, 10]:
            signed = {'all': m, 'positive': np.maximum(m, 0), 'negative': np.minimum(m, 0), 'absolute': np.abs(m)}[sign]
            if not np.any(signed):
                continue
            normalised = viz._normalize_attr(m, {'all': 'all', 'positive': 'positive', 'negative': 'negative', 'absolute': 'absolute_value'}[sign], perc)
            threshold = viz._cumulative_sum_threshold(np.abs(signed), 100.0 - perc)
            entry['signs'].append({
                'sign': sign, 'outlier_perc': perc, 'threshold': float(threshold),
                'percentile_threshold': float(np.percentile(np.abs(signed), 100.0 - perc)),
                'normalised': normalised.ravel().tolist(),
            })
    cases.append(entry)

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'display', 'captum.json')
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, 'w') as f:
    json.dump({'captum': __import__('captum').__version__, 'cases': cases}, f)
print(f'wrote {out}: {len(cases)} maps, {sum(len(c["signs"]) for c in cases)} sign/percentage cases')
