"""lossutils: the code of the book *Cross-Entropy from Scratch*.

Stable sigmoid and softmax primitives, the sigmoid and softmax cross-entropy
layers with forward and backward, gradient checking, and the naive versions
the chapters compare against. Plotting helpers live in
:mod:`lossutils.plotting`, imported on its own so that matplotlib stays optional.

Examples
--------
>>> import numpy as np
>>> import lossutils
>>> loss_fn = lossutils.SoftmaxCrossEntropy()
>>> float(loss_fn.forward(np.array([[2.0, 1.0, 0.1]]), np.array([0]))) > 0
True
"""

from .focal import sigmoid_focal_loss
from .gradcheck import GradientCheck, gradient_check, numerical_gradient
from .losses import Loss
from .margin import AMSoftmaxLoss, ArcFaceLoss, am_softmax_logits, arcface_logits
from .modules import Linear, Module, Parameter
from .naive import (
    naive_sigmoid,
    naive_softmax,
    seed_sigmoid,
    seed_sigmoid_cross_entropy,
    seed_softmax,
    seed_softmax_cross_entropy,
)
from .primitives import log_sigmoid, log_softmax, logsumexp, one_hot, sigmoid, softmax
from .sigmoid_ce import SigmoidCrossEntropy
from .softmax_ce import SoftmaxCrossEntropy

__version__ = "0.1.0"

__all__ = [
    "AMSoftmaxLoss",
    "ArcFaceLoss",
    "GradientCheck",
    "Linear",
    "Loss",
    "Module",
    "Parameter",
    "SigmoidCrossEntropy",
    "SoftmaxCrossEntropy",
    "am_softmax_logits",
    "arcface_logits",
    "gradient_check",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "naive_sigmoid",
    "naive_softmax",
    "numerical_gradient",
    "one_hot",
    "seed_sigmoid",
    "seed_sigmoid_cross_entropy",
    "seed_softmax",
    "seed_softmax_cross_entropy",
    "sigmoid",
    "sigmoid_focal_loss",
    "softmax",
]
