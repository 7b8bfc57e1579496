"""Files: models to and from safetensors (:mod:`humblenet.io.safetensors`), ONNX export
(:mod:`humblenet.io.onnx`), and the atomic write both use (:mod:`humblenet.io.atomic`). Each is
driven by the layer protocol (see :mod:`humblenet.nn.module`): none names a layer class.
"""

from humblenet.io import atomic, onnx, safetensors

__all__ = ["atomic", "onnx", "safetensors"]
