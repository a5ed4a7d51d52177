"""Lesson 01, forward and backward, one number at a time: a 2-2-1 network on one example.

``Linear``, an activation, ``Linear``, an output function, then the MSE: :func:`backprop_trace`
records every value going forward and every gradient coming back, computed by the library's
layers, and the weights after one update; :func:`backprop_steps` turns it into the 13 steps a
student walks through; :class:`BackpropExplorer` (on the course's
:class:`~nnlesson.viz.explorer.Explorer` base), :func:`explore_backprop`,
:func:`snapshot_backprop`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.layers import Identity, Linear, ReLU, Sigmoid, Tanh
from nnlesson.losses import mse_loss
from nnlesson.optim import gd_update
from nnlesson.viz import plotting
from nnlesson.viz.explorer import Choice, Explorer, Slider, linear_ladder, log_ladder
from nnlesson.viz.plotting import PALETTE, stamp_text

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "DEFAULT_NETWORK",
    "BackpropTrace",
    "backprop_trace",
    "Step",
    "backprop_steps",
    "N_STEPS",
    "BackpropExplorer",
    "explore_backprop",
    "snapshot_backprop",
]


#: Hidden activations and their derivatives, as the step texts write them.
ACTIVATIONS = {
    "sigmoid": (Sigmoid, "σ", "σ'(z) = σ(z)(1 − σ(z))"),
    "tanh": (Tanh, "tanh", "tanh'(z) = 1 − tanh(z)²"),
    "relu": (ReLU, "relu", "relu'(z) = 1 if z > 0 else 0"),
}

#: Output functions: identity (regression) and sigmoid (a probability).
OUTPUTS = {
    "identity": (Identity, "identity", "f'(z) = 1"),
    "sigmoid": (Sigmoid, "σ", "σ'(z) = ŷ(1 − ŷ)"),
}

#: The example and starting weights of the tiny network (chosen by hand, easy to follow).
DEFAULT_NETWORK = {
    "x": (1.0, 0.5),
    "target": 1.0,
    "W1": ((0.6, -0.4), (0.2, 0.8)),
    "b1": (0.1, -0.2),
    "W2": ((0.9,), (-0.5,)),
    "b2": (0.3,),
}


@dataclass(frozen=True, eq=False)
class BackpropTrace:
    """Every number of one forward pass, one backward pass and one update of a 2-2-1 network.

    Shapes follow the library (a batch of one row): x (1, 2), W1 (2, 2), b1 (2,), z1 and h
    (1, 2), W2 (2, 1), b2 (1,), z2 and y_hat (1, 1). ``d<name>`` is ``dL/d<name>``::

        z1 = x W1 + b1          h = act(z1)          z2 = h W2 + b2       y_hat = f(z2)
        L = (y_hat - target)^2                       (mse_loss of one number)
        dy_hat = 2 (y_hat - target)                  dz2 = dy_hat f'(z2)
        dW2 = h^T dz2     db2 = dz2                  dh  = dz2 W2^T
        dz1 = dh act'(z1)                            dW1 = x^T dz1     db1 = dz1
        dx  = dz1 W1^T
        act_prime = act'(z1) (1, 2),  out_prime = f'(z2) (1, 1)   (for the step texts)
        p_new = p - lr dp  for p in (W1, b1, W2, b2);   loss_new = L at the new weights
    """

    activation: str
    output: str
    lr: float
    x: np.ndarray
    target: float
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    z1: np.ndarray
    h: np.ndarray
    z2: np.ndarray
    y_hat: np.ndarray
    loss: float
    dy_hat: np.ndarray
    dz2: np.ndarray
    dW2: np.ndarray
    db2: np.ndarray
    dh: np.ndarray
    dz1: np.ndarray
    dW1: np.ndarray
    db1: np.ndarray
    dx: np.ndarray
    act_prime: np.ndarray
    out_prime: np.ndarray
    W1_new: np.ndarray
    b1_new: np.ndarray
    W2_new: np.ndarray
    b2_new: np.ndarray
    loss_new: float


def _tiny_network(W1, b1, W2, b2, activation, output):
    lin1 = Linear(2, 2)
    lin1.W.value[...] = W1
    lin1.b.value[...] = b1
    lin2 = Linear(2, 1)
    lin2.W.value[...] = W2
    lin2.b.value[...] = b2
    return lin1, ACTIVATIONS[activation][0](), lin2, OUTPUTS[output][0]()


def _param(name, value, shape):
    arr = check_array(name, value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return arr.copy()


def backprop_trace(x=None, target=None, W1=None, b1=None, W2=None, b2=None, *,
                   activation="sigmoid", output="sigmoid", lr=0.5):
    """One forward pass, one backward pass and one gradient-descent step of a 2-2-1 network.

    The network is ``Linear(2, 2) -> activation -> Linear(2, 1) -> output function`` with the
    MSE ``L = (y_hat - target)^2`` on one example. Every number comes from the library's
    layers (``forward`` keeps the intermediate values, ``backward`` returns ``dL/d input`` and
    adds ``dL/d parameter`` into ``.grad``) and ``gd_update``. Defaults: :data:`DEFAULT_NETWORK`.

    Args:
        x: (2,) input. target: the number to predict. W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,).
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"``.
        output: ``"identity"`` or ``"sigmoid"``.
        lr: learning rate of the update, >= 0.

    Returns:
        :class:`BackpropTrace` (all arrays are float64 copies).
    """
    d = DEFAULT_NETWORK
    check_choice("activation", activation, tuple(ACTIVATIONS))
    check_choice("output", output, tuple(OUTPUTS))
    lr = check_number("lr", lr, low=0)
    x = _param("x", d["x"] if x is None else x, (2,)).reshape(1, 2)
    target = check_number("target", d["target"] if target is None else target)
    W1 = _param("W1", d["W1"] if W1 is None else W1, (2, 2))
    b1 = _param("b1", d["b1"] if b1 is None else b1, (2,))
    W2 = _param("W2", d["W2"] if W2 is None else W2, (2, 1))
    b2 = _param("b2", d["b2"] if b2 is None else b2, (1,))

    lin1, act, lin2, out = _tiny_network(W1, b1, W2, b2, activation, output)
    z1 = lin1.forward(x)
    h = act.forward(z1)
    z2 = lin2.forward(h)
    y_hat = out.forward(z2)
    loss, dy_hat = mse_loss(y_hat, np.array([[target]]))
    dz2 = out.backward(dy_hat)
    dh = lin2.backward(dz2)
    dz1 = act.backward(dh)
    dx = lin1.backward(dz1)
    # the local derivatives, for the step texts: backward of a ones gradient
    act_prime = act.backward(np.ones_like(z1))
    out_prime = out.backward(np.ones_like(z2))
    grads = {"W1": lin1.W.grad.copy(), "b1": lin1.b.grad.copy(),
             "W2": lin2.W.grad.copy(), "b2": lin2.b.grad.copy()}
    new = {}
    for name, p in (("W1", lin1.W), ("b1", lin1.b), ("W2", lin2.W), ("b2", lin2.b)):
        new[name] = gd_update(p.value, p.grad, lr=lr)
    lin1n, actn, lin2n, outn = _tiny_network(new["W1"], new["b1"], new["W2"], new["b2"],
                                             activation, output)
    y_new = outn.forward(lin2n.forward(actn.forward(lin1n.forward(x))))
    loss_new, _ = mse_loss(y_new, np.array([[target]]))
    return BackpropTrace(
        activation=activation, output=output, lr=lr, x=x, target=target, W1=W1, b1=b1, W2=W2,
        b2=b2, z1=z1, h=h, z2=z2, y_hat=y_hat, loss=loss, dy_hat=dy_hat, dz2=dz2,
        dW2=grads["W2"], db2=grads["b2"], dh=dh, dz1=dz1, dW1=grads["W1"], db1=grads["b1"],
        dx=dx, act_prime=act_prime, out_prime=out_prime, W1_new=new["W1"], b1_new=new["b1"],
        W2_new=new["W2"], b2_new=new["b2"],
        loss_new=loss_new)


@dataclass(frozen=True)
class Step:
    """One step of the walk-through.

    Attributes:
        title: what happens, in words. formula: the equation with this trace's numbers.
        phase: ``"forward"``, ``"backward"`` or ``"update"``.
        nodes: names of the nodes this step computes (``"x1"``, ``"h2"``, ``"y"``, ``"L"``).
        edges: names of the weights it uses or whose gradient it computes (``"W1_12"`` is
            ``W1[0, 1]``, from input 1 to hidden unit 2; ``"W2_1"`` is ``W2[0, 0]``).
    """

    title: str
    formula: str
    phase: str
    nodes: tuple = ()
    edges: tuple = ()


_EDGES1 = ("W1_11", "W1_12", "W1_21", "W1_22")
_EDGES2 = ("W2_1", "W2_2")


def _f(v):
    text = f"{float(v):.3f}"
    return "0.000" if text == "-0.000" else text  # a ReLU's zero gradient is not "-0"


def backprop_steps(trace):
    """The 13 steps of a :class:`BackpropTrace`: 6 forward, 6 backward, 1 update."""
    t = trace
    act, act_sym, act_deriv = ACTIVATIONS[t.activation]
    _, out_sym, out_deriv = OUTPUTS[t.output]
    x, z1, h, z2, y = t.x[0], t.z1[0], t.h[0], t.z2[0, 0], t.y_hat[0, 0]
    W1, b1, W2, b2 = t.W1, t.b1, t.W2[:, 0], t.b2[0]
    act_prime, out_prime = t.act_prime[0], t.out_prime[0, 0]
    steps = [
        Step("the input arrives", f"x = ({_f(x[0])}, {_f(x[1])}),  target y = {_f(t.target)}",
             "forward", ("x1", "x2")),
        Step("hidden layer, linear part: z1 = x W1 + b1",
             f"z1_1 = {_f(x[0])}·{_f(W1[0, 0])} + {_f(x[1])}·{_f(W1[1, 0])} + {_f(b1[0])} = "
             f"{_f(z1[0])};   z1_2 = {_f(x[0])}·{_f(W1[0, 1])} + {_f(x[1])}·{_f(W1[1, 1])}"
             f" + {_f(b1[1])} = {_f(z1[1])}", "forward", ("h1", "h2"), _EDGES1),
        Step(f"hidden activation: h = {act_sym}(z1)",
             f"h_1 = {act_sym}({_f(z1[0])}) = {_f(h[0])};   "
             f"h_2 = {act_sym}({_f(z1[1])}) = {_f(h[1])}", "forward", ("h1", "h2")),
        Step("output layer, linear part: z2 = h W2 + b2",
             f"z2 = {_f(h[0])}·{_f(W2[0])} + {_f(h[1])}·{_f(W2[1])} + {_f(b2)} = {_f(z2)}",
             "forward", ("y",), _EDGES2),
        Step(f"output function: ŷ = {out_sym}(z2)", f"ŷ = {out_sym}({_f(z2)}) = {_f(y)}",
             "forward", ("y",)),
        Step("loss: L = (ŷ − y)²", f"L = ({_f(y)} − {_f(t.target)})² = {t.loss:.4f}",
             "forward", ("L",)),
        Step("backward starts at the loss: ∂L/∂ŷ = 2(ŷ − y)",
             f"∂L/∂ŷ = 2·({_f(y)} − {_f(t.target)}) = {_f(t.dy_hat[0, 0])}", "backward",
             ("L", "y")),
        Step("through the output function: ∂L/∂z2 = ∂L/∂ŷ · f'(z2)",
             f"{out_deriv} = {_f(out_prime)};   ∂L/∂z2 = {_f(t.dy_hat[0, 0])}·{_f(out_prime)}"
             f" = {_f(t.dz2[0, 0])}", "backward", ("y",)),
        Step("output layer's weights: ∂L/∂W2 = hᵀ ∂L/∂z2,  ∂L/∂b2 = ∂L/∂z2",
             f"∂L/∂W2 = ({_f(h[0])}·{_f(t.dz2[0, 0])}, {_f(h[1])}·{_f(t.dz2[0, 0])}) = "
             f"({_f(t.dW2[0, 0])}, {_f(t.dW2[1, 0])});   ∂L/∂b2 = {_f(t.db2[0])}",
             "backward", ("y",), _EDGES2),
        Step("back to the hidden units: ∂L/∂h = ∂L/∂z2 W2ᵀ",
             f"∂L/∂h_1 = {_f(t.dz2[0, 0])}·{_f(W2[0])} = {_f(t.dh[0, 0])};   "
             f"∂L/∂h_2 = {_f(t.dz2[0, 0])}·{_f(W2[1])} = {_f(t.dh[0, 1])}", "backward",
             ("h1", "h2"), _EDGES2),
        Step(f"through the activation: ∂L/∂z1 = ∂L/∂h · {act_sym}'(z1)",
             f"{act_deriv}:  ∂L/∂z1 = ({_f(t.dh[0, 0])}·{_f(act_prime[0])}, "
             f"{_f(t.dh[0, 1])}·{_f(act_prime[1])}) = ({_f(t.dz1[0, 0])}, {_f(t.dz1[0, 1])})",
             "backward", ("h1", "h2")),
        Step("first layer's weights: ∂L/∂W1 = xᵀ ∂L/∂z1,  ∂L/∂b1 = ∂L/∂z1",
             f"∂L/∂W1 = [[{_f(t.dW1[0, 0])}, {_f(t.dW1[0, 1])}], [{_f(t.dW1[1, 0])}, "
             f"{_f(t.dW1[1, 1])}]];   ∂L/∂b1 = ({_f(t.db1[0])}, {_f(t.db1[1])})",
             "backward", ("x1", "x2", "h1", "h2"), _EDGES1),
        Step("update every weight: w ← w − lr·∂L/∂w",
             f"W1 ← [[{_f(t.W1_new[0, 0])}, {_f(t.W1_new[0, 1])}], [{_f(t.W1_new[1, 0])}, "
             f"{_f(t.W1_new[1, 1])}]],  b1 ← ({_f(t.b1_new[0])}, {_f(t.b1_new[1])});  "
             f"W2 ← ({_f(t.W2_new[0, 0])}, {_f(t.W2_new[1, 0])}),  b2 ← {_f(t.b2_new[0])};  "
             f"with lr = {t.lr:.3g}: W2_1 = {_f(W2[0])} − {t.lr:.3g}·({_f(t.dW2[0, 0])}) = "
             f"{_f(t.W2_new[0, 0])};  loss {t.loss:.4f} → {t.loss_new:.4f}", "update",
             ("h1", "h2", "y", "L"), _EDGES1 + _EDGES2),
    ]
    return steps


#: Number of steps in the walk-through.
N_STEPS = 13


# Where things sit, in pixels of the figure (x to the right, y down).
_W, _H = 880, 460
_POS = {"x1": (70, 150), "x2": (70, 300), "h1": (300, 150), "h2": (300, 300),
        "y": (440, 225), "L": (535, 225)}
_PAIRS = {"W1_11": ("x1", "h1"), "W1_12": ("x1", "h2"), "W1_21": ("x2", "h1"),
          "W1_22": ("x2", "h2"), "W2_1": ("h1", "y"), "W2_2": ("h2", "y")}
_GREY, _DARK = "#bbbbbb", "#222222"


def _pt(px):
    """A font size in points that is ``px`` pixels tall on the figure (100 pixels per inch)."""
    return px * 0.72


def _wrap(text, width=96):
    """Break a long formula at its ';' separators so it fits under the graph."""
    if len(text) <= width:
        return text
    return "\n".join(part.strip() for part in text.split(";"))


def _table(t, step):
    """The parameter table: names, values, gradients (once computed) and new values (at the
    update step), one string per column, rows aligned."""
    rows = [("x₁→h₁", t.W1[0, 0], t.dW1[0, 0], t.W1_new[0, 0], 11),
            ("x₁→h₂", t.W1[0, 1], t.dW1[0, 1], t.W1_new[0, 1], 11),
            ("x₂→h₁", t.W1[1, 0], t.dW1[1, 0], t.W1_new[1, 0], 11),
            ("x₂→h₂", t.W1[1, 1], t.dW1[1, 1], t.W1_new[1, 1], 11),
            ("b h₁", t.b1[0], t.db1[0], t.b1_new[0], 11),
            ("b h₂", t.b1[1], t.db1[1], t.b1_new[1], 11),
            None,
            ("h₁→ŷ", t.W2[0, 0], t.dW2[0, 0], t.W2_new[0, 0], 8),
            ("h₂→ŷ", t.W2[1, 0], t.dW2[1, 0], t.W2_new[1, 0], 8),
            ("b ŷ", t.b2[0], t.db2[0], t.b2_new[0], 8)]
    names, values, grads, new = ["weight"], ["w"], ["∂L/∂w"], ["new w"]
    for row in rows:
        if row is None:
            for column in (names, values, grads, new):
                column.append(" ")
            continue
        name, w, g, w_new, grad_step = row
        names.append(name)
        values.append(_f(w))
        grads.append(_f(g) if step >= grad_step else " ")
        new.append(_f(w_new) if step == N_STEPS - 1 else " ")
    return ["\n".join(column) for column in (names, values, grads, new)]


class BackpropExplorer(Explorer):
    """The 2-2-1 network drawn as a graph; the values of the steps so far, step by step.

    Values going forward are written above the nodes in blue; gradients coming back, written
    ``∂L/∂...``, below them in vermillion; the current step's nodes and weights are drawn thick.
    The table on the right lists every weight and bias with its gradient once the backward pass
    has reached it, and its new value at the update. The step's formula, with its numbers, sits
    under the graph.

    The texts are ``StampText`` artists (:func:`nnlesson.viz.plotting.stamp_text`): each
    distinct string is rasterized once, so walking through the steps pays only for the texts
    that change.
    """

    controls = (
        Slider("step", "step", linear_ladder(0, N_STEPS - 1, 1), default=0),
        Slider("lr", "learning rate (update)", log_ladder(0.01, 10.0, "1-2-5"), default=0.5),
        Choice("activation", "hidden activation", list(ACTIVATIONS), default="sigmoid"),
        Choice("output", "output function", list(OUTPUTS), default="sigmoid"),
    )
    columns = 2
    size = (_W, _H)
    show_summary = False  # the step's formula is already under the graph
    alt = ("A network drawn as a graph: two inputs on the left, two hidden units, the "
           "prediction and the loss on the right, joined by lines for the weights. Values "
           "computed going forward are written above the nodes, gradients coming back below "
           "them; a table on the right lists each weight with its gradient and, after the "
           "update, its new value; the current step's formula is written under the graph.")

    def build(self, fig):
        fig.set_layout_engine("none")  # one axes over the whole figure, in pixels
        ax = self.ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, _W)
        ax.set_ylim(_H, 0)
        ax.set_axis_off()
        self.fwd_colour, self.bwd_colour = PALETTE[0], PALETTE[3]
        text = _pt(plotting.TEXT_PX)

        def stamp(x, y, **kwargs):
            return stamp_text(ax, x, y, "", **{"fontsize": text, **kwargs})

        self.title = stamp(12, 8, ha="left", va="top", fontsize=_pt(plotting.TITLE_PX))
        self.subtitle = stamp(12, 32, ha="left", va="top")
        self.edge_lines = {}
        for name, (a, b) in _PAIRS.items():
            (a_x, a_y), (b_x, b_y) = _POS[a], _POS[b]
            (self.edge_lines[name],) = ax.plot([a_x, b_x], [a_y, b_y], color=_GREY,
                                               linewidth=1.2, zorder=1)
        (a_x, a_y), (b_x, b_y) = _POS["y"], _POS["L"]
        ax.plot([a_x, b_x], [a_y, b_y], color=_GREY, linewidth=1.2, zorder=1)
        labels = {"x1": "x₁", "x2": "x₂", "h1": "h₁", "h2": "h₂", "y": "ŷ", "L": "L"}
        self.node_marks, self.node_labels, self.value_text, self.grad_text = {}, {}, {}, {}
        # a white box behind each number, so that no edge runs through it
        box = {"bbox": {"facecolor": "white", "edgecolor": "none", "pad": 1}}
        for name, (px, py) in _POS.items():
            (mark,) = ax.plot([px], [py], marker="s" if name == "L" else "o", markersize=30,
                              markerfacecolor="white", markeredgecolor="#555555",
                              markeredgewidth=1.2, linestyle="none", zorder=3)
            self.node_marks[name] = mark
            # drawn with the (opaque) markers, so it moves with them
            self.node_labels[name] = stamp(px, py, ha="center", va="center", zorder=5,
                                           fontsize=_pt(plotting.TITLE_PX))
            self.node_labels[name].set_text(labels[name])
            self.value_text[name] = stamp(px, py - 24, ha="center", va="bottom",
                                          color=self.fwd_colour, zorder=5, **box)
            self.grad_text[name] = stamp(px, py + 24, ha="center", va="top",
                                         color=self.bwd_colour, zorder=5, **box)
        # the network's functions, the parameter table and the colour key
        self.network = stamp(605, 22, ha="left", va="top", color=_DARK)
        ax.text(605, 62, "blue: values going forward", color=self.fwd_colour, fontsize=text,
                va="top")
        ax.text(605, 82, "vermillion: gradients coming back", color=self.bwd_colour,
                fontsize=text, va="top")
        mono = {"family": "monospace", "va": "top", "linespacing": 1.25}
        self.table = [stamp(605, 118, ha="left", color=_DARK, **mono),
                      stamp(728, 118, ha="right", multialignment="right", color=_DARK, **mono),
                      stamp(800, 118, ha="right", multialignment="right", color=self.bwd_colour,
                            **mono),
                      stamp(872, 118, ha="right", multialignment="right", color=self.fwd_colour,
                            **mono)]
        self.formula = stamp(12, 372, ha="left", va="top", family="monospace",
                             linespacing=1.25)
        return [self.title, self.subtitle, self.network, self.formula, *self.edge_lines.values(),
                *self.node_marks.values(), *self.node_labels.values(), *self.value_text.values(),
                *self.grad_text.values(), *self.table]

    def compute(self, lr, activation, output):
        """``(trace, steps)`` for these settings (microseconds of work)."""
        trace = backprop_trace(activation=activation, output=output, lr=lr)
        return trace, backprop_steps(trace)

    def update(self, result, step):
        t, steps = self.trace, self.steps = result
        current = steps[step]

        values = {
            "x1": [(0, f"x₁ = {_f(t.x[0, 0])}")], "x2": [(0, f"x₂ = {_f(t.x[0, 1])}")],
            "h1": [(1, f"z = {_f(t.z1[0, 0])}"), (2, f"h = {_f(t.h[0, 0])}")],
            "h2": [(1, f"z = {_f(t.z1[0, 1])}"), (2, f"h = {_f(t.h[0, 1])}")],
            "y": [(3, f"z = {_f(t.z2[0, 0])}"), (4, f"ŷ = {_f(t.y_hat[0, 0])}")],
            "L": [(0, f"y = {_f(t.target)}"), (5, f"L = {t.loss:.4f}"),
                  (N_STEPS - 1, f"after: {t.loss_new:.4f}")],
        }
        for name, items in values.items():
            self.value_text[name].set_text("\n".join(s for k, s in items if k <= step))
        grads = {
            "x1": [(11, f"∂L/∂x₁ = {_f(t.dx[0, 0])}")],
            "x2": [(11, f"∂L/∂x₂ = {_f(t.dx[0, 1])}")],
            "h1": [(9, f"∂L/∂h = {_f(t.dh[0, 0])}"), (10, f"∂L/∂z = {_f(t.dz1[0, 0])}")],
            "h2": [(9, f"∂L/∂h = {_f(t.dh[0, 1])}"), (10, f"∂L/∂z = {_f(t.dz1[0, 1])}")],
            "y": [(6, f"∂L/∂ŷ = {_f(t.dy_hat[0, 0])}"), (7, f"∂L/∂z = {_f(t.dz2[0, 0])}")],
            "L": [(6, "∂L/∂L = 1")],
        }
        for name, items in grads.items():
            self.grad_text[name].set_text("\n".join(s for k, s in items if k <= step))
        for artist, column in zip(self.table, _table(t, step)):
            artist.set_text(column)

        colour = self.fwd_colour if current.phase == "forward" else self.bwd_colour
        for name, line in self.edge_lines.items():
            on = name in current.edges
            line.set_color(colour if on else _GREY)
            line.set_linewidth(3.0 if on else 1.2)
            line.set_linestyle("-" if current.phase == "forward" or not on else "--")
        for name, mark in self.node_marks.items():
            on = name in current.nodes
            mark.set_markeredgecolor(colour if on else "#555555")
            mark.set_markeredgewidth(3.0 if on else 1.2)
        phase = {"forward": "forward pass", "backward": "backward pass (chain rule)",
                 "update": "gradient-descent update"}[current.phase]
        self.title.set_text(f"step {step} of {N_STEPS - 1} · {phase}")
        self.network.set_text(f"hidden: {t.activation} · output: {t.output}")
        self.subtitle.set_text(current.title)
        self.formula.set_text(_wrap(current.formula))
        return f"Step {step} of {N_STEPS - 1}, {phase}: {current.title}: {current.formula}"


def explore_backprop(**values):
    """The walk-through's widget (controls: ``step``, ``lr``, ``activation``, ``output``; see
    :class:`BackpropExplorer`)."""
    return BackpropExplorer().explore(**values)


def snapshot_backprop(**values):
    """The network at one setting (default: after the whole backward pass, step 11), with its
    alt text (a static Figure)."""
    return BackpropExplorer().snapshot(**{"step": N_STEPS - 2, **values})
