"""`python -m rag.bench scale-point N`: one point of the scale curve, in a process of its own."""

import json
import sys

from ..settings import load_settings
from .measure import scale_point

if sys.argv[1:2] == ["scale-point"]:
    print(json.dumps(scale_point(int(sys.argv[2]), load_settings())))
