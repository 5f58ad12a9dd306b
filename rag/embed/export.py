"""Build-only: the torch model exported to one ONNX graph for the query path, checked against its source."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .model import TorchEncoder
from .onnx import OnnxEncoder


def export_onnx(encoder: TorchEncoder, dest: Path, quantize: bool) -> None:
    """Write the transformer with mean pooling and normalisation as one ONNX graph, int8 weights if asked; the
    token vectors before pooling are a second output, for the question features that leave words out.

    The graph must agree with the torch model it came from; a bad export fails the build, not the answers.
    """
    import torch

    model = encoder.load().model
    _check_mean_pooled(model)
    # A copy, because .float().cpu() works in place and the model may live on a GPU in half precision for
    # the builds still to come.
    wrapped = _pooled(copy.deepcopy(model[0].auto_model)).float().cpu().eval()
    sample = torch.tensor([[101, 7592, 2088, 102]], dtype=torch.int64)
    dynamic = {n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids", "tokens")}
    plain = dest.with_suffix(".fp32.onnx") if quantize else dest
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, (sample, torch.ones_like(sample), torch.zeros_like(sample)), str(plain),
                          input_names=list(dynamic)[:3], output_names=["embedding", "tokens"],
                          dynamic_axes={**dynamic, "embedding": {0: "batch"}}, opset_version=17, dynamo=False)
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(plain), str(dest), weight_type=QuantType.QInt8, per_channel=True)
        plain.unlink()
    _check_agreement(encoder, OnnxEncoder(dest, encoder.settings), floor=0.97 if quantize else 0.9999)


def _check_mean_pooled(model: Any) -> None:
    kinds = [type(m).__name__ for m in model]
    # sentence-transformers 5 names the mode in `pooling_mode`; earlier releases set one flag per mode.
    pooling = model[1] if len(kinds) > 1 else None
    mean = getattr(pooling, "pooling_mode", None) == "mean" or getattr(pooling, "pooling_mode_mean_tokens", False)
    if kinds[:2] != ["Transformer", "Pooling"] or not mean or kinds[2:] not in ([], ["Normalize"]):
        raise ModelError(f"ONNX export supports a mean-pooled transformer, not {kinds}; use the torch backend")


def _pooled(transformer: Any) -> Any:
    """The transformer followed by the mean pooling and L2 normalisation that sentence-transformers applies."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1), hidden

    return Pooled()


def _check_agreement(reference: TorchEncoder, exported: OnnxEncoder, floor: float) -> None:
    probes = ["Does this treatment relieve chronic pain?", "A longer probe sentence, with punctuation; numbers like "
              "42 and words the tokenizer splits, such as antinociceptive.", "short"]
    vectors = exported.encode(probes)
    agreement = float((reference.encode(probes) * vectors).sum(1).min())
    if agreement < floor:
        raise ModelError(f"the exported encoder disagrees with the model (cosine {agreement:.4f} < {floor})")
    pooled = np.vstack([t.pooled() for t in exported.encode_tokens(probes)])
    if float((pooled * vectors).sum(1).min()) < 0.9999:
        raise ModelError("the exported encoder's token vectors do not pool to its embedding")
