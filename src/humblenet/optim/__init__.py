"""Optimizers, learning-rate schedules and gradient clipping.

An optimizer holds a list of parameters (leaf Tensors) and moves each one's ``.data`` against its
``.grad`` when ``step()`` is called. The classes come in order of increasing complexity: ``SGD``
(with momentum, Nesterov and weight decay), ``Adagrad``, ``RMSprop``, ``Adam`` and ``AdamW``,
one file each. Each follows PyTorch's update rule (written out in its docstring), so the same
start and the same gradients give the same numbers as ``torch.optim``.

Every update is done in place: ``p.data`` is never rebound (layers and the training loop hold
references to the arrays). Each optimizer has a readable update, one parameter at a time, and a
fast one over all parameters laid end to end; ``step()`` picks the fast one when it applies
(see ``optimizer.py`` and ``_flat.py``). Both give the same numbers (to rounding), and the state
a user reads (``optimizer.state``, ``state_dict()``) is the textbook state either way.

The schedules ``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` (``lr_scheduler.py``)
change an optimizer's ``learning_rate`` once per ``step()``; ``clip_grad_norm`` (``clip.py``)
scales gradients in place so that their total norm is at most a given value. ``get("adam")``
finds an optimizer class by name.

>>> import numpy as np
>>> from humblenet import Tensor
>>> w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
>>> optimizer = SGD([w], learning_rate=0.1)
>>> loss = (w * w).sum()      # gradient 2w = [2, -4]
>>> loss.backward()
>>> optimizer.step()          # w - 0.1 * 2w
>>> w.data
array([ 0.8, -1.6])
>>> optimizer.zero_grad()
>>> w.grad is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from humblenet.optim.adagrad import Adagrad
from humblenet.optim.adam import Adam, AdamW
from humblenet.optim.clip import clip_grad_norm
from humblenet.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LearningRateScheduler,
    StepLR,
)
from humblenet.optim.optimizer import Optimizer
from humblenet.optim.rmsprop import RMSprop
from humblenet.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "Optimizer",
    "LearningRateScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "clip_grad_norm",
    "OPTIMIZERS",
    "get",
]

# The optimizer classes by lower-case name: the one list of them (compile("adam"), the command
# line and the Keras names look them up here).
OPTIMIZERS: Mapping[str, type[Optimizer]] = MappingProxyType(
    {cls.__name__.lower(): cls for cls in (SGD, Adagrad, RMSprop, Adam, AdamW)}
)


def get(name: Any) -> type[Optimizer]:
    """The optimizer class called ``name``, in any case (``"adam"``, ``"AdamW"``, ``"sgd"``).

    >>> get("Adam")
    <class 'humblenet.optim.adam.Adam'>
    >>> sorted(OPTIMIZERS)
    ['adagrad', 'adam', 'adamw', 'rmsprop', 'sgd']
    """
    if not isinstance(name, str):
        raise TypeError(
            f"optim.get: name must be a string such as 'adam', got {type(name).__name__} {name!r}"
        )
    if name.lower() not in OPTIMIZERS:
        known = ", ".join(sorted(OPTIMIZERS))
        raise ValueError(f"unknown optimizer {name!r}; known optimizers: {known}")
    return OPTIMIZERS[name.lower()]
