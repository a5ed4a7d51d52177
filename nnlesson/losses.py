"""Losses and penalties (lessons 01, 11).

Every loss is a **mean** over the batch (so a learning rate means the same thing at every
batch size) and returns ``(loss, grad)``: the loss as a Python float and ``grad``, dL/d(input),
with the shape and dtype of the predictions. ``grad`` is what you feed to the last layer's
``backward``.

Penalties take a list of weights (arrays or :class:`nnlesson.core.Parameter`) and return
``(penalty, grads)`` with one gradient per weight; pass the weights only, not the biases.
"""
from __future__ import annotations

import numpy as np

from nnlesson._validate import check_array, check_choice, check_number, check_same_shape
from nnlesson.core import Parameter
from nnlesson.layers import log_softmax, sigmoid

__all__ = [
    "mse_loss",
    "softmax_cross_entropy",
    "binary_cross_entropy_with_logits",
    "l2_penalty",
    "l1_penalty",
    "add_penalty_grad",
    "accuracy",
]


def _check_labels(labels, n, n_classes):
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be an array of integer class indices, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(
            f"labels must have shape (N,) = ({n},), one class index per row of the scores; "
            f"got {labels.shape}"
        )
    if n and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise ValueError(f"labels must be in [0, {n_classes - 1}] (C = {n_classes} classes), got {bad}")
    return labels


def _check_scores(name, scores):
    scores = check_array(name, scores, ndim=2, min_rows=1)
    if scores.dtype.kind != "f":
        scores = scores.astype(np.float64)
    return scores


def mse_loss(pred, target):
    """Mean squared error over all elements, as ``torch.nn.MSELoss()`` (reduction "mean").

    Equations (``size`` is the number of elements)::

        loss  = mean((pred - target)**2) = sum((pred - target)**2) / size
        dpred = 2 * (pred - target) / size

    For (N, 1) outputs this is lesson 01's average over the m examples of (y_hat - y)^2.

    Args:
        pred: (N, ...) predictions.
        target: same shape as pred.

    Returns:
        (loss, dpred): a float and an array of the shape of ``pred``.

    Raises:
        ValueError: different shapes, no element, or NaN/inf.
    """
    pred = check_array("pred", pred)
    target = check_array("target", target)
    check_same_shape("pred", pred, "target", target)
    if pred.size == 0:
        raise ValueError("pred must contain at least one element, got shape " + str(pred.shape))
    if pred.dtype.kind != "f":
        pred = pred.astype(np.float64)
    diff = pred - target.astype(pred.dtype, copy=False)
    loss = float(np.mean(diff**2))
    return loss, (2 / diff.size) * diff


def softmax_cross_entropy(logits, labels):
    """Softmax followed by the negative log-likelihood, averaged over the batch.

    As ``torch.nn.functional.cross_entropy(logits, labels)`` (reduction "mean").

    Equations::

        log_p   = log_softmax(logits)             (stable log-sum-exp form)
        loss    = -mean_n log_p[n, labels[n]]
        dlogits = (softmax(logits) - onehot(labels)) / N

    Args:
        logits: (N, C) unnormalized scores.
        labels: (N,) integer class indices in [0, C).

    Returns:
        (loss, dlogits): a float and an (N, C) array.

    Raises:
        ValueError, TypeError: shapes that do not match, labels out of range or not integers.
    """
    logits = _check_scores("logits", logits)
    n, n_classes = logits.shape
    labels = _check_labels(labels, n, n_classes)
    rows = np.arange(n)
    log_p = log_softmax(logits)
    loss = float(-np.mean(log_p[rows, labels]))
    dlogits = np.exp(log_p)  # softmax(logits)
    dlogits[rows, labels] -= 1
    dlogits /= n
    return loss, dlogits


def binary_cross_entropy_with_logits(logits, targets):
    """Sigmoid followed by binary cross-entropy, averaged over all elements.

    As ``torch.nn.functional.binary_cross_entropy_with_logits`` (reduction "mean").

    With ``p = sigmoid(z)`` the loss per element is ``-t log(p) - (1 - t) log(1 - p)``;
    written without ever forming ``log(0)``:

    Equations::

        loss    = mean(max(z, 0) - z * t + log(1 + exp(-|z|)))
        dlogits = (sigmoid(z) - t) / size

    Args:
        logits: (N, ...) scores z.
        targets: same shape, values t in [0, 1].

    Returns:
        (loss, dlogits): a float and an array of the shape of ``logits``.

    Raises:
        ValueError: different shapes, no element, or targets outside [0, 1].
    """
    logits = check_array("logits", logits)
    targets = check_array("targets", targets)
    check_same_shape("logits", logits, "targets", targets)
    if logits.size == 0:
        raise ValueError("logits must contain at least one element, got shape " + str(logits.shape))
    if np.any((targets < 0) | (targets > 1)):
        raise ValueError(
            f"targets must be in [0, 1], got values from {targets.min()} to {targets.max()}"
        )
    if logits.dtype.kind != "f":
        logits = logits.astype(np.float64)
    z, t = logits, targets.astype(logits.dtype, copy=False)
    loss = float(np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))))
    return loss, (sigmoid(z) - t) / z.size


def _weight_arrays(weights):
    """The arrays behind a list of weights (arrays or Parameters); one weight is a list of one."""
    if isinstance(weights, (np.ndarray, Parameter)):
        weights = [weights]
    if not isinstance(weights, (list, tuple)):
        raise TypeError(
            f"weights must be a list of arrays or Parameters, got {type(weights).__name__}"
        )
    return [
        w.value if isinstance(w, Parameter) else check_array(f"weights[{i}]", w)
        for i, w in enumerate(weights)
    ]


def l2_penalty(weights, lam):
    """L2 penalty (weight decay) and its gradients.

    Equations::

        penalty = lam / 2 * sum_w sum(w**2)
        grad_w  = lam * w

    The factor 1/2 makes the gradient ``lam * w``: exactly what ``torch.optim.SGD`` adds for
    ``weight_decay=lam``, so ``lam`` here *is* SGD's weight_decay.

    Args:
        weights: a list of arrays or Parameters (weights, not biases).
        lam: lambda, a finite number >= 0.

    Returns:
        (penalty, grads): a float and one gradient array per weight.

    Raises:
        TypeError, ValueError: ``weights`` not a list of arrays, or a bad ``lam``.
    """
    arrays = _weight_arrays(weights)
    lam = check_number("lam", lam, low=0)
    penalty = lam / 2 * sum(float(np.sum(w**2)) for w in arrays)
    return penalty, [lam * w for w in arrays]


def l1_penalty(weights, lam):
    """L1 penalty (pushes weights to exactly zero) and its (sub)gradients.

    Equations::

        penalty = lam * sum_w sum(|w|)
        grad_w  = lam * sign(w)

    ``|w|`` has no derivative at 0; ``sign(0) = 0`` picks the subgradient 0 (as PyTorch's
    ``abs`` does).

    Args:
        weights: a list of arrays or Parameters (weights, not biases).
        lam: lambda, a finite number >= 0.

    Returns:
        (penalty, grads): a float and one gradient array per weight.

    Raises:
        TypeError, ValueError: ``weights`` not a list of arrays, or a bad ``lam``.
    """
    arrays = _weight_arrays(weights)
    lam = check_number("lam", lam, low=0)
    penalty = lam * sum(float(np.sum(np.abs(w))) for w in arrays)
    return penalty, [lam * np.sign(w) for w in arrays]


_PENALTIES = {"l2": l2_penalty, "l1": l1_penalty}


def add_penalty_grad(params, lam, kind="l2"):
    """Add the penalty's gradient into each parameter's ``.grad``; return the penalty.

    Call it after ``backward`` and before the optimizer step, and add the returned value to
    the data loss if you want to plot the total.

    Args:
        params: a list of Parameters (usually the weights only).
        lam: lambda, a finite number >= 0.
        kind: "l2" (``lam / 2 * sum w^2``) or "l1" (``lam * sum |w|``).

    Returns:
        float, the penalty.

    Raises:
        TypeError, ValueError: not a list of Parameters, a bad ``lam`` or ``kind``.
    """
    check_choice("kind", kind, tuple(_PENALTIES))
    if isinstance(params, Parameter):
        params = [params]
    if not isinstance(params, (list, tuple)) or not all(isinstance(p, Parameter) for p in params):
        raise TypeError(
            "params must be a list of Parameters (for plain arrays use l2_penalty or "
            f"l1_penalty), got {params!r}"
        )
    penalty, grads = _PENALTIES[kind](list(params), lam)
    for p, g in zip(params, grads):
        p.grad += g
    return penalty


def accuracy(logits_or_probs, labels):
    """Fraction of rows whose largest score is the true class.

    Equations::

        accuracy = mean_n [argmax_j scores[n, j] == labels[n]]

    Args:
        logits_or_probs: (N, C) scores, C >= 2 (logits and probabilities give the same argmax).
        labels: (N,) integer class indices in [0, C).

    Returns:
        float in [0, 1].

    Raises:
        ValueError, TypeError: fewer than 2 columns, or labels that do not match.
    """
    scores = _check_scores("logits_or_probs", logits_or_probs)
    n, n_classes = scores.shape
    if n_classes < 2:
        raise ValueError(
            "logits_or_probs must have C >= 2 columns (one score per class); for a single "
            f"binary output compare (score > threshold) with the labels; got shape {scores.shape}"
        )
    labels = _check_labels(labels, n, n_classes)
    return float(np.mean(np.argmax(scores, axis=1) == labels))
