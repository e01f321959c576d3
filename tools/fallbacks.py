"""Stand-ins for the graded functions, for the student edition of the web book.

In the student edition every graded function is the student's stub, which
raises ``NotImplementedError``. Its test cell runs against the stub and shows
that error on purpose: it is what a student sees before writing the function.
The chapter's later cells, though, use the function's results (to compare with
the package, to plot, to show a warning), so right after the test cell the
build runs a hidden cell that binds the name to the code below, taken from
``lossutils`` where the package has the same behaviour, and written with NumPy
where the chapter needs the textbook behaviour (the overflow warning of a loss
computed through the probabilities, for instance).

These cells are tagged ``remove-cell``: never shown, and deleted from the
notebooks the site offers for download (``tools/editions.py``), so the student
edition holds no code that answers an exercise. The leak test
(``tests/browser/test_leaks.py``) checks that none of it reaches the site.

To add a graded function to a chapter, add its grade id here: the build of the
student edition stops with a message naming the chapter and the grade id
until you do. ``numpy as np`` and ``lossutils`` are imported before the code.
"""

from __future__ import annotations

FALLBACKS: dict[str, str] = {
    # Chapter 1. Cell "binary_cross_entropy at z = 40" shows the warning of the loss written
    # through the probabilities, so the stand-in is that formula, not the package's stable layer.
    "binary_cross_entropy": """\
def binary_cross_entropy(logits, targets):
    probs = lossutils.sigmoid(logits)
    per_element = targets * np.log(probs) + (1 - targets) * np.log(1 - probs)
    return -per_element.sum() / logits.shape[0]
""",
    "binary_cross_entropy_grad": """\
def binary_cross_entropy_grad(logits, targets):
    layer = lossutils.SigmoidCrossEntropy()
    layer.forward(logits, targets)
    return layer.backward()
""",
    # Chapter 2.
    "softmax_cross_entropy": """\
def softmax_cross_entropy(logits, labels):
    return lossutils.SoftmaxCrossEntropy().forward(logits, labels)
""",
    # Chapter 3: the package's primitives are the stable versions the chapter builds.
    "stable_sigmoid": "stable_sigmoid = lossutils.sigmoid\n",
    "stable_softmax": "stable_softmax = lossutils.softmax\n",
    "stable_logsumexp": "stable_logsumexp = lossutils.logsumexp\n",
    # Chapter 4. The package has no Jacobian: diag(p) - p p^T from its softmax.
    "softmax_cross_entropy_grad": """\
def softmax_cross_entropy_grad(logits, labels):
    layer = lossutils.SoftmaxCrossEntropy()
    layer.forward(logits, labels)
    return layer.backward()
""",
    "softmax_jacobian": """\
def softmax_jacobian(z):
    probs = lossutils.softmax(z)
    return np.diag(probs) - np.outer(probs, probs)
""",
    # Chapter 6: the package's layers and optimiser do each step.
    "linear_backward": """\
def linear_backward(x, weight, grad):
    layer = lossutils.Linear(*weight.shape, rng=np.random.default_rng(0))
    layer.weight.data[...] = weight
    layer(x)
    grad_x = layer.backward(grad)
    return layer.weight.grad, layer.bias.grad, grad_x
""",
    "relu_backward": """\
def relu_backward(a, grad_h):
    relu = lossutils.ReLU()
    relu(a)
    return relu.backward(grad_h)
""",
    "sgd_momentum_step": """\
def sgd_momentum_step(param, grad, velocity, lr, momentum):  # lr > 0
    p = lossutils.Parameter(param)
    optimizer = lossutils.SGD([p], lr=0.0, momentum=momentum)
    p.grad[...] = velocity
    optimizer.step()  # lr 0: only loads the velocity into the momentum buffer
    optimizer.lr = lr
    p.grad[...] = grad
    optimizer.step()  # buffer = momentum * velocity + grad; p -= lr * buffer
    return p.data, (param - p.data) / lr
""",
    # Chapter 7.
    "smoothed_cross_entropy": """\
def smoothed_cross_entropy(logits, labels, epsilon):
    return lossutils.softmax_cross_entropy(logits, labels, label_smoothing=epsilon)
""",
    "am_softmax_head": """\
def am_softmax_head(cos, labels, scale, margin):
    logits = lossutils.am_softmax_logits(cos, labels, scale, margin)
    _, dlogits = lossutils.softmax_cross_entropy(logits, labels)
    return logits, scale * dlogits
""",
}

PREAMBLE = "import lossutils\nimport numpy as np\n\n"


class MissingFallback(KeyError):
    """A graded function without a stand-in: the student edition cannot run its chapter."""

    def __str__(self) -> str:
        return str(self.args[0])


def fallback_code(grade_id: str, where: str) -> str:
    """The code of the hidden cell that stands in for ``grade_id`` (raises if there is none)."""
    try:
        return PREAMBLE + FALLBACKS[grade_id]
    except KeyError:
        raise MissingFallback(
            f"{where}: the graded cell {grade_id!r} has no stand-in for the student edition. "
            f"Add an entry {grade_id!r}: '<code that binds {grade_id} from lossutils or NumPy>' "
            "to FALLBACKS in tools/fallbacks.py (see its docstring)."
        ) from None
