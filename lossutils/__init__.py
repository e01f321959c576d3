"""lossutils: the code of the book *Cross-Entropy from Scratch*.

The two losses, each written once as a function that returns the loss and its
gradient, ``softmax_cross_entropy`` and ``sigmoid_cross_entropy`` (with
PyTorch's options), and as layers with ``forward`` and ``backward``; their
stable primitives; the focal and margin variants; calibration
(``expected_calibration_error``, ``calibration_bins``); a small network toolkit
(``Linear``, ``ReLU``, ``Sequential``, ``SGD``, ``accuracy``, ``minibatches``);
gradient checking; and, for comparison, the short reference versions
(:mod:`lossutils.reference`) and the naive and seed-style ones
(:mod:`lossutils.naive`). Plotting helpers live in :mod:`lossutils.plotting`,
imported on its own so that matplotlib stays optional.

Examples
--------
>>> import numpy as np
>>> import lossutils
>>> loss, dlogits = lossutils.softmax_cross_entropy([[2.0, 1.0, 0.1]], [0])
>>> round(float(loss), 4), dlogits.shape
(0.417, (1, 3))
"""

from .calibration import calibration_bins, expected_calibration_error
from .focal import sigmoid_focal_loss
from .gradcheck import GradientCheck, gradient_check, numerical_gradient
from .losses import Loss
from .margin import AMSoftmaxLoss, ArcFaceLoss, am_softmax_logits, arcface_logits
from .modules import Linear, Module, Parameter, ReLU, Sequential
from .naive import (
    naive_sigmoid,
    naive_softmax,
    seed_sigmoid,
    seed_sigmoid_cross_entropy,
    seed_softmax,
    seed_softmax_cross_entropy,
)
from .optim import SGD, l2_penalty
from .primitives import log_sigmoid, log_softmax, logsumexp, one_hot, sigmoid, softmax
from .sigmoid_ce import SigmoidCrossEntropy, sigmoid_cross_entropy
from .softmax_ce import SoftmaxCrossEntropy, softmax_cross_entropy
from .training import accuracy, minibatches

__version__ = "0.2.0"

__all__ = [
    "SGD",
    "AMSoftmaxLoss",
    "ArcFaceLoss",
    "GradientCheck",
    "Linear",
    "Loss",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "SigmoidCrossEntropy",
    "SoftmaxCrossEntropy",
    "accuracy",
    "am_softmax_logits",
    "arcface_logits",
    "calibration_bins",
    "expected_calibration_error",
    "gradient_check",
    "l2_penalty",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "minibatches",
    "naive_sigmoid",
    "naive_softmax",
    "numerical_gradient",
    "one_hot",
    "seed_sigmoid",
    "seed_sigmoid_cross_entropy",
    "seed_softmax",
    "seed_softmax_cross_entropy",
    "sigmoid",
    "sigmoid_cross_entropy",
    "sigmoid_focal_loss",
    "softmax",
    "softmax_cross_entropy",
]
