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

from .gradcheck import GradientCheck, gradient_check, numerical_gradient
from .losses import Loss
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
    "softmax",
    "softmax_cross_entropy",
]
